package dispatch

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/store"
)

// A webhook whose deliveries have all failed for DisableAfter is disabled
// (SPEC §6.5). The state this needs is one column, webhooks.failing_since
// (the first failure since the last success), and the holder of the
// webhook's lease keeps a copy of it in memory: recording an attempt then
// writes the column only when the webhook starts failing or recovers, and
// checks the 24 hours without reading anything. Nothing here reads the
// delivery log, whose size grows with the failures: it runs inside the
// single writer's transaction, which every API write shares.
const (
	// failingSQL marks the start of a failure run, keeping an earlier start
	// (another holder's, before this one took the webhook over).
	failingSQL = `UPDATE webhooks SET failing_since = coalesce(failing_since, ?2) WHERE id = ?1 RETURNING failing_since`
	// recoveredSQL ends a failure run.
	recoveredSQL = `UPDATE webhooks SET failing_since = NULL WHERE id = ?1 AND failing_since IS NOT NULL`
	// autoDisableSQL disables the webhook if it is still enabled and failing
	// since the cutoff: re-enabling it clears failing_since, so an attempt
	// that was in flight meanwhile does not disable it again.
	autoDisableSQL = `UPDATE webhooks SET enabled = FALSE, disabled_reason = ?3, updated_at = ?4
		WHERE id = ?1 AND enabled AND failing_since <= ?2`
)

// health is what the holder of a webhook's lease knows of its failures.
// It changes only inside the writer's transactions, in their commit order,
// so it follows the column.
type health struct {
	mu    sync.Mutex
	known bool      // since is the column's value (false: not read yet)
	since time.Time // zero: not failing

	// Failed attempts are logged at warning level at most once a minute per
	// webhook: a failing endpoint must not cost more than a healthy one.
	warned     time.Time
	suppressed int
}

type healthStep int

const (
	stepNone      healthStep = iota
	stepRecovered            // write failing_since = NULL
	stepFailing              // write failing_since, then check its age
	stepDisable              // failing for DisableAfter: disable
)

// decide is the step an attempt's outcome takes, from memory alone.
func (h *health) decide(ok bool, at time.Time, disableAfter time.Duration) (healthStep, time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case ok && h.known && h.since.IsZero():
		return stepNone, time.Time{}
	case ok:
		h.known, h.since = true, time.Time{}
		return stepRecovered, time.Time{}
	case h.known && !h.since.IsZero():
		if at.Sub(h.since) >= disableAfter {
			return stepDisable, h.since
		}
		return stepNone, h.since
	default:
		// Not known, or succeeding: the column says since when (its value
		// is kept if it has one).
		h.known, h.since = true, at
		return stepFailing, at
	}
}

// failingSince is when the current failure run began (zero: not failing, or
// not known yet).
func (h *health) failingSince() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.known {
		return time.Time{}
	}
	return h.since
}

func (h *health) set(known bool, since time.Time) {
	h.mu.Lock()
	h.known, h.since = known, since
	h.mu.Unlock()
}

// warn reports whether a failed attempt is logged at warning level, and how
// many failures were logged at debug level since the last warning.
func (h *health) warn(now time.Time) (bool, int) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if now.Sub(h.warned) < time.Minute {
		h.suppressed++
		return false, 0
	}
	n := h.suppressed
	h.warned, h.suppressed = now, 0
	return true, n
}

// healthWrite returns the part of an attempt's write that moves its
// webhook's health, and reports through disabled whether it disabled the
// webhook. The step is decided on the first run only: Write may run its
// function again (alone, after its shared transaction was rolled back), and
// the writes must then be the same, in the same order.
func (d *Dispatcher) healthWrite(h *health, webhookID int64, ok bool, at time.Time, disabled *bool) func(ctx context.Context, tx bun.Tx) error {
	decided := false
	var step healthStep
	var since time.Time
	return func(ctx context.Context, tx bun.Tx) error {
		if !decided {
			decided = true
			step, since = h.decide(ok, at, d.cfg.DisableAfter)
		}
		*disabled = false
		switch step {
		case stepRecovered:
			_, err := d.st.TxExec(ctx, tx, recoveredSQL, webhookID)
			return err
		case stepFailing:
			rows, err := d.st.TxQuery(ctx, tx, failingSQL, webhookID, store.Timestamp(since))
			if err != nil {
				return err
			}
			var v any
			found := rows.Next()
			if found {
				err = rows.Scan(&v)
			}
			if cerr := rows.Close(); err == nil {
				err = cerr
			}
			if err != nil || !found {
				return err // !found: the webhook has gone
			}
			t, perr := parseTime(v)
			if perr != nil {
				return perr
			}
			h.set(true, t)
			if at.Sub(t) < d.cfg.DisableAfter {
				return nil
			}
			since = t
		case stepNone:
			return nil
		}
		// stepDisable, or a failure run found older than the limit.
		reason := fmt.Sprintf("Every delivery since %s has failed, for more than %s: disabled automatically. Fix the endpoint and enable the webhook to resume.",
			since.UTC().Format(time.RFC3339), d.cfg.DisableAfter)
		res, err := d.st.TxExec(ctx, tx, autoDisableSQL, webhookID, store.Timestamp(at.Add(-d.cfg.DisableAfter)), reason, store.Timestamp(d.now()))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 1 {
			*disabled = true
		} else {
			// Re-enabled (or disabled) meanwhile: read the column again at
			// the next failure.
			h.set(false, time.Time{})
		}
		return nil
	}
}

// parseTime reads a timestamp column as the driver returns it.
func parseTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		return t, nil
	case string:
		return parseTimeText(t)
	case []byte:
		return parseTimeText(string(t))
	}
	return time.Time{}, fmt.Errorf("failing_since: unexpected %T", v)
}

func parseTimeText(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano, "2006-01-02 15:04:05.999999999", "2006-01-02T15:04:05.999999999"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("failing_since: cannot read %q", s)
}
