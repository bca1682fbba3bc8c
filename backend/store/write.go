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
// Writes that arrive while one is running are committed together: each runs
// in its own savepoint, so one that fails is rolled back alone, and the
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
// writes; it must not call Write itself.
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
	return <-job.done
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

func (s *Store) runBatch(batch []writeJob) {
	results := make([]error, len(batch))
	tx, err := s.DB.BeginTx(context.Background(), nil)
	if err != nil {
		for _, j := range batch {
			j.done <- err
		}
		return
	}
	for i, j := range batch {
		if err := j.ctx.Err(); err != nil {
			results[i] = err
			continue
		}
		if len(batch) == 1 {
			results[i] = j.fn(j.ctx, tx)
			if results[i] != nil {
				_ = tx.Rollback()
				j.done <- results[i]
				return
			}
			continue
		}
		results[i] = tx.RunInTx(j.ctx, nil, j.fn)
	}
	if err := tx.Commit(); err != nil {
		for i, j := range batch {
			if results[i] == nil {
				results[i] = err
			}
			j.done <- results[i]
		}
		return
	}
	for i, j := range batch {
		j.done <- results[i]
	}
}

func (w *writer) close() {
	w.once.Do(func() {}) // a store that never wrote has no loop to stop
	if w.quit != nil {
		close(w.quit)
		w.wg.Wait()
	}
}
