package dispatch

import (
	"context"
	"fmt"
	"io"
	"sort"
	"sync"
	"time"
)

// latencyBuckets are the upper bounds (seconds) of the delivery latency histogram.
var latencyBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15}

// metrics counts what the dispatcher did, for /metrics.
type metrics struct {
	mu       sync.Mutex
	outcomes map[string]int64 // succeeded, retrying, failed
	failures map[int64]int64  // per webhook
	buckets  []int64
	count    int64
	sum      float64
}

func (m *metrics) observe(webhookID int64, outcome string, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.outcomes == nil {
		m.outcomes, m.failures, m.buckets = map[string]int64{}, map[int64]int64{}, make([]int64, len(latencyBuckets))
	}
	m.outcomes[outcome]++
	if outcome != "succeeded" {
		m.failures[webhookID]++
	}
	s := d.Seconds()
	for i, b := range latencyBuckets {
		if s <= b {
			m.buckets[i]++
		}
	}
	m.count++
	m.sum += s
}

// WriteMetrics writes the dispatcher's metrics in Prometheus' text format.
func (d *Dispatcher) WriteMetrics(ctx context.Context, w io.Writer) error {
	var depth int
	if err := d.st.Read.NewSelect().Table("deliveries").ColumnExpr("count(*)").Where("status = 'pending'").Scan(ctx, &depth); err != nil {
		return err
	}
	m := &d.metrics
	m.mu.Lock()
	defer m.mu.Unlock()
	fmt.Fprintln(w, "# HELP hookpost_webhook_deliveries_total Delivery attempts by outcome.")
	fmt.Fprintln(w, "# TYPE hookpost_webhook_deliveries_total counter")
	for _, o := range []string{"succeeded", "retrying", "failed"} {
		fmt.Fprintf(w, "hookpost_webhook_deliveries_total{outcome=%q} %d\n", o, m.outcomes[o])
	}
	fmt.Fprintln(w, "# HELP hookpost_webhook_delivery_duration_seconds Time from sending a delivery to its response.")
	fmt.Fprintln(w, "# TYPE hookpost_webhook_delivery_duration_seconds histogram")
	for i, b := range latencyBuckets {
		n := int64(0)
		if m.buckets != nil {
			n = m.buckets[i]
		}
		fmt.Fprintf(w, "hookpost_webhook_delivery_duration_seconds_bucket{le=\"%g\"} %d\n", b, n)
	}
	fmt.Fprintf(w, "hookpost_webhook_delivery_duration_seconds_bucket{le=\"+Inf\"} %d\n", m.count)
	fmt.Fprintf(w, "hookpost_webhook_delivery_duration_seconds_sum %g\n", m.sum)
	fmt.Fprintf(w, "hookpost_webhook_delivery_duration_seconds_count %d\n", m.count)
	fmt.Fprintln(w, "# HELP hookpost_webhook_queue_depth Deliveries waiting to be sent.")
	fmt.Fprintln(w, "# TYPE hookpost_webhook_queue_depth gauge")
	fmt.Fprintf(w, "hookpost_webhook_queue_depth %d\n", depth)
	fmt.Fprintln(w, "# HELP hookpost_webhook_failures_total Failed delivery attempts per webhook.")
	fmt.Fprintln(w, "# TYPE hookpost_webhook_failures_total counter")
	ids := make([]int64, 0, len(m.failures))
	for id := range m.failures {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		fmt.Fprintf(w, "hookpost_webhook_failures_total{webhook_id=\"%d\"} %d\n", id, m.failures[id])
	}
	return nil
}
