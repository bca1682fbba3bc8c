package httpapi

import (
	"fmt"
	"io"
	"runtime/metrics"
	"sort"
	"sync"
)

// requestCounter counts HTTP requests by method and status for /metrics.
type requestCounter struct {
	mu sync.Mutex
	n  map[[2]string]int64
}

func (r *requestCounter) add(method string, status int) {
	r.mu.Lock()
	if r.n == nil {
		r.n = map[[2]string]int64{}
	}
	r.n[[2]string{method, fmt.Sprint(status)}]++
	r.mu.Unlock()
}

func (r *requestCounter) write(w io.Writer) {
	r.mu.Lock()
	defer r.mu.Unlock()
	keys := make([][2]string, 0, len(r.n))
	for k := range r.n {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i][0]+keys[i][1] < keys[j][0]+keys[j][1] })
	fmt.Fprintln(w, "# HELP hookpost_http_requests_total HTTP requests by method and status.")
	fmt.Fprintln(w, "# TYPE hookpost_http_requests_total counter")
	for _, k := range keys {
		fmt.Fprintf(w, "hookpost_http_requests_total{method=%q,status=%q} %d\n", k[0], k[1], r.n[k])
	}
}

// writeRuntimeMetrics writes the Go runtime's figures that tell where the
// process's memory is (SPEC §8: "Go runtime").
func writeRuntimeMetrics(w io.Writer) {
	samples := []metrics.Sample{
		{Name: "/sched/goroutines:goroutines"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/gc/cycles/total:gc-cycles"},
		{Name: "/gc/heap/allocs:bytes"},
	}
	metrics.Read(samples)
	value := func(i int) uint64 {
		if samples[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return samples[i].Value.Uint64()
	}
	for _, m := range []struct {
		name, typ, help string
		v               uint64
	}{
		{"go_goroutines", "gauge", "Goroutines that currently exist.", value(0)},
		{"go_memstats_heap_alloc_bytes", "gauge", "Heap bytes in live and not yet swept objects.", value(1)},
		{"go_memstats_sys_bytes", "gauge", "Bytes of memory mapped by the Go runtime.", value(2) - value(3)},
		{"go_gc_cycles_total", "counter", "Completed garbage collections.", value(4)},
		{"go_memstats_alloc_bytes_total", "counter", "Bytes allocated on the heap in all.", value(5)},
	} {
		fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", m.name, m.help, m.name, m.typ, m.name, m.v)
	}
}
