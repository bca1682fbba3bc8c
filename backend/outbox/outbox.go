// Package outbox records every change to the tracked resources as an event,
// in the change's own database transaction: the webhook dispatcher consumes
// these rows, so a committed change always has its event and a rolled-back
// one never does.
package outbox

import (
	"context"
	"encoding/json"
	"time"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/store"
)

// Event is one recorded change.
type Event struct {
	bun.BaseModel `bun:"table:events"`

	ID          int64           `bun:"id,pk,autoincrement" json:"id"`
	Name        string          `bun:"name" json:"name"`
	ResourceKey string          `bun:"resource_key" json:"resourceKey"`
	ResourceID  int64           `bun:"resource_id" json:"resourceId"`
	ProjectID   *int64          `bun:"project_id" json:"projectId"`
	ActorID     *int64          `bun:"actor_id" json:"actorId"`
	Payload     json.RawMessage `bun:"payload,type:text" json:"payload"`
	CreatedAt   time.Time       `bun:"created_at" json:"createdAt"`
}

// InsertSQL is the statement Record runs; register it with
// store.PrepareWrites.
const InsertSQL = `INSERT INTO events (name, resource_key, resource_id, project_id, actor_id, payload, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`

// FanOutSQL creates the deliveries of an event: one per enabled webhook that
// subscribes to it, for all projects or for the event's project.
// project:created goes to every subscriber (OpenProject's rule). Register it
// with store.PrepareWrites.
const FanOutSQL = `INSERT INTO deliveries (webhook_id, event_id, event_name, status, attempts, next_attempt_at, created_at, updated_at)
	SELECT w.id, ?1, ?2, 'pending', 0, ?3, ?3, ?3
	FROM webhooks w JOIN webhook_events we ON we.webhook_id = w.id AND we.name = ?2
	WHERE w.enabled AND (w.all_projects OR ?2 = 'project:created'
		OR EXISTS (SELECT 1 FROM webhook_projects wp WHERE wp.webhook_id = w.id AND wp.project_id = ?4))`

// Record inserts e inside tx, the transaction of the change, with its
// deliveries.
func Record(ctx context.Context, st *store.Store, tx bun.Tx, e *Event) error {
	created := store.Timestamp(e.CreatedAt)
	res, err := st.TxExec(ctx, tx, InsertSQL, e.Name, e.ResourceKey, e.ResourceID, e.ProjectID, e.ActorID, string(e.Payload), created)
	if err != nil {
		return err
	}
	if e.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	_, err = st.TxExec(ctx, tx, FanOutSQL, e.ID, e.Name, created, e.ProjectID)
	return err
}

// Since returns up to limit events with an id above afterID, oldest first.
func Since(ctx context.Context, db bun.IDB, afterID int64, limit int) ([]Event, error) {
	events := []Event{}
	err := db.NewSelect().Model(&events).Where("id > ?", afterID).Order("id").Limit(int64(limit)).Scan(ctx)
	return events, err
}
