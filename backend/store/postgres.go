package store

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/pgdialect"
)

//go:embed migrations/postgres/*.sql
var postgresMigrations embed.FS

// IsPostgresURL reports whether loc names a PostgreSQL database
// (postgres://... or postgresql://...) rather than a SQLite file.
func IsPostgresURL(loc string) bool {
	return strings.HasPrefix(loc, "postgres://") || strings.HasPrefix(loc, "postgresql://")
}

// PostgreSQL connection settings (SPEC §1: documented pool sizes and
// timeouts). Each can be overridden as a parameter of the URL.
//
//   - The writer is one connection, as on SQLite: the group commit of Write
//     (one commit, one WAL flush, for up to maxBatch writes) needs its
//     writes queued in one place, and an instance's writes then never wait
//     for each other's row locks. Instances write side by side, each on its
//     own writer. To write faster, add instances, not writer connections.
//   - The read pool has max(4, 2×GOMAXPROCS) connections, as on SQLite, and
//     is read-only (default_transaction_read_only), like SQLite's query_only.
//     So an instance holds at most 2 + 2×GOMAXPROCS connections (the extra
//     one is taken briefly by Migrate): with PostgreSQL's default
//     max_connections of 100, about ten 2-core instances fit.
//   - lock_timeout 10 s: a write waits that long for a row another instance
//     holds, as SQLite's writer waits busy_timeout (10 s) for the file lock.
//   - idle_in_transaction_session_timeout 5 s: Hookpost's transactions never
//     wait for a person; one idle that long belongs to an instance that hung
//     or lost its network, and the server ends it, releasing its row locks,
//     so that it cannot stall the other instances' writes (nor their
//     deliveries) any longer.
//   - connect_timeout 10 s, and connections are recycled after an hour
//     (server-side caches of long-lived backends grow) or five idle minutes.
//   - TimeZone UTC: times come back in UTC, as bun writes them.
var pgRuntimeDefaults = map[string]string{
	"lock_timeout":                        "10000",
	"idle_in_transaction_session_timeout": "5000",
	"application_name":                    "hookpost",
	"TimeZone":                            "UTC",
}

const (
	pgConnectTimeout  = 10 * time.Second
	pgConnMaxLifetime = time.Hour
	pgConnMaxIdleTime = 5 * time.Minute
)

// openPostgres opens the database at the postgres:// URL loc.
//
// Queries run in pgx's "exec" mode: one round trip each, with the extended
// protocol's unnamed statement. bun inlines arguments into its SQL, so
// nearly every query text is new; pgx's default mode would prepare and
// cache a server-side statement per text on every connection, memory that
// grows with the distinct queries. Exec mode caches nothing, and binds the
// raw statements' arguments as untyped text that the server reads as the
// column's type (a store.Timestamp string into a timestamptz).
func openPostgres(ctx context.Context, loc string) (*Store, error) {
	wdb, err := openPool(ctx, loc, false)
	if err != nil {
		return nil, err
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(pgConnMaxLifetime)
	wdb.SetConnMaxIdleTime(0)

	rdb, err := openPool(ctx, loc, true)
	if err != nil {
		wdb.Close()
		return nil, err
	}
	n := max(4, runtime.GOMAXPROCS(0)*2)
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	rdb.SetConnMaxLifetime(pgConnMaxLifetime)
	rdb.SetConnMaxIdleTime(pgConnMaxIdleTime)

	lockDB, err := openPool(ctx, loc, false)
	if err != nil {
		wdb.Close()
		rdb.Close()
		return nil, err
	}
	lockDB.SetMaxOpenConns(1)
	lockDB.SetMaxIdleConns(0)

	return &Store{
		DB:     bun.NewDB(wdb, pgdialect.New()),
		Read:   bun.NewDB(rdb, pgdialect.New()),
		pg:     true,
		loc:    Redact(loc),
		lockDB: lockDB,
	}, nil
}

func openPool(ctx context.Context, loc string, readOnly bool) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(loc)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", Redact(loc), err)
	}
	cfg.DefaultQueryExecMode = pgx.QueryExecModeExec
	cfg.StatementCacheCapacity = 0
	cfg.DescriptionCacheCapacity = 0
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = pgConnectTimeout
	}
	for k, v := range pgRuntimeDefaults {
		if _, set := cfg.RuntimeParams[k]; !set {
			cfg.RuntimeParams[k] = v
		}
	}
	if readOnly {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	db := stdlib.OpenDB(*cfg, stdlib.OptionAfterConnect(func(ctx context.Context, c *pgx.Conn) error {
		c.TypeMap().RegisterType(&pgtype.Type{Name: "timestamptz", OID: pgtype.TimestamptzOID,
			Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC}})
		return nil
	}))
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open database %s: %w", Redact(loc), err)
	}
	return db, nil
}

