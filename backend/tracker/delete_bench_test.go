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
	st, err := store.Open(ctx, filepath.Join(b.TempDir(), "hookpost.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
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
	svc, err := tracker.New(ctx, st, set, now, hal.EventPayload)
	if err != nil {
		b.Fatal(err)
	}
	hooks := webhooks.New(st, now, nil)
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
		var wg sync.WaitGroup
		sem := make(chan struct{}, 32)
		for j := range n {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				subject, desc := fmt.Sprintf("Task %d", j), "Some *description* of the task."
				if _, err := svc.CreateWorkPackage(ctx, admin, tracker.WorkPackageInput{Subject: &subject, Description: &desc, ProjectID: &p.ID}); err != nil {
					b.Error(err)
				}
			}()
		}
		wg.Wait()
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
