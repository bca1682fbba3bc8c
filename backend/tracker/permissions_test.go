package tracker

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/settings"
	"github.com/hookpost/hookpost/backend/store"
	"github.com/hookpost/hookpost/backend/store/storetest"
)

func TestMayChangeWorkPackage(t *testing.T) {
	seven := int64(7)
	cases := []struct {
		name   string
		viewer auth.User
		wp     WorkPackage
		want   bool
	}{
		{name: "administrator", viewer: auth.User{ID: 1, Admin: true}, wp: WorkPackage{AuthorID: 5}, want: true},
		{name: "author", viewer: auth.User{ID: 5}, wp: WorkPackage{AuthorID: 5, AssigneeID: &seven}, want: true},
		{name: "assignee", viewer: auth.User{ID: 7}, wp: WorkPackage{AuthorID: 5, AssigneeID: &seven}, want: true},
		{name: "other user", viewer: auth.User{ID: 9}, wp: WorkPackage{AuthorID: 5, AssigneeID: &seven}, want: false},
		{name: "other user, nobody assigned", viewer: auth.User{ID: 9}, wp: WorkPackage{AuthorID: 5}, want: false},
		// The webhook payloads' viewer is no user at all.
		{name: "no user", viewer: auth.User{}, wp: WorkPackage{}, want: false},
	}
	for _, c := range cases {
		if got := MayChangeWorkPackage(c.viewer, c.wp); got != c.want {
			t.Errorf("%s: MayChangeWorkPackage = %v, want %v", c.name, got, c.want)
		}
	}
}

// rulesEnv is a tracker service on a real SQLite file, with one user per role.
type rulesEnv struct {
	svc                             *Service
	st                              *store.Store
	admin, author, assignee, others auth.User
	public, private                 int64
}