// Redact returns loc with the password of a URL replaced, fit for logs.
func Redact(loc string) string {
	if !IsPostgresURL(loc) {
		return loc
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "postgres://(unreadable URL)"
	}
	return u.Redacted()
}

// migrationLockSQL takes the advisory lock Migrate holds on PostgreSQL. It
// is per schema (search_path), so that databases in different schemas of
// one server migrate independently.
const migrationLockSQL = `SELECT pg_advisory_lock(hashtext('hookpost migrate ' || current_schema()))`

// withMigrationLock runs f while holding a session advisory lock, on a
// connection of its own: two instances started together migrate one after
// the other (the second then finds nothing to apply), and a process killed
// mid-migration loses the lock with its connection, unlike bun's lock row.
// The lock pool keeps no idle connection: closing the connection ends the
// session, and the lock with it.
func (s *Store) withMigrationLock(ctx context.Context, f func() error) error {
	conn, err := s.lockDB.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, migrationLockSQL); err != nil {
		return fmt.Errorf("migration lock: %w", err)
	}
	return f()
}

// Serialize makes the transaction tx, of a Write, wait for the other
// instances' transactions that called Serialize with the same name, until
// they end: a read-then-write sequence that must not interleave with
// another instance's (deriving a free identifier, checking for a cycle)
// then runs as it does on SQLite, whose writer lock orders every write. On
// SQLite it does nothing.
func (s *Store) Serialize(ctx context.Context, tx bun.Tx, name string) error {
	if !s.pg {
		return nil
	}
	_, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(hashtext(?))", "hookpost "+name)
	return err
}

// Postgres reports whether the store is on PostgreSQL.
func (s *Store) Postgres() bool { return s.pg }

// Location is where the database is, as logs may show it (a URL without
// its password).
func (s *Store) Location() string { return s.loc }

// JSONIDs is a subquery listing the integers of a JSON array ("[1,2,3]")
// bound to its one placeholder: a batch of ids travels as one argument,
// whatever its size, and the statement's text stays the same.
func (s *Store) JSONIDs() string {
	if s.pg {
		return `SELECT CAST(value AS BIGINT) FROM json_array_elements_text(CAST(? AS JSON))`
	}
	return `SELECT value FROM json_each(?)`
}

// Rebind returns query, written with SQLite's placeholders (? and ?NNN),
// with PostgreSQL's ($1, $2, ...) on PostgreSQL: the raw statements are
// written once for both. On SQLite it returns query unchanged.
func (s *Store) Rebind(query string) string {
	if !s.pg {
		return query
	}
	return rebind(query)
}

// rebind rewrites the placeholders of query outside string literals,
// quoted identifiers and comments. ?NNN becomes $NNN; a bare ? takes the
// number after the largest used so far, as SQLite numbers it.
func rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	last := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(query) {
				if query[j] == c {
					if j+1 < len(query) && query[j+1] == c { // doubled quote
						j += 2
						continue
					}
					break
				}
				j++
			}
			end := min(j+1, len(query))
			b.WriteString(query[i:end])
			i = end - 1
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				j = len(query) - i
			}
			b.WriteString(query[i : i+j])
			i += j - 1
		case c == '/' && i+1 < len(query) && query[i+1] == '*':
			j := strings.Index(query[i+2:], "*/")
			end := len(query)
			if j >= 0 {
				end = i + 2 + j + 2
			}
			b.WriteString(query[i:end])
			i = end - 1
		case c == '?':
			j := i + 1
			for j < len(query) && query[j] >= '0' && query[j] <= '9' {
				j++
			}
			n := last + 1
			if j > i+1 {
				n = 0
				for _, d := range query[i+1 : j] {
					n = n*10 + int(d-'0')
				}
			}
			last = max(last, n)
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
