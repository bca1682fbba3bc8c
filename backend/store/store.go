// Package store opens Hookpost's database (SQLite by default, PostgreSQL for
// a postgres:// URL) and applies the migrations embedded in the binary.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/sqlitedialect"
	"github.com/uptrace/bun/driver/sqliteshim"
	"github.com/uptrace/bun/migrate"
)

//go:embed migrations/sqlite/*.sql
var sqliteMigrations embed.FS

// Store holds the database handles.
//
// DB is the writer: every transaction and every write goes through it. On
// SQLite it has exactly one connection, because SQLite admits one writer at a
// time anyway; queueing writers in database/sql's pool is cheaper and fairer
// than letting several connections spin on SQLITE_BUSY, and it makes "BEGIN"
// never fail with a lock error. Read is a pool of read-only connections that
// WAL lets run beside the writer; plain reads outside a transaction use it.
// On PostgreSQL the same split holds (see openPostgres for why, and for the
// pool sizes and timeouts).
type Store struct {
	DB   *bun.DB
	Read *bun.DB

	stmts  stmtCache
	writes writeStmts
	w      writer

	// SQLite only: the connection of the background checkpoints.
	checkpoint *sql.DB
	stopCkpt   chan struct{}
	ckptDone   chan struct{}

	// PostgreSQL only.
	pg     bool
	lockDB *sql.DB // holds Migrate's advisory lock
	loc    string  // the URL without its password
}

// writerBusyTimeoutMS is how long the writer waits for another process's
// write lock.
const writerBusyTimeoutMS = 10000

// connLifetime is how long a connection is used before it is closed and a
// new one opened. SQLite's memory (page cache, compiled statements, their
// allocator's pages) belongs to the connection; under steady load it grew
// slowly for as long as the connection lived, and closing it returns all of
// it. Reopening costs a few milliseconds a minute; the shorter the
// lifetime, the smaller the sawtooth.
const connLifetime = 30 * time.Second

// checkpointInterval is how often the WAL is copied back into the database.
const checkpointInterval = 500 * time.Millisecond

// walRestartFrames is the WAL length (in pages: 64 MiB at 4 KiB) beyond which
// a checkpoint waits for the readers so that the WAL starts over. A variable
// so that a test can make it small.
var walRestartFrames = 16384

// walRestartWait bounds how long that checkpoint waits for the readers of
// older snapshots, holding up this process's writes meanwhile; when they
// take longer it gives up and tries again at the next tick.
const walRestartWait = 250 * time.Millisecond

// checkpointLoop copies the WAL into the database file in the background.
// PASSIVE checkpoints wait for neither the writer nor the readers. But the
// WAL starts over only at a moment when no reader still reads an older
// snapshot from it, and under steady load (lists read while deliveries are
// recorded) readers overlap and that moment never comes: the WAL, and the
// shared-memory index every connection maps, would grow without end. So once
// it is longer than walRestartFrames a RESTART checkpoint makes it start over
// from its beginning. It runs on the writer's own connection, taken from its
// pool of one: this process's writes wait for it (a checkpoint on another
// connection would have to win the write lock from a writer that takes it
// back at once), while the PASSIVE checkpoints have already copied nearly
// everything; new readers read the database file, and the wait is for those
// still on older snapshots. RESTART keeps the file's length, so the next
// writes overwrite it instead of growing it again: under load the writes
// waited about 10 ms a second for it, against 30–45 ms for a TRUNCATE, which
// also shortens the file and has it grown again. Once writes stop (the WAL
// did not grow over a tick), a TRUNCATE gives the disk space back; the final
// TRUNCATE at Close leaves a small WAL too.
func (s *Store) checkpointLoop() {
	defer close(s.ckptDone)
	ctx := context.Background()
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	last, restarted := -1, false
	for {
		select {
		case <-s.stopCkpt:
			_, _ = s.checkpoint.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
			return
		case <-t.C:
			var busy, frames, copied int
			err := s.checkpoint.QueryRow("PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
			if err != nil {
				continue
			}
			idle := frames == last
			last = frames
			// Busy (readers took longer): the next tick tries again.
			// (A restarted WAL reports its old length until the next write.)
			switch {
			case restarted && idle:
				if s.restartWAL(ctx, "TRUNCATE") == nil {
					restarted = false
				}
			case frames > walRestartFrames:
				if s.restartWAL(ctx, "RESTART") == nil {
					restarted = true
				}
			}
		}
	}
}

// restartWAL runs a RESTART or TRUNCATE checkpoint on the writer
// connection, waiting at most walRestartWait for the readers of older
// snapshots.
func (s *Store) restartWAL(ctx context.Context, mode string) error {
	conn, err := s.DB.DB.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, "PRAGMA busy_timeout = "+strconv.Itoa(int(walRestartWait.Milliseconds()))); err != nil {
		return err
	}
	var busy, frames, copied int
	err = conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, &frames, &copied)
	if _, rerr := conn.ExecContext(ctx, "PRAGMA busy_timeout = "+strconv.Itoa(writerBusyTimeoutMS)); err == nil {
		err = rerr
	}
	if err == nil && busy != 0 {
		err = errWALBusy
	}
	return err
}