func newRulesEnv(t *testing.T) *rulesEnv {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, storetest.Location(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }
	set, err := settings.New(ctx, st, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(ctx, st, set, now)
	if err != nil {
		t.Fatal(err)
	}
	// The payloads are the hal package's concern; the rules need none.
	svc, err := New(ctx, Deps{Store: st, Settings: set, Now: now, Payloads: emptyPayloads{}})
	if err != nil {
		t.Fatal(err)
	}
	e := &rulesEnv{svc: svc, st: st}
	user := func(login string, admin bool) auth.User {
		u, err := a.CreateUser(ctx, auth.NewUser{Login: login, Password: "correct horse battery", Admin: admin})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	e.admin, e.author, e.assignee, e.others = user("admin", true), user("jane", false), user("sam", false), user("olga", false)
	project := func(ident string, public bool) int64 {
		p, err := svc.CreateProject(ctx, e.admin, ProjectInput{Identifier: &ident, Name: &ident, Public: &public})
		if err != nil {
			t.Fatal(err)
		}
		return p.ID
	}
	e.public, e.private = project("public", true), project("private", false)
	return e
}

// workPackage creates a work package by the author, assigned to the assignee.
func (e *rulesEnv) workPackage(t *testing.T, project int64) WorkPackageView {
	t.Helper()
	subject := "Task"
	v, err := e.svc.CreateWorkPackage(context.Background(), e.author, WorkPackageInput{Subject: &subject, ProjectID: &project,
		AssigneeID: Opt[int64]{Set: true, Value: &e.assignee.ID}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (e *rulesEnv) logTime(t *testing.T, who auth.User, wp int64) TimeEntryView {
	t.Helper()
	hours, day := 2.0, "2026-11-27"
	v, err := e.svc.CreateTimeEntry(context.Background(), who, TimeEntryInput{Hours: &hours, SpentOn: &day, WorkPackageID: Opt[int64]{Set: true, Value: &wp}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func (e *rulesEnv) count(t *testing.T, table, where string, args ...any) int {
	t.Helper()
	n, err := e.st.Read.NewSelect().Table(table).Where(where, args...).Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return int(n)
}

func (e *rulesEnv) role(name string) auth.User {
	return map[string]auth.User{"administrator": e.admin, "author": e.author, "assignee": e.assignee, "other user": e.others}[name]
}

// outcome names what an error means to the caller.
func outcome(err error) string {
	switch {
	case err == nil:
		return "allowed"
	case errors.Is(err, domain.ErrForbidden):
		return "forbidden"
	case errors.Is(err, domain.ErrNotFound):
		return "not found"
	case domain.FieldErrors(err) != nil:
		return "invalid"
	case errors.Is(err, domain.ErrConflict):
		return "conflict"
	}
	return "error: " + err.Error()
}

func TestWorkPackageRules(t *testing.T) {
	e := newRulesEnv(t)
	ctx := context.Background()
	cases := []struct {
		name string
		// do runs the operation on a fresh work package.
		do   func(viewer auth.User, wp WorkPackageView) error
		want map[string]string
		says string // what the denial for the other user says
	}{
		{name: "change", do: func(viewer auth.User, wp WorkPackageView) error {
			subject, lock := "Changed", 0
			_, err := e.svc.UpdateWorkPackage(ctx, viewer, wp.ID, WorkPackageInput{Subject: &subject, LockVersion: &lock})
			return err
		}, want: map[string]string{"administrator": "allowed", "author": "allowed", "assignee": "allowed", "other user": "forbidden"},
			says: "you are not allowed to change work package"},
		{name: "change with a stale lockVersion", do: func(viewer auth.User, wp WorkPackageView) error {
			subject, lock := "Changed", 3
			_, err := e.svc.UpdateWorkPackage(ctx, viewer, wp.ID, WorkPackageInput{Subject: &subject, LockVersion: &lock})
			return err
		}, want: map[string]string{"administrator": "conflict", "author": "conflict", "assignee": "conflict", "other user": "forbidden"}},
		{name: "delete", do: func(viewer auth.User, wp WorkPackageView) error {
			return e.svc.DeleteWorkPackage(ctx, viewer, wp.ID)
		}, want: map[string]string{"administrator": "allowed", "author": "allowed", "assignee": "allowed", "other user": "forbidden"},
			says: "only its author, its assignee or an administrator may"},
		{name: "attach a file", do: func(viewer auth.User, wp WorkPackageView) error {
			_, err := e.svc.AddAttachment(ctx, viewer, wp.ID, NewAttachment{FileName: "a.txt", Content: []byte("a")})
			return err
		}, want: map[string]string{"administrator": "allowed", "author": "allowed", "assignee": "allowed", "other user": "forbidden"},
			says: "you are not allowed to attach files to work package"},
		{name: "comment", do: func(viewer auth.User, wp WorkPackageView) error {
			_, err := e.svc.AddComment(ctx, viewer, wp.ID, "Hello")
			return err
		}, want: map[string]string{"administrator": "allowed", "author": "allowed", "assignee": "allowed", "other user": "allowed"}},
		{name: "log time", do: func(viewer auth.User, wp WorkPackageView) error {
			hours, day := 1.0, "2026-11-28"
			_, err := e.svc.CreateTimeEntry(ctx, viewer, TimeEntryInput{Hours: &hours, SpentOn: &day, WorkPackageID: Opt[int64]{Set: true, Value: &wp.ID}})
			return err
		}, want: map[string]string{"administrator": "allowed", "author": "allowed", "assignee": "allowed", "other user": "allowed"}},
	}
	for _, c := range cases {
		for _, role := range []string{"administrator", "author", "assignee", "other user"} {
			t.Run(c.name+"/"+role, func(t *testing.T) {
				wp := e.workPackage(t, e.public)
				events := e.count(t, "events", "1 = 1")
				err := c.do(e.role(role), wp)
				if got := outcome(err); got != c.want[role] {
					t.Fatalf("%s as %s: %s (%v), want %s", c.name, role, got, err, c.want[role])
				}
				if err == nil {
					return
				}
				if c.says != "" && role == "other user" && !strings.Contains(err.Error(), c.says) {
					t.Errorf("the denial says %q, want it to say %q", err, c.says)
				}
				after, _ := e.svc.LoadWorkPackage(ctx, e.st.Read, wp.ID)
				if after.LockVersion != wp.LockVersion || after.Subject != wp.Subject {
					t.Errorf("a denied %s changed the work package: %+v", c.name, after.WorkPackage)
				}
				if n := e.count(t, "attachments", "work_package_id = ?", wp.ID); n != 0 {
					t.Errorf("a denied %s left %d attachments", c.name, n)
				}
				if n := e.count(t, "events", "1 = 1"); n != events {
					t.Errorf("a denied %s recorded %d events", c.name, n-events)
				}
			})
		}
	}
}

func TestDeletingOtherUsersTimeNeedsAnAdministrator(t *testing.T) {
	e := newRulesEnv(t)
	ctx := context.Background()
	cases := []struct {
		name    string
		loggers []string // whose time the work package carries
		viewer  string
		want    string
	}{
		{name: "author, own time only", loggers: []string{"author"}, viewer: "author", want: "allowed"},
		{name: "assignee, own time only", loggers: []string{"assignee", "assignee"}, viewer: "assignee", want: "allowed"},
		{name: "author, the assignee's time", loggers: []string{"author", "assignee"}, viewer: "author", want: "forbidden"},
		{name: "assignee, another user's time", loggers: []string{"other user"}, viewer: "assignee", want: "forbidden"},
		{name: "administrator, everyone's time", loggers: []string{"author", "assignee", "other user"}, viewer: "administrator", want: "allowed"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			wp := e.workPackage(t, e.public)
			for _, l := range c.loggers {
				e.logTime(t, e.role(l), wp.ID)
			}
			events := e.count(t, "events", "1 = 1")
			err := e.svc.DeleteWorkPackage(ctx, e.role(c.viewer), wp.ID)
			if got := outcome(err); got != c.want {
				t.Fatalf("delete: %s (%v), want %s", got, err, c.want)
			}
			entries := e.count(t, "time_entries", "work_package_id = ?", wp.ID)
			wps := e.count(t, "work_packages", "id = ?", wp.ID)
			if err == nil {
				if entries != 0 || wps != 0 {
					t.Errorf("after the delete: %d work packages, %d time entries, want none", wps, entries)
				}
				return
			}
			if !strings.Contains(err.Error(), "time entr") || !strings.Contains(err.Error(), "ask an administrator") {
				t.Errorf("the denial does not say what to do: %v", err)
			}
			if entries != len(c.loggers) || wps != 1 {
				t.Errorf("a denied delete left %d work packages and %d of %d time entries", wps, entries, len(c.loggers))
			}
			if n := e.count(t, "events", "1 = 1"); n != events {
				t.Errorf("a denied delete recorded %d events", n-events)
			}
		})
	}
}

func TestHiddenProjectsAreNotFound(t *testing.T) {
	e := newRulesEnv(t)
	ctx := context.Background()
	hidden, err := e.svc.CreateWorkPackage(ctx, e.admin, WorkPackageInput{Subject: ptr("Hidden"), ProjectID: &e.private})
	if err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"author", "other user"} {
		viewer := e.role(role)
		if _, err := e.svc.Project(ctx, viewer, e.private); outcome(err) != "not found" {
			t.Errorf("%s reads the private project: %v", role, err)
		}
		if _, err := e.svc.WorkPackage(ctx, viewer, hidden.ID); outcome(err) != "not found" {
			t.Errorf("%s reads a private work package: %v", role, err)
		}
		if err := e.svc.DeleteWorkPackage(ctx, viewer, hidden.ID); outcome(err) != "not found" {
			t.Errorf("%s deletes a private work package: %v", role, err)
		}
		// Time is logged only on work packages the user can see.
		hours, day := 1.0, "2026-11-28"
		_, err := e.svc.CreateTimeEntry(ctx, viewer, TimeEntryInput{Hours: &hours, SpentOn: &day, WorkPackageID: Opt[int64]{Set: true, Value: &hidden.ID}})
		fields := domain.FieldErrors(err)
		if len(fields) != 1 || fields[0].Field != "workPackage" {
			t.Errorf("%s logs time on a private work package: %v, want one workPackage error", role, err)
		}
	}
	if n := e.count(t, "time_entries", "1 = 1"); n != 0 {
		t.Errorf("%d time entries on a hidden work package", n)
	}
}

func TestOnlyAdministratorsWriteProjects(t *testing.T) {
	e := newRulesEnv(t)
	ctx := context.Background()
	name := "Renamed"
	for _, role := range []string{"administrator", "author", "other user"} {
		viewer := e.role(role)
		want := "forbidden"
		if viewer.Admin {
			want = "allowed"
		}
		ident := "new-" + strings.ReplaceAll(role, " ", "-")
		_, err := e.svc.CreateProject(ctx, viewer, ProjectInput{Identifier: &ident, Name: &ident})
		if got := outcome(err); got != want {
			t.Errorf("create as %s: %s (%v), want %s", role, got, err, want)
		}
		_, err = e.svc.UpdateProject(ctx, viewer, e.public, ProjectInput{Name: &name})
		if got := outcome(err); got != want {
			t.Errorf("update as %s: %s (%v), want %s", role, got, err, want)
		}
	}
	for _, role := range []string{"author", "other user"} {
		if err := e.svc.DeleteProject(ctx, e.role(role), e.public); outcome(err) != "forbidden" {
			t.Errorf("delete as %s: %v, want forbidden", role, err)
		}
	}
	if n := e.count(t, "projects", "1 = 1"); n != 3 {
		t.Errorf("%d projects, want public, private and the administrator's", n)
	}
}

func TestOwnTimeEntriesAndAttachments(t *testing.T) {
	e := newRulesEnv(t)
	ctx := context.Background()
	wp := e.workPackage(t, e.public)
	for _, role := range []string{"administrator", "author", "assignee", "other user"} {
		t.Run(role, func(t *testing.T) {
			viewer := e.role(role)
			want := "forbidden"
			if role == "administrator" || role == "author" {
				want = "allowed"
			}
			te := e.logTime(t, e.author, wp.ID)
			hours := 3.0
			_, err := e.svc.UpdateTimeEntry(ctx, viewer, te.ID, TimeEntryInput{Hours: &hours})
			if got := outcome(err); got != want {
				t.Errorf("change the author's time entry: %s (%v), want %s", got, err, want)
			}
			if got := outcome(e.svc.DeleteTimeEntry(ctx, viewer, te.ID)); got != want {
				t.Errorf("delete the author's time entry: %s, want %s", got, want)
			}
			a, err := e.svc.AddAttachment(ctx, e.author, wp.ID, NewAttachment{FileName: "a.txt", Content: []byte("a")})
			if err != nil {
				t.Fatal(err)
			}
			if got := outcome(e.svc.DeleteAttachment(ctx, viewer, a.ID)); got != want {
				t.Errorf("delete the author's attachment: %s, want %s", got, want)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// emptyPayloads renders every event's payload as {}.
type emptyPayloads struct{}

var emptyJSON = json.RawMessage(`{}`)

func (emptyPayloads) WorkPackage(WorkPackageView) (json.RawMessage, error) { return emptyJSON, nil }
func (emptyPayloads) Project(Project) (json.RawMessage, error)             { return emptyJSON, nil }
func (emptyPayloads) Comment(CommentView) (json.RawMessage, error)         { return emptyJSON, nil }
func (emptyPayloads) TimeEntry(TimeEntryView) (json.RawMessage, error)     { return emptyJSON, nil }
func (emptyPayloads) Attachment(AttachmentView) (json.RawMessage, error)   { return emptyJSON, nil }
func (emptyPayloads) Relation(RelationView) (json.RawMessage, error)       { return emptyJSON, nil }
func (emptyPayloads) Actor(auth.User) (json.RawMessage, error)             { return emptyJSON, nil }
