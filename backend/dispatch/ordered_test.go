package dispatch_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/dispatch"
	"github.com/hookpost/hookpost/backend/store"
	"github.com/hookpost/hookpost/backend/store/storetest"
	"github.com/hookpost/hookpost/backend/tracker"
	"github.com/hookpost/hookpost/backend/webhooks"
)

// orderReceiver is an endpoint that checks what an ordered webhook
// promises: each work package's updates arrive one at a time, and each one
// is the update after the last one it accepted (its lockVersion one more),
// whatever it answered before. It fails every delivery of one work package
// until released.
type orderReceiver struct {
	failing int64 // the work package whose deliveries fail
	release atomic.Bool

	mu       sync.Mutex
	accepted map[int64]int // last lockVersion accepted, by work package
	inFlight map[int64]int
	failures int // deliveries of failing answered 503
	wrong    []string
}

func newOrderReceiver(failing int64) *orderReceiver {
	return &orderReceiver{failing: failing, accepted: map[int64]int{}, inFlight: map[int64]int{}}
}

func (o *orderReceiver) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	var body struct {
		WorkPackage struct {
			ID          int64 `json:"id"`
			LockVersion int   `json:"lockVersion"`
		} `json:"work_package"`
	}
	raw, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(raw, &body); err != nil || body.WorkPackage.ID == 0 {
		o.mu.Lock()
		o.wrong = append(o.wrong, fmt.Sprintf("not a work package update: %s", raw))
		o.mu.Unlock()
		rw.WriteHeader(http.StatusBadRequest)
		return
	}
	wp, v := body.WorkPackage.ID, body.WorkPackage.LockVersion
	o.mu.Lock()
	o.inFlight[wp]++
	if o.inFlight[wp] > 1 {
		o.wrong = append(o.wrong, fmt.Sprintf("work package %d: two deliveries at once", wp))
	}
	// A delivery sent again after it was accepted (at least once) is no
	// disorder; anything else but the next update is.
	if last := o.accepted[wp]; v != last+1 && v != last {
		o.wrong = append(o.wrong, fmt.Sprintf("work package %d: update %d arrived after update %d was the last accepted", wp, v, last))
	}
	fail := wp == o.failing && !o.release.Load()
	o.mu.Unlock()
	// Long enough for a second delivery of the same work package to overlap
	// this one, were it sent.
	time.Sleep(200 * time.Microsecond)
	o.mu.Lock()
	o.inFlight[wp]--
	if fail {
		o.failures++
	} else if v > o.accepted[wp] {
		o.accepted[wp] = v
	}
	o.mu.Unlock()
	if fail {
		rw.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	rw.WriteHeader(http.StatusNoContent)
}

// state returns the last accepted update of each work package, the failures
// answered so far and the disorders seen.
func (o *orderReceiver) state() (map[int64]int, int, []string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	acc := make(map[int64]int, len(o.accepted))
	for k, v := range o.accepted {
		acc[k] = v
	}
	return acc, o.failures, append([]string(nil), o.wrong...)
}

