package tracker

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/query"
	"github.com/hookpost/hookpost/backend/settings"
	"github.com/hookpost/hookpost/backend/store"
)

// BenchmarkWorkPackageTotals measures the total of a work package collection
// over 100,000 work packages (one in five closed), with the cached totals
// dropped before every call as a write would: the default (open) filter's
// total from the kept counts less the closed ones, the same filter counted,
// and the unfiltered total.
//
//	CGO_ENABLED=0 go test ./backend/tracker/ -run - -bench WorkPackageTotals -benchtime 20x
func BenchmarkWorkPackageTotals(b *testing.B) {
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
	svc, err := New(ctx, Deps{Store: st, Settings: set, Now: now, Payloads: emptyPayloads{}})
	if err != nil {
		b.Fatal(err)
	}
	admin, err := a.CreateUser(ctx, auth.NewUser{Login: "admin", Password: "correct horse battery", Admin: true})
	if err != nil {
		b.Fatal(err)
	}
	ident, public := "bench", true
	p, err := svc.CreateProject(ctx, admin, ProjectInput{Identifier: &ident, Name: &ident, Public: &public})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := st.DB.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100000)
		INSERT INTO work_packages (project_id, type_id, status_id, priority_id, author_id, subject, created_at, updated_at)
		SELECT ?, 1, CASE WHEN i % 5 = 0 THEN 12 ELSE 1 END, 2, ?, 'wp ' || i, '2026-11-28 12:00:00+00:00', '2026-11-28 12:00:00+00:00' FROM n`,
		p.ID, admin.ID); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct{ name, filters string }{
		{"default open", ""},
		{"open counted", `[{"status":{"operator":"o"}}]`},
		{"all", "[]"},
	} {
		b.Run(c.name, func(b *testing.B) {
			for b.Loop() {
				svc.Invalidate()
				_, total, err := svc.ListWorkPackages(ctx, admin, 0, ListParams{Page: query.Page{Offset: 1, Size: 0}, Filters: c.filters})
				if err != nil || (c.filters != "[]" && total != 80000) || (c.filters == "[]" && total != 100000) {
					b.Fatalf("total %d, %v", total, err)
				}
			}
		})
	}
}
