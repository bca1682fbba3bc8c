package tracker_test

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/outbox"
	"github.com/hookpost/hookpost/backend/settings"
	"github.com/hookpost/hookpost/backend/store"
	"github.com/hookpost/hookpost/backend/store/storetest"
	"github.com/hookpost/hookpost/backend/tracker"
	"github.com/hookpost/hookpost/backend/webhooks"
)

// queryLog records the statements bun runs (BEGIN and COMMIT included) on
// the writer and the read pool. The store's prepared inserts (the journal,
// the event and its deliveries) run beneath bun and are not in it: each
// write below runs the same ones whatever it reads.
type queryLog struct {
	mu      sync.Mutex
	on      bool
	queries []string
}

func (l *queryLog) BeforeQuery(ctx context.Context, _ *bun.QueryEvent) context.Context { return ctx }

func (l *queryLog) AfterQuery(_ context.Context, e *bun.QueryEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.on {
		l.queries = append(l.queries, e.Query)
	}
}

// during returns the statements f runs.
func (l *queryLog) during(f func()) []string {
	l.mu.Lock()
	l.on, l.queries = true, nil
	l.mu.Unlock()
	f()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.on = false
	return l.queries
}

// countedWorld is a tracker service whose statements are logged, with a
// public project, its author and a work package assigned to someone else.
type countedWorld struct {
	st       *store.Store
	svc      *tracker.Service
	log      *queryLog
	author   auth.User
	assignee auth.User
	project  int64
}

