package store_test

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/store"
	"github.com/hookpost/hookpost/backend/store/storetest"
)

// These tests run on SQLite, and on PostgreSQL when
// HOOKPOST_TEST_DATABASE_URL is set (scripts/pg-test-server).

func TestMigrateThenReopen(t *testing.T) {
	ctx := context.Background()
	loc := storetest.Location(t)
	st, err := store.Open(ctx, loc)
	if err != nil {
		t.Fatal(err)
	}
	if pending, err := st.Pending(ctx); err == nil && len(pending) == 0 {
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

	st = storetest.OpenAt(t, loc)
	var login string
	if err := st.Read.NewRaw("SELECT login FROM users").Scan(ctx, &login); err != nil || login != "keep" {
		t.Fatalf("data lost across restart: %q %v", login, err)
	}
	if n, err := st.Migrate(ctx); err != nil || n != 0 {
		t.Fatalf("migrate again: applied %d, %v", n, err)
	}
}

// TestInstancesStartingTogether: instances migrating one empty database at
// the same time apply every migration once between them.
func TestInstancesStartingTogether(t *testing.T) {
	ctx := context.Background()
	loc := storetest.Location(t)
	var stores [3]*store.Store
	for i := range stores {
		st, err := store.Open(ctx, loc)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		stores[i] = st
	}
	var wg sync.WaitGroup
	applied := make([]int, len(stores))
	errs := make([]error, len(stores))
	for i, st := range stores {
		wg.Go(func() { applied[i], errs[i] = st.Migrate(ctx) })
	}
	wg.Wait()
	total := 0
	for i := range stores {
		if errs[i] != nil {
			t.Fatalf("instance %d: %v", i, errs[i])
		}
		total += applied[i]
	}
	all, err := stores[0].Pending(ctx)
	if err != nil || len(all) != 0 {
		t.Fatalf("pending after the starts: %v %v", all, err)
	}
	var rows int
	if err := stores[0].Read.NewRaw("SELECT count(*) FROM bun_migrations").Scan(ctx, &rows); err != nil {
		t.Fatal(err)
	}
	if total != rows || applied[0]+applied[1]+applied[2] == 0 {
		t.Fatalf("applied %v between them, %d recorded: each migration must run once", applied, rows)
	}
}

// TestRawStatements: the raw paths (ReadQuery, TxExec, TxQuery, TxInsert)
// take SQLite's placeholders on both databases, and a batch of ids travels
// as one JSON argument.
func TestRawStatements(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	const insert = `INSERT INTO change_counters (name, value) VALUES (?, ?)`
	if err := st.PrepareWrites(ctx, insert); err != nil {
		t.Fatal(err)
	}
	err := st.Write(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := st.TxExec(ctx, tx, insert, "one", 1); err != nil {
			return err
		}
		rows, err := st.TxQuery(ctx, tx, `UPDATE change_counters SET value = value + ?2 WHERE name = ?1 RETURNING value`, "one", 41)
		if err != nil {
			return err
		}
		got, err := store.ScanInt64s(rows)
		if err != nil || len(got) != 1 || got[0] != 42 {
			return errors.Join(err, errors.New("RETURNING did not answer 42"))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int64
	err = st.Write(ctx, func(ctx context.Context, tx bun.Tx) error {
		ids = ids[:0]
		for _, login := range []string{"a", "b", "c"} {
			at := store.Timestamp(time.Date(2026, 12, 1, 10, 0, 0, 123456000, time.UTC))
			id, err := st.TxInsert(ctx, tx, `INSERT INTO users (login, password_hash, created_at, updated_at) VALUES (?, 'x', ?, ?)`, login, at, at)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 3 || ids[0] == 0 || ids[1] != ids[0]+1 || ids[2] != ids[1]+1 {
		t.Fatalf("TxInsert ids %v", ids)
	}
	rows, err := st.ReadQuery(ctx, `SELECT id FROM users WHERE id IN (`+st.JSONIDs()+`) AND login <> ? ORDER BY id`,
		"[1000000, "+strconv.FormatInt(ids[0], 10)+", "+strconv.FormatInt(ids[2], 10)+"]", "a")
	if err != nil {
		t.Fatal(err)
	}
	got, err := store.ScanInt64s(rows)
	if err != nil || len(got) != 1 || got[0] != ids[2] {
		t.Fatalf("ReadQuery by JSON ids: %v %v, want [%d]", got, err, ids[2])
	}
	var created time.Time
	if err := st.Read.NewRaw("SELECT created_at FROM users WHERE id = ?", ids[1]).Scan(ctx, &created); err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 12, 1, 10, 0, 0, 123456000, time.UTC); !created.Equal(want) {
		t.Fatalf("a store.Timestamp reads back as %v, want %v", created, want)
	}
}

// TestWriteRunsAgainAfterAnotherInstanceCommitted: on PostgreSQL another
// instance can commit a row between a write's check and its insert (READ
// COMMITTED); the write then runs again, and its check answers as on SQLite.
func TestWriteRunsAgainAfterAnotherInstanceCommitted(t *testing.T) {
	if !storetest.Postgres() {
		t.Skip("PostgreSQL only: SQLite's writer lock keeps other processes out between a check and an insert")
	}
	ctx := context.Background()
	loc := storetest.Location(t)
	a := storetest.OpenAt(t, loc)
	b := storetest.OpenAt(t, loc)
	project := func(db bun.IDB, ident string) error {
		_, err := db.NewRaw(`INSERT INTO projects (identifier, name, created_at, updated_at) VALUES (?, ?, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`, ident, ident).Exec(ctx)
		return err
	}
	runs := 0
	err := a.Write(ctx, func(ctx context.Context, tx bun.Tx) error {
		runs++
		n, err := tx.NewSelect().Table("projects").Where("identifier = 'demo'").Count(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return domain.Invalid("identifier", "Identifier %q has already been taken.", "demo")
		}
		if runs == 1 { // the other instance, between the check and the insert
			if err := project(b.DB, "demo"); err != nil {
				return err
			}
		}
		return project(tx, "demo")
	})
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || ve.Field != "identifier" || ve.Message != `Identifier "demo" has already been taken.` || runs != 2 {
		t.Fatalf("runs %d, error %v: want the check's own error on the second run", runs, err)
	}

	// A write with no check of its own gets the constraint's error, never
	// the driver's.
	err = a.Write(ctx, func(ctx context.Context, tx bun.Tx) error { return project(tx, "demo") })
	if !errors.As(err, &ve) || ve.Field != "identifier" {
		t.Fatalf("duplicate identifier: %v, want a validation error on identifier", err)
	}
	err = a.Write(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.NewRaw(`INSERT INTO work_packages (project_id, type_id, status_id, priority_id, author_id, subject, created_at, updated_at)
			VALUES (999, 1, 1, 1, 999, 's', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)`).Exec(ctx)
		return err
	})
	if !errors.As(err, &ve) || ve.Field != "project" {
		t.Fatalf("missing project: %v, want a validation error on project", err)
	}
}

// TestPostgresKeepsNoStatementPerQuery: bun inlines arguments, so nearly
// every query text is new; on PostgreSQL none of them may leave a prepared
// statement behind on the connection (memory that grows with the distinct
// queries), as pgx's default mode would.
func TestPostgresKeepsNoStatementPerQuery(t *testing.T) {
	if !storetest.Postgres() {
		t.Skip("PostgreSQL only: SQLite's read statements are cached on purpose, up to a bound")
	}
	ctx := context.Background()
	st := storetest.Open(t)
	for _, db := range []*bun.DB{st.Read, st.DB} {
		conn, err := db.DB.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 50 {
			var n int
			if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM users WHERE id > "+strconv.Itoa(i)).Scan(&n); err != nil {
				t.Fatal(err)
			}
			if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM users WHERE id > $1", i).Scan(&n); err != nil {
				t.Fatal(err)
			}
		}
		var prepared int
		if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM pg_prepared_statements").Scan(&prepared); err != nil {
			t.Fatal(err)
		}
		conn.Close()
		if prepared != 0 {
			t.Fatalf("%d statements prepared on the connection after 100 queries, want 0", prepared)
		}
	}
}

// TestPostgresEndsTheTransactionOfAHungInstance: an instance that stops
// in the middle of a transaction (hung, or cut off from the network) holds
// its row locks only until idle_in_transaction_session_timeout; then the
// server ends its session, and the other instances' writes go on. (The
// timeout is 5 s by default; the URL sets it shorter here.)
func TestPostgresEndsTheTransactionOfAHungInstance(t *testing.T) {
	if !storetest.Postgres() {
		t.Skip("PostgreSQL only: a SQLite writer is a process of this machine, which ends with its locks")
	}
	ctx := context.Background()
	loc := storetest.Location(t)
	u, err := url.Parse(loc)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("idle_in_transaction_session_timeout", "300")
	u.RawQuery = q.Encode()
	hung := storetest.OpenAt(t, u.String())
	other := storetest.OpenAt(t, loc)
	if _, err := other.DB.ExecContext(ctx, "INSERT INTO change_counters (name, value) VALUES ('x', 0)"); err != nil {
		t.Fatal(err)
	}
	tx, err := hung.DB.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tx.Rollback() })
	if _, err := tx.ExecContext(ctx, "UPDATE change_counters SET value = 100 WHERE name = 'x'"); err != nil {
		t.Fatal(err)
	}
	// The hung instance does nothing more; the other one writes the row it
	// holds, and gets it once the server has ended the hung transaction
	// (well within the other's lock_timeout of 10 s).
	err = other.Write(ctx, func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, "UPDATE change_counters SET value = value + 1 WHERE name = 'x'")
		return err
	})
	if err != nil {
		t.Fatalf("the other instance's write: %v", err)
	}
	if err := tx.Commit(); err == nil {
		t.Fatal("the hung transaction committed after its session was ended")
	}
	var v int
	if err := other.Read.NewRaw("SELECT value FROM change_counters WHERE name = 'x'").Scan(ctx, &v); err != nil || v != 1 {
		t.Fatalf("value %d (%v): want 1, the hung update rolled back", v, err)
	}
}
