// Package app is the desktop shell: the Wails window and its bindings. Each
// binding is one line onto the same backend service the HTTP handlers call,
// acting as the desktop user (the first administrator).
package app

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/dispatch"
	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/live"
	"github.com/hookpost/hookpost/backend/outbox"
	"github.com/hookpost/hookpost/backend/query"
	"github.com/hookpost/hookpost/backend/settings"
	"github.com/hookpost/hookpost/backend/tracker"
	"github.com/hookpost/hookpost/backend/webhooks"
)

// App is bound to the window; its exported methods become the frontend's
// window.go.app.App functions.
type App struct {
	ctx       context.Context
	settings  *settings.Service
	auth      *auth.Service
	tracker   *tracker.Service
	webhooks  *webhooks.Service
	dispatch  *dispatch.Dispatcher
	live      *live.Hub
	serverURL string
	log       *slog.Logger
}

// Services are what the bindings call: the instances main also hands to the
// HTTP server.
type Services struct {
	Settings   *settings.Service
	Auth       *auth.Service
	Tracker    *tracker.Service
	Webhooks   *webhooks.Service
	Dispatcher *dispatch.Dispatcher
	// Live reaches the window as Wails events (see window.go).
	Live *live.Hub
}

// New builds the bindings over the services.
func New(s Services, serverURL string, log *slog.Logger) *App {
	return &App{ctx: context.Background(), settings: s.Settings, auth: s.Auth, tracker: s.Tracker, webhooks: s.Webhooks,
		dispatch: s.Dispatcher, live: s.Live, serverURL: serverURL, log: log}
}

// Startup keeps the window's context for the service calls.
func (a *App) Startup(ctx context.Context) { a.ctx = ctx }

// ServerURL is the address of the in-process HTTP server.
func (a *App) ServerURL() string { return a.serverURL }

// CurrentUser is the user the window acts as.
func (a *App) CurrentUser() (hal.UserResource, error) {
	u, err := a.auth.DesktopUser(a.ctx)
	return result(hal.User(u, u), err)
}

// GetSettings returns the API settings.
func (a *App) GetSettings() (settings.Settings, error) { return result(a.settings.Get(a.ctx)) }

// UpdateSettings changes the API settings.
func (a *App) UpdateSettings(p settings.Patch) (settings.Settings, error) {
	return result(a.settings.Update(a.ctx, p))
}

// ListTokens lists the desktop user's API tokens.
func (a *App) ListTokens() ([]auth.Token, error) {
	return asUser(a, func(u auth.User) ([]auth.Token, error) { return a.auth.ListTokens(a.ctx, u.ID) })
}

// CreateToken creates an API token for the desktop user.
func (a *App) CreateToken(in auth.NewToken) (auth.CreatedToken, error) {
	return asUser(a, func(u auth.User) (auth.CreatedToken, error) { return a.auth.CreateToken(a.ctx, u.ID, in) })
}

// RevokeToken revokes one of the desktop user's API tokens.
func (a *App) RevokeToken(id int64) error {
	_, err := asUser(a, func(u auth.User) (struct{}, error) { return struct{}{}, a.auth.RevokeToken(a.ctx, u.ID, id) })
	return err
}

// EventCatalogue returns the webhook events grouped by resource.
func (a *App) EventCatalogue() []outbox.ResourceDef { return outbox.Catalogue }

// ListWebhooks lists the webhooks.
func (a *App) ListWebhooks() ([]webhooks.Webhook, error) { return result(a.webhooks.List(a.ctx)) }

// GetWebhook returns one webhook.
func (a *App) GetWebhook(id int64) (webhooks.Webhook, error) {
	return result(a.webhooks.Get(a.ctx, id))
}

// CreateWebhook adds a webhook.
func (a *App) CreateWebhook(in webhooks.Input) (webhooks.Webhook, error) {
	return result(a.webhooks.Create(a.ctx, in))
}

// UpdateWebhook changes a webhook.
func (a *App) UpdateWebhook(id int64, in webhooks.Input) (webhooks.Webhook, error) {
	return result(a.webhooks.Update(a.ctx, id, in))
}

// DeleteWebhook removes a webhook.
func (a *App) DeleteWebhook(id int64) error {
	_, err := result(struct{}{}, a.webhooks.Delete(a.ctx, id))
	return err
}

// TestWebhook sends one signed sample delivery of event to a webhook now.
func (a *App) TestWebhook(id int64, event string) (dispatch.Attempt, error) {
	return asUser(a, func(u auth.User) (dispatch.Attempt, error) { return a.dispatch.TestFire(a.ctx, id, event, u.ID) })
}