var errWALBusy = errors.New("the WAL could not be restarted: readers or another writer were busy")

// Open opens the database at loc: a postgres:// (or postgresql://) URL
// opens PostgreSQL, anything else is the path of a SQLite file, created if
// needed.
func Open(ctx context.Context, loc string) (*Store, error) {
	if IsPostgresURL(loc) {
		return openPostgres(ctx, loc)
	}
	return openSQLite(ctx, loc)
}

func openSQLite(ctx context.Context, path string) (*Store, error) {
	pinAllocatorPages()
	if path != ":memory:" {
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create database directory: %w", err)
		}
	}
	// Pragma order matters: busy_timeout first so that switching to WAL waits
	// for a concurrent opener instead of failing; foreign_keys is per
	// connection and therefore part of the DSN, not a one-off Exec.
	// _txlock=immediate takes the write lock at BEGIN, so a transaction that
	// reads and then writes cannot fail half-way with SQLITE_BUSY.
	pragmas := url.Values{}
	pragmas.Add("_pragma", "busy_timeout("+strconv.Itoa(writerBusyTimeoutMS)+")")
	pragmas.Add("_pragma", "journal_mode(WAL)")
	pragmas.Add("_pragma", "synchronous(NORMAL)")
	pragmas.Add("_pragma", "foreign_keys(1)")
	// Statement journals (an insert that fires a trigger needs one) stay in
	// memory instead of going through a temporary file on every write.
	pragmas.Add("_pragma", "temp_store(MEMORY)")
	// Checkpoints run beside the writer (see checkpointLoop), not inside
	// whichever commit crosses the WAL size threshold: that commit would wait
	// for the database file to be written and synced.
	pragmas.Add("_pragma", "wal_autocheckpoint(0)")
	// The writer caches 1 MiB of pages, like each reader (see below).
	pragmas.Add("_pragma", "cache_size(-1024)")
	writeDSN := "file:" + path + "?" + pragmas.Encode() + "&_txlock=immediate"

	wdb, err := sql.Open(sqliteshim.ShimName, writeDSN)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	wdb.SetMaxOpenConns(1)
	wdb.SetMaxIdleConns(1)
	wdb.SetConnMaxLifetime(connLifetime)
	wdb.SetConnMaxIdleTime(0)
	if err := wdb.PingContext(ctx); err != nil {
		wdb.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}

	readPragmas := url.Values{}
	readPragmas.Add("_pragma", "busy_timeout(10000)")
	readPragmas.Add("_pragma", "foreign_keys(1)")
	readPragmas.Add("_pragma", "query_only(1)")
	// Each read connection caches at most 1 MiB of pages (SQLite's default
	// is 2 MiB): the operating system caches the file as well, and the
	// process's memory then stops growing with the database (SPEC §8, the
	// soak's 10 % bound) once the pool's caches are full.
	readPragmas.Add("_pragma", "cache_size(-1024)")
	rdb, err := sql.Open(sqliteshim.ShimName, "file:"+path+"?"+readPragmas.Encode())
	if err != nil {
		wdb.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0)*2)
	rdb.SetMaxOpenConns(n)
	rdb.SetMaxIdleConns(n)
	rdb.SetConnMaxLifetime(connLifetime)

	// The checkpointer copies WAL frames into the file and needs no page
	// cache of its own.
	cdb, err := sql.Open(sqliteshim.ShimName, "file:"+path+"?"+url.Values{"_pragma": {"busy_timeout(10000)", "cache_size(-64)"}}.Encode())
	if err != nil {
		wdb.Close()
		rdb.Close()
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	cdb.SetMaxOpenConns(1)
	cdb.SetConnMaxLifetime(connLifetime)
	s := &Store{
		DB:         bun.NewDB(wdb, sqlitedialect.New()),
		Read:       bun.NewDB(rdb, sqlitedialect.New()),
		checkpoint: cdb,
		stopCkpt:   make(chan struct{}),
		ckptDone:   make(chan struct{}),
		loc:        path,
	}
	go s.checkpointLoop()
	return s, nil
}

