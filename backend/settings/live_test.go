package settings_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/live"
	"github.com/hookpost/hookpost/backend/settings"
	"github.com/hookpost/hookpost/backend/store"
)

// A change made by another process sharing the database reaches this
// process's live subscribers (the app's API settings page) once this
// process has polled the change counters; this process's own change is
// announced once, not again when its poll sees the counter it bumped.
func TestPollAnnouncesChangesOfOtherProcesses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hookpost.db")
	now := func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }
	open := func() (*settings.Service, *live.Hub) {
		st, err := store.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if _, err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		hub := live.NewHub()
		s, err := settings.New(ctx, st, now, hub)
		if err != nil {
			t.Fatal(err)
		}
		return s, hub
	}
	here, hereHub := open()
	other, _ := open()
	sub := hereHub.Subscribe(8)
	defer sub.Close()
	next := func() (live.Message, bool) {
		select {
		case m := <-sub.C:
			return m, true
		default:
			return live.Message{}, false
		}
	}

	size := 321
	if _, err := other.Update(ctx, settings.Patch{MaxPageSize: &size}); err != nil {
		t.Fatal(err)
	}
	if m, ok := next(); ok {
		t.Fatalf("announced before polling: %+v", m)
	}
	if err := here.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	m, ok := next()
	if !ok || m.Name != live.EventSettings {
		t.Fatalf("after the poll: %+v %v", m, ok)
	}
	var got settings.Settings
	if err := json.Unmarshal(m.Data, &got); err != nil || got.MaxPageSize != 321 {
		t.Fatalf("announced %s (%v)", m.Data, err)
	}

	// This process's own change: one event, none more from the poll.
	size = 222
	if _, err := here.Update(ctx, settings.Patch{MaxPageSize: &size}); err != nil {
		t.Fatal(err)
	}
	if m, ok := next(); !ok || m.Name != live.EventSettings {
		t.Fatalf("own change: %+v %v", m, ok)
	}
	if err := here.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if m, ok := next(); ok {
		t.Fatalf("own change announced again by the poll: %s", m.Data)
	}
}

// A webhook written by another process moves the webhooks counter (a
// trigger bumps it in the write's transaction), and the attempts it records
// move the newest attempt id: a poll reports both, with the range of
// attempts between the two reads.
func TestPollSeesWebhooksAndAttemptsOfOtherProcesses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "hookpost.db")
	open := func() *store.Store {
		st, err := store.Open(ctx, path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if _, err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		return st
	}
	hereStore, other := open(), open()
	here, err := settings.New(ctx, hereStore, time.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []settings.Change
	here.Follow(func(_ context.Context, c settings.Change) { got = append(got, c) })
	poll := func() settings.Change {
		t.Helper()
		got = nil
		if err := here.Poll(ctx); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("%d changes applied, want 1", len(got))
		}
		return got[0]
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := other.DB.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	exec(`INSERT INTO webhooks (name, url, enabled, all_projects, created_at, updated_at) VALUES ('w', 'http://127.0.0.1:1/', TRUE, TRUE, ?, ?)`, at, at)
	c := poll()
	if c.Cur.Webhooks != c.Prev.Webhooks+1 || c.Cur.Attempts != c.Prev.Attempts {
		t.Fatalf("after a webhook was created: %+v", c)
	}
	// Its failure bookkeeping alone is no change to announce.
	exec(`UPDATE webhooks SET failing_since = ? WHERE id = 1`, at)
	got = nil
	if err := here.Poll(ctx); err != nil || len(got) != 0 {
		t.Fatalf("failing_since moved: %d changes applied (%v)", len(got), err)
	}
	exec(`UPDATE webhooks SET enabled = FALSE, disabled_reason = 'gone', updated_at = ? WHERE id = 1`, at.Add(time.Second))
	if c := poll(); c.Cur.Webhooks != c.Prev.Webhooks+1 {
		t.Fatalf("after a webhook was disabled: %+v", c)
	}

	exec(`INSERT INTO deliveries (webhook_id, event_name, status, attempts, next_attempt_at, test, created_at, updated_at)
		VALUES (1, 'webhook:test', 'pending', 0, ?, TRUE, ?, ?)`, at, at, at)
	for range 3 {
		exec(`INSERT INTO delivery_attempts (delivery_id, webhook_id, attempt, event_name, url, request_headers, request_body,
			response_code, response_headers, response_body, error, duration_ms, test, created_at)
			VALUES (1, 1, 1, 'webhook:test', 'http://127.0.0.1:1/', '{}', '', 200, '{}', '', '', 1, TRUE, ?)`, at)
	}
	c = poll()
	if c.Prev.Attempts != 0 || c.Cur.Attempts != 3 || c.AttemptIDs != nil || c.Lost {
		t.Fatalf("after three attempts: %+v, want the range (0, 3]", c)
	}
	exec(`DELETE FROM webhooks WHERE id = 1`)
	if c := poll(); c.Cur.Webhooks != c.Prev.Webhooks+1 {
		t.Fatalf("after a webhook was deleted: %+v", c)
	}
}
