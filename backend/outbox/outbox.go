// Package outbox records every change to the tracked resources as an event,
// in the change's own database transaction: the webhook dispatcher consumes
// these rows, so a committed change always has its event and a rolled-back
// one never does.
package outbox

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
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
	Actor       json.RawMessage `bun:"actor,type:text" json:"actor"` // rendered at commit time; nil without an actor
	CreatedAt   time.Time       `bun:"created_at" json:"createdAt"`
}

// InsertSQL is the statement Record runs; register it with
// store.PrepareWrites.
const InsertSQL = `INSERT INTO events (name, resource_key, resource_id, project_id, actor_id, payload, actor, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`

// SubscribersSQL lists the webhooks an event goes to, and whether each is
// ordered: the enabled ones that subscribe to it, for all projects or for
// the event's project. project:created goes to every subscriber
// (OpenProject's rule).
const SubscribersSQL = `SELECT w.id, w.ordered FROM webhooks w JOIN webhook_events we ON we.webhook_id = w.id AND we.name = ?1
	WHERE w.enabled AND (w.all_projects OR ?1 = 'project:created'
		OR EXISTS (SELECT 1 FROM webhook_projects wp WHERE wp.webhook_id = w.id AND wp.project_id = ?2))`

// DeliverySQL creates one delivery of an event. One single-row insert per
// subscriber costs far less than one INSERT ... SELECT for all of them,
// which SQLite must guard with a statement journal. A delivery to an
// ordered webhook carries its event's resource (?5, ?6), which the
// dispatcher orders it by; the others carry NULLs and stay out of that
// index.
const DeliverySQL = `INSERT INTO deliveries (webhook_id, event_id, event_name, status, attempts, next_attempt_at, created_at, updated_at, resource_key, resource_id)
	VALUES (?1, ?2, ?3, 'pending', 0, ?4, ?4, ?4, ?5, ?6)`

// Statements are the statements Record runs: register them with
// store.PrepareWrites.
var Statements = []string{InsertSQL, SubscribersSQL, DeliverySQL}

// Record inserts e inside tx, the transaction of the change, with its
// deliveries: the subscriptions in force at commit time decide who gets it.
func Record(ctx context.Context, st *store.Store, tx bun.Tx, e *Event) error {
	created := store.Timestamp(e.CreatedAt)
	var actor any
	if e.Actor != nil {
		actor = string(e.Actor)
	}
	var err error
	if e.ID, err = st.TxInsert(ctx, tx, InsertSQL, e.Name, e.ResourceKey, e.ResourceID, e.ProjectID, e.ActorID, string(e.Payload), actor, created); err != nil {
		return err
	}
	hooks, err := subscribers(ctx, st, tx, e)
	if err != nil {
		return err
	}
	for _, h := range hooks {
		key, id := h.resource(e)
		if _, err := st.TxExec(ctx, tx, DeliverySQL, h.id, e.ID, e.Name, created, key, id); err != nil {
			return err
		}
	}
	return nil
}

// subscriber is a webhook an event goes to.
type subscriber struct {
	id      int64
	ordered bool
}

// resource is what a delivery of e to the webhook records of e's resource:
// its key and id for an ordered webhook, NULLs for the others.
func (h subscriber) resource(e *Event) (key, id any) {
	if !h.ordered {
		return nil, nil
	}
	return e.ResourceKey, e.ResourceID
}

// subscribers runs SubscribersSQL for e's name and project.
func subscribers(ctx context.Context, st *store.Store, tx bun.Tx, e *Event) ([]subscriber, error) {
	rows, err := st.TxQuery(ctx, tx, SubscribersSQL, e.Name, e.ProjectID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []subscriber
	for rows.Next() {
		var h subscriber
		if err := rows.Scan(&h.id, &h.ordered); err != nil {
			return nil, err
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

// batchRows bounds the rows of one multi-row INSERT: 100 events of 8
// values stay far below SQLite's limit on bound parameters.
const batchRows = 100

// RecordMany inserts events that share a name and a project (the work
// packages a project delete removes) inside tx, with their deliveries, in
// multi-row inserts of at most batchRows rows: a project with thousands of
// work packages costs tens of statements, not thousands.
func RecordMany(ctx context.Context, st *store.Store, tx bun.Tx, events []*Event) error {
	if len(events) == 0 {
		return nil
	}
	hooks, err := subscribers(ctx, st, tx, events[0])
	if err != nil {
		return err
	}
	for start := 0; start < len(events); start += batchRows {
		chunk := events[start:min(start+batchRows, len(events))]
		var q strings.Builder
		q.WriteString(`INSERT INTO events (name, resource_key, resource_id, project_id, actor_id, payload, actor, created_at) VALUES `)
		args := make([]any, 0, 8*len(chunk))
		for i, e := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, ?, ?, ?, ?, ?)")
			var actor any
			if e.Actor != nil {
				actor = string(e.Actor)
			}
			args = append(args, e.Name, e.ResourceKey, e.ResourceID, e.ProjectID, e.ActorID, string(e.Payload), actor, store.Timestamp(e.CreatedAt))
		}
		q.WriteString(" RETURNING id")
		rows, err := st.TxQuery(ctx, tx, q.String(), args...)
		if err != nil {
			return err
		}
		ids, err := store.ScanInt64s(rows)
		if err != nil {
			return err
		}
		if len(ids) != len(chunk) {
			return fmt.Errorf("recorded %d of %d events", len(ids), len(chunk))
		}
		for i, id := range ids {
			chunk[i].ID = id
		}
		if err := insertDeliveries(ctx, st, tx, hooks, chunk); err != nil {
			return err
		}
	}
	return nil
}

// insertDeliveries creates one delivery of each event for each of hooks, at
// most batchRows rows per statement.
func insertDeliveries(ctx context.Context, st *store.Store, tx bun.Tx, hooks []subscriber, events []*Event) error {
	type pair struct {
		hook subscriber
		e    *Event
	}
	pairs := make([]pair, 0, len(hooks)*len(events))
	for _, e := range events {
		for _, h := range hooks {
			pairs = append(pairs, pair{h, e})
		}
	}
	for start := 0; start < len(pairs); start += batchRows {
		chunk := pairs[start:min(start+batchRows, len(pairs))]
		var q strings.Builder
		q.WriteString(`INSERT INTO deliveries (webhook_id, event_id, event_name, status, attempts, next_attempt_at, created_at, updated_at, resource_key, resource_id) VALUES `)
		args := make([]any, 0, 8*len(chunk))
		for i, p := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("(?, ?, ?, 'pending', 0, ?, ?, ?, ?, ?)")
			created := store.Timestamp(p.e.CreatedAt)
			key, id := p.hook.resource(p.e)
			args = append(args, p.hook.id, p.e.ID, p.e.Name, created, created, created, key, id)
		}
		if _, err := st.TxExec(ctx, tx, q.String(), args...); err != nil {
			return err
		}
	}
	return nil
}

// Since returns up to limit events with an id above afterID, oldest first.
func Since(ctx context.Context, db bun.IDB, afterID int64, limit int) ([]Event, error) {
	events := []Event{}
	err := db.NewSelect().Model(&events).Where("id > ?", afterID).Order("id").Limit(int64(limit)).Scan(ctx)
	return events, err
}
