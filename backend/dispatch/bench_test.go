package dispatch_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// BenchmarkDeliveries measures end-to-end delivery throughput: b.N work
// packages are committed through the service while the dispatcher sends
// every matching delivery, signed and logged, to a local receiver; 10
// webhooks subscribe. Run: go test -bench Deliveries -benchtime 2000x ./backend/dispatch
func BenchmarkDeliveries(b *testing.B) {
	w := newWorld(b)
	var got atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { got.Add(1) }))
	defer srv.Close()
	const hooks = 10
	for i := range hooks {
		w.hook(b, fmt.Sprintf("%s/%d", srv.URL, i), secret, []string{"work_package:created"}, nil)
	}
	d := w.dispatcher("127.0.0.1/32")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		w.newWorkPackage(b, w.project)
		d.Wake()
	}
	want := int64(b.N * hooks)
	for got.Load() < want {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(start)
	b.StopTimer()
	cancel()
	<-done
	b.ReportMetric(float64(want)/elapsed.Seconds(), "deliveries/s")
}
