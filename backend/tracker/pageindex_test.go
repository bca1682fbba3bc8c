package tracker_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/query"
	"github.com/hookpost/hookpost/backend/settings"
	"github.com/hookpost/hookpost/backend/store/storetest"
	"github.com/hookpost/hookpost/backend/tracker"
)

// stepClock is a clock that a test moves by hand; it stands still between
// moves, so that writes share updated_at values (ties the sort must break).
type stepClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *stepClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *stepClock) add(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// pageWorld is a tracker service with its page index, and a second service
// on the same database standing for another process.
type pageWorld struct {
	svc, other    *tracker.Service
	set           *settings.Service // svc's, for the coherence watcher
	admin, member auth.User
	clock         *stepClock
	rnd           *rand.Rand
	projects      []int64
	wps           []tracker.WorkPackageView
	statuses      []int64
	serial        int
}

func newPageWorld(t *testing.T, seed uint64) *pageWorld { return newPageWorldWith(t, seed, nil) }

// newPageWorldWith is newPageWorld with onCommit as svc's commit hook.
func newPageWorldWith(t *testing.T, seed uint64, onCommit func()) *pageWorld {
	t.Helper()
	ctx := context.Background()
	loc := storetest.Location(t)
	st, st2 := storetest.OpenAt(t, loc), storetest.OpenAt(t, loc)
	clock := &stepClock{now: time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)}
	w := &pageWorld{clock: clock, rnd: rand.New(rand.NewPCG(seed, seed))}
	set, err := settings.New(ctx, st, clock.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(ctx, st, set, clock.Now)
	if err != nil {
		t.Fatal(err)
	}
	if w.admin, err = a.CreateUser(ctx, auth.NewUser{Login: "admin", Password: "correct horse battery", Admin: true}); err != nil {
		t.Fatal(err)
	}
	if w.member, err = a.CreateUser(ctx, auth.NewUser{Login: "jane", Password: "correct horse battery", FirstName: "Jane", LastName: "Doe"}); err != nil {
		t.Fatal(err)
	}
	w.set = set
	if w.svc, err = tracker.New(ctx, tracker.Deps{Store: st, Settings: set, Now: clock.Now, Payloads: hal.EventPayloads, OnCommit: onCommit}); err != nil {
		t.Fatal(err)
	}
	set2, err := settings.New(ctx, st2, clock.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w.other, err = tracker.New(ctx, tracker.Deps{Store: st2, Settings: set2, Now: clock.Now, Payloads: hal.EventPayloads}); err != nil {
		t.Fatal(err)
	}
	for _, s := range w.svc.Statuses() {
		w.statuses = append(w.statuses, s.ID)
	}
	for range 3 {
		w.newProject(t, w.svc)
	}
	return w
}

func (w *pageWorld) newProject(t *testing.T, svc *tracker.Service) {
	t.Helper()
	w.serial++
	ident, public := fmt.Sprintf("p%d", w.serial), w.rnd.IntN(3) > 0
	p, err := svc.CreateProject(context.Background(), w.admin, tracker.ProjectInput{Identifier: &ident, Name: &ident, Public: &public})
	if err != nil {
		t.Fatal(err)
	}
	w.projects = append(w.projects, p.ID)
}

func (w *pageWorld) project() int64 { return w.projects[w.rnd.IntN(len(w.projects))] }
func (w *pageWorld) status() int64  { return w.statuses[w.rnd.IntN(len(w.statuses))] }

// wp picks a work package that still exists (reloaded, for its lock version).
func (w *pageWorld) wp(t *testing.T) (tracker.WorkPackageView, bool) {
	t.Helper()
	for len(w.wps) > 0 {
		i := w.rnd.IntN(len(w.wps))
		v, err := w.svc.WorkPackage(context.Background(), w.admin, w.wps[i].ID)
		if err == nil {
			return v, true
		}
		w.wps = slices.Delete(w.wps, i, i+1)
	}
	return tracker.WorkPackageView{}, false
}

func (w *pageWorld) create(t *testing.T, svc *tracker.Service) {
	t.Helper()
	w.serial++
	subject, project, status := fmt.Sprintf("Task %d", w.serial), w.project(), w.status()
	v, err := svc.CreateWorkPackage(context.Background(), w.admin, tracker.WorkPackageInput{Subject: &subject, ProjectID: &project, StatusID: &status})
	if err != nil {
		t.Fatal(err)
	}
	w.wps = append(w.wps, v)
}

func (w *pageWorld) update(t *testing.T, svc *tracker.Service) {
	t.Helper()
	v, ok := w.wp(t)
	if !ok {
		return
	}
	in := tracker.WorkPackageInput{LockVersion: &v.LockVersion}
	switch w.rnd.IntN(3) {
	case 0:
		s := w.status()
		in.StatusID = &s
	case 1:
		p := w.project()
		in.ProjectID = &p
	default:
		subject := v.Subject + "'"
		in.Subject = &subject
	}
	if _, err := svc.UpdateWorkPackage(context.Background(), w.admin, v.ID, in); err != nil {
		t.Fatal(err)
	}
}

// step makes one random write; it returns what it did.
func (w *pageWorld) step(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	// The clock stands still for a third of the writes.
	if w.rnd.IntN(3) > 0 {
		w.clock.add(time.Duration(1+w.rnd.IntN(1500)) * time.Millisecond)
	}
	switch n := w.rnd.IntN(100); {
	case n < 35:
		w.create(t, w.svc)
		return "create"
	case n < 60:
		w.update(t, w.svc)
		return "update"
	case n < 66:
		if v, ok := w.wp(t); ok {
			if err := w.svc.DeleteWorkPackage(ctx, w.admin, v.ID); err != nil {
				t.Fatal(err)
			}
		}
		return "delete"
	case n < 70:
		if v, ok := w.wp(t); ok {
			if _, err := w.svc.AddComment(ctx, w.admin, v.ID, "A comment"); err != nil {
				t.Fatal(err)
			}
		}
		return "comment"
	case n < 74:
		if v, ok := w.wp(t); ok {
			hours, day := 1.5, "2026-12-01"
			if _, err := w.svc.CreateTimeEntry(ctx, w.admin, tracker.TimeEntryInput{Hours: &hours, SpentOn: &day,
				WorkPackageID: tracker.Opt[int64]{Set: true, Value: &v.ID}}); err != nil {
				t.Fatal(err)
			}
		}
		return "time entry"
	case n < 77:
		if v, ok := w.wp(t); ok {
			if _, err := w.svc.AddAttachment(ctx, w.admin, v.ID, tracker.NewAttachment{FileName: "a.txt", ContentType: "text/plain", Content: []byte("x")}); err != nil {
				t.Fatal(err)
			}
		}
		return "attachment"
	case n < 80:
		a, ok1 := w.wp(t)
		b, ok2 := w.wp(t)
		if ok1 && ok2 && a.ID != b.ID {
			typ := "relates"
			// Refused when the two are related already: a write that
			// fails, which must change nothing either.
			_, _ = w.svc.CreateRelation(ctx, w.admin, a.ID, tracker.RelationInput{Type: &typ, ToID: &b.ID})
		}
		return "relation"
	case n < 83:
		p := w.project()
		public := w.rnd.IntN(2) == 0
		if _, err := w.svc.UpdateProject(ctx, w.admin, p, tracker.ProjectInput{Public: &public}); err != nil {
			t.Fatal(err)
		}
		return "project visibility"
	case n < 85:
		w.newProject(t, w.svc)
		return "project create"
	case n < 87:
		if len(w.projects) > 2 {
			i := w.rnd.IntN(len(w.projects))
			if err := w.svc.DeleteProject(ctx, w.admin, w.projects[i]); err != nil {
				t.Fatal(err)
			}
			w.projects = slices.Delete(w.projects, i, i+1)
		}
		return "project delete"
	case n < 93:
		// A stale update: its lock version is refused inside the
		// transaction, which rolls back.
		if v, ok := w.wp(t); ok {
			old, s := v.LockVersion-1, w.status()
			_, _ = w.svc.UpdateWorkPackage(ctx, w.admin, v.ID, tracker.WorkPackageInput{LockVersion: &old, StatusID: &s})
		}
		return "refused update"
	default:
		// Another process writes; its coherence watcher tells this one.
		for range 1 + w.rnd.IntN(3) {
			if w.rnd.IntN(2) == 0 {
				w.create(t, w.other)
			} else {
				w.update(t, w.other)
			}
		}
		w.svc.Invalidate()
		return "other process"
	}
}

var pageFilters = []string{
	"", // the default: open work packages
	"[]",
	`[{"status":{"operator":"c","values":null}}]`,
	`[{"status_id":{"operator":"*","values":null}}]`,
	`[{"status":{"operator":"=","values":["1","3"]}}]`,
	`[{"status":{"operator":"!","values":[2]}}]`,
	`[{"project":{"operator":"=","values":["%[1]d"]}}]`,
	`[{"project":{"operator":"!","values":["%[1]d"]}}]`,
	`[{"project_id":{"operator":"=","values":["%[1]d","%[2]d"]}},{"status":{"operator":"o","values":null}}]`,
	`[{"project":{"operator":"!","values":["%[2]d"]}},{"status":{"operator":"=","values":["1"]}}]`,
}

var pageSorts = []string{
	"",
	`[["id","asc"]]`,
	`[["id","desc"]]`,
	`[["updatedAt","desc"]]`,
	`[["updatedAt","asc"]]`,
	`[["updated_at","desc"],["id","desc"]]`,
	`[["updatedAt","asc"],["id","desc"]]`,
}

// compare lists the same pages through the page index and through SQL.
func (w *pageWorld) compare(t *testing.T, after string, checks int) {
	t.Helper()
	ctx := context.Background()
	if !tracker.BuildPageIndex(ctx, w.svc) {
		t.Fatalf("after %s: the page index was not built", after)
	}
	for range checks {
		p1, p2 := w.project(), w.project()
		filters := pageFilters[w.rnd.IntN(len(pageFilters))]
		if filters != "" && filters != "[]" {
			filters = fmt.Sprintf(filters, p1, p2)
		}
		params := tracker.ListParams{Filters: filters, SortBy: pageSorts[w.rnd.IntN(len(pageSorts))],
			Page: query.Page{Offset: 1 + w.rnd.IntN(6), Size: []int{0, 1, 3, 7}[w.rnd.IntN(4)]}}
		viewer := w.admin
		if w.rnd.IntN(2) == 0 {
			viewer = w.member
		}
		scope := int64(0)
		if w.rnd.IntN(4) == 0 {
			scope = p1
		}
		shown := map[bool][]string{}
		list := func(off bool) ([]int64, int, error) {
			tracker.SetPageIndexOff(w.svc, off)
			defer tracker.SetPageIndexOff(w.svc, false)
			views, total, err := w.svc.ListWorkPackages(ctx, viewer, scope, params)
			ids := []int64{}
			for _, v := range views {
				ids = append(ids, v.ID)
				// What the page shows of each, read by id on the
				// index's path: the same as the SQL path's rows.
				shown[off] = append(shown[off], fmt.Sprintf("%d %s %d %d %s %s %s %s %v %v", v.ID, v.Subject, v.LockVersion, v.StatusID,
					v.Project.Name, v.Author.Login, v.CreatedAt.UTC().Format(time.RFC3339Nano), v.UpdatedAt.UTC().Format(time.RFC3339Nano),
					v.SpentHours, v.Status.Name))
			}
			return ids, total, err
		}
		if !tracker.PageIndexReady(w.svc) {
			t.Fatalf("after %s: the page index is not ready", after)
		}
		ids, total, err := list(false)
		sqlIDs, sqlTotal, sqlErr := list(true)
		if (err == nil) != (sqlErr == nil) || !slices.Equal(ids, sqlIDs) || total != sqlTotal || !slices.Equal(shown[false], shown[true]) {
			t.Fatalf("after %s, %s as %s in project %d: the index gives %v of %d (%v), SQL %v of %d (%v)\n%q\n%q",
				after, fmt.Sprintf("%+v", params), viewer.Login, scope, ids, total, err, sqlIDs, sqlTotal, sqlErr, shown[false], shown[true])
		}
	}
}

// TestPageIndexAgreesWithSQL makes random writes of every kind, of this
// process and of another one on the same database, and after each compares
// pages of the work package collection from the page index with the same
// pages from SQL: the same ids in the same order, the same total. Blocks of
// 4 entries make the index split, drop and walk many of them.
func TestPageIndexAgreesWithSQL(t *testing.T) {
	defer tracker.SetPageBlockSize(4, 3)()
	for _, seed := range []uint64{1, 2} {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			w := newPageWorld(t, seed)
			for range 40 {
				w.create(t, w.svc)
			}
			w.compare(t, "the first creates", 50)
			for i := range 150 {
				did := w.step(t)
				w.compare(t, fmt.Sprintf("step %d (%s)", i, did), 12)
			}
		})
	}
}

