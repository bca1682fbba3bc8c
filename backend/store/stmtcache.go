package store

import (
	"context"
	"database/sql"
	"hash/maphash"
	"sync"
	"time"

	"github.com/uptrace/bun"
)

// Read statement cache bounds. bun inlines arguments into the SQL, so most
// texts run once (a work package by its id, the users of one page) and only
// some repeat (the same page of a collection, the dispatcher's queries). A
// prepared statement holds a compiled program on every read connection that
// ran it (tens of KB for a list), outside the Go heap: caching every text up
// to a large bound made the process grow for many minutes under steady load.
// So a text is prepared and kept only when it is seen a second time within
// the last maxSeenStatements texts, and a full cache is emptied (the queries
// that repeat fill it again).
const (
	maxCachedStatements = 128
	maxSeenStatements   = 4096
)

// stmtCache keeps prepared read statements by their SQL text; the hot ones
// skip SQLite's parser and planner, which cost more than running them.
type stmtCache struct {
	mu sync.RWMutex
	m  map[string]*sql.Stmt

	seenMu sync.Mutex
	seed   maphash.Seed
	seen   map[uint64]struct{}
}

// ReadScan runs the select q on the read pool through a cached prepared
// statement and scans the rows into dest.
func (s *Store) ReadScan(ctx context.Context, q *bun.SelectQuery, dest ...any) error {
	query := q.String()
	var rows *sql.Rows
	var err error
	if s.pg {
		// PostgreSQL plans such a query in a fraction of its round trip:
		// no statement to keep.
		rows, err = s.Read.DB.QueryContext(ctx, query)
	} else {
		rows, err = s.ReadQuery(ctx, query)
	}
	if err != nil {
		return err
	}
	return s.Read.ScanRows(ctx, rows, dest...)
}

// ReadQuery runs a parameterised query ("... WHERE id = ?") on the read pool,
// through a prepared statement when the query repeats; the caller closes the
// rows. On PostgreSQL the query runs as it is, its placeholders rewritten
// (Rebind).
func (s *Store) ReadQuery(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s.pg {
		return s.Read.DB.QueryContext(ctx, rebind(query), args...)
	}
	return s.stmts.query(ctx, s.Read.DB, query, args...)
}

func (c *stmtCache) query(ctx context.Context, db *sql.DB, query string, args ...any) (*sql.Rows, error) {
	c.mu.RLock()
	if stmt := c.m[query]; stmt != nil {
		// Run under the read lock: emptying the cache waits for this call,
		// and the rows it returns keep the statement alive until closed.
		rows, err := stmt.QueryContext(ctx, args...)
		c.mu.RUnlock()
		return rows, err
	}
	c.mu.RUnlock()
	if c.firstSighting(query) {
		return db.QueryContext(ctx, query, args...)
	}
	prepared, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if prev := c.m[query]; prev != nil {
		prepared.Close()
		prepared = prev
	} else {
		if len(c.m) >= maxCachedStatements {
			c.closeAll()
		}
		if c.m == nil {
			c.m = map[string]*sql.Stmt{}
		}
		c.m[query] = prepared
	}
	// Still under the lock, so that nothing closes it before it runs.
	rows, err := prepared.QueryContext(ctx, args...)
	c.mu.Unlock()
	return rows, err
}

// firstSighting records query and reports whether it was not seen recently.
func (c *stmtCache) firstSighting(query string) bool {
	c.seenMu.Lock()
	defer c.seenMu.Unlock()
	if c.seen == nil || len(c.seen) >= maxSeenStatements {
		if c.seen == nil {
			c.seed = maphash.MakeSeed()
		}
		c.seen = make(map[uint64]struct{}, 256)
	}
	h := maphash.String(c.seed, query)
	if _, ok := c.seen[h]; ok {
		return false
	}
	c.seen[h] = struct{}{}
	return true
}

// closeAll closes every cached statement; the caller holds mu.
func (c *stmtCache) closeAll() {
	for _, st := range c.m {
		st.Close()
	}
	c.m = nil
}

// reset empties the cache, releasing the statements' memory on every
// connection.
func (c *stmtCache) reset() {
	c.mu.Lock()
	c.closeAll()
	c.mu.Unlock()
	c.seenMu.Lock()
	c.seen = nil
	c.seenMu.Unlock()
}