// deliveries counts the deliveries matching where.
func (w *world) deliveries(t *testing.T, where string) int {
	t.Helper()
	var n int
	if err := w.st.Read.NewSelect().Table("deliveries").ColumnExpr("count(*)").Where(where).Scan(context.Background(), &n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitUntil polls cond until it holds, or fails the test after limit.
func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("gave up waiting: %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// orderedConfig retries at once, for as long as the test needs, and never
// slows the webhook down: the test is about order, not pacing.
func orderedConfig() dispatch.Config {
	cfg := dispatch.DefaultConfig("test")
	cfg.Allow = allowLoopback
	cfg.Timeout = 5 * time.Second
	cfg.Schedule = make([]time.Duration, 100000)
	for i := range cfg.Schedule {
		cfg.Schedule[i] = 5 * time.Millisecond
	}
	cfg.Jitter = 0
	cfg.SlowAfter = 0
	cfg.Poll = 5 * time.Millisecond
	return cfg
}

// startDispatcher runs a dispatcher on st with the real clock (retries come
// due as time passes); stop shuts it down and waits for it.
func startDispatcher(t *testing.T, st *store.Store, cfg dispatch.Config) (stop func()) {
	t.Helper()
	d, err := dispatch.New(context.Background(), st, cfg, time.Now, discard)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { d.Run(context.Background()); close(done) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			d.Shutdown(ctx)
			<-done
		})
	}
	t.Cleanup(stop)
	return stop
}

// An ordered webhook (issue 12, item 6): 1,000 updates to 10 work packages,
// committed by ten writers at once, reach a real receiver one at a time per
// work package and in commit order, while the receiver fails every delivery
// of one work package until the nine others have received all of theirs:
// the failing one holds back only its own later updates. Two dispatchers
// share the database meanwhile; then both stop and a third one starts (a
// restart), with the failing work package's retry and its later updates
// still pending, and delivers them in order once the receiver recovers.
func TestOrderedDelivery(t *testing.T) {
	const packages, updates = 10, 100
	loc := storetest.Location(t)
	w := newWorldAt(t, loc)
	ctx := context.Background()
	ids := make([]int64, packages)
	for i := range ids {
		ids[i] = w.newWorkPackageID(t, w.project)
	}
	rec := newOrderReceiver(ids[3])
	srv := httptest.NewServer(rec)
	defer srv.Close()
	name, url, events, ordered := "ordered", srv.URL+"/hook", []string{"work_package:updated"}, true
	if _, err := w.webhooks.Create(ctx, webhooks.Input{Name: &name, URL: &url, Events: &events, Ordered: &ordered}); err != nil {
		t.Fatal(err)
	}

	// Two processes sharing the database: one holds the webhook's lease.
	cfg := orderedConfig()
	stop1 := startDispatcher(t, w.st, cfg)
	stop2 := startDispatcher(t, storetest.OpenAt(t, loc), cfg)

	var writers sync.WaitGroup
	for _, id := range ids {
		writers.Go(func() {
			for v := range updates {
				subject := fmt.Sprintf("update %d", v+1)
				if _, err := w.tracker.UpdateWorkPackage(ctx, w.admin, id, tracker.WorkPackageInput{Subject: &subject, LockVersion: &v}); err != nil {
					t.Errorf("work package %d, update %d: %v", id, v+1, err)
					return
				}
			}
		})
	}
	// The failing work package must not hold the others back: they all
	// arrive while its deliveries keep failing (otherwise this waits in
	// vain). Its own later updates wait behind its first one.
	waitUntil(t, 2*time.Minute, "the nine healthy work packages' updates", func() bool {
		acc, failures, _ := rec.state()
		for _, id := range ids {
			if id != rec.failing && acc[id] != updates {
				return false
			}
		}
		return failures >= 3
	})
	writers.Wait()
	if t.Failed() {
		return
	}
	stop1()
	stop2()
	acc, failures, _ := rec.state()
	if acc[rec.failing] != 0 || failures < 3 {
		t.Fatalf("the failing work package had update %d accepted and %d failures", acc[rec.failing], failures)
	}
	if pending := w.deliveries(t, "status = 'pending'"); pending != updates {
		t.Fatalf("%d deliveries pending when both stopped, want the failing work package's %d", pending, updates)
	}

	// A restart: a new dispatcher takes over from the database alone.
	rec.release.Store(true)
	stop3 := startDispatcher(t, storetest.OpenAt(t, loc), cfg)
	waitUntil(t, 2*time.Minute, "the failing work package's updates", func() bool {
		acc, _, _ := rec.state()
		return acc[rec.failing] == updates
	})
	stop3()

	acc, _, wrong := rec.state()
	for _, m := range wrong {
		t.Error(m)
	}
	for _, id := range ids {
		if acc[id] != updates {
			t.Errorf("work package %d: last update accepted %d, want %d", id, acc[id], updates)
		}
	}
	if n := w.deliveries(t, "status = 'succeeded'"); n != packages*updates {
		t.Fatalf("%d deliveries succeeded, want all %d", n, packages*updates)
	}
}

// Turning ordered on orders the deliveries already pending too: a retry
// waiting from before the switch holds back the later updates of its work
// package, those committed before the switch and after it.
func TestOrderedSwitchedOnOrdersPendingDeliveries(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	srv, got := receiver(t, http.StatusServiceUnavailable)
	h := w.hook(t, srv.URL, secret, []string{"work_package:updated"}, nil)
	wp := w.newWorkPackageID(t, w.project)
	update := func(v int) {
		t.Helper()
		subject := fmt.Sprintf("update %d", v+1)
		if _, err := w.tracker.UpdateWorkPackage(ctx, w.admin, wp, tracker.WorkPackageInput{Subject: &subject, LockVersion: &v}); err != nil {
			t.Fatal(err)
		}
	}
	d := w.dispatcher(t, "127.0.0.1/32")
	update(0)
	if n := w.run(t, d); n != 1 {
		t.Fatalf("sent %d, want update 1 (answered 503, retried later)", n)
	}
	update(1)
	on := true
	if _, err := w.webhooks.Update(ctx, h.ID, webhooks.Input{Ordered: &on}); err != nil {
		t.Fatal(err)
	}
	update(2)
	if n := w.run(t, d); n != 0 {
		t.Fatalf("sent %d while update 1 waits for its retry, want none", n)
	}
	w.clock.add(time.Minute)
	for range 3 {
		if n := w.run(t, d); n != 1 {
			t.Fatalf("sent %d at once, want one at a time", n)
		}
	}
	var versions []int
	for _, r := range got() {
		var body struct {
			WorkPackage struct {
				LockVersion int `json:"lockVersion"`
			} `json:"work_package"`
		}
		if err := json.Unmarshal(r.body, &body); err != nil {
			t.Fatal(err)
		}
		versions = append(versions, body.WorkPackage.LockVersion)
	}
	if fmt.Sprint(versions) != "[1 1 2 3]" {
		t.Fatalf("the receiver got updates %v, want [1 1 2 3] (the first one twice: it failed once)", versions)
	}
}
