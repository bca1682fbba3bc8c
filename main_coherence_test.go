package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/store/storetest"
)

// startServeAllowing is startServe with the loopback allowed as a webhook
// destination (--webhook-allow), for a receiver in the test.
func startServeAllowing(t *testing.T, db string) (base string, stderr *lockedBuffer) {
	t.Helper()
	return startServe(t, db, "--webhook-allow", "127.0.0.1/32")
}

type streamEvent struct {
	name string
	data map[string]any
}

// stream reads GET /api/admin/stream of base into a channel.
func stream(t *testing.T, base, token string) <-chan streamEvent {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/api/admin/stream", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("stream of %s: %v %v", base, res, err)
	}
	out := make(chan streamEvent, 1000)
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		var ev streamEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "" && ev.name != "":
				out <- ev
				ev = streamEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				_ = json.Unmarshal([]byte(strings.TrimPrefix(line, "data: ")), &ev.data)
			}
		}
	}()
	return out
}

// until reads events until one satisfies stop (failing after 5 s, a safety
// net), and returns the delivery events read before it.
func until(t *testing.T, what string, events <-chan streamEvent, stop func(streamEvent) bool) []map[string]any {
	t.Helper()
	var deliveries []map[string]any
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev := <-events:
			if stop(ev) {
				return deliveries
			}
			if ev.name == "delivery" {
				deliveries = append(deliveries, ev.data)
			}
		case <-timeout:
			t.Fatalf("no %s on the stream", what)
		}
	}
}

// Two servers on one database (a SQLite file, or PostgreSQL): each one's live stream shows the
// deliveries the other made, once, and the webhook changes made through
// the other (SPEC §2, §4). A change made through the other server after the
// delivery is the mark that its watcher has read past the delivery: any
// repeat would have come before it.
func TestTwoServersShowEachOthersDeliveries(t *testing.T) {
	db := storetest.Location(t)
	baseA, stderrA := startServeAllowing(t, db)
	baseB, _ := startServeAllowing(t, db)
	m := regexp.MustCompile(`'admin' with password (\S+)`).FindStringSubmatch(stderrA.String())
	if m == nil {
		t.Fatalf("no admin password on stderr: %q", stderrA.String())
	}
	a := &client{t: t, base: baseA}
	a.must("POST", "/api/auth/login", `{"login":"admin","password":"`+m[1]+`"}`, 200)
	secret := a.must("POST", "/api/account/tokens", `{"name":"one"}`, 201)["token"].(string)
	apiA := &client{t: t, base: baseA, token: secret}
	apiB := &client{t: t, base: baseB, token: secret}
	streamA, streamB := stream(t, baseA, secret), stream(t, baseB, secret)
	// Both streams are open once a settings change shows on both.
	a.must("PATCH", "/api/admin/settings", `{"maxPageSize":999}`, 200)
	for name, s := range map[string]<-chan streamEvent{"A": streamA, "B": streamB} {
		until(t, "the settings changed through A on "+name, s, func(ev streamEvent) bool {
			return ev.name == "settings" && ev.data["maxPageSize"] == 999.0
		})
	}

	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(204) }))
	defer receiver.Close()
	apiA.must("POST", "/api/admin/webhooks", `{"name":"Both","url":"`+receiver.URL+`","events":["project:created"]}`, 201)
	created := func(ev streamEvent) bool { return ev.name == "webhook" && ev.data["change"] == "created" }
	until(t, "the webhook created through A", streamB, created)
	until(t, "the webhook created through A", streamA, created)

	apiA.must("POST", "/api/v3/projects", `{"identifier":"demo","name":"Demo"}`, 201)
	delivered := func(ev streamEvent) bool { return ev.name == "delivery" && ev.data["outcome"] == "succeeded" }
	// Either server's dispatcher may hold the webhook: both streams show
	// the delivery, whichever made it.
	until(t, "the delivery", streamB, delivered)
	until(t, "the delivery", streamA, delivered)

	// Marks: a change made through the other server reaches a stream by
	// its watcher, which announces the attempts it read before the
	// webhook changes: a repeated delivery would come before the mark.
	updated := func(ev streamEvent) bool { return ev.name == "webhook" && ev.data["change"] == "updated" }
	apiB.must("PATCH", "/api/admin/webhooks/1", `{"name":"Renamed in B"}`, 200)
	if d := until(t, "the rename through B", streamA, updated); len(d) != 0 {
		t.Errorf("A's stream repeated the delivery: %v", d)
	}
	apiA.must("PATCH", "/api/admin/webhooks/1", `{"name":"Renamed in A"}`, 200)
	own := until(t, "the rename through B", streamB, updated)
	if d := until(t, "the rename through A", streamB, updated); len(own)+len(d) != 0 {
		t.Errorf("B's stream repeated the delivery: %v %v", own, d)
	}
}
