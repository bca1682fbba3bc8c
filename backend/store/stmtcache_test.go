package store

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"testing"
)

func cachedStatements(s *Store) int {
	s.stmts.mu.RLock()
	defer s.stmts.mu.RUnlock()
	return len(s.stmts.m)
}

// TestStatementCacheKeepsOnlyRepeatedQueries: texts that run once (bun
// inlines arguments, so a lookup by id is a new text each time) are not
// prepared and kept; a repeated text is; the cache never outgrows its bound,
// and ReleaseMemory empties it. Before, every text was kept up to 1,024, each
// on every read connection, and the process grew for minutes under load.
func TestStatementCacheKeepsOnlyRepeatedQueries(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "hookpost.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	one := func(q string) int {
		rows, err := st.ReadQuery(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var v int
		for rows.Next() {
			if err := rows.Scan(&v); err != nil {
				t.Fatal(err)
			}
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		return v
	}
	for i := range 500 {
		if got := one(fmt.Sprintf("SELECT %d", i)); got != i {
			t.Fatalf("SELECT %d answered %d", i, got)
		}
	}
	if n := cachedStatements(st); n != 0 {
		t.Errorf("%d statements kept after 500 one-off queries, want 0", n)
	}
	one("SELECT 7000")
	one("SELECT 7000")
	if got := one("SELECT 7000"); got != 7000 || cachedStatements(st) != 1 {
		t.Errorf("a repeated query: answered %d with %d statements kept, want 7000 and 1", got, cachedStatements(st))
	}
	for i := range 3 * maxCachedStatements {
		q := fmt.Sprintf("SELECT %d", 10000+i)
		one(q)
		if got := one(q); got != 10000+i {
			t.Fatalf("%s answered %d", q, got)
		}
		if n := cachedStatements(st); n > maxCachedStatements {
			t.Fatalf("%d statements kept, bound %d", n, maxCachedStatements)
		}
	}
	st.ReleaseMemory(ctx)
	if n := cachedStatements(st); n != 0 {
		t.Errorf("%d statements kept after ReleaseMemory, want 0", n)
	}
	if got := one("SELECT 7000"); got != 7000 {
		t.Errorf("after ReleaseMemory: answered %d", got)
	}
}

// TestShrinkSQLiteGivesConnectionsBack: every idle connection is visited and
// none is kept.
func TestShrinkSQLiteGivesConnectionsBack(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "hookpost.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db := st.Read.DB
	var conns []*sql.Conn
	for range 3 {
		c, err := db.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		_ = c.Close()
	}
	if idle := db.Stats().Idle; idle < 3 {
		t.Fatalf("%d idle connections before, want 3", idle)
	}
	shrinkSQLite(ctx, db)
	if s := db.Stats(); s.InUse != 0 || s.Idle < 3 {
		t.Errorf("after shrinking: %d in use, %d idle", s.InUse, s.Idle)
	}
}
