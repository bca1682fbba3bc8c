package dispatch_test

import (
	"context"
	"database/sql"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/webhooks"
)

// failingSince reads the webhook's failing_since column (nil: not failing).
func (w *world) failingSince(t *testing.T, id int64) *time.Time {
	t.Helper()
	var since sql.NullTime
	if err := w.st.Read.QueryRowContext(context.Background(), "SELECT failing_since FROM webhooks WHERE id = ?", id).Scan(&since); err != nil {
		t.Fatalf("failing_since of %d: %v", id, err)
	}
	if !since.Valid {
		return nil
	}
	return &since.Time
}

// A webhook whose deliveries all fail for 24 hours is disabled; a success
// ends the failure run; re-enabling starts a new one, so the next failure
// does not disable it again on account of the old ones (the log still holds
// them). The clock is injected.
func TestAutoDisableCountsFromTheFailureRun(t *testing.T) {
	w := newWorld(t)
	var code atomic.Int32
	code.Store(404)
	var got atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		got.Add(1)
		rw.WriteHeader(int(code.Load()))
	}))
	t.Cleanup(srv.Close)
	h := w.hook(t, srv.URL, secret, []string{"work_package:created"}, nil)
	d := w.dispatcher(t, "127.0.0.1/32")
	deliver := func() {
		t.Helper()
		w.newWorkPackage(t, w.project)
		w.run(t, d)
	}
	enabled := func() webhooks.Webhook {
		t.Helper()
		wh, err := w.webhooks.Get(context.Background(), h.ID)
		if err != nil {
			t.Fatal(err)
		}
		return wh
	}
	same := func(at *time.Time, want time.Time) bool { return at != nil && at.Equal(want) }

	if w.failingSince(t, h.ID) != nil {
		t.Fatal("a new webhook is failing")
	}
	t0 := w.clock.now()
	deliver()
	if at := w.failingSince(t, h.ID); !same(at, t0) {
		t.Fatalf("after the first failure failing_since is %v, want %v", at, t0)
	}
	w.clock.add(23 * time.Hour)
	deliver()
	if at := w.failingSince(t, h.ID); !same(at, t0) || !enabled().Enabled {
		t.Fatalf("after 23 h: failing_since %v (want %v), enabled %v", at, t0, enabled().Enabled)
	}
	code.Store(200)
	deliver()
	if at := w.failingSince(t, h.ID); at != nil {
		t.Fatalf("a success left failing_since at %v", at)
	}
	code.Store(500)
	w.clock.add(time.Hour)
	t1 := w.clock.now()
	deliver()
	if at := w.failingSince(t, h.ID); !same(at, t1) {
		t.Fatalf("a new failure run starts at %v, want %v", at, t1)
	}
	w.clock.add(24*time.Hour + time.Minute)
	deliver()
	wh := enabled()
	if wh.Enabled || !strings.Contains(wh.Status.Reason, t1.Format(time.RFC3339)) || !strings.Contains(wh.Status.Reason, "disabled automatically") {
		t.Fatalf("after 24 h of failures: enabled %v, reason %q (want disabled, failing since %s)", wh.Enabled, wh.Status.Reason, t1.Format(time.RFC3339))
	}

	on := true
	if _, err := w.webhooks.Update(context.Background(), h.ID, webhooks.Input{Enabled: &on}); err != nil {
		t.Fatal(err)
	}
	if at := w.failingSince(t, h.ID); at != nil {
		t.Fatalf("re-enabling left failing_since at %v", at)
	}
	before := got.Load()
	deliver() // still answering 500: a new run starts, it is not 24 h old
	if wh := enabled(); !wh.Enabled || got.Load() == before {
		t.Fatalf("re-enabled webhook: enabled %v (reason %q), %d attempts; want it enabled and delivering", wh.Enabled, wh.Status.Reason, got.Load()-before)
	}
	if at := w.failingSince(t, h.ID); !same(at, w.clock.now()) {
		t.Fatalf("after re-enabling, failing_since %v, want %v", at, w.clock.now())
	}
	code.Store(200)
	deliver()
	if at := w.failingSince(t, h.ID); at != nil || !enabled().Enabled {
		t.Fatalf("recovered: failing_since %v, enabled %v", at, enabled().Enabled)
	}
}

// A dispatcher that takes over a failing webhook (a restart) keeps the
// failure run's start, so the 24 hours are not restarted by a restart.
func TestAutoDisableSurvivesARestart(t *testing.T) {
	w := newWorld(t)
	srv, _ := receiver(t, 404, 404, 404, 404)
	h := w.hook(t, srv.URL, secret, []string{"work_package:created"}, nil)
	t0 := w.clock.now()
	w.newWorkPackage(t, w.project)
	w.run(t, w.dispatcher(t, "127.0.0.1/32"))
	w.clock.add(25 * time.Hour) // the first dispatcher's lease has long expired
	w.newWorkPackage(t, w.project)
	w.run(t, w.dispatcher(t, "127.0.0.1/32"))
	wh, err := w.webhooks.Get(context.Background(), h.ID)
	if err != nil || wh.Enabled || !strings.Contains(wh.Status.Reason, t0.Format(time.RFC3339)) {
		t.Fatalf("failing since %s, 25 h later, after a restart: %+v %v", t0.Format(time.RFC3339), wh.Status, err)
	}
}
