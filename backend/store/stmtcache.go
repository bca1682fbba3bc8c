package store

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
)

// maxCachedStatements bounds the read statement cache.
const maxCachedStatements = 1024

// stmtCache keeps prepared read statements by their SQL text. bun inlines
// arguments into the SQL, so only repeated identical queries (the same page
// of a collection, a token lookup) hit it, and those are the hot ones:
// SQLite's parser and planner cost more than running such a query.
type stmtCache struct {
	m sync.Map // SQL text → *sql.Stmt
	n atomic.Int64
}

// ReadScan runs the select q on the read pool through a cached prepared
// statement and scans the rows into dest.
func (s *Store) ReadScan(ctx context.Context, q *bun.SelectQuery, dest ...any) error {
	query := q.String()
	var stmt *sql.Stmt
	if v, ok := s.stmts.m.Load(query); ok {
		stmt = v.(*sql.Stmt)
	} else {
		prepared, err := s.Read.DB.PrepareContext(ctx, query)
		if err != nil {
			return err
		}
		if s.stmts.n.Load() < maxCachedStatements {
			if prev, loaded := s.stmts.m.LoadOrStore(query, prepared); loaded {
				prepared.Close()
				prepared = prev.(*sql.Stmt)
			} else {
				s.stmts.n.Add(1)
			}
		} else {
			defer prepared.Close()
		}
		stmt = prepared
	}
	rows, err := stmt.QueryContext(ctx)
	if err != nil {
		return err
	}
	if err := s.Read.ScanRows(ctx, rows, dest...); err != nil {
		return err
	}
	return nil
}

func (c *stmtCache) close() {
	c.m.Range(func(_, v any) bool {
		v.(*sql.Stmt).Close()
		return true
	})
}

// writeStmts keeps prepared statements of the writer connection by SQL text.
type writeStmts struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

// PrepareWrites prepares fixed, parameterised statements ("INSERT ... VALUES
// (?, ?)") on the writer connection for TxExec. It must run outside any
// transaction: the writer has one connection.
func (s *Store) PrepareWrites(ctx context.Context, queries ...string) error {
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
	s.writes.mu.Lock()
	stmt, ok := s.writes.m[query]
	s.writes.mu.Unlock()
	if !ok {
		return tx.Tx.ExecContext(ctx, query, args...)
	}
	return tx.StmtContext(ctx, stmt).ExecContext(ctx, args...)
}

// Timestamp formats t as bun stores times in SQLite, so that rows written
// with TxExec sort and compare like the rest.
func Timestamp(t time.Time) string {
	return t.UTC().Format("2006-01-02 15:04:05.999999-07:00")
}
