package store

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/uptrace/bun"
)

func TestMigrateEmptyThenExistingDatabase(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "sub", "hookpost.db")

	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	pending, err := st.Pending(ctx)
	if err == nil && len(pending) == 0 {
		t.Fatal("an empty database reports no pending migrations")
	}
	n, err := st.Migrate(ctx)
	if err != nil || n == 0 {
		t.Fatalf("first migrate: applied %d, %v", n, err)
	}
	if pending, err := st.Pending(ctx); err != nil || len(pending) != 0 {
		t.Fatalf("pending after migrate: %v %v", pending, err)
	}
	if _, err := st.DB.ExecContext(ctx, "INSERT INTO users (login, password_hash, created_at, updated_at) VALUES ('keep', 'x', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"); err != nil {
		t.Fatal(err)
	}
	st.Close()

	st, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err = st.Migrate(ctx)
	if err != nil || n != 0 {
		t.Fatalf("second migrate on an existing database: applied %d, %v", n, err)
	}
	var login string
	if err := st.Read.NewRaw("SELECT login FROM users").Scan(ctx, &login); err != nil || login != "keep" {
		t.Fatalf("data lost across restart: %q %v", login, err)
	}
}

func TestPragmas(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "p.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	for _, tc := range []struct{ pragma, want string }{
		{"journal_mode", "wal"}, {"foreign_keys", "1"}, {"busy_timeout", "10000"},
	} {
		var got string
		if err := st.DB.NewRaw("PRAGMA "+tc.pragma).Scan(ctx, &got); err != nil || got != tc.want {
			t.Errorf("writer %s = %q (%v), want %q", tc.pragma, got, err, tc.want)
		}
		if err := st.Read.NewRaw("PRAGMA "+tc.pragma).Scan(ctx, &got); err != nil || got != tc.want {
			t.Errorf("reader %s = %q (%v), want %q", tc.pragma, got, err, tc.want)
		}
	}
	if st.DB.Stats().MaxOpenConnections != 1 {
		t.Errorf("writer pool must have exactly one connection, has %d", st.DB.Stats().MaxOpenConnections)
	}
	if _, err := st.Read.ExecContext(ctx, "CREATE TABLE x (a int)"); err == nil {
		t.Error("the read pool accepted a write")
	}
}

func TestWritesShareCommitsButFailAlone(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "w.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.DB.ExecContext(ctx, "CREATE TABLE t (v INTEGER)"); err != nil {
		t.Fatal(err)
	}
	const n = 200
	errs := make(chan error, n)
	for i := range n {
		go func() {
			errs <- st.Write(ctx, func(ctx context.Context, tx bun.Tx) error {
				if _, err := tx.ExecContext(ctx, "INSERT INTO t (v) VALUES (?)", i); err != nil {
					return err
				}
				if i%10 == 0 {
					return fmt.Errorf("write %d fails after inserting", i)
				}
				return nil
			})
		}()
	}
	failed := 0
	for range n {
		if err := <-errs; err != nil {
			failed++
		}
	}
	var rows, bad int
	if err := st.Read.NewRaw("SELECT count(*) FROM t").Scan(ctx, &rows); err != nil {
		t.Fatal(err)
	}
	if err := st.Read.NewRaw("SELECT count(*) FROM t WHERE v % 10 = 0").Scan(ctx, &bad); err != nil {
		t.Fatal(err)
	}
	if failed != n/10 || rows != n-n/10 || bad != 0 {
		t.Fatalf("failed %d (want %d), rows %d (want %d), rows of failed writes %d", failed, n/10, rows, n-n/10, bad)
	}
}
