// Package webhooks owns the webhook definitions (SPEC §4): their validation,
// the write-only secret, the events and projects they subscribe to.
package webhooks

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/live"
	"github.com/hookpost/hookpost/backend/outbox"
	"github.com/hookpost/hookpost/backend/store"
)

// row is a webhook as stored.
type row struct {
	bun.BaseModel `bun:"table:webhooks"`

	ID             int64      `bun:"id,pk,autoincrement"`
	Name           string     `bun:"name"`
	URL            string     `bun:"url"`
	Description    string     `bun:"description"`
	Secret         string     `bun:"secret"`
	PreviousSecret string     `bun:"previous_secret"`
	PreviousUntil  *time.Time `bun:"previous_secret_until"`
	Enabled        bool       `bun:"enabled"`
	AllProjects    bool       `bun:"all_projects"`
	Ordered        bool       `bun:"ordered"`
	DisabledReason string     `bun:"disabled_reason"`
	// FailingSince: the first failed delivery since the last success; the
	// dispatcher disables the webhook when it is 24 hours old (SPEC §6.5).
	FailingSince *time.Time `bun:"failing_since"`
	CreatedAt    time.Time  `bun:"created_at"`
	UpdatedAt    time.Time  `bun:"updated_at"`
}

// Webhook is a webhook as the admin API and the SPA see it: the secret is
// write-only, so only whether one is set and its last 4 characters show.
type Webhook struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	URL         string `json:"url"`
	Description string `json:"description"`
	SecretSet   bool   `json:"secretSet"`
	SecretLast4 string `json:"secretLast4"`
	// RotatingUntil is set while the previous secret still signs too.
	RotatingUntil *time.Time `json:"rotatingUntil"`
	Enabled       bool       `json:"enabled"`
	Events        []string   `json:"events"`
	AllProjects   bool       `json:"allProjects"`
	ProjectIDs    []int64    `json:"projectIds"`
	// Ordered: the deliveries of one resource go one at a time, in commit
	// order (see Input.Ordered).
	Ordered   bool      `json:"ordered"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
	Status    Status    `json:"status"`
}

// Status is a webhook's health as the list and the webhook page show it.
type Status struct {
	State  string `json:"state"` // "enabled" or "disabled"
	Reason string `json:"reason,omitempty"`
	// FailingSince is the first failed delivery since the last success
	// (absent while deliveries succeed). After a minute of failures the
	// dispatcher sends to the webhook one delivery at a time, one a second,
	// until one succeeds; after 24 hours it disables the webhook.
	FailingSince *time.Time `json:"failingSince,omitempty" doc:"The first failed delivery since the last success; absent while deliveries succeed. Failing for a minute: one delivery a second until one succeeds; for 24 hours: disabled."`
}

// Input is a webhook create or update; nil fields are left as they are.
// The validate tags are the bounds both the service and the OpenAPI document
// read; the rules tags cannot say (required on create, unique names, http(s)
// URLs, known events and projects) are in validate below.
type Input struct {
	Name        *string   `json:"name" validate:"omitnil,max=255" label:"Name" doc:"Required on create; unique ignoring case."`
	URL         *string   `json:"url" validate:"omitnil,max=2048" label:"Payload URL" doc:"Required on create; an absolute http(s) URL without user name or password."`
	Description *string   `json:"description" validate:"omitnil,max=4096" label:"Description"`
	Secret      *string   `json:"secret" validate:"omitnil,max=255" label:"Signature secret" doc:"Write-only; whsec_… secrets are base64-decoded for Standard Webhooks signatures. An empty string removes it."`
	Enabled     *bool     `json:"enabled" doc:"Defaults to true on create."`
	Events      *[]string `json:"events" validate:"omitnil,max=100" label:"Events" doc:"Events from the catalogue (GET /api/admin/events)."`
	AllProjects *bool     `json:"allProjects" doc:"Defaults to true on create; when false, only projectIds are delivered."`
	ProjectIDs  *[]int64  `json:"projectIds" validate:"omitnil,max=1000" label:"Projects" doc:"Projects that must exist."`
	Ordered     *bool     `json:"ordered" doc:"Defaults to false. When true, the deliveries of one resource (a work package, a project, a comment...) reach the endpoint one at a time, in the order their changes were committed; a delivery that fails holds back the later deliveries of the same resource (not those of others) until it succeeds or is given up."`
}

// MinSecretShown is the shortest secret whose last 4 characters are shown.
const MinSecretShown = 16

// RotationGrace is how long a replaced secret keeps signing (SPEC §6.3).
const RotationGrace = 24 * time.Hour

// Service manages webhooks.
type Service struct {
	st    *store.Store
	now   func() time.Time
	live  *live.Hub
	known known // see Changed
}

// New builds the service; hub (which may be nil) hears of every change.
func New(st *store.Store, now func() time.Time, hub *live.Hub) *Service {
	return &Service{st: st, now: now, live: hub}
}

func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// List returns every webhook, oldest first (OpenProject's order).
func (s *Service) List(ctx context.Context) ([]Webhook, error) {
	var rows []row
	if err := s.st.Read.NewSelect().Model(&rows).Order("id").Scan(ctx); err != nil {
		return nil, err
	}
	out := make([]Webhook, 0, len(rows))
	for _, r := range rows {
		w, err := s.assemble(ctx, s.st.Read, r)
		if err != nil {
			return nil, err
		}
		out = append(out, w)
	}
	return out, nil
}

// Get returns one webhook.
func (s *Service) Get(ctx context.Context, id int64) (Webhook, error) {
	var r row
	if err := s.st.Read.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return Webhook{}, domain.ErrNotFound
		}
		return Webhook{}, err
	}
	return s.assemble(ctx, s.st.Read, r)
}

func (s *Service) assemble(ctx context.Context, db bun.IDB, r row) (Webhook, error) {
	w := Webhook{ID: r.ID, Name: r.Name, URL: r.URL, Description: r.Description, SecretSet: r.Secret != "",
		Enabled: r.Enabled, AllProjects: r.AllProjects, Ordered: r.Ordered, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC(),
		Events: []string{}, ProjectIDs: []int64{}, Status: Status{State: "enabled"}}
	// The last 4 characters identify a long secret without weakening it; of
	// a short one they would give away too much (or all of it).
	if n := len(r.Secret); n >= MinSecretShown {
		w.SecretLast4 = r.Secret[n-4:]
	}
	if !r.Enabled {
		w.Status = Status{State: "disabled", Reason: r.DisabledReason}
	}
	if r.FailingSince != nil {
		t := r.FailingSince.UTC()
		w.Status.FailingSince = &t
	}
	if r.PreviousSecret != "" && r.PreviousUntil != nil && s.now().Before(*r.PreviousUntil) {
		until := r.PreviousUntil.UTC()
		w.RotatingUntil = &until
	}
	if err := db.NewSelect().Table("webhook_events").Column("name").Where("webhook_id = ?", r.ID).Order("name").Scan(ctx, &w.Events); err != nil {
		return w, err
	}
	if err := db.NewSelect().Table("webhook_projects").Column("project_id").Where("webhook_id = ?", r.ID).Order("project_id").Scan(ctx, &w.ProjectIDs); err != nil {
		return w, err
	}
	return w, nil
}

// Create adds a webhook. Like OpenProject's form, a new webhook is enabled
// and for all projects unless the input says otherwise.
func (s *Service) Create(ctx context.Context, in Input) (Webhook, error) {
	var id int64
	var at time.Time
	err := s.st.Write(ctx, func(ctx context.Context, tx bun.Tx) error {
		r := row{Enabled: true, AllProjects: true, CreatedAt: s.stamp(), UpdatedAt: s.stamp()}
		at = r.UpdatedAt
		if err := s.validate(ctx, tx, 0, in, true); err != nil {
			return err
		}
		apply(&r, in)
		if _, err := tx.NewInsert().Model(&r).Exec(ctx); err != nil {
			return err
		}
		id = r.ID
		return s.saveLists(ctx, tx, r.ID, in)
	})
	if err != nil {
		return Webhook{}, err
	}
	live.Publish(s.live, live.EventWebhook, live.WebhookChange{ID: id, Change: live.WebhookCreated, UpdatedAt: &at})
	return s.Get(ctx, id)
}

// Update changes a webhook. Re-enabling clears the reason it was disabled for.
func (s *Service) Update(ctx context.Context, id int64, in Input) (Webhook, error) {
	change := live.WebhookChange{ID: id, Change: live.WebhookUpdated}
	err := s.st.Write(ctx, func(ctx context.Context, tx bun.Tx) error {
		var r row
		if err := tx.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return domain.ErrNotFound
			}
			return err
		}
		if err := s.validate(ctx, tx, id, in, false); err != nil {
			return err
		}
		if in.Secret != nil && *in.Secret != r.Secret && r.Secret != "" && *in.Secret != "" {
			until := s.stamp().Add(RotationGrace)
			r.PreviousSecret, r.PreviousUntil = r.Secret, &until
		} else if in.Secret != nil && *in.Secret == "" {
			r.PreviousSecret, r.PreviousUntil = "", nil
		}
		wasEnabled, wasOrdered := r.Enabled, r.Ordered
		apply(&r, in)
		if wasEnabled && !r.Enabled {
			change.Change = live.WebhookDisabled
		}
		if r.Enabled {
			r.DisabledReason = ""
		}
		if r.Enabled && !wasEnabled {
			// Re-enabled: the 24 hours of failures that disable it count
			// from its next failure, not from the old ones.
			r.FailingSince = nil
		}
		r.UpdatedAt = s.stamp()
		at := r.UpdatedAt
		change.UpdatedAt = &at
		if _, err := tx.NewUpdate().Model(&r).WherePK().Exec(ctx); err != nil {
			return err
		}
		if r.Ordered && !wasOrdered {
			if err := orderPending(ctx, tx, id); err != nil {
				return err
			}
		}
		return s.saveLists(ctx, tx, id, in)
	})
	if err != nil {
		return Webhook{}, err
	}
	live.Publish(s.live, live.EventWebhook, change)
	return s.Get(ctx, id)
}

// Delete removes a webhook with its subscriptions.
func (s *Service) Delete(ctx context.Context, id int64) error {
	err := s.st.Write(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Model((*row)(nil)).Where("id = ?", id).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.ErrNotFound
		}
		return nil
	})
	if err == nil {
		live.Publish(s.live, live.EventWebhook, live.WebhookChange{ID: id, Change: live.WebhookDeleted})
	}
	return err
}

// orderPending gives the webhook's pending deliveries, created while it was
// not ordered, the resource of their events: a retry waiting from before
// the switch then holds back the later deliveries of its resource as well.
func orderPending(ctx context.Context, tx bun.Tx, webhookID int64) error {
	_, err := tx.NewRaw(`UPDATE deliveries SET
			resource_key = (SELECT e.resource_key FROM events e WHERE e.id = deliveries.event_id),
			resource_id = (SELECT e.resource_id FROM events e WHERE e.id = deliveries.event_id)
		WHERE webhook_id = ? AND status = 'pending' AND event_id IS NOT NULL AND resource_id IS NULL`, webhookID).Exec(ctx)
	return err
}

func apply(r *row, in Input) {
	if in.Name != nil {
		r.Name = strings.TrimSpace(*in.Name)
	}
	if in.URL != nil {
		r.URL = strings.TrimSpace(*in.URL)
	}
	if in.Description != nil {
		r.Description = *in.Description
	}
	if in.Secret != nil {
		r.Secret = *in.Secret
	}
	if in.Enabled != nil {
		r.Enabled = *in.Enabled
	}
	if in.AllProjects != nil {
		r.AllProjects = *in.AllProjects
	}
	if in.Ordered != nil {
		r.Ordered = *in.Ordered
	}
}

func (s *Service) saveLists(ctx context.Context, tx bun.Tx, id int64, in Input) error {
	if in.Events != nil {
		if _, err := tx.NewDelete().Table("webhook_events").Where("webhook_id = ?", id).Exec(ctx); err != nil {
			return err
		}
		for _, e := range dedupe(*in.Events) {
			if _, err := tx.NewRaw("INSERT INTO webhook_events (webhook_id, name) VALUES (?, ?)", id, e).Exec(ctx); err != nil {
				return err
			}
		}
	}
	if in.ProjectIDs != nil {
		if _, err := tx.NewDelete().Table("webhook_projects").Where("webhook_id = ?", id).Exec(ctx); err != nil {
			return err
		}
		for _, p := range dedupe(*in.ProjectIDs) {
			if _, err := tx.NewRaw("INSERT INTO webhook_projects (webhook_id, project_id) VALUES (?, ?)", id, p).Exec(ctx); err != nil {
				return err
			}
		}
	}
	return nil
}

func dedupe[T comparable](in []T) []T {
	seen := map[T]bool{}
	var out []T
	for _, v := range in {
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func (s *Service) validate(ctx context.Context, db bun.IDB, id int64, in Input, creating bool) error {
	errs := domain.ValidationErrors(domain.FieldErrors(domain.Validate(in)))
	if in.Name != nil || creating {
		name := ""
		if in.Name != nil {
			name = strings.TrimSpace(*in.Name)
		}
		switch {
		case name == "":
			errs = append(errs, domain.Invalid("name", "Name can't be blank."))
		case errs.Has("name"): // too long or not storable: nothing to look up
		default:
			n, err := db.NewSelect().Table("webhooks").Where("lower(name) = lower(?) AND id <> ?", name, id).Count(ctx)
			if err != nil {
				return err
			}
			if n > 0 {
				errs = append(errs, domain.Invalid("name", "Name %q has already been taken (names are compared ignoring case).", name))
			}
		}
	}
	if in.URL != nil || creating {
		raw := ""
		if in.URL != nil {
			raw = strings.TrimSpace(*in.URL)
		}
		if msg := checkURL(raw); msg != "" {
			errs = append(errs, domain.Invalid("url", "%s", msg))
		}
	}
	if in.Events != nil {
		for _, e := range *in.Events {
			if !outbox.Known(e) {
				errs = append(errs, domain.Invalid("events", "Event %q is not in the catalogue (GET /api/admin/events lists them).", e))
			}
		}
	}
	// A list over its bound is not looked up: that is one query per project.
	if in.ProjectIDs != nil && !errs.Has("projectIds") {
		for _, p := range dedupe(*in.ProjectIDs) {
			n, err := db.NewSelect().Table("projects").Where("id = ?", p).Count(ctx)
			if err != nil {
				return err
			}
			if n == 0 {
				errs = append(errs, domain.Invalid("projectIds", "Project %d does not exist.", p))
			}
		}
	}
	return errs.Err()
}

// checkURL returns what is wrong with a payload URL, or "". Messages quote
// the URL without any user name or password it carries.
func checkURL(raw string) string {
	if raw == "" {
		return "Payload URL can't be blank."
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "Payload URL is not a URL: it must be an absolute http:// or https:// URL."
	}
	if u.User != nil {
		return "Payload URL must not contain a user name or password: use the signature secret instead."
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Sprintf("Payload URL %q must be an absolute http:// or https:// URL.", raw)
	}
	if u.Host == "" || u.Hostname() == "" {
		return fmt.Sprintf("Payload URL %q has no host.", raw)
	}
	if strings.Contains(u.Hostname(), "%") {
		// A zone (fe80::1%25eth0) names a local interface: no receiver
		// needs one, and the address check ignores it (SPEC §6.6).
		return fmt.Sprintf("Payload URL %q must not carry an IPv6 zone identifier (%%25…).", raw)
	}
	return ""
}
