package dispatch

import (
	"context"
	"net/http"
	"strings"
	"sync"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/store"
)

// The common outcome, a delivery to a healthy webhook that succeeded,
// changes nothing but its own rows: the attempt logged and the delivery
// marked succeeded. Those outcomes are written together: while one batch
// is in the single writer, the next gathers, and each batch is one
// multi-row INSERT and one UPDATE instead of two statements per attempt.
// Under load that halves what logging an attempt costs the writer, which
// every write of the process shares. Every other outcome (a failure, a
// retry, a test, a webhook whose health must move) is written alone by
// record, as before.

// recordBatch bounds the attempts of one batch.
const recordBatch = 256

// success is one successful attempt waiting for its batch.
type success struct {
	a    *Attempt
	done chan error
}

// recorder gathers successes while a batch is being written.
type recorder struct {
	mu      sync.Mutex
	pending []*success
	writing bool
}

// recordSuccess logs a and marks its delivery succeeded, in a batch with
// the successes recorded meanwhile, and returns once that batch has been
// committed (or has failed).
func (d *Dispatcher) recordSuccess(ctx context.Context, a *Attempt) error {
	s := &success{a: a, done: make(chan error, 1)}
	r := &d.recorder
	r.mu.Lock()
	r.pending = append(r.pending, s)
	if r.writing {
		r.mu.Unlock()
		return <-s.done
	}
	// No batch is being written: this caller writes them until none is
	// left, its own first.
	r.writing = true
	for len(r.pending) > 0 {
		batch := r.pending[:min(len(r.pending), recordBatch)]
		r.pending = r.pending[len(batch):]
		r.mu.Unlock()
		d.writeSuccesses(ctx, batch)
		r.mu.Lock()
	}
	r.writing = false
	r.mu.Unlock()
	return <-s.done
}

// writeSuccesses writes batch in one transaction and tells each of its
// callers the outcome. Should the batch fail (a webhook deleted meanwhile
// takes its deliveries with it), each attempt is written alone, so that
// one attempt's failure is its own.
func (d *Dispatcher) writeSuccesses(ctx context.Context, batch []*success) {
	byDelivery := make(map[int64]*Attempt, len(batch))
	for _, s := range batch {
		byDelivery[s.a.DeliveryID] = s.a
	}
	var err error
	if len(byDelivery) == len(batch) { // a delivery is never in flight twice; should it be, no batch
		err = d.st.Write(ctx, func(ctx context.Context, tx bun.Tx) error { return d.insertSuccesses(ctx, tx, batch, byDelivery) })
	}
	if err == nil && len(byDelivery) == len(batch) {
		for _, s := range batch {
			s.done <- nil
		}
		return
	}
	for _, s := range batch {
		_, err := d.recordAlone(ctx, s.a, "succeeded", true, "", nil)
		s.done <- err
	}
}

// The batch's attempts are inserted rowsPerInsert at a time: a multi-row
// INSERT saves the per-statement cost, but the SQLite driver matches each
// bound parameter against every argument (its time grows with the square of
// their number), so a statement of a few rows is cheapest. Each size is a
// statement of its own, prepared once. The deliveries are updated by one
// statement whose ids travel as one JSON array.
const rowsPerInsert = 8

// insertAttemptsSQL is the INSERT of n attempts, returning their ids.
func insertAttemptsSQL(n int) string {
	return strings.TrimSuffix(insertAttemptSQL, "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)") +
		strings.TrimSuffix(strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?), ", n), ", ") + " RETURNING id, delivery_id"
}

// finishSuccessesSQL marks the deliveries of a JSON array of ids succeeded.
func finishSuccessesSQL(ids string) string {
	return `UPDATE deliveries SET status = 'succeeded', attempts = attempts + 1, updated_at = ?1
		WHERE id IN (` + strings.Replace(ids, "?", "?2", 1) + `)`
}

// recorderStatements are the statements writeSuccesses prepares.
func recorderStatements(ids string) []string {
	out := []string{finishSuccessesSQL(ids)}
	for n := 1; n <= rowsPerInsert; n++ {
		out = append(out, insertAttemptsSQL(n))
	}
	return out
}

// insertSuccesses runs the batch's statements in tx and sets each attempt's
// id.
func (d *Dispatcher) insertSuccesses(ctx context.Context, tx bun.Tx, batch []*success, byDelivery map[int64]*Attempt) error {
	ids := newIDSet()
	for start := 0; start < len(batch); start += rowsPerInsert {
		chunk := batch[start:min(start+rowsPerInsert, len(batch))]
		args := make([]any, 0, 15*len(chunk))
		for _, s := range chunk {
			args = append(args, attemptArgs(s.a, "")...)
			ids.add(s.a.DeliveryID)
		}
		res, err := d.st.TxQuery(ctx, tx, insertAttemptsSQL(len(chunk)), args...)
		if err != nil {
			return err
		}
		for res.Next() {
			var id, delivery int64
			if err := res.Scan(&id, &delivery); err != nil {
				res.Close()
				return err
			}
			if a := byDelivery[delivery]; a != nil {
				a.ID = id
			}
		}
		if err := res.Close(); err != nil {
			return err
		}
	}
	_, err := d.st.TxExec(ctx, tx, d.sql.finishSuccesses, store.Timestamp(d.now()), ids.json())
	return err
}

// attemptArgs are insertAttemptSQL's arguments for a, with body as its
// request body ("" for an event delivery: Attempts rebuilds it).
func attemptArgs(a *Attempt, body string) []any {
	reqHeaders, _ := hal.Marshal(a.RequestHeaders)
	resHeaders, _ := hal.Marshal(a.ResponseHeaders)
	var next any
	if a.NextRetryAt != nil {
		next = store.Timestamp(*a.NextRetryAt)
	}
	return []any{a.DeliveryID, a.WebhookID, a.Attempt, a.EventName, a.URL, string(reqHeaders), body, a.ResponseCode,
		string(resHeaders), a.ResponseBody, a.Error, a.DurationMS, next, a.Test, store.Timestamp(a.CreatedAt)}
}

// batchable reports whether an attempt's outcome may be written in a batch:
// a success of an event delivery to a webhook known to be healthy, which
// moves nothing but its own rows.
func batchable(a *Attempt, ok bool, msg *message, h *health) bool {
	return ok && !a.Test && msg.fromEvent && h != nil && a.ResponseCode != http.StatusGone && h.healthy()
}
