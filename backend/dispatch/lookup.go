package dispatch

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/live"
)

// messageIDSQL is MessageID in SQL, over an attempt (alias "attempt") and
// its delivery ("dl"): the log keeps no copy of what the ids say.
const messageIDSQL = `CASE WHEN dl.event_id IS NULL THEN 'msg_test_' || attempt.delivery_id
	ELSE 'msg_' || dl.event_id || '_' || attempt.webhook_id END AS message_id`

// withMessageID selects an attempt query's columns with its message id.
func withMessageID(q *bun.SelectQuery) *bun.SelectQuery {
	return q.ColumnExpr("attempt.*").ColumnExpr(messageIDSQL).
		Join("LEFT JOIN deliveries AS dl ON dl.id = attempt.delivery_id")
}

// Delivery is one event's delivery to one webhook (or a test delivery) with
// its attempts, newest first (SPEC §4: GET /api/admin/deliveries/{id}).
type Delivery struct {
	ID        int64  `json:"id"`
	WebhookID int64  `json:"webhookId"`
	MessageID string `json:"messageId"`
	Event     string `json:"event"`
	// Status is pending (a retry or the first attempt is due), succeeded or failed.
	Status string `json:"status"`
	Test   bool   `json:"test"`
	// NextAttemptAt is when a pending delivery is sent next.
	NextAttemptAt *time.Time `json:"nextAttemptAt"`
	CreatedAt     time.Time  `json:"createdAt"`
	UpdatedAt     time.Time  `json:"updatedAt"`
	Attempts      []Attempt  `json:"attempts"`
}

type deliveryRow struct {
	bun.BaseModel `bun:"table:deliveries"`

	ID            int64     `bun:"id"`
	WebhookID     int64     `bun:"webhook_id"`
	EventID       *int64    `bun:"event_id"`
	EventName     string    `bun:"event_name"`
	Status        string    `bun:"status"`
	Test          bool      `bun:"test"`
	NextAttemptAt time.Time `bun:"next_attempt_at"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
}

// maxDeliveryAttempts bounds the attempts a delivery answers with: the
// schedule makes eight, redeliveries add more.
const maxDeliveryAttempts = 100

// GetDelivery returns a delivery with its attempts, newest first.
func (d *Dispatcher) GetDelivery(ctx context.Context, id int64) (Delivery, error) {
	var r deliveryRow
	err := d.st.Read.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return Delivery{}, domain.ErrNotFound
	}
	if err != nil {
		return Delivery{}, err
	}
	out := Delivery{ID: r.ID, WebhookID: r.WebhookID, Event: r.EventName, Status: r.Status, Test: r.Test,
		CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(), Attempts: []Attempt{}}
	if r.EventID != nil {
		out.MessageID = MessageID(*r.EventID, r.WebhookID)
	} else {
		out.MessageID = "msg_test_" + strconv.FormatInt(r.ID, 10)
	}
	if r.Status == "pending" {
		next := r.NextAttemptAt.UTC()
		out.NextAttemptAt = &next
	}
	err = withMessageID(d.st.Read.NewSelect().Model(&out.Attempts)).Where("attempt.delivery_id = ?", id).
		Order("attempt.id DESC").Limit(maxDeliveryAttempts).Scan(ctx)
	if err != nil {
		return Delivery{}, err
	}
	return out, fillBodies(ctx, d.st, out.Attempts)
}

// FindDelivery returns the delivery a receiver logged by its webhook-id
// (msg_<event>_<webhook>, or msg_test_<delivery> for a test).
func (d *Dispatcher) FindDelivery(ctx context.Context, messageID string) (Delivery, error) {
	messageID = strings.TrimSpace(messageID)
	if rest, ok := strings.CutPrefix(messageID, "msg_test_"); ok {
		id, err := strconv.ParseInt(rest, 10, 64)
		if err != nil || id <= 0 {
			return Delivery{}, badMessageID(messageID)
		}
		dl, err := d.GetDelivery(ctx, id)
		if err == nil && !dl.Test {
			return Delivery{}, domain.ErrNotFound
		}
		return dl, err
	}
	rest, ok := strings.CutPrefix(messageID, "msg_")
	ev, hook, ok2 := strings.Cut(rest, "_")
	eventID, err1 := strconv.ParseInt(ev, 10, 64)
	webhookID, err2 := strconv.ParseInt(hook, 10, 64)
	if !ok || !ok2 || err1 != nil || err2 != nil || eventID <= 0 || webhookID <= 0 {
		return Delivery{}, badMessageID(messageID)
	}
	var id int64
	err := d.st.Read.NewSelect().Table("deliveries").Column("id").Where("event_id = ? AND webhook_id = ?", eventID, webhookID).
		Order("id").Limit(1).Scan(ctx, &id)
	if errors.Is(err, sql.ErrNoRows) {
		return Delivery{}, domain.ErrNotFound
	}
	if err != nil {
		return Delivery{}, err
	}
	return d.GetDelivery(ctx, id)
}

func badMessageID(got string) error {
	if len(got) > 64 {
		got = got[:64] + "…"
	}
	return domain.Invalid("messageId", "Message id %q is not a webhook-id Hookpost sends: they look like msg_123_4 (or msg_test_56 for a test).", got)
}

// announce publishes a recorded attempt, and the webhook's disabling when
// the attempt disabled it. The caller checked that someone listens.
func (d *Dispatcher) announce(ctx context.Context, a *Attempt, outcome string, disabled bool) {
	if outcome == "pending" {
		outcome = "retrying"
	}
	live.Publish(d.cfg.Live, live.EventDelivery, live.Delivery{DeliveryID: a.DeliveryID, AttemptID: a.ID, WebhookID: a.WebhookID,
		MessageID: a.MessageID, Attempt: a.Attempt, Event: a.EventName, Outcome: outcome, ResponseCode: a.ResponseCode,
		DurationMS: a.DurationMS, NextRetryAt: a.NextRetryAt, CreatedAt: a.CreatedAt, Test: a.Test})
	if !disabled {
		return
	}
	var reason string
	var at time.Time
	// Rare (once per disabling), and only while someone watches. The time
	// tells this change from others to the webhook (see live.WebhookChange).
	_ = d.st.Read.NewSelect().Table("webhooks").Column("disabled_reason", "updated_at").Where("id = ?", a.WebhookID).Scan(ctx, &reason, &at)
	at = at.UTC()
	live.Publish(d.cfg.Live, live.EventWebhook, live.WebhookChange{ID: a.WebhookID, Change: live.WebhookDisabled, Reason: reason, UpdatedAt: &at})
}
