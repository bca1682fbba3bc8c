package httpapi

import (
	"bytes"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
)

func TestResponseCacheIsBoundedByBytes(t *testing.T) {
	var rc responseCache
	rc.get("v1", "")
	body := bytes.Repeat([]byte("x"), 100<<10)
	for i := range 1000 { // 100 MB offered
		rc.put("v1", "key "+strconv.Itoa(i), body)
		if rc.size > maxCacheBytes {
			t.Fatalf("after %d entries the cache holds %d bytes, over %d", i+1, rc.size, maxCacheBytes)
		}
	}
	sum := 0
	for k, v := range rc.entries {
		sum += len(k) + len(v)
	}
	if sum != rc.size || len(rc.entries) < maxCacheBytes/len(body)-1 {
		t.Fatalf("size %d, counted %d, %d entries", rc.size, sum, len(rc.entries))
	}
	if _, ok := rc.get("v1", "key 999"); !ok {
		t.Error("the newest entry was evicted")
	}
	rc.put("v1", "big", make([]byte, maxCachedBody+1))
	if _, ok := rc.get("v1", "big"); ok {
		t.Error("a body over maxCachedBody was kept")
	}
	rc.put("v1", "key 999", []byte("small"))
	if b, _ := rc.get("v1", "key 999"); string(b) != "small" {
		t.Errorf("replaced entry: %q", b)
	}
	if _, ok := rc.get("v2", "key 999"); ok || rc.size != 0 {
		t.Errorf("a new version must start empty: size %d", rc.size)
	}
	rc.put("v1", "stale", []byte("x"))
	if _, ok := rc.get("v2", "stale"); ok {
		t.Error("a body built for an old version was stored")
	}
}

// TestConcurrentRequestsShareOneBuild: the requests that ask for the same
// response while it is built wait for that build instead of running their own.
func TestConcurrentRequestsShareOneBuild(t *testing.T) {
	var b builds
	var runs atomic.Int32
	const waiters = 8
	var wg sync.WaitGroup
	results := make([][]byte, waiters)
	leader, err := b.do("page", func() ([]byte, error) {
		runs.Add(1)
		for i := range waiters {
			wg.Add(1)
			go func() {
				defer wg.Done()
				results[i], _ = b.do("page", func() ([]byte, error) { runs.Add(1); return []byte("other"), nil })
			}()
		}
		for { // until every waiter has joined this build
			b.mu.Lock()
			n := b.running["page"].waiters
			b.mu.Unlock()
			if n == waiters {
				break
			}
			runtime.Gosched()
		}
		return []byte("page body"), nil
	})
	wg.Wait()
	if err != nil || string(leader) != "page body" || runs.Load() != 1 {
		t.Fatalf("leader %q %v, builds run %d, want 1", leader, err, runs.Load())
	}
	for i, r := range results {
		if string(r) != "page body" {
			t.Errorf("waiter %d got %q", i, r)
		}
	}
	// Once done, the next request builds again.
	if again, _ := b.do("page", func() ([]byte, error) { return []byte("new"), nil }); string(again) != "new" {
		t.Errorf("a finished build was reused: %q", again)
	}
}

func TestLargePagesAreRemembered(t *testing.T) {
	l := newLargePages()
	l.record("/api/v3/work_packages?pageSize=1000", maxCachedBody+1)
	l.record("/api/v3/projects", 1000)
	if !l.isLarge("/api/v3/work_packages?pageSize=1000") || l.isLarge("/api/v3/projects") {
		t.Fatalf("remembered: %v", l.sizes)
	}
	l.record("/api/v3/work_packages?pageSize=1000", 10)
	if l.isLarge("/api/v3/work_packages?pageSize=1000") {
		t.Error("a page that became small is still built in the large lane")
	}
	for i := range 3 * maxLargePages {
		l.record("/p"+strconv.Itoa(i), maxCachedBody+1)
	}
	if len(l.sizes) > maxLargePages {
		t.Errorf("%d pages remembered, over %d", len(l.sizes), maxLargePages)
	}
}
