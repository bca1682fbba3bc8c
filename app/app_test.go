package app

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/dispatch"
	"github.com/hookpost/hookpost/backend/outbox"
	"github.com/hookpost/hookpost/backend/settings"
	"github.com/hookpost/hookpost/backend/store"
	"github.com/hookpost/hookpost/backend/store/storetest"
	"github.com/hookpost/hookpost/backend/webhooks"
)

// The bindings call the same services as the HTTP API and fail with the same
// OpenProject error body, JSON-encoded for the frontend's binding transport.
func TestBindingsShareServicesAndErrors(t *testing.T) {
	ctx := context.Background()
	st, err := store.Open(ctx, storetest.Location(t))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	set, err := settings.New(ctx, st, time.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(ctx, st, set, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.EnsureAdmin(ctx); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := dispatch.DefaultConfig("test")
	cfg.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	d, err := dispatch.New(ctx, st, cfg, time.Now, log)
	if err != nil {
		t.Fatal(err)
	}
	b := New(Services{Settings: set, Auth: a, Webhooks: webhooks.New(st, time.Now, nil), Dispatcher: d}, "http://127.0.0.1:1", log)
	b.Startup(ctx)

	size := 0
	_, err = b.UpdateSettings(settings.Patch{MaxPageSize: &size})
	var body struct {
		Type       string `json:"_type"`
		Identifier string `json:"errorIdentifier"`
		Embedded   struct {
			Details struct {
				Attribute string `json:"attribute"`
			} `json:"details"`
		} `json:"_embedded"`
	}
	if err == nil || json.Unmarshal([]byte(err.Error()), &body) != nil || body.Type != "Error" || body.Embedded.Details.Attribute != "maxPageSize" {
		t.Fatalf("UpdateSettings error %v", err)
	}
	size = 50
	got, err := b.UpdateSettings(settings.Patch{MaxPageSize: &size})
	if err != nil || got.MaxPageSize != 50 || set.Current().MaxPageSize != 50 {
		t.Fatalf("UpdateSettings: %+v %v", got, err)
	}
	me, err := b.CurrentUser()
	if err != nil || me.Login != "admin" {
		t.Fatalf("CurrentUser: %+v %v", me, err)
	}
	tok, err := b.CreateToken(auth.NewToken{Name: "desktop"})
	if err != nil || tok.Secret == "" {
		t.Fatalf("CreateToken: %v", err)
	}
	if u, err := a.AuthenticateToken(ctx, tok.Secret); err != nil || u.Login != "admin" {
		t.Fatalf("a token made in the window does not work over HTTP: %v", err)
	}
	name, url := "Desk", "https://hooks.example.com"
	w, err := b.CreateWebhook(webhooks.Input{Name: &name, URL: &url})
	if err != nil || w.ID == 0 {
		t.Fatalf("CreateWebhook: %v", err)
	}
	if _, err := b.CreateWebhook(webhooks.Input{Name: &name, URL: &url}); err == nil || json.Unmarshal([]byte(err.Error()), &body) != nil || body.Embedded.Details.Attribute != "name" {
		t.Fatalf("duplicate webhook name: %v", err)
	}

	// Deliveries: test-fire, list, replay, redeliver, as over HTTP.
	recv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) { rw.WriteHeader(503) }))
	defer recv.Close()
	rurl, events := recv.URL, []string{"work_package:created"}
	if _, err := b.UpdateWebhook(w.ID, webhooks.Input{URL: &rurl, Events: &events}); err != nil {
		t.Fatal(err)
	}
	at, err := b.TestWebhook(w.ID, "work_package:created")
	if err != nil || at.ResponseCode != 503 || !at.Test || at.RequestBody == "" {
		t.Fatalf("TestWebhook: %+v %v", at, err)
	}
	list, err := b.ListDeliveries(w.ID, 10, 0, "", "")
	if err != nil || len(list) != 1 || list[0].ID != at.ID {
		t.Fatalf("ListDeliveries: %+v %v", list, err)
	}
	if list, err := b.ListDeliveries(w.ID, 10, 0, "retrying", ""); err != nil || len(list) != 0 {
		t.Fatalf("ListDeliveries of retrying attempts: %+v %v", list, err)
	}
	if list, err := b.ListDeliveries(w.ID, 10, 0, "failed", at.EventName); err != nil || len(list) != 1 {
		t.Fatalf("ListDeliveries of failed %s: %+v %v", at.EventName, list, err)
	}
	if _, err := b.ListDeliveries(w.ID, 10, 0, "ok", ""); err == nil || json.Unmarshal([]byte(err.Error()), &body) != nil || body.Embedded.Details.Attribute != "outcome" {
		t.Fatalf("ListDeliveries with an unknown outcome: %v", err)
	}
	if _, err := b.ListDeliveries(w.ID+100, 10, 0, "", ""); err == nil || json.Unmarshal([]byte(err.Error()), &body) != nil || body.Identifier != "urn:openproject-org:api:v3:errors:NotFound" {
		t.Fatalf("ListDeliveries of a missing webhook: %v", err)
	}
	if _, err := b.ReplayWebhook(w.ID, "yesterday"); err == nil || json.Unmarshal([]byte(err.Error()), &body) != nil || body.Embedded.Details.Attribute != "since" {
		t.Fatalf("ReplayWebhook with a bad time: %v", err)
	}
	if n, err := b.ReplayWebhook(w.ID, time.Now().Add(-time.Hour).Format(time.RFC3339)); err != nil || n != 0 {
		t.Fatalf("ReplayWebhook: %d %v (test deliveries are not replayed)", n, err)
	}
	if err := b.Redeliver(at.DeliveryID); err == nil {
		t.Fatal("Redeliver of a test delivery: want not found")
	}

	if err := b.DeleteWebhook(w.ID); err != nil {
		t.Fatal(err)
	}
	if len(b.EventCatalogue()) != len(outbox.Catalogue) || b.EventCatalogue()[0].Resource != "project" {
		t.Fatal("event catalogue")
	}
}
