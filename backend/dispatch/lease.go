package dispatch

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/store"
)

// Work is shared out by webhook: a dispatcher sends a webhook's deliveries
// only while it holds the webhook's lease (a row of dispatch_leases, renewed
// well before it ends). So no attempt is made twice by two dispatchers
// sharing the database, and a webhook's bound on attempts in flight holds
// across them; a crashed dispatcher's leases expire and others take its
// webhooks over. The deliveries themselves need no claim: the holder reads
// the due ones and sends them, and each stays pending until its attempt is
// recorded, so nothing is lost at any point.
const (
	enabledWebhooksSQL = `SELECT id, ordered FROM webhooks WHERE enabled`
	// acquireSQL takes or renews a lease: it changes a row only when the
	// lease is free, expired or already this dispatcher's.
	acquireSQL = `INSERT INTO dispatch_leases (webhook_id, owner, until) SELECT id, ?2, ?3 FROM webhooks WHERE id = ?1
		ON CONFLICT (webhook_id) DO UPDATE SET owner = excluded.owner, until = excluded.until
		WHERE dispatch_leases.owner = excluded.owner OR dispatch_leases.until < ?4`
	// pgAcquireSQL is acquireSQL for PostgreSQL, which wants the types of
	// the arguments an INSERT ... SELECT selects spelled out.
	pgAcquireSQL = `INSERT INTO dispatch_leases (webhook_id, owner, until) SELECT id, CAST(?2 AS TEXT), CAST(?3 AS TIMESTAMPTZ) FROM webhooks WHERE id = ?1
		ON CONFLICT (webhook_id) DO UPDATE SET owner = excluded.owner, until = excluded.until
		WHERE dispatch_leases.owner = excluded.owner OR dispatch_leases.until < ?4`
	// dueSQL reads a webhook's oldest due deliveries but those it holds
	// already (queued or in flight: ?3, their ids, see dueSQLFor), which
	// would otherwise come back on every read until their outcomes are
	// recorded. The LIMIT is a constant: SQLite re-prepares a statement
	// with a bound LIMIT on every run.
	dueSQL = `SELECT id, webhook_id, coalesce(event_id, 0), event_name, attempts, test FROM deliveries
		WHERE webhook_id = ?1 AND status = 'pending' AND next_attempt_at <= ?2 AND NOT test
		AND id NOT IN (HELD)
		ORDER BY next_attempt_at, id LIMIT 256`
	// orderedDueSQL is dueSQL for an ordered webhook: it leaves out a
	// delivery while an earlier one of the same resource is pending (due,
	// waiting for its retry, or in flight here), so that each resource's
	// deliveries go one at a time in event order, and a failing one holds
	// back only its own resource's later ones. The order is decided in the
	// database, which makes it hold across retries, restarts and a
	// change of the webhook's holder. Event ids follow the commit order of
	// one resource's changes on both databases: a change writes its event
	// after taking the resource's row (PostgreSQL's sequence values commit
	// out of order only between transactions that do not touch the same
	// row). deliveries_resource answers the NOT EXISTS with one seek.
	orderedDueSQL = `SELECT d.id, d.webhook_id, coalesce(d.event_id, 0), d.event_name, d.attempts, d.test FROM deliveries d
		WHERE d.webhook_id = ?1 AND d.status = 'pending' AND d.next_attempt_at <= ?2 AND NOT d.test
		AND (d.resource_id IS NULL OR NOT EXISTS (SELECT 1 FROM deliveries p
			WHERE p.webhook_id = ?1 AND p.resource_key = d.resource_key AND p.resource_id = d.resource_id
			AND p.status = 'pending' AND p.resource_id IS NOT NULL AND p.event_id < d.event_id))
		AND d.id NOT IN (HELD)
		ORDER BY d.next_attempt_at, d.id LIMIT 256`
)

// dueRow is a delivery to send: its row, without the body.
type dueRow struct {
	ID        int64
	WebhookID int64
	EventID   int64 // 0 for a test delivery
	EventName string
	Attempts  int
	Test      bool
}