// TestPageIndexBuiltDuringWrites makes writes commit while the index is
// built, before and after it reads the table: they are replayed on what the
// build read, and the pages agree with SQL afterwards.
func TestPageIndexBuiltDuringWrites(t *testing.T) {
	defer tracker.SetPageBlockSize(4, 3)()
	w := newPageWorld(t, 7)
	for range 30 {
		w.create(t, w.svc)
	}
	writes := func(stage string) {
		for range 5 {
			w.clock.add(time.Millisecond)
			w.create(t, w.svc)
			w.update(t, w.svc)
		}
		if v, ok := w.wp(t); ok {
			if err := w.svc.DeleteWorkPackage(context.Background(), w.admin, v.ID); err != nil {
				t.Fatalf("%s: %v", stage, err)
			}
		}
	}
	defer tracker.SetPageBuildHook(func(afterScan bool) {
		if afterScan {
			writes("after the scan")
		} else {
			writes("before the scan")
		}
	})()
	for round := range 3 {
		w.svc.Invalidate()
		w.compare(t, fmt.Sprintf("build %d during writes", round), 60)
	}
}

// TestPageIndexInvalidatedWhileBuilding: another process's write announced
// while the index is built makes the build's result stale: it is thrown
// away, and the SQL path answers until the next build.
func TestPageIndexInvalidatedWhileBuilding(t *testing.T) {
	w := newPageWorld(t, 9)
	for range 10 {
		w.create(t, w.svc)
	}
	restore := tracker.SetPageBuildHook(func(afterScan bool) {
		if afterScan {
			w.create(t, w.other)
			w.svc.Invalidate()
		}
	})
	if tracker.BuildPageIndex(context.Background(), w.svc) {
		t.Fatal("a build invalidated while it read the table was kept")
	}
	restore()
	w.compare(t, "the next build", 30)
}

