package dispatch

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/outbox"
)

// TestFire sends one signed sample delivery of event to a webhook now, even
// when the webhook is disabled, and returns the logged attempt (marked as a
// test; it is never retried). The sample is the latest real resource of that
// kind in the webhook's scope; without one, a placeholder representation.
func (d *Dispatcher) TestFire(ctx context.Context, webhookID int64, event string, actorID int64) (Attempt, error) {
	var allProjects bool
	err := d.st.Read.NewSelect().Table("webhooks").Column("all_projects").Where("id = ?", webhookID).Scan(ctx, &allProjects)
	if errors.Is(err, sql.ErrNoRows) {
		return Attempt{}, domain.ErrNotFound
	}
	if err != nil {
		return Attempt{}, err
	}
	key := ""
	for _, r := range outbox.Catalogue {
		for _, e := range r.Events {
			if e.Name == event {
				key = r.PayloadKey
			}
		}
	}
	if key == "" {
		return Attempt{}, domain.Invalid("event", "Event %q is not in the catalogue (GET /api/admin/events lists them).", event)
	}
	sample := outbox.Event{Name: event, ResourceKey: key, ActorID: &actorID, CreatedAt: d.now().UTC()}
	var recent []outbox.Event
	q := d.st.Read.NewSelect().Model(&recent).Where("resource_key = ?", key).Order("id DESC").Limit(1)
	if !allProjects {
		q = q.Where("project_id IN (SELECT project_id FROM webhook_projects WHERE webhook_id = ?)", webhookID)
	}
	if err := q.Scan(ctx); err != nil {
		return Attempt{}, err
	}
	if len(recent) > 0 {
		sample.ResourceID, sample.ProjectID, sample.Payload = recent[0].ResourceID, recent[0].ProjectID, recent[0].Payload
	} else {
		sample.Payload = placeholder(key)
	}
	var c dueRow
	err = d.st.Write(ctx, func(ctx context.Context, tx bun.Tx) error {
		// No event row: nothing changed. The delivery carries its sample.
		now := d.now().UTC()
		return tx.NewRaw(`INSERT INTO deliveries (webhook_id, event_name, sample_key, sample_payload, actor_id, status, attempts,
				next_attempt_at, test, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'pending', 0, ?, TRUE, ?, ?) RETURNING id, webhook_id, event_name, attempts, test`,
			webhookID, event, key, string(sample.Payload), actorID, now, now, now).
			Scan(ctx, &c.ID, &c.WebhookID, &c.EventName, &c.Attempts, &c.Test)
	})
	if err != nil {
		return Attempt{}, err
	}
	jobs, err := d.load(ctx, []dueRow{c})
	if err != nil {
		return Attempt{}, err
	}
	if len(jobs) == 0 {
		return Attempt{}, domain.ErrNotFound // the webhook was deleted meanwhile
	}
	return d.attempt(ctx, jobs[0], func() {})
}

// placeholder is the sample representation of a resource kind that has no
// instance yet.
func placeholder(key string) json.RawMessage {
	types := map[string]string{outbox.KeyProject: "Project", outbox.KeyWorkPackage: "WorkPackage",
		outbox.KeyActivity: "Activity::Comment", outbox.KeyTimeEntry: "TimeEntry", outbox.KeyAttachment: "Attachment",
		outbox.KeyRelation: "Relation"}
	body, _ := json.Marshal(map[string]any{"_type": types[key], "id": 0, "_links": map[string]any{"self": map[string]any{"href": nil}},
		"_hookpost": map[string]string{"sample": fmt.Sprintf("No %s exists yet; this is a placeholder for a test delivery.", types[key])}})
	return body
}