func newCountedWorld(t testing.TB) *countedWorld {
	t.Helper()
	ctx := context.Background()
	st := storetest.Open(t)
	log := &queryLog{}
	// Before anything runs on them: the writer and the read pool, with the hook.
	st.DB, st.Read = st.DB.WithQueryHook(log), st.Read.WithQueryHook(log)
	now := func() time.Time { return time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC) }
	set, err := settings.New(ctx, st, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(ctx, st, set, now)
	if err != nil {
		t.Fatal(err)
	}
	svc, err := tracker.New(ctx, tracker.Deps{Store: st, Settings: set, Now: now, Payloads: hal.EventPayloads})
	if err != nil {
		t.Fatal(err)
	}
	w := &countedWorld{st: st, svc: svc, log: log}
	admin, err := a.CreateUser(ctx, auth.NewUser{Login: "admin", Password: "correct horse battery", Admin: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []struct {
		login string
		dest  *auth.User
	}{{"jane", &w.author}, {"sam", &w.assignee}} {
		if *u.dest, err = a.CreateUser(ctx, auth.NewUser{Login: u.login, Password: "correct horse battery", FirstName: u.login, LastName: "Doe"}); err != nil {
			t.Fatal(err)
		}
	}
	ident, public := "demo", true
	p, err := svc.CreateProject(ctx, admin, tracker.ProjectInput{Identifier: &ident, Name: &ident, Public: &public})
	if err != nil {
		t.Fatal(err)
	}
	w.project = p.ID
	// A webhook on every event: each write below records a delivery too.
	hooks := webhooks.New(st, now, nil)
	name, url := "All", "http://127.0.0.1:9/hook"
	events := []string{outbox.WorkPackageUpdated, outbox.CommentCreated, outbox.CommentUpdated, outbox.TimeEntryUpdated}
	if _, err := hooks.Create(ctx, webhooks.Input{Name: &name, URL: &url, Events: &events}); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *countedWorld) workPackage(t testing.TB, subject string) tracker.WorkPackageView {
	t.Helper()
	wp, err := w.svc.CreateWorkPackage(context.Background(), w.author, tracker.WorkPackageInput{Subject: &subject, ProjectID: &w.project,
		AssigneeID: tracker.Opt[int64]{Set: true, Value: &w.assignee.ID}})
	if err != nil {
		t.Fatal(err)
	}
	return wp
}

// rowReads matches the statements that read a work package's row.
var rowReads = regexp.MustCompile(`(?i)^SELECT .* FROM "?work_packages"? `)

// TestWriteQueries counts the statements of the everyday changes. Each
// reads what it changes once inside its transaction, answers with the view
// its event was rendered from, and checks access before the writer from one
// query. Before, a work package PATCH read its row four times (a check, the
// update, the event's rendering, the answer): 10 statements through bun,
// 20 with those beneath it (12 now); a comment 14 (24; 12 now), a comment
// edit 16 (27; 13 now), a time entry edit 19 (32; 15 now).
func TestWriteQueries(t *testing.T) {
	ctx := context.Background()
	w := newCountedWorld(t)
	wp := w.workPackage(t, "Counted")
	comment, err := w.svc.AddComment(ctx, w.author, wp.ID, "First")
	if err != nil {
		t.Fatal(err)
	}
	hours, day := 1.5, "2026-12-01"
	te, err := w.svc.CreateTimeEntry(ctx, w.author, tracker.TimeEntryInput{Hours: &hours, SpentOn: &day,
		WorkPackageID: tracker.Opt[int64]{Set: true, Value: &wp.ID}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		// statements bun runs: the access check, BEGIN, the row and what
		// it links to, the write, COMMIT; rows: reads of a work package row
		statements, rows int
		write            func() (string, error)
	}{
		{name: "work package PATCH", statements: 8, rows: 2, write: func() (string, error) {
			subject, lock := "Counted, renamed", wp.LockVersion+1
			v, err := w.svc.UpdateWorkPackage(ctx, w.author, wp.ID, tracker.WorkPackageInput{Subject: &subject, LockVersion: &wp.LockVersion})
			if err == nil && (v.Subject != subject || v.LockVersion != lock || v.Assignee == nil || v.Assignee.ID != w.assignee.ID || v.SpentHours != hours) {
				err = fmt.Errorf("answered %q, lock version %d, assignee %v, %v h spent", v.Subject, v.LockVersion, v.Assignee, v.SpentHours)
			}
			return v.Subject, err
		}},
		{name: "comment", statements: 9, rows: 2, write: func() (string, error) {
			v, err := w.svc.AddComment(ctx, w.author, wp.ID, "Second")
			if err == nil && (v.WorkPackageView == nil || v.WorkPackageView.Subject != "Counted, renamed") {
				err = fmt.Errorf("answered %+v", v.WorkPackageView)
			}
			return v.Comment.Comment, err
		}},
		{name: "comment PATCH", statements: 10, rows: 1, write: func() (string, error) {
			text := "First, edited"
			v, err := w.svc.UpdateComment(ctx, w.author, comment.ID, &text)
			return v.Comment.Comment, err
		}},
		{name: "time entry PATCH", statements: 12, rows: 1, write: func() (string, error) {
			more := 2.5
			v, err := w.svc.UpdateTimeEntry(ctx, w.author, te.ID, tracker.TimeEntryInput{Hours: &more})
			if err == nil && (v.WorkPackageView == nil || v.WorkPackageView.SpentHours != more) {
				err = fmt.Errorf("answered %+v", v.WorkPackageView)
			}
			return fmt.Sprint(v.Hours), err
		}},
	}
	for _, c := range cases {
		var got string
		var err error
		queries := w.log.during(func() { got, err = c.write() })
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		rows := 0
		for _, q := range queries {
			if rowReads.MatchString(q) {
				rows++
			}
		}
		if len(queries) != c.statements || rows != c.rows {
			t.Errorf("%s (%s): %d statements, %d reads of a work package row; want %d and %d:\n%s",
				c.name, got, len(queries), rows, c.statements, c.rows, strings.Join(queries, "\n"))
		}
	}
	// The event of each carries what was answered.
	var payloads []string
	if err := w.st.Read.NewSelect().Table("events").Column("payload").Order("id").Scan(ctx, &payloads); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"subject":"Counted, renamed"`, `"raw":"Second"`, `"raw":"First, edited"`, `"hours":"PT2H30M"`} {
		found := false
		for _, p := range payloads {
			found = found || strings.Contains(p, want)
		}
		if !found {
			t.Errorf("no event carries %s", want)
		}
	}
}

// BenchmarkUpdateWorkPackage measures work package PATCHes through the
// service, 16 at a time on distinct work packages, with a webhook on
// every event; it prints patches/s.
//
//	CGO_ENABLED=0 go test ./backend/tracker/ -run '^$' -bench UpdateWorkPackage -benchtime 3000x
func BenchmarkUpdateWorkPackage(b *testing.B) {
	ctx := context.Background()
	w := newCountedWorld(b)
	const n = 64
	wps := make([]tracker.WorkPackageView, n)
	for i := range wps {
		wps[i] = w.workPackage(b, fmt.Sprintf("Bench %d", i))
	}
	var next atomic.Int64
	b.SetParallelism(8)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		wp := wps[int(next.Add(1)-1)%n]
		for i := 0; pb.Next(); i++ {
			subject := fmt.Sprintf("Bench %d.%d", wp.ID, i)
			v, err := w.svc.UpdateWorkPackage(ctx, w.author, wp.ID, tracker.WorkPackageInput{Subject: &subject, LockVersion: &wp.LockVersion})
			if err != nil {
				b.Error(err)
				return
			}
			wp = v
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "patches/s")
}