// lane is a webhook this dispatcher holds: at most PerWebhook attempts in
// flight, up to Ahead more deliveries queued behind them, so that the next
// attempt starts as soon as one ends, without waiting for the database.
type lane struct {
	until    time.Time // the lease
	queue    []job
	inflight int
	held     map[int64]bool // deliveries queued, in flight or being recorded
	health   health
	// ordered: the webhook delivers each resource's events one at a time,
	// in order (see orderedDueSQL).
	ordered bool
	// While slowed, the next attempt may start at nextStart; paced is set
	// while a timer waits for it.
	nextStart time.Time
	paced     bool
}

// slowed reports whether the lane's webhook has failed every attempt for
// SlowAfter. Its deliveries then go one at a time, one per SlowInterval:
// failures keep costing a write each, and retries multiply them, so a
// failing endpoint at full speed would take the single writer from the API
// and from healthy webhooks (SPEC §6.7). The first success ends it, and the
// backlog then drains at full speed; nothing is dropped meanwhile.
func (d *Dispatcher) slowed(l *lane) bool {
	since := l.health.failingSince()
	return d.cfg.SlowAfter > 0 && !since.IsZero() && d.now().Sub(since) >= d.cfg.SlowAfter
}

func ownerName() string {
	host, _ := os.Hostname()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return host + "/" + strconv.Itoa(os.Getpid()) + "/" + hex.EncodeToString(b)
}

