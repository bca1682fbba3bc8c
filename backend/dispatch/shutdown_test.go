package dispatch_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/dispatch"
)

// A delivery to an endpoint that hangs for a minute does not hold a
// shutdown past its deadline: the attempt is cancelled and handed back, its
// delivery still pending with no attempt counted, and the lease released.
func TestShutdownHandsBackAHangingDelivery(t *testing.T) {
	w := newWorld(t)
	arrived, ended := make(chan struct{}, 1), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so that a closed connection ends r.Context()
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-ended:
		case <-time.After(60 * time.Second):
		}
	}))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(ended) })
	w.hook(t, srv.URL, secret, []string{"work_package:created"}, nil)
	cfg := dispatch.DefaultConfig("test")
	cfg.Timeout = 2 * time.Minute // the attempt would outlast any shutdown
	cfg.Allow = allowLoopback
	d, err := dispatch.New(context.Background(), w.st, cfg, time.Now, discard)
	if err != nil {
		t.Fatal(err)
	}
	w.tracker = w.wakingTracker(t, d.Wake)
	ran := make(chan struct{})
	go func() { d.Run(context.Background()); close(ran) }()
	w.newWorkPackage(t, w.project)
	<-arrived

	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	d.Shutdown(ctx)
	<-ran // Run has returned too

	var status string
	var attempts, logged, leases int
	db := w.st.Read
	if err := db.QueryRowContext(context.Background(), "SELECT status, attempts FROM deliveries").Scan(&status, &attempts); err != nil {
		t.Fatal(err)
	}
	_ = db.QueryRowContext(context.Background(), "SELECT count(*) FROM delivery_attempts").Scan(&logged)
	_ = db.QueryRowContext(context.Background(), "SELECT count(*) FROM dispatch_leases").Scan(&leases)
	if status != "pending" || attempts != 0 || logged != 0 {
		t.Fatalf("after the shutdown the delivery is %s with %d attempts (%d logged); want it pending, untouched", status, attempts, logged)
	}
	if leases != 0 {
		t.Fatalf("%d leases left: the webhook was not handed back", leases)
	}
}

// Shutdown of a dispatcher that never ran returns at once.
func TestShutdownWithoutRun(t *testing.T) {
	w := newWorld(t)
	d := w.dispatcher(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	d.Shutdown(ctx)
}