// ListDeliveries lists a webhook's logged delivery attempts, newest first:
// at most limit (1…100, default 25), older than the attempt id before when
// it is not 0, of one outcome (succeeded, retrying, failed) and one event
// when they are not empty.
func (a *App) ListDeliveries(webhookID int64, limit int, before int64, outcome string, event string) ([]dispatch.Attempt, error) {
	return result(a.dispatch.Deliveries(a.ctx, webhookID, dispatch.AttemptFilter{Limit: limit, Before: before, Outcome: outcome, Event: event}))
}

// Redeliver sends a delivery again now, with the same webhook-id.
func (a *App) Redeliver(deliveryID int64) error {
	_, err := result(struct{}{}, a.dispatch.Redeliver(a.ctx, deliveryID))
	return err
}

// ReplayWebhook sends again every failed delivery of a webhook created since
// a time (ISO 8601), and returns how many it queued.
func (a *App) ReplayWebhook(webhookID int64, since string) (int64, error) {
	t, err := time.Parse(time.RFC3339, since)
	if err != nil {
		return result(int64(0), domain.Invalid("since", "since must be an ISO 8601 time such as 2026-01-31T12:00:00Z, not %q.", since))
	}
	return result(a.dispatch.Replay(a.ctx, webhookID, t))
}

// WebhookStats counts a webhook's attempts per time bucket since a time
// (RFC 3339; "" for 24 hours ago), for the chart.
func (a *App) WebhookStats(webhookID int64, since string) (dispatch.Stats, error) {
	var t time.Time
	if since != "" {
		var err error
		if t, err = time.Parse(time.RFC3339, since); err != nil {
			return result(dispatch.Stats{}, domain.Invalid("since", "since must be an RFC 3339 time such as 2026-01-31T12:00:00Z, not %q.", since))
		}
	}
	return result(a.dispatch.Stats(a.ctx, webhookID, t))
}

// GetDelivery returns a delivery with its attempts, newest first.
func (a *App) GetDelivery(id int64) (dispatch.Delivery, error) {
	return result(a.dispatch.GetDelivery(a.ctx, id))
}

// FindDelivery returns the delivery a receiver logged by its webhook-id.
func (a *App) FindDelivery(messageID string) (dispatch.Delivery, error) {
	return result(a.dispatch.FindDelivery(a.ctx, messageID))
}

// ChangePassword sets the desktop user's password — the one browsers sign
// in with. The window acts as the local administrator already (whoever can
// open the database file could run 'hookpost user password' as well), so it
// asks for no current password: in.CurrentPassword is ignored. Every browser
// session of the user ends.
func (a *App) ChangePassword(in auth.PasswordChange) error {
	_, err := asUser(a, func(u auth.User) (struct{}, error) {
		return struct{}{}, a.auth.SetPassword(a.ctx, u.ID, in.NewPassword)
	})
	return err
}

// ProjectRef is a project as the webhook form's picker shows it.
type ProjectRef struct {
	ID         int64  `json:"id"`
	Name       string `json:"name"`
	Identifier string `json:"identifier"`
}

// maxPickerProjects bounds the projects the picker lists.
const maxPickerProjects = 10000

// ListProjects lists the projects the desktop user sees, for the webhook
// form's picker.
func (a *App) ListProjects() ([]ProjectRef, error) {
	return asUser(a, func(u auth.User) ([]ProjectRef, error) {
		list, _, err := a.tracker.ListProjects(a.ctx, u, tracker.ListParams{Page: query.Page{Offset: 1, Size: maxPickerProjects}})
		out := make([]ProjectRef, 0, len(list))
		for _, p := range list {
			out = append(out, ProjectRef{ID: p.ID, Name: p.Name, Identifier: p.Identifier})
		}
		return out, err
	})
}

func asUser[T any](a *App, f func(auth.User) (T, error)) (T, error) {
	u, err := a.auth.DesktopUser(a.ctx)
	if err != nil {
		var zero T
		return result(zero, err)
	}
	return result(f(u))
}

// result turns a service error into the same OpenProject error body the HTTP
// API answers, JSON-encoded: Wails rejects the frontend's promise with the
// error's string, and the frontend's binding transport parses it back.
func result[T any](v T, err error) (T, error) {
	if err == nil {
		return v, nil
	}
	_, body, ok := hal.Error(err)
	if !ok {
		slog.Error("desktop binding failed", "error", err)
	}
	js, jerr := json.Marshal(body)
	if jerr != nil {
		return v, err
	}
	return v, errors.New(string(js))
}