// The coherence watcher invalidates the page index for writes of other
// processes only: after this process's own writes the index stays ready,
// and a write of another process makes it stale. The watcher is wired as
// the HTTP server wires it (invalidateOnRemoteWrites).
func TestPageIndexStaysReadyAfterOwnWrites(t *testing.T) {
	w := newPageWorld(t, 7)
	ctx := context.Background()
	if storetest.Postgres() {
		// Events reach the watcher there as notifications (not through
		// Poll), and sequence values do not follow the commit order: every
		// move counts as another process's.
		if !w.svc.WrittenElsewhere(1, 2) {
			t.Fatal("on PostgreSQL a move of the events was taken for this process's own")
		}
		return
	}
	w.set.OnChange(func(prev, cur settings.Changes) {
		if cur.Tracker != prev.Tracker || w.svc.WrittenElsewhere(prev.Events, cur.Events) {
			w.svc.Invalidate()
		}
	})
	poll := func() {
		t.Helper()
		if err := w.set.Poll(ctx); err != nil {
			t.Fatal(err)
		}
	}
	poll()
	if !tracker.BuildPageIndex(ctx, w.svc) {
		t.Fatal("the index was not built")
	}
	for range 5 {
		w.create(t, w.svc)
	}
	if _, ok := w.wp(t); ok {
		w.update(t, w.svc)
	}
	poll()
	if !tracker.PageIndexReady(w.svc) {
		t.Fatal("the index went stale after this process's own writes")
	}
	w.create(t, w.svc)
	w.create(t, w.other) // another process
	w.create(t, w.svc)
	poll()
	if tracker.PageIndexReady(w.svc) {
		t.Fatal("the index stayed ready after another process's write")
	}
}

