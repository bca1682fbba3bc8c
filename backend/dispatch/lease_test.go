package dispatch_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/store"
)

// Two dispatchers sharing the database: every delivery is sent exactly once,
// and each webhook never has more than PerWebhook attempts in flight across
// both.
func TestTwoDispatchersShareTheWork(t *testing.T) {
	w := newWorld(t)
	var mu sync.Mutex
	seen := map[string]int{}
	inFlight, peak := map[string]int{}, map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Header.Get("webhook-id")]++
		inFlight[r.URL.Path]++
		peak[r.URL.Path] = max(peak[r.URL.Path], inFlight[r.URL.Path])
		mu.Unlock()
		time.Sleep(2 * time.Millisecond)
		mu.Lock()
		inFlight[r.URL.Path]--
		mu.Unlock()
	}))
	defer srv.Close()
	for i := range 3 {
		w.hook(t, fmt.Sprintf("%s/%d", srv.URL, i), secret, []string{"work_package:created"}, nil)
	}
	const events = 150
	for range events {
		w.newWorkPackage(t, w.project)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for range 2 {
		d := w.dispatcher(t, "127.0.0.1/32")
		wg.Go(func() { d.Run(ctx) })
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		mu.Lock()
		n := len(seen)
		mu.Unlock()
		if n == 3*events || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	if len(seen) != 3*events {
		t.Fatalf("%d deliveries arrived, want %d", len(seen), 3*events)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("%s sent %d times", id, n)
		}
	}
	for path, p := range peak {
		if p > 4 {
			t.Errorf("%s had %d attempts in flight at once, more than 4", path, p)
		}
	}
	var leases int
	if err := w.st.Read.NewSelect().Table("dispatch_leases").ColumnExpr("count(*)").Scan(context.Background(), &leases); err != nil || leases != 0 {
		t.Fatalf("%d leases left after both stopped (%v): they hand their webhooks back", leases, err)
	}
}

// A webhook held by another live dispatcher waits for its lease to expire;
// one held by a process of this host that has died is taken over at once.
func TestLeaseTakeover(t *testing.T) {
	w := newWorld(t)
	srv, got := receiver(t)
	h := w.hook(t, srv.URL, secret, []string{"work_package:created"}, nil)
	w.newWorkPackage(t, w.project)
	setOwner := func(owner string, until time.Time) {
		t.Helper()
		if _, err := w.st.DB.ExecContext(context.Background(), `INSERT INTO dispatch_leases (webhook_id, owner, until) VALUES (?, ?, ?)
			ON CONFLICT (webhook_id) DO UPDATE SET owner = excluded.owner, until = excluded.until`, h.ID, owner, store.Timestamp(until)); err != nil {
			t.Fatal(err)
		}
	}
	d := w.dispatcher(t, "127.0.0.1/32")

	setOwner("elsewhere/4242/abc", w.clock.now().Add(20*time.Second))
	if n := w.run(t, d); n != 0 || len(got()) != 0 {
		t.Fatalf("sent %d while another dispatcher held the webhook", n)
	}
	w.clock.add(21 * time.Second)
	if n := w.run(t, d); n != 1 {
		t.Fatalf("after the lease expired: %d sent, want 1", n)
	}

	// A webhook held elsewhere is not asked for on every read, but within a
	// quarter of a lease once its holder hands it back.
	w.newWorkPackage(t, w.project)
	d3 := w.dispatcher(t, "127.0.0.1/32")
	if n := w.run(t, d3); n != 0 {
		t.Fatalf("a second dispatcher took a held webhook: %d", n)
	}
	if _, err := w.st.DB.ExecContext(context.Background(), `DELETE FROM dispatch_leases`); err != nil {
		t.Fatal(err)
	}
	if n := w.run(t, d3); n != 0 {
		t.Fatalf("asked again at once: %d sent", n)
	}
	w.clock.add(6 * time.Second)
	if n := w.run(t, d3); n != 1 {
		t.Fatalf("a handed-back webhook was not taken: %d sent", n)
	}

	// A process of this host that has exited: its pid no longer runs.
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Skip("cannot start a process:", err)
	}
	host, _ := os.Hostname()
	dead := fmt.Sprintf("%s/%d/abc", host, cmd.Process.Pid)
	w.newWorkPackage(t, w.project)
	d2 := w.dispatcher(t, "127.0.0.1/32")
	setOwner(dead, w.clock.now().Add(20*time.Second))
	if n := w.run(t, d2); n != 1 {
		t.Fatalf("a dead process's lease was not taken over: %d sent", n)
	}
	var owner string
	if err := w.st.Read.NewSelect().Table("dispatch_leases").Column("owner").Where("webhook_id = ?", h.ID).Scan(context.Background(), &owner); err != nil || owner == dead || !strings.HasPrefix(owner, host+"/") {
		t.Fatalf("lease owner %q (%v)", owner, err)
	}
}
