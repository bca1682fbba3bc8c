package dispatch

import (
	"context"
	"time"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/domain"
)

// Redeliver sends a delivery again now (with the same webhook-id, so the
// receiver can recognise it), whatever its outcome was.
func (d *Dispatcher) Redeliver(ctx context.Context, deliveryID int64) error {
	err := d.st.Write(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Table("deliveries").Set("status = 'pending'").Set("next_attempt_at = ?", d.now().UTC()).
			Set("updated_at = ?", d.now().UTC()).Where("id = ? AND NOT test", deliveryID).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.ErrNotFound
		}
		return nil
	})
	if err == nil {
		d.Wake()
	}
	return err
}

// Replay sends again every failed delivery of a webhook created since a time,
// and returns how many it queued.
func (d *Dispatcher) Replay(ctx context.Context, webhookID int64, since time.Time) (int64, error) {
	var n int64
	err := d.st.Write(ctx, func(ctx context.Context, tx bun.Tx) error {
		var exists int
		if err := tx.NewSelect().Table("webhooks").ColumnExpr("count(*)").Where("id = ?", webhookID).Scan(ctx, &exists); err != nil {
			return err
		}
		if exists == 0 {
			return domain.ErrNotFound
		}
		res, err := tx.NewUpdate().Table("deliveries").Set("status = 'pending'").Set("next_attempt_at = ?", d.now().UTC()).
			Set("updated_at = ?", d.now().UTC()).
			Where("webhook_id = ? AND status = 'failed' AND NOT test AND created_at >= ?", webhookID, since.UTC()).Exec(ctx)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		return nil
	})
	if err == nil && n > 0 {
		d.Wake()
	}
	return n, err
}
