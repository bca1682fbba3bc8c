package dispatch

import "testing"

// The cache of event bodies stays within its byte bound whatever the sizes
// of the events, and keeps the newest.
func TestBodyCacheIsBoundedInBytes(t *testing.T) {
	var c bodyCache
	body := make([]byte, 300<<10)
	for id := int64(1); id <= 1000; id++ {
		c.put(id, &message{body: body})
		if c.bytes > bodyCacheBytes {
			t.Fatalf("after %d events of 300 KiB the cache holds %d bytes, more than %d", id, c.bytes, bodyCacheBytes)
		}
	}
	got := c.get(idSet{1000: {}, 1: {}})
	if got[1000] == nil || got[1] != nil {
		t.Fatalf("kept the newest? %v, dropped the oldest? %v", got[1000] != nil, got[1] == nil)
	}
	for id := int64(2000); id < 2000+2*bodyCacheSize; id++ {
		c.put(id, &message{body: []byte("{}")})
	}
	if len(c.m) > bodyCacheSize || len(c.order) != len(c.m) {
		t.Fatalf("%d entries (%d in order), at most %d", len(c.m), len(c.order), bodyCacheSize)
	}
}
