// Command pocketbase is PocketBase, at the version pinned in this folder's
// go.mod, with one more command, seed, for scripts/bench-peer. It lives in a
// module of its own so that PocketBase never enters Hookpost's dependencies
// (a nested module is outside Hookpost's ./...).
//
//	pocketbase seed --dir DATA --n 100000   # prints an auth token on stdout
//	pocketbase serve --dir DATA --http 127.0.0.1:PORT
package main

import (
	"fmt"
	"log"
	"os"
	"strconv"
	"time"

	"github.com/pocketbase/dbx"
	"github.com/pocketbase/pocketbase"
	"github.com/pocketbase/pocketbase/core"
	"github.com/pocketbase/pocketbase/tools/types"
	"github.com/spf13/cobra"
)

func main() {
	// Not pocketbase.New(): it turns on dev mode (every SQL statement logged
	// to the console) for a binary under the temporary folder, where
	// scripts/bench-peer builds it. PB_DATA_MAX_OPEN_CONNS and
	// PB_DATA_MAX_IDLE_CONNS size the data pool (PocketBase's defaults when
	// unset: 120 and 15).
	app := pocketbase.NewWithConfig(pocketbase.Config{
		HideStartBanner:  true,
		DataMaxOpenConns: envInt("PB_DATA_MAX_OPEN_CONNS"),
		DataMaxIdleConns: envInt("PB_DATA_MAX_IDLE_CONNS"),
	})
	var n int
	seed := &cobra.Command{
		Use:   "seed",
		Short: "Creates the work_packages collection with n rows and prints an auth token for it",
		RunE: func(cmd *cobra.Command, args []string) error {
			token, err := seedWorkPackages(app, n)
			if err != nil {
				return err
			}
			fmt.Println(token)
			return nil
		},
	}
	seed.Flags().IntVar(&n, "n", 100000, "work packages to create")
	app.RootCmd.AddCommand(seed)
	if err := app.Start(); err != nil {
		log.Fatal(err)
	}
}

// envInt reads a positive number from the environment; 0 (PocketBase's
// default) when unset or not a number.
func envInt(name string) int {
	n, _ := strconv.Atoi(os.Getenv(name))
	return n
}

// seedWorkPackages makes PocketBase's side of the benchmark: a collection
// with the fields a Hookpost work package list shows (subject, description,
// project, status, created, updated), readable and writable by any
// authenticated user (the same bar as Hookpost's API token), indexed like
// Hookpost's work_packages, and n rows written in bulk by SQL, bypassing the
// API as scripts/benchseed does: the benchmark measures the server, not the
// seeding. A superuser is created too, so that serve starts without asking
// for one.
func seedWorkPackages(app core.App, n int) (string, error) {
	if err := app.RunAllMigrations(); err != nil {
		return "", err
	}
	superusers, err := app.FindCollectionByNameOrId(core.CollectionNameSuperusers)
	if err != nil {
		return "", err
	}
	su := core.NewRecord(superusers)
	su.SetEmail("admin@bench.invalid")
	su.SetPassword("bench-password-123")
	if err := app.Save(su); err != nil {
		return "", err
	}

	users, err := app.FindCollectionByNameOrId("users")
	if err != nil {
		return "", err
	}
	user := core.NewRecord(users)
	user.SetEmail("bench@bench.invalid")
	user.SetPassword("bench-password-123")
	user.SetVerified(true)
	if err := app.Save(user); err != nil {
		return "", err
	}

	wp := core.NewBaseCollection("work_packages")
	authed := types.Pointer("@request.auth.id != ''")
	wp.ListRule, wp.ViewRule, wp.CreateRule = authed, authed, authed
	wp.Fields.Add(
		&core.TextField{Name: "subject", Required: true, Max: 255},
		&core.TextField{Name: "description"},
		&core.NumberField{Name: "project", OnlyInt: true},
		&core.NumberField{Name: "status", OnlyInt: true},
		&core.AutodateField{Name: "created", OnCreate: true},
		&core.AutodateField{Name: "updated", OnCreate: true, OnUpdate: true},
	)
	wp.AddIndex("idx_work_packages_project", false, "project", "")
	wp.AddIndex("idx_work_packages_status", false, "status", "")
	wp.AddIndex("idx_work_packages_updated", false, "updated", "")
	if err := app.Save(wp); err != nil {
		return "", err
	}

	started := time.Now()
	now := time.Now().UTC()
	err = app.RunInTransaction(func(tx core.App) error {
		insert := tx.DB().NewQuery("INSERT INTO work_packages (id, subject, description, project, status, created, updated) " +
			"VALUES ({:id}, {:subject}, {:description}, {:project}, {:status}, {:at}, {:at})").Prepare()
		defer insert.Close()
		for i := range n {
			at := now.Add(time.Duration(i-n) * time.Second).Format(types.DefaultDateLayout)
			_, err := insert.Bind(dbx.Params{"id": core.GenerateDefaultRandomId(), "subject": fmt.Sprintf("Work package %d", i+1),
				"description": "Seeded for the load benchmark.", "project": i%10 + 1, "status": i%14 + 1, "at": at}).Execute()
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	fmt.Fprintf(os.Stderr, "seeded %d work packages in %s\n", n, time.Since(started).Round(time.Millisecond))
	return user.NewAuthToken()
}
