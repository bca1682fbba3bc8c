package store

import (
	"context"
	"errors"
	"sync"

	"github.com/uptrace/bun"
)

// maxBatch bounds how many writes share one transaction.
const maxBatch = 64

type writeJob struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx bun.Tx) error
	done chan error
}

// writer runs every write of the process on the single writer connection.
// Writes that arrive while one is running are committed together, so a
// batch pays for one commit instead of one per write (group commit).
type writer struct {
	once sync.Once
	jobs chan writeJob
	quit chan struct{}
	wg   sync.WaitGroup
}

// ErrClosed is returned by Write after Close.
var ErrClosed = errors.New("the database is closed")

// Write runs fn in a write transaction and returns once it is committed (or
// rolled back, with fn's error). fn may share its transaction with other
// writes, and may run twice (the second time alone, after the shared
// transaction was rolled back), on PostgreSQL a few times more (see
// retryAlone): it must only write through tx, and must not call Write
// itself. On PostgreSQL a constraint violation comes back as the domain
// error ConstraintError makes of it.
func (s *Store) Write(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	s.w.once.Do(func() {
		s.w.jobs = make(chan writeJob, maxBatch)
		s.w.quit = make(chan struct{})
		s.w.wg.Add(1)
		go s.writeLoop()
	})
	job := writeJob{ctx: ctx, fn: fn, done: make(chan error, 1)}
	select {
	case s.w.jobs <- job:
	case <-s.w.quit:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	// Once queued, the job runs to its end: its caller waits for the outcome
	// even if its context ends, so that "committed" is never misreported.
	err := <-job.done
	if s.pg {
		err = ConstraintError(err)
	}
	return err
}

// commitHooks are the functions a write registered with AfterCommit.
type commitHooks struct{ fns []func() }

type commitHooksKey struct{}

// AfterCommit registers f to run once the transaction that the write owning
// ctx (the context Write handed to fn) runs in has committed: on the writer,
// in commit order, before Write returns to that write's caller. It is dropped
// when the transaction rolls back (fn runs again then, and registers again).
// In-memory state that mirrors rows (the tracker's page index) is kept with
// it: commit order makes concurrent changes of one row land in the order the
// database took them. f must be quick and must not write. Called with any
// other context, f is not run.
func AfterCommit(ctx context.Context, f func()) {
	if h, ok := ctx.Value(commitHooksKey{}).(*commitHooks); ok {
		h.fns = append(h.fns, f)
	}
}

// run runs fn in tx with a context collecting its commit hooks.
func (j writeJob) run(tx bun.Tx, hooks *commitHooks) error {
	hooks.fns = hooks.fns[:0]
	return j.fn(context.WithValue(j.ctx, commitHooksKey{}, hooks), tx)
}

func runHooks(hooks []commitHooks) {
	for _, h := range hooks {
		for _, f := range h.fns {
			f()
		}
	}
}

func (s *Store) writeLoop() {
	defer s.w.wg.Done()
	for {
		var batch []writeJob
		select {
		case job := <-s.w.jobs:
			batch = append(batch, job)
		case <-s.w.quit:
			return
		}
	drain:
		for len(batch) < maxBatch {
			select {
			case job := <-s.w.jobs:
				batch = append(batch, job)
			default:
				break drain
			}
		}
		s.runBatch(batch)
	}
}

// runBatch commits the batch in one transaction. Should any write fail, the
// transaction is rolled back and every write of the batch runs again in a
// transaction of its own, so that each one's outcome is its own. Failures are
// rare on the hot paths (validation runs before Write), so the common case
// pays for neither savepoints nor retries.
func (s *Store) runBatch(batch []writeJob) {
	if len(batch) > 1 {
		if err := s.runTogether(batch); err == nil {
			for _, j := range batch {
				j.done <- nil
			}
			return
		}
	}
	for _, j := range batch {
		j.done <- s.runAlone(j)
	}
}

func (s *Store) runTogether(batch []writeJob) error {
	tx, err := s.DB.BeginTx(context.Background(), nil)
	if err != nil {
		return err
	}
	hooks := make([]commitHooks, len(batch))
	for i, j := range batch {
		err := j.ctx.Err()
		if err == nil {
			err = j.run(tx, &hooks[i])
		}
		if err != nil {
			_ = tx.Rollback()
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	runHooks(hooks)
	return nil
}

// maxAloneRuns bounds how often a write runs alone on PostgreSQL when it
// keeps failing for a reason that running it again may cure (retryAlone).
const maxAloneRuns = 4

func (s *Store) runAlone(j writeJob) error {
	err := s.runAloneOnce(j)
	for n := 1; s.pg && n < maxAloneRuns && retryAlone(err); n++ {
		err = s.runAloneOnce(j)
	}
	return err
}

func (s *Store) runAloneOnce(j writeJob) error {
	if err := j.ctx.Err(); err != nil {
		return err
	}
	tx, err := s.DB.BeginTx(context.Background(), nil)
	if err != nil {
		return err
	}
	hooks := []commitHooks{{}}
	if err := j.run(tx, &hooks[0]); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	runHooks(hooks)
	return nil
}

func (w *writer) close() {
	w.once.Do(func() {}) // a store that never wrote has no loop to stop
	if w.quit != nil {
		close(w.quit)
		w.wg.Wait()
	}
}
