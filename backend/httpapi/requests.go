package httpapi

import (
	"fmt"
	"io"
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
