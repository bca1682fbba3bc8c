package dispatch

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/live"
)

// Several processes may share the database (SPEC §2): these are how the
// change watcher (backend/settings) tells this dispatcher what the others
// did.

// Refresh drops the deliveries queued for the webhooks this dispatcher
// holds (every one when ids is empty) and forgets what it knows of their
// health: a webhook changed elsewhere (its address, its secret, re-enabled
// after its failures) must not be sent to as it was. Attempts in flight end
// as they are; the leases stay, and the next round, which this starts,
// reads the due deliveries again with the webhooks as they are now.
func (d *Dispatcher) Refresh(ids ...int64) {
	d.mu.Lock()
	refresh := func(l *lane) {
		d.dropQueue(l)
		l.health.set(false, time.Time{})
	}
	if len(ids) == 0 {
		for _, l := range d.lanes {
			refresh(l)
		}
	}
	for _, id := range ids {
		if l := d.lanes[id]; l != nil {
			refresh(l)
		}
	}
	d.mu.Unlock()
	d.Wake()
}

// maxAnnounced bounds the attempts AnnounceRecorded publishes one by one,
// no more than a hub remembers (to send each once); beyond it the
// subscribers are told to read the log again instead. announcePage is how
// many it reads at a time.
const (
	maxAnnounced = 8192
	announcePage = 1000
)

// announcedAttempt is the part of an attempt that its delivery event shows.
type announcedAttempt struct {
	bun.BaseModel `bun:"table:delivery_attempts,alias:attempt"`

	ID           int64      `bun:"id"`
	DeliveryID   int64      `bun:"delivery_id"`
	WebhookID    int64      `bun:"webhook_id"`
	MessageID    string     `bun:"message_id"`
	Attempt      int        `bun:"attempt"`
	EventName    string     `bun:"event_name"`
	ResponseCode int        `bun:"response_code"`
	Error        string     `bun:"error"`
	DurationMS   float64    `bun:"duration_ms"`
	NextRetryAt  *time.Time `bun:"next_retry_at"`
	Test         bool       `bun:"test"`
	CreatedAt    time.Time  `bun:"created_at"`
}

// AnnounceRecorded publishes to the live stream the delivery attempts
// recorded by any process: those with the given ids, or without ids those
// in (after, upto]. The hub sends those this dispatcher announced itself
// only once. It reads nothing while nobody watches.
func (d *Dispatcher) AnnounceRecorded(ctx context.Context, after, upto int64, ids []int64) error {
	hub := d.cfg.Live
	if !hub.Listening() || (ids == nil && upto <= after) {
		return nil
	}
	if len(ids) > maxAnnounced || ids == nil && upto-after > maxAnnounced {
		hub.Resync()
		return nil
	}
	for len(ids) > 0 || ids == nil && after < upto {
		var rows []announcedAttempt
		q := d.st.Read.NewSelect().Model(&rows).
			ColumnExpr(`attempt.id, attempt.delivery_id, attempt.webhook_id, attempt.attempt, attempt.event_name, attempt.response_code,
			attempt.error, attempt.duration_ms, attempt.next_retry_at, attempt.test, attempt.created_at`).
			ColumnExpr(messageIDSQL).Join("LEFT JOIN deliveries AS dl ON dl.id = attempt.delivery_id").
			Order("attempt.id")
		if ids != nil {
			page := ids[:min(len(ids), announcePage)]
			ids = ids[len(page):]
			q = q.Where("attempt.id IN (?)", bun.List(page))
		} else {
			last := min(upto, after+announcePage)
			q = q.Where("attempt.id > ? AND attempt.id <= ?", after, last)
			after = last
		}
		if err := q.Scan(ctx); err != nil {
			return err
		}
		for _, a := range rows {
			announceStored(hub, &a)
		}
	}
	return nil
}

// announceStored publishes an attempt read back from the log; the outcome
// is what the dispatcher decided: retrying when a retry is scheduled,
// succeeded on a 2xx without error, failed otherwise.
func announceStored(hub *live.Hub, a *announcedAttempt) {
	outcome := "failed"
	switch {
	case a.NextRetryAt != nil:
		outcome = "retrying"
	case a.ResponseCode >= 200 && a.ResponseCode < 300 && a.Error == "":
		outcome = "succeeded"
	}
	var next *time.Time
	if a.NextRetryAt != nil {
		t := a.NextRetryAt.UTC()
		next = &t
	}
	live.PublishStored(hub, live.EventDelivery, live.Delivery{DeliveryID: a.DeliveryID, AttemptID: a.ID, WebhookID: a.WebhookID,
		MessageID: a.MessageID, Attempt: a.Attempt, Event: a.EventName, Outcome: outcome, ResponseCode: a.ResponseCode,
		DurationMS: a.DurationMS, NextRetryAt: next, CreatedAt: a.CreatedAt.UTC(), Test: a.Test})
}
