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

// ReadQuery runs a parameterised query ("... WHERE id = ?") on the read pool
// through a cached prepared statement; the caller closes the rows. On
// PostgreSQL the query runs as it is, its placeholders rewritten (Rebind).
func (s *Store) ReadQuery(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if s.pg {
		return s.Read.DB.QueryContext(ctx, rebind(query), args...)
	}
	stmt, done, err := s.stmts.get(ctx, s.Read.DB, query)
	if err != nil {
		return nil, err
	}
	defer done()
	return stmt.QueryContext(ctx, args...)
}

// get returns the prepared statement of query, and what to call once the
// statement has run (closing it when the cache is full).
func (c *stmtCache) get(ctx context.Context, db *sql.DB, query string) (*sql.Stmt, func(), error) {
	if v, ok := c.m.Load(query); ok {
		return v.(*sql.Stmt), func() {}, nil
	}
	prepared, err := db.PrepareContext(ctx, query)
	if err != nil {
		return nil, nil, err
	}
	if c.n.Load() >= maxCachedStatements {
		return prepared, func() { prepared.Close() }, nil
	}
	if prev, loaded := c.m.LoadOrStore(query, prepared); loaded {
		prepared.Close()
		return prev.(*sql.Stmt), func() {}, nil
	}
	c.n.Add(1)
	return prepared, func() {}, nil
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
