package tracker_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/query"
	"github.com/hookpost/hookpost/backend/settings"
	"github.com/hookpost/hookpost/backend/store"
	"github.com/hookpost/hookpost/backend/tracker"
	"github.com/hookpost/hookpost/backend/webhooks"
)

// BenchmarkDeleteProjectWith1000WorkPackages measures a project delete
// that records work_package:deleted (the rendered last representation) for
// each of its 1,000 work packages, with a delivery to each of two webhooks:
//
//	CGO_ENABLED=0 go test ./backend/tracker/ -run '^$' -bench DeleteProject -benchtime 3x
func BenchmarkDeleteProjectWith1000WorkPackages(b *testing.B) {
	ctx := context.Background()
	st, svc, admin := benchService(b)
	hooks := webhooks.New(st, func() time.Time { return time.Now() }, nil)
	for _, name := range []string{"One", "Two"} {
		name, url, events := name, "http://127.0.0.1:9/"+name, []string{"work_package:deleted", "project:deleted"}
		if _, err := hooks.Create(ctx, webhooks.Input{Name: &name, URL: &url, Events: &events}); err != nil {
			b.Fatal(err)
		}
	}
	const n = 1000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		ident, name := fmt.Sprintf("p%d", i), fmt.Sprintf("Project %d", i)
		p, err := svc.CreateProject(ctx, admin, tracker.ProjectInput{Identifier: &ident, Name: &name})
		if err != nil {
			b.Fatal(err)
		}
		createWorkPackages(b, svc, admin, p.ID, n)
		b.StartTimer()
		if err := svc.DeleteProject(ctx, admin, p.ID); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	var events, deliveries int
	_ = st.Read.NewRaw("SELECT count(*) FROM events WHERE name = 'work_package:deleted'").Scan(ctx, &events)
	_ = st.Read.NewRaw("SELECT count(*) FROM deliveries WHERE event_name = 'work_package:deleted'").Scan(ctx, &deliveries)
	if events != n*b.N || deliveries != 2*n*b.N {
		b.Fatalf("%d events and %d deliveries for %d deletes", events, deliveries, b.N)
	}
	b.ReportMetric(float64(events/b.N), "events/op")
}

// BenchmarkListWorkPackagesPage measures one page of 100 work packages with
// their spent time (one aggregate query) and descriptions rendered from
// Markdown, as the list handler builds it:
//
//	CGO_ENABLED=0 go test ./backend/tracker/ -run '^$' -bench ListWorkPackagesPage
func BenchmarkListWorkPackagesPage(b *testing.B) {
	ctx := context.Background()
	_, svc, admin := benchService(b)
	ident, name := "list", "List"
	p, err := svc.CreateProject(ctx, admin, tracker.ProjectInput{Identifier: &ident, Name: &name})
	if err != nil {
		b.Fatal(err)
	}
	ids := createWorkPackages(b, svc, admin, p.ID, 300)
	for i, id := range ids[:150] {
		hours, day := float64(i%8+1), "2026-11-27"
		if _, err := svc.CreateTimeEntry(ctx, admin, tracker.TimeEntryInput{Hours: &hours, SpentOn: &day, WorkPackageID: tracker.Opt[int64]{Set: true, Value: &id}}); err != nil {
			b.Fatal(err)
		}
	}
	params := tracker.ListParams{Page: query.Page{Offset: 2, Size: 100}}
	for b.Loop() {
		views, _, err := svc.ListWorkPackages(ctx, admin, p.ID, params)
		if err != nil || len(views) != 100 {
			b.Fatal(len(views), err)
		}
		for _, v := range views {
			if _, err := hal.Marshal(hal.WorkPackage(v, admin, false)); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// benchService is a tracker service on a real SQLite file with an administrator.
func benchService(b *testing.B) (*store.Store, *tracker.Service, auth.User) {
	b.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "hookpost.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		b.Fatal(err)
	}
	now := func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }
	set, err := settings.New(ctx, st, now, nil)
	if err != nil {
		b.Fatal(err)
	}
	a, err := auth.New(ctx, st, set, now)
	if err != nil {
		b.Fatal(err)
	}
	admin, err := a.CreateUser(ctx, auth.NewUser{Login: "admin", Password: "correct horse battery", Admin: true, FirstName: "Ada", LastName: "Admin"})
	if err != nil {
		b.Fatal(err)
	}
	svc, err := tracker.New(ctx, tracker.Deps{Store: st, Settings: set, Now: now, Payloads: hal.EventPayloads})
	if err != nil {
		b.Fatal(err)
	}
	return st, svc, admin
}

// createWorkPackages adds n work packages with a Markdown description, 32
// at a time as concurrent requests would, and returns their ids.
func createWorkPackages(b *testing.B, svc *tracker.Service, admin auth.User, projectID int64, n int) []int64 {
	b.Helper()
	ids := make([]int64, n)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32)
	for j := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			subject := fmt.Sprintf("Task %d", j)
			desc := fmt.Sprintf("Some *description* of task %d:\n\n- [ ] check [the docs](https://example.com/%d)\n- `deploy`", j, j)
			v, err := svc.CreateWorkPackage(context.Background(), admin, tracker.WorkPackageInput{Subject: &subject, Description: &desc, ProjectID: &projectID})
			if err != nil {
				b.Error(err)
				return
			}
			ids[j] = v.ID
		}()
	}
	wg.Wait()
	return ids
}
