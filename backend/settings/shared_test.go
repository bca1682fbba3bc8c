package settings_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/settings"
	"github.com/hookpost/hookpost/backend/store"
	"github.com/hookpost/hookpost/backend/store/storetest"
)

// watched is a settings service on a shared database, with what its change
// watcher applied.
type watched struct {
	*settings.Service
	st      *store.Store
	mu      sync.Mutex
	changes []settings.Change
}

// taken returns the changes applied since the last call.
func (w *watched) taken() []settings.Change {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.changes
	w.changes = nil
	return out
}

// openWatched opens a process's settings on the database at loc. On
// PostgreSQL its watcher listens from now on; on SQLite, Sync polls.
func openWatched(t *testing.T, loc string) *watched {
	t.Helper()
	ctx := context.Background()
	st := storetest.OpenAt(t, loc)
	s, err := settings.New(ctx, st, time.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	w := &watched{Service: s, st: st}
	s.Follow(func(_ context.Context, c settings.Change) {
		w.mu.Lock()
		w.changes = append(w.changes, c)
		w.mu.Unlock()
	})
	if storetest.Postgres() {
		wctx, stop := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			s.Watch(wctx, settings.PollInterval, slog.New(slog.NewTextHandler(io.Discard, nil)))
			close(done)
		}()
		t.Cleanup(func() { stop(); <-done }) // before the store closes
	}
	return w
}

// sync waits until w has applied every change committed so far (a
// safety net of 10 s, not a timing assertion).
func (w *watched) sync(t *testing.T) []settings.Change {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := w.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	return w.taken()
}

// attempts are the attempt ids that changes name, one by one (PostgreSQL)
// or as ranges (SQLite).
func attempts(changes []settings.Change) []int64 {
	var ids []int64
	for _, c := range changes {
		if c.AttemptIDs != nil {
			ids = append(ids, c.AttemptIDs...)
			continue
		}
		for id := c.Prev.Attempts + 1; id <= c.Cur.Attempts && !c.Lost; id++ {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

func moved(changes []settings.Change, f func(settings.Changes) int64) bool {
	for _, c := range changes {
		if f(c.Cur) != f(c.Prev) || c.Lost {
			return true
		}
	}
	return false
}

// What another process writes reaches this one's watcher, on SQLite (one
// poll) and on PostgreSQL (notifications): settings, webhook writes (and
// not the dispatcher's failure bookkeeping), events and each delivery
// attempt.
func TestWritesOfAnotherProcessReachTheWatcher(t *testing.T) {
	ctx := context.Background()
	loc := storetest.Location(t)
	here, other := openWatched(t, loc), openWatched(t, loc)
	here.sync(t)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := other.st.DB.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	webhooks := func(c settings.Changes) int64 { return c.Webhooks }
	events := func(c settings.Changes) int64 { return c.Events }

	size := 321
	if _, err := other.Update(ctx, settings.Patch{MaxPageSize: &size}); err != nil {
		t.Fatal(err)
	}
	if here.sync(t); here.Current().MaxPageSize != 321 {
		t.Fatalf("maxPageSize %d after another process set 321", here.Current().MaxPageSize)
	}

	exec(`INSERT INTO webhooks (name, url, enabled, all_projects, created_at, updated_at) VALUES ('w', 'http://127.0.0.1:1/', TRUE, TRUE, ?, ?)`, at, at)
	if c := here.sync(t); !moved(c, webhooks) {
		t.Fatalf("a webhook created: %+v", c)
	}
	exec(`UPDATE webhooks SET failing_since = ?`, at)
	if c := here.sync(t); moved(c, webhooks) {
		t.Fatalf("failing_since alone moved the webhooks: %+v", c)
	}
	exec(`UPDATE webhooks SET enabled = FALSE, disabled_reason = 'gone', updated_at = ?`, at.Add(time.Second))
	if c := here.sync(t); !moved(c, webhooks) {
		t.Fatalf("a webhook disabled: %+v", c)
	}

	var hook int64
	if err := other.st.DB.NewRaw("SELECT id FROM webhooks").Scan(ctx, &hook); err != nil {
		t.Fatal(err)
	}
	var ev int64
	if err := other.st.DB.NewRaw(`INSERT INTO events (name, resource_key, resource_id, payload, created_at) VALUES ('project:created', 'project', 1, '{}', ?) RETURNING id`, at).Scan(ctx, &ev); err != nil {
		t.Fatal(err)
	}
	if c := here.sync(t); !moved(c, events) {
		t.Fatalf("an event recorded: %+v", c)
	}
	var delivery int64
	if err := other.st.DB.NewRaw(`INSERT INTO deliveries (webhook_id, event_id, event_name, status, attempts, next_attempt_at, test, created_at, updated_at)
		VALUES (?, ?, 'project:created', 'pending', 0, ?, FALSE, ?, ?) RETURNING id`, hook, ev, at, at, at).Scan(ctx, &delivery); err != nil {
		t.Fatal(err)
	}
	var want []int64
	for range 3 {
		var id int64
		if err := other.st.DB.NewRaw(`INSERT INTO delivery_attempts (delivery_id, webhook_id, attempt, event_name, url, request_headers, request_body,
			response_code, response_headers, response_body, error, duration_ms, test, created_at)
			VALUES (?, ?, 1, 'project:created', 'http://127.0.0.1:1/', '{}', '', 200, '{}', '', '', 1, FALSE, ?) RETURNING id`, delivery, hook, at).Scan(ctx, &id); err != nil {
			t.Fatal(err)
		}
		want = append(want, id)
	}
	if got := attempts(here.sync(t)); !slices.Equal(got, want) {
		t.Fatalf("attempts %v reached the watcher, want %v", got, want)
	}
	exec(`DELETE FROM webhooks`)
	if c := here.sync(t); !moved(c, webhooks) {
		t.Fatalf("a webhook deleted: %+v", c)
	}
}

// On PostgreSQL, a listening connection the server ends is opened again,
// and the watcher starts the new one with a full invalidation (Lost); what
// changed around it takes effect.
func TestLostListenerIsOpenedAgain(t *testing.T) {
	if !storetest.Postgres() {
		t.Skip("PostgreSQL's LISTEN: on SQLite the watcher polls")
	}
	ctx := context.Background()
	loc := storetest.Location(t)
	here, other := openWatched(t, loc), openWatched(t, loc)
	here.sync(t)
	// The listeners are named after their channel (this test's schema).
	if _, err := other.st.DB.ExecContext(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
		WHERE application_name = ? || current_schema()`, settings.ChannelPrefix); err != nil {
		t.Fatal(err)
	}
	size := 654
	if _, err := other.Update(ctx, settings.Patch{MaxPageSize: &size}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second) // a safety net
	for lost := false; !lost; {
		for _, c := range here.sync(t) {
			lost = lost || c.Lost
		}
		if !lost && time.Now().After(deadline) {
			t.Fatal("the watcher did not listen again")
		}
	}
	if here.sync(t); here.Current().MaxPageSize != 654 {
		t.Fatalf("maxPageSize %d, want 654", here.Current().MaxPageSize)
	}
}
