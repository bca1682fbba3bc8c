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

// Record inserts e using db, which must be the transaction of the change.
func Record(ctx context.Context, db bun.IDB, e *Event) error {
	_, err := db.NewInsert().Model(e).Exec(ctx)
	return err
}

// Since returns up to limit events with an id above afterID, oldest first.
func Since(ctx context.Context, db bun.IDB, afterID int64, limit int) ([]Event, error) {
	events := []Event{}
	err := db.NewSelect().Model(&events).Where("id > ?", afterID).Order("id").Limit(int64(limit)).Scan(ctx)
	return events, err
}
