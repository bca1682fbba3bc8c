package tracker_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/query"
	"github.com/hookpost/hookpost/backend/tracker"
)

// BenchmarkListWorkPackagesRandomPage measures a random page of 20 (page
// 1…5000) with its total and its HAL rendering, as the list handler builds
// it without its cache, over 100,000 work packages in 10 projects seeded as
// scripts/benchseed does; 64 pages at a time, as wrk -c64. It prints
// pages/s; "sql" is the same page with the page index off.
//
//	CGO_ENABLED=0 go test ./backend/tracker/ -run '^$' -bench 'ListWorkPackagesRandomPage/^(default|all|project|status)' -benchtime 20000x
//	CGO_ENABLED=0 go test ./backend/tracker/ -run '^$' -bench 'ListWorkPackagesRandomPage/^sql' -benchtime 500x
func BenchmarkListWorkPackagesRandomPage(b *testing.B) {
	ctx := context.Background()
	st, svc, admin := benchService(b)
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	const n = 100000
	projects := make([]tracker.Project, 10)
	for i := range projects {
		projects[i] = tracker.Project{Identifier: fmt.Sprintf("bench-%d", i+1), Name: fmt.Sprintf("Bench %d", i+1), Active: true, Public: true, CreatedAt: now, UpdatedAt: now}
	}
	if _, err := st.DB.NewInsert().Model(&projects).Exec(ctx); err != nil {
		b.Fatal(err)
	}
	for done := 0; done < n; done += 1000 {
		rows := make([]tracker.WorkPackage, 0, 1000)
		for i := done; i < done+1000; i++ {
			est := float64(i%16) + 0.5
			rows = append(rows, tracker.WorkPackage{ProjectID: projects[i%len(projects)].ID, TypeID: int64(i%7 + 1), StatusID: int64(i%14 + 1),
				PriorityID: int64(i%4 + 1), AuthorID: admin.ID, Subject: fmt.Sprintf("Work package %d", i+1),
				Description: "Seeded for the load benchmark.", EstimatedHours: &est,
				CreatedAt: now.Add(time.Duration(i-n) * time.Second), UpdatedAt: now.Add(time.Duration(i-n) * time.Second)})
		}
		if _, err := st.DB.NewInsert().Model(&rows).Exec(ctx); err != nil {
			b.Fatal(err)
		}
	}
	if !tracker.BuildPageIndex(ctx, svc) {
		b.Fatal("the page index was not built")
	}
	project := fmt.Sprintf(`[{"project":{"operator":"=","values":["%d"]}}]`, projects[2].ID)
	cases := []struct {
		name, filters, sortBy string
		sql                   bool
	}{
		{name: "default", filters: ""},
		{name: "all", filters: "[]"},
		{name: "project-updatedAt-desc", filters: project, sortBy: `[["updatedAt","desc"]]`},
		{name: "status-updatedAt-desc", filters: `[{"status":{"operator":"=","values":["1"]}}]`, sortBy: `[["updatedAt","desc"]]`},
		{name: "sql-default", filters: "", sql: true},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			tracker.SetPageIndexOff(svc, c.sql)
			defer tracker.SetPageIndexOff(svc, false)
			b.SetParallelism(32) // 64 at a time on 2 cores
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				rnd := rand.New(rand.NewPCG(rand.Uint64(), 0))
				for pb.Next() {
					params := tracker.ListParams{Filters: c.filters, SortBy: c.sortBy, Page: query.Page{Offset: 1 + rnd.IntN(5000), Size: 20}}
					views, total, err := svc.ListWorkPackages(ctx, admin, 0, params)
					if err != nil || total == 0 {
						b.Error(total, err)
						return
					}
					for _, v := range views {
						if _, err := hal.Marshal(hal.WorkPackage(v, admin, false)); err != nil {
							b.Error(err)
							return
						}
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pages/s")
		})
	}
}
