// Command benchseed fills a Hookpost database with work packages for the
// load benchmark (scripts/bench-api). It writes rows in bulk, bypassing the
// API: the benchmark measures the server, not the seeding.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/hookpost/hookpost/backend/store"
	"github.com/hookpost/hookpost/backend/tracker"
)

func main() {
	db := flag.String("db", "", "SQLite file (migrated, with at least one user)")
	n := flag.Int("n", 100000, "work packages to create")
	flag.Parse()
	if err := seed(*db, *n); err != nil {
		fmt.Fprintln(os.Stderr, "benchseed:", err)
		os.Exit(1)
	}
}

func seed(path string, n int) error {
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return err
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	started := time.Now()
	tx, err := st.DB.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	projects := make([]tracker.Project, 10)
	for i := range projects {
		projects[i] = tracker.Project{Identifier: fmt.Sprintf("bench-%d", i+1), Name: fmt.Sprintf("Bench %d", i+1), Active: true, Public: true, CreatedAt: now, UpdatedAt: now}
	}
	if _, err := tx.NewInsert().Model(&projects).Exec(ctx); err != nil {
		return err
	}
	const batch = 1000
	for done := 0; done < n; done += batch {
		rows := make([]tracker.WorkPackage, 0, batch)
		for i := done; i < min(done+batch, n); i++ {
			est := float64(i%16) + 0.5
			rows = append(rows, tracker.WorkPackage{ProjectID: projects[i%len(projects)].ID, TypeID: int64(i%7 + 1), StatusID: int64(i%14 + 1),
				PriorityID: int64(i%4 + 1), AuthorID: 1, Subject: fmt.Sprintf("Work package %d", i+1),
				Description: "Seeded for the load benchmark.", EstimatedHours: &est,
				CreatedAt: now.Add(time.Duration(i-n) * time.Second), UpdatedAt: now.Add(time.Duration(i-n) * time.Second)})
		}
		if _, err := tx.NewInsert().Model(&rows).Exec(ctx); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	fmt.Printf("seeded %d work packages in 10 projects in %s\n", n, time.Since(started).Round(time.Millisecond))
	return nil
}
