// Package storetest opens the databases of the test suites, so that one
// table of scenarios runs on both databases: a SQLite file in the test's
// temporary directory by default, or, when HOOKPOST_TEST_DATABASE_URL names a
// PostgreSQL database (scripts/pg-test-server starts one), a schema of its
// own in that database per test, dropped when the test ends.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hookpost/hookpost/backend/store"
)

// EnvURL names the variable that selects PostgreSQL for the tests.
const EnvURL = "HOOKPOST_TEST_DATABASE_URL"

// Postgres reports whether the tests run on PostgreSQL.
func Postgres() bool { return os.Getenv(EnvURL) != "" }

// Location returns a fresh, empty database for t, to pass to store.Open:
// the path of a SQLite file in t's temporary directory, or the URL of a new
// schema of the PostgreSQL test database (dropped at t's end, after the
// stores opened on it were closed). Stores opened twice on one location
// share the database, as two processes on one file do.
func Location(t testing.TB) string {
	t.Helper()
	base := os.Getenv(EnvURL)
	if base == "" {
		return filepath.Join(t.TempDir(), "hookpost.db")
	}
	admin := adminDB(t, base)
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "hp_" + hex.EncodeToString(b)
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create the test schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.ExecContext(ctx, "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop the test schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvURL, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// Open returns a migrated, empty store at a fresh Location, closed when t
// ends.
func Open(t testing.TB) *store.Store {
	t.Helper()
	return OpenAt(t, Location(t))
}

// OpenAt opens and migrates the store at loc (from Location), closed when t
// ends.
func OpenAt(t testing.TB, loc string) *store.Store {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	return st
}

var admin struct {
	once sync.Once
	db   *sql.DB
	err  error
}

// adminDB is the test process's one connection pool to the test database,
// for creating and dropping schemas.
func adminDB(t testing.TB, base string) *sql.DB {
	t.Helper()
	admin.once.Do(func() {
		admin.db, admin.err = sql.Open("pgx", base)
		if admin.err == nil {
			admin.db.SetMaxOpenConns(2)
			admin.err = admin.db.PingContext(context.Background())
		}
	})
	if admin.err != nil {
		t.Fatalf("%s: %v", EnvURL, admin.err)
	}
	return admin.db
}