// Close closes both handles.
func (s *Store) Close() error {
	s.w.close()
	if s.pg {
		return errors.Join(s.Read.Close(), s.DB.Close(), s.lockDB.Close())
	}
	close(s.stopCkpt)
	<-s.ckptDone
	s.stmts.close()
	for _, st := range s.writes.m {
		st.Close()
	}
	return errors.Join(s.Read.Close(), s.DB.Close(), s.checkpoint.Close())
}

func (s *Store) migrator() (*migrate.Migrator, error) {
	// Each database has its own files, with the same names and numbers, so
	// that one table of applied migrations reads the same on both.
	files, dir := fs.FS(sqliteMigrations), "migrations/sqlite"
	if s.pg {
		files, dir = postgresMigrations, "migrations/postgres"
	}
	sub, err := fs.Sub(files, dir)
	if err != nil {
		return nil, err
	}
	ms := migrate.NewMigrations()
	if err := ms.Discover(sub); err != nil {
		return nil, err
	}
	// No migrator.Lock: the lock row it writes would outlive a process killed
	// mid-migration. On PostgreSQL Migrate holds an advisory lock instead.
	// On SQLite each migration runs in an immediate transaction, which
	// waits for another starter's; but every starter reads which migrations
	// are applied before it begins, so inside its transaction a migration
	// checks that it is still unapplied, and records itself there (bun
	// records it once more after the commit, an upsert).
	opts := []migrate.MigratorOption{migrate.WithMarkAppliedOnSuccess(true)}
	if !s.pg {
		opts = append(opts, migrate.WithUpsert(true),
			migrate.BeforeMigration(func(ctx context.Context, db bun.IConn, m *migrate.Migration) error {
				var n int
				if err := db.QueryRowContext(ctx, "SELECT count(*) FROM bun_migrations WHERE name = ?", m.Name).Scan(&n); err != nil {
					return err
				}
				if n > 0 {
					return errAppliedElsewhere
				}
				return nil
			}),
			migrate.AfterMigration(func(ctx context.Context, db bun.IConn, m *migrate.Migration) error {
				_, err := db.ExecContext(ctx, "INSERT INTO bun_migrations (name, group_id, migrated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING",
					m.Name, m.GroupID, time.Now().UTC())
				return err
			}))
	}
	return migrate.NewMigrator(s.DB, ms, opts...), nil
}

// errAppliedElsewhere: another process applied the migration after this one
// read which were applied; Migrate reads them again.
var errAppliedElsewhere = errors.New("the migration was applied by another process meanwhile")

// Migrate applies every pending migration and returns how many it applied.
func (s *Store) Migrate(ctx context.Context) (int, error) {
	m, err := s.migrator()
	if err != nil {
		return 0, err
	}
	applied := 0
	run := func() error {
		if err := m.Init(ctx); err != nil {
			return fmt.Errorf("init migrations: %w", err)
		}
		group, err := m.Migrate(ctx)
		applied = 0
		if group != nil {
			applied = len(group.Migrations) // up to the one that failed
		}
		if err != nil {
			applied = max(0, applied-1)
			return fmt.Errorf("migrate: %w", err)
		}
		return nil
	}
	if s.pg {
		return applied, s.withMigrationLock(ctx, run)
	}
	total := 0
	for range 100 {
		err = run()
		total += applied
		if !errors.Is(err, errAppliedElsewhere) {
			break
		}
	}
	return total, err
}

// Pending reports the migrations embedded in this binary that the database
// has not applied yet. /readyz uses it.
func (s *Store) Pending(ctx context.Context) ([]string, error) {
	m, err := s.migrator()
	if err != nil {
		return nil, err
	}
	all, err := m.MigrationsWithStatus(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, mg := range all.Unapplied() {
		names = append(names, mg.Name)
	}
	return names, nil
}
