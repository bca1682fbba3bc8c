package dispatch_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/dispatch"
)

// A webhook that has failed every attempt for SlowAfter gets one attempt at
// a time, one per SlowInterval; its first success lifts that, and its
// backlog then goes at full speed. Nothing is dropped either way.
func TestFailingWebhookIsSlowedUntilItSucceeds(t *testing.T) {
	w := newWorld(t)
	var mu sync.Mutex
	code, inflight, peak := http.StatusNotFound, 0, 0
	var starts []time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		inflight++
		peak = max(peak, inflight)
		starts = append(starts, time.Now())
		c := code
		mu.Unlock()
		time.Sleep(20 * time.Millisecond)
		mu.Lock()
		inflight--
		mu.Unlock()
		rw.WriteHeader(c)
	}))
	t.Cleanup(srv.Close)
	h := w.hook(t, srv.URL, secret, []string{"work_package:created"}, nil)
	cfg := dispatch.DefaultConfig("test")
	cfg.SlowAfter, cfg.SlowInterval = time.Minute, 100*time.Millisecond
	cfg.Allow = allowLoopback
	d, err := dispatch.New(context.Background(), w.st, cfg, w.clock.now, discard)
	if err != nil {
		t.Fatal(err)
	}
	batch := func(n int) (int, []time.Time) {
		t.Helper()
		mu.Lock()
		peak, starts = 0, nil
		mu.Unlock()
		for range n {
			w.newWorkPackage(t, w.project)
		}
		for w.pending(t, h.ID) > 0 {
			w.run(t, d)
		}
		mu.Lock()
		defer mu.Unlock()
		return peak, append([]time.Time(nil), starts...)
	}

	// Failing for less than SlowAfter: full speed.
	if p, s := batch(8); p < 2 || len(s) != 8 {
		t.Fatalf("a webhook failing for seconds: peak %d in flight over %d attempts, want full speed", p, len(s))
	}
	w.clock.add(2 * time.Minute)
	p, s := batch(6)
	if p != 1 || len(s) != 6 {
		t.Fatalf("a webhook failing for minutes: peak %d in flight over %d attempts, want 1 at a time", p, len(s))
	}
	// Arrivals at the receiver, not starts: a connection set up slowly
	// under load shortens the next gap, hence half the interval (unpaced
	// attempts arrive a few milliseconds apart).
	for i := 1; i < len(s); i++ {
		if gap := s[i].Sub(s[i-1]); gap < 50*time.Millisecond {
			t.Fatalf("attempts %d and %d of a slowed webhook started %v apart, want at least the interval", i, i+1, gap)
		}
	}
	if wh, err := w.webhooks.Get(context.Background(), h.ID); err != nil || wh.Status.FailingSince == nil {
		t.Fatalf("a failing webhook's status shows no failingSince: %+v %v", wh.Status, err)
	}
	mu.Lock()
	code = http.StatusOK
	mu.Unlock()
	if p, s := batch(8); p < 2 || len(s) != 8 {
		t.Fatalf("after its endpoint recovered: peak %d in flight over %d attempts, want full speed again", p, len(s))
	}
	if wh, err := w.webhooks.Get(context.Background(), h.ID); err != nil || wh.Status.FailingSince != nil {
		t.Fatalf("a recovered webhook's status still shows failingSince: %+v %v", wh.Status, err)
	}
}

// pending counts the webhook's deliveries still to be sent.
func (w *world) pending(t *testing.T, webhookID int64) int {
	t.Helper()
	var n int
	if err := w.st.Read.QueryRowContext(context.Background(), "SELECT count(*) FROM deliveries WHERE webhook_id = ? AND status = 'pending'", webhookID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
