package dispatch_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/dispatch"
	"github.com/hookpost/hookpost/backend/live"
)

// The attempts recorded by other processes reach the live stream one by
// one, read a page at a time, with the outcome the recording dispatcher
// decided; more than a hub can keep apart become one resync.
func TestAnnounceRecordedPagesAndBounds(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	hub := live.NewHub()
	cfg := dispatch.DefaultConfig("test")
	cfg.Live = hub
	d, err := dispatch.New(ctx, w.st, cfg, w.clock.now, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	at := w.clock.now()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := w.st.DB.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO webhooks (name, url, enabled, all_projects, created_at, updated_at) VALUES ('w', 'http://127.0.0.1:1/', TRUE, TRUE, ?, ?)`, at, at)
	exec(`INSERT INTO deliveries (webhook_id, event_name, status, attempts, next_attempt_at, test, created_at, updated_at)
		VALUES (1, 'webhook:test', 'pending', 0, ?, TRUE, ?, ?)`, at, at, at)
	const n = 2500
	for i := range n {
		code, errText, next := 200, "", any(nil)
		switch i % 3 {
		case 1:
			code, next = 503, at.Add(time.Minute)
		case 2:
			code, errText = -1, "connection refused"
		}
		exec(`INSERT INTO delivery_attempts (delivery_id, webhook_id, attempt, event_name, url, request_headers, request_body,
			response_code, response_headers, response_body, error, duration_ms, next_retry_at, test, created_at)
			VALUES (1, 1, 1, 'webhook:test', 'http://127.0.0.1:1/', '{}', '', ?, '{}', '', ?, 1, ?, TRUE, ?)`, code, errText, next, at)
	}

	if err := d.AnnounceRecorded(ctx, 0, n, nil); err != nil {
		t.Fatal(err) // nobody listens: nothing read, nothing sent
	}
	sub := hub.Subscribe(2 * n)
	defer sub.Close()
	if err := d.AnnounceRecorded(ctx, 0, n, nil); err != nil {
		t.Fatal(err)
	}
	if err := d.AnnounceRecorded(ctx, 0, 0, []int64{1, 2, 3}); err != nil { // seen already
		t.Fatal(err)
	}
	if len(sub.C) != n {
		t.Fatalf("%d events, want %d", len(sub.C), n)
	}
	for i := range n {
		m := <-sub.C
		var e live.Delivery
		if err := json.Unmarshal(m.Data, &e); err != nil {
			t.Fatal(err)
		}
		want := []string{"succeeded", "retrying", "failed"}[i%3]
		if m.Name != live.EventDelivery || e.AttemptID != int64(i+1) || e.Outcome != want || e.MessageID != "msg_test_1" || !e.Test {
			t.Fatalf("event %d: %s %+v, want attempt %d %s", i, m.Name, e, i+1, want)
		}
	}
	if err := d.AnnounceRecorded(ctx, 100_000, 200_000, nil); err != nil {
		t.Fatal(err)
	}
	if m := <-sub.C; m.Name != live.EventResync || len(sub.C) != 0 {
		t.Fatalf("after a flood: %s and %d more, want one resync", m.Name, len(sub.C))
	}
}