func (c *stmtCache) close() { c.reset() }

// ReleaseMemory returns what the database connections hold outside the Go
// heap: the read statement cache is emptied and every idle connection drops
// its page cache (PRAGMA shrink_memory). For an idle process; the caches fill
// again with the next requests.
func (s *Store) ReleaseMemory(ctx context.Context) {
	s.stmts.reset()
	if s.pg { // PostgreSQL's caches are the server's
		return
	}
	for _, db := range []*sql.DB{s.DB.DB, s.Read.DB} {
		shrinkSQLite(ctx, db)
	}
}

// shrinkSQLite runs PRAGMA shrink_memory on each idle connection of db: it
// holds them all at once so that each statement reaches a different one.
func shrinkSQLite(ctx context.Context, db *sql.DB) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	var conns []*sql.Conn
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for range db.Stats().Idle {
		c, err := db.Conn(ctx)
		if err != nil {
			return
		}
		conns = append(conns, c)
		_, _ = c.ExecContext(ctx, "PRAGMA shrink_memory")
	}
}

// writeStmts keeps prepared statements of the writer connection by SQL text.
type writeStmts struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// PrepareWrites prepares fixed, parameterised statements ("INSERT ... VALUES
// (?, ?)") on the writer connection for TxExec. It must run outside any
// transaction: the writer has one connection. On PostgreSQL nothing is
// prepared (see openPostgres); the statements run in one round trip each.
func (s *Store) PrepareWrites(ctx context.Context, queries ...string) error {
	if s.pg {
		return nil
	}
	s.writes.mu.Lock()
	defer s.writes.mu.Unlock()
	if s.writes.m == nil {
		s.writes.m = map[string]*sql.Stmt{}
	}
	for _, q := range queries {
		if _, ok := s.writes.m[q]; ok {
			continue
		}
		stmt, err := s.DB.DB.PrepareContext(ctx, q)
		if err != nil {
			return err
		}
		s.writes.m[q] = stmt
	}
	return nil
}

// TxExec runs query inside tx through the statement PrepareWrites prepared,
// so hot inserts skip SQLite's parser; an unprepared query runs as is.
func (s *Store) TxExec(ctx context.Context, tx bun.Tx, query string, args ...any) (sql.Result, error) {
	if s.pg {
		return tx.Tx.ExecContext(ctx, rebind(query), args...)
	}
	if stmt := s.writeStmt(query); stmt != nil {
		return tx.StmtContext(ctx, stmt).ExecContext(ctx, args...)
	}
	return tx.Tx.ExecContext(ctx, query, args...)
}

// TxQuery is TxExec for statements that return rows (SELECT, RETURNING);
// the caller closes the rows.
func (s *Store) TxQuery(ctx context.Context, tx bun.Tx, query string, args ...any) (*sql.Rows, error) {
	if s.pg {
		return tx.Tx.QueryContext(ctx, rebind(query), args...)
	}
	if stmt := s.writeStmt(query); stmt != nil {
		return tx.StmtContext(ctx, stmt).QueryContext(ctx, args...)
	}
	return tx.Tx.QueryContext(ctx, query, args...)
}

// TxInsert runs the INSERT of one row, query, as TxExec does and returns
// the row's id. PostgreSQL reports no last insert id: there the statement
// returns it (RETURNING id).
func (s *Store) TxInsert(ctx context.Context, tx bun.Tx, query string, args ...any) (int64, error) {
	if s.pg {
		var id int64
		err := tx.Tx.QueryRowContext(ctx, rebind(query)+" RETURNING id", args...).Scan(&id)
		return id, err
	}
	res, err := s.TxExec(ctx, tx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

func (s *Store) writeStmt(query string) *sql.Stmt {
	s.writes.mu.Lock()
	defer s.writes.mu.Unlock()
	return s.writes.m[query]
}

// Timestamp formats t as bun stores times in SQLite, so that rows written
// with TxExec sort and compare like the rest. PostgreSQL reads the same text
// as a timestamptz (with its +00:00 offset).
func Timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05.999999-07:00")
}

// ScanInt64s reads a one-column result of integers (ids) and closes it.
func ScanInt64s(rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var v int64
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}