// A project made private: once Generation has moved (what the response
// cache keys on), a member's page must no longer show its work packages,
// not even from within the commit's hook.
func TestPublicSetStaleAfterGenerationMoves(t *testing.T) {
	ctx := context.Background()
	var inWindow func()
	w := newPageWorldWith(t, 1, func() {
		if inWindow != nil {
			inWindow()
		}
	})
	ident, public := "made-private", true
	p, err := w.svc.CreateProject(ctx, w.admin, tracker.ProjectInput{Identifier: &ident, Name: &ident, Public: &public})
	if err != nil {
		t.Fatal(err)
	}
	subject := "secret"
	if _, err := w.svc.CreateWorkPackage(ctx, w.admin, tracker.WorkPackageInput{Subject: &subject, ProjectID: &p.ID}); err != nil {
		t.Fatal(err)
	}
	if !tracker.BuildPageIndex(ctx, w.svc) {
		t.Fatal("the page index was not built")
	}
	list := func() int {
		_, total, err := w.svc.ListWorkPackages(ctx, w.member, 0, tracker.ListParams{Filters: "[]"})
		if err != nil {
			t.Fatal(err)
		}
		return total
	}
	if n := list(); n != 1 {
		t.Fatalf("before: %d work packages, want 1", n)
	}
	before, seen := w.svc.Generation(), -1
	inWindow = func() {
		if w.svc.Generation() != before {
			seen = list() // as a request keyed on the new Generation would build it
		}
	}
	private := false
	if _, err := w.svc.UpdateProject(ctx, w.admin, p.ID, tracker.ProjectInput{Public: &private}); err != nil {
		t.Fatal(err)
	}
	inWindow = nil
	if seen != 0 {
		t.Errorf("after the commit, with Generation moved, a member's page counted %d work packages of the now private project", seen)
	}
	if n := list(); n != 0 {
		t.Errorf("after: %d work packages, want 0", n)
	}
}
