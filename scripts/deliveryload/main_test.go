package main

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"strings"
	"testing"
)

func TestPercentileNearestRank(t *testing.T) {
	v := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	for _, c := range []struct{ p, want float64 }{{50, 5}, {90, 9}, {99, 10}, {100, 10}, {1, 1}} {
		if got := percentile(v, c.p); got != c.want {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
	if got := percentile(nil, 50); got != 0 {
		t.Errorf("empty: %v", got)
	}
}

func TestSummary(t *testing.T) {
	lo, med, mean := summary([]int64{7, 1, 4, 8})
	if lo != 1 || med != 5.5 || mean != 5 {
		t.Errorf("got %v %v %v, want 1 5.5 5", lo, med, mean)
	}
	lo, med, mean = summary([]int64{3, 9, 6})
	if lo != 3 || med != 6 || mean != 6 {
		t.Errorf("got %v %v %v, want 3 6 6", lo, med, mean)
	}
}

func TestParseWrk(t *testing.T) {
	out := `Running 15s test @ http://127.0.0.1:1/api/v3/work_packages
  2 threads and 64 connections
  Latency Distribution
     50%   10.07ms
     75%   14.00ms
     90%   20.00ms
     99%    1.02s
  89800 requests in 15.03s, 400.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 3
  Non-2xx or 3xx responses: 4
Requests/sec:   5973.12
`
	w, err := parseWrk([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	if w.rps != 5973.12 || w.p50 != 10.07 || w.p99 != 1020 || w.errors != 9 {
		t.Errorf("got %+v", w)
	}
}

func TestPeek(t *testing.T) {
	body := []byte(`{"action":"work_package:created","work_package":{"_type":"WorkPackage","id":42,"lockVersion":0,` +
		`"subject":"x","createdAt":"2026-12-01T19:33:08.123Z","_links":{"project":{"href":"/api/v3/projects/1"}}},` +
		`"actor":{"_type":"User","id":1,"createdAt":"2020-01-01T00:00:00.000Z"}}`)
	action, id, at := peek(body)
	if action != "work_package:created" || id != 42 || at != 1796153588123 {
		t.Errorf("got %q %d %d", action, id, at)
	}
	// Another order of fields: the full decode answers the same.
	body = []byte(`{"work_package":{"createdAt":"2026-12-01T19:33:08.123Z","id":42},"action":"work_package:created"}`)
	action, id, at = peek(body)
	if action != "work_package:created" || id != 42 || at != 1796153588123 {
		t.Errorf("fallback: got %q %d %d", action, id, at)
	}
}

func TestSigned(t *testing.T) {
	r := &receiver{secret: []byte("s3cret")}
	r.mac.New = func() any { return hmac.New(sha1.New, r.secret) }
	body := []byte(`{"action":"work_package:created"}`)
	m := hmac.New(sha1.New, r.secret)
	m.Write(body)
	good := "sha1=" + hex.EncodeToString(m.Sum(nil))
	for i := 0; i < 2; i++ { // the second check reuses the pooled, reset MAC
		if !r.signed(body, []byte(good)) {
			t.Fatalf("check %d: a valid signature was refused", i)
		}
	}
	for _, bad := range []string{"", good[5:], "sha1=" + strings.Repeat("0", 40), good + "00", "sha256=" + good[5:]} {
		if r.signed(body, []byte(bad)) {
			t.Errorf("%q was accepted", bad)
		}
	}
	if r.signed(append(body, ' '), []byte(good)) {
		t.Error("a changed body was accepted")
	}
}