// DispatchDue takes or renews the leases of the enabled webhooks, reads the
// due deliveries of those it holds, each up to its room, and starts them as
// the webhook's concurrency allows. It returns how many it queued.
func (d *Dispatcher) DispatchDue(ctx context.Context) (int, error) {
	now := d.now().UTC()
	enabled, ordered, err := d.enabledWebhooks(ctx)
	if err != nil {
		return 0, err
	}
	if err := d.lease(ctx, enabled, now); err != nil {
		return 0, err
	}
	d.mu.Lock()
	for id, l := range d.lanes {
		if ordered[id] && !l.ordered {
			// Deliveries queued before the switch were read without regard
			// to order: read them again the ordered way.
			d.dropQueue(l)
		}
		l.ordered = ordered[id]
	}
	d.mu.Unlock()

	// Read each held webhook's due deliveries, leaving out those it holds
	// already. The held sets are copied before reading: a delivery that
	// leaves its set has had its outcome committed, which a read started
	// after the copy sees.
	type want struct {
		id      int64
		room    int
		held    idSet
		ordered bool
	}
	var wants []want
	d.mu.Lock()
	for id, l := range d.lanes {
		// A lane is read when it can take a good number more, or has
		// nothing queued: reading costs the same for one delivery or many.
		room := d.cfg.PerWebhook + d.cfg.Ahead - len(l.held)
		if room > 0 && (room >= d.cfg.PerWebhook || len(l.queue) == 0) && now.Before(l.until) && !d.closing {
			held := make(idSet, len(l.held))
			for k := range l.held {
				held.add(k)
			}
			wants = append(wants, want{id, room, held, l.ordered})
		}
	}
	d.mu.Unlock()
	var due []dueRow
	at := store.Timestamp(now)
	for _, w := range wants {
		query := d.sql.due
		if w.ordered {
			query = d.sql.orderedDue
		}
		r, err := d.st.ReadQuery(ctx, query, w.id, at, w.held.json())
		if err != nil {
			return 0, err
		}
		n := 0
		for n < w.room && r.Next() {
			var c dueRow
			if err := r.Scan(&c.ID, &c.WebhookID, &c.EventID, &c.EventName, &c.Attempts, &c.Test); err != nil {
				r.Close()
				return 0, err
			}
			if _, ok := w.held[c.ID]; !ok {
				due = append(due, c)
				n++
			}
		}
		if err := r.Close(); err != nil {
			return 0, err
		}
	}
	if len(due) == 0 {
		return 0, nil
	}
	jobs, err := d.load(ctx, due)
	if err != nil {
		return 0, err
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	queued := 0
	for _, j := range jobs {
		l := d.lanes[j.WebhookID]
		if l == nil || d.closing {
			continue // lost meanwhile
		}
		j.lane = l
		l.queue = append(l.queue, j)
		l.held[j.ID] = true
		d.wg.Add(1)
		queued++
	}
	for id := range d.lanes {
		d.pump(id)
	}
	return queued, nil
}

// enabledWebhooks lists the enabled webhooks, and which of them are ordered.
func (d *Dispatcher) enabledWebhooks(ctx context.Context) ([]int64, map[int64]bool, error) {
	rows, err := d.st.ReadQuery(ctx, enabledWebhooksSQL)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var ids []int64
	ordered := map[int64]bool{}
	for rows.Next() {
		var id int64
		var o bool
		if err := rows.Scan(&id, &o); err != nil {
			return nil, nil, err
		}
		ids = append(ids, id)
		if o {
			ordered[id] = true
		}
	}
	return ids, ordered, rows.Err()
}

// lease takes the enabled webhooks this dispatcher does not hold, and renews
// the leases past half their time, in one transaction; it lets go of the
// lanes of webhooks lost to another dispatcher or no longer enabled (their
// queued deliveries stay pending for whoever holds them next).
func (d *Dispatcher) lease(ctx context.Context, enabled []int64, now time.Time) error {
	isEnabled := make(map[int64]bool, len(enabled))
	var need []int64
	d.mu.Lock()
	for _, id := range enabled {
		isEnabled[id] = true
		if until, ok := d.elsewhere[id]; ok && now.Before(until) {
			continue // another live dispatcher holds it: ask again when its lease ends
		}
		if l := d.lanes[id]; l == nil || l.until.Sub(now) < d.cfg.Lease/2 {
			need = append(need, id)
		}
	}
	for id, l := range d.lanes {
		if !isEnabled[id] {
			d.dropLane(id, l)
		}
	}
	closing := d.closing
	d.mu.Unlock()
	if len(need) == 0 || closing {
		return nil
	}
	until := now.Add(d.cfg.Lease)
	got := map[int64]bool{}
	err := d.st.Write(ctx, func(ctx context.Context, tx bun.Tx) error {
		clear(got)
		for _, id := range need {
			res, err := d.st.TxExec(ctx, tx, d.sql.acquire, id, d.owner, store.Timestamp(until), store.Timestamp(now))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				got[id] = true
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(got) < len(need) {
		if err := d.takeFromTheDead(ctx, need, got, until); err != nil {
			return err
		}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, id := range need {
		if got[id] {
			delete(d.elsewhere, id)
		}
		l := d.lanes[id]
		switch {
		case got[id] && l == nil:
			d.lanes[id] = &lane{until: until, held: map[int64]bool{}}
		case got[id]:
			l.until = until
		case l != nil:
			d.dropLane(id, l)
		}
	}
	return nil
}

// takeFromTheDead looks at the leases of need that were not got. Those held
// by processes of this host that no longer run (killed, crashed) it takes
// over, so that a restart resumes delivery at once instead of when the
// leases expire. The others it does not ask for again before their leases
// end, nor for a quarter of a lease: trying every round would be a write
// per round for nothing.
func (d *Dispatcher) takeFromTheDead(ctx context.Context, need []int64, got map[int64]bool, until time.Time) error {
	ids := newIDSet()
	for _, id := range need {
		if !got[id] {
			ids.add(id)
		}
	}
	rows, err := d.st.ReadQuery(ctx, `SELECT webhook_id, owner, until FROM dispatch_leases WHERE webhook_id IN (`+d.st.JSONIDs()+`)`, ids.json())
	if err != nil {
		return err
	}
	dead := map[int64]string{}
	live := map[int64]time.Time{}
	host, _, _ := strings.Cut(d.owner, "/")
	for rows.Next() {
		var id int64
		var owner string
		var ends time.Time
		if err := rows.Scan(&id, &owner, &ends); err != nil {
			rows.Close()
			return err
		}
		if parts := strings.Split(owner, "/"); len(parts) == 3 && parts[0] == host {
			if pid, err := strconv.Atoi(parts[1]); err == nil && pid != os.Getpid() && processGone(pid) {
				dead[id] = owner
				continue
			}
		}
		// Asked again when the lease ends, or sooner should its holder
		// hand it back meanwhile.
		if soon := d.now().Add(d.cfg.Lease / 4); soon.Before(ends) {
			ends = soon
		}
		live[id] = ends
	}
	if err := rows.Close(); err != nil {
		return err
	}
	d.mu.Lock()
	for id, t := range live {
		d.elsewhere[id] = t
	}
	d.mu.Unlock()
	if len(dead) == 0 {
		return nil
	}
	return d.st.Write(ctx, func(ctx context.Context, tx bun.Tx) error {
		for id, owner := range dead {
			res, err := tx.ExecContext(ctx, `UPDATE dispatch_leases SET owner = ?, until = ? WHERE webhook_id = ? AND owner = ?`,
				d.owner, store.Timestamp(until), id, owner)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				got[id] = true
			}
		}
		return nil
	})
}

// dropQueue forgets a lane's queued deliveries (they stay pending, and are
// read again). d.mu is held.
func (d *Dispatcher) dropQueue(l *lane) {
	for _, j := range l.queue {
		delete(l.held, j.ID)
		d.wg.Done()
	}
	l.queue = nil
}

// dropLane forgets a lane's queued deliveries; its attempts in flight end
// and are recorded. d.mu is held.
func (d *Dispatcher) dropLane(id int64, l *lane) {
	d.dropQueue(l)
	l.until = time.Time{}
	if len(l.held) == 0 {
		delete(d.lanes, id)
	}
}

// pump starts the webhook's queued deliveries while it has room in flight
// and its lease holds. d.mu is held.
func (d *Dispatcher) pump(webhookID int64) {
	l := d.lanes[webhookID]
	if l == nil || d.closing || !d.now().Before(l.until) {
		return
	}
	limit := d.cfg.PerWebhook
	slow := d.slowed(l)
	if slow {
		limit = 1
		// Pacing is a rate, not a schedule: it runs on the real clock.
		if wait := time.Until(l.nextStart); wait > 0 {
			if !l.paced && len(l.queue) > 0 {
				l.paced = true
				time.AfterFunc(wait, func() {
					d.mu.Lock()
					l.paced = false
					d.pump(webhookID)
					d.mu.Unlock()
				})
			}
			return
		}
	}
	for l.inflight < limit && len(l.queue) > 0 {
		if slow {
			l.nextStart = time.Now().Add(d.cfg.SlowInterval)
		}
		j := l.queue[0]
		l.queue = l.queue[1:]
		l.inflight++
		go func() {
			defer d.wg.Done()
			_, err := d.attempt(d.stopCtx, j, func() {
				d.mu.Lock()
				l.inflight--
				d.pump(webhookID)
				d.mu.Unlock()
			})
			if err != nil {
				d.log.Error("delivery failed to run", "delivery_id", j.ID, "webhook_id", j.WebhookID, "error", err)
			}
			d.mu.Lock()
			delete(l.held, j.ID)
			if len(l.held) == 0 && l.until.IsZero() && d.lanes[webhookID] == l {
				delete(d.lanes, webhookID)
			}
			d.mu.Unlock()
			d.Wake() // read the webhook's next deliveries
		}()
	}
}

// drop forgets every queued delivery when shutting down; the attempts in
// flight go on.
func (d *Dispatcher) drop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closing = true
	for id, l := range d.lanes {
		d.dropLane(id, l)
	}
}

// releaseLeases hands this dispatcher's webhooks back, so that another one
// takes them over at once instead of when the leases expire.
func (d *Dispatcher) releaseLeases() {
	err := d.st.Write(context.Background(), func(ctx context.Context, tx bun.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM dispatch_leases WHERE owner = ?`, d.owner)
		return err
	})
	if err != nil {
		d.log.Error("releasing the webhook leases failed", "error", err)
	}
}

// disabled forgets a webhook's queued deliveries once it has been disabled.
func (d *Dispatcher) disabled(webhookID int64) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if l := d.lanes[webhookID]; l != nil {
		d.dropLane(webhookID, l)
	}
}
