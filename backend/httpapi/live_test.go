package httpapi

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/live"
	"github.com/hookpost/hookpost/backend/store"
	"github.com/hookpost/hookpost/backend/store/storetest"
)

// newLiveEnv is newEnv with one live hub fed by the settings, the webhooks
// and the dispatcher, as main wires them.
func newLiveEnv(t *testing.T) (*env, *live.Hub) {
	t.Helper()
	hub := live.NewHub()
	e := buildEnv(t, storetest.Location(t), hub)
	e.admin, e.adminTok = e.newUser("admin", true)
	e.user, e.userTok = e.newUser("jane", false)
	return e, hub
}

type sseEvent struct {
	name string
	data string
}

// sseClient reads server-sent events from a real connection.
type sseClient struct {
	res    *http.Response
	events chan sseEvent
}

func openStream(t *testing.T, base, token string) *sseClient {
	t.Helper()
	req, _ := http.NewRequest("GET", base+"/api/admin/stream", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "text/event-stream")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	if res.StatusCode != 200 || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		b, _ := io.ReadAll(res.Body)
		t.Fatalf("stream: %d %s %s", res.StatusCode, res.Header.Get("Content-Type"), b)
	}
	c := &sseClient{res: res, events: make(chan sseEvent, 100_000)}
	go func() {
		defer close(c.events)
		sc := bufio.NewScanner(res.Body)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.name != "" {
					c.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "event: "):
				ev.name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return c
}

// next returns the next event of a name, skipping others; it fails after
// 5 s (a safety net for a broken stream, not a timing assertion).
func (c *sseClient) next(t *testing.T, name string) map[string]any {
	t.Helper()
	timeout := time.After(5 * time.Second)
	for {
		select {
		case ev, ok := <-c.events:
			if !ok {
				t.Fatalf("stream ended before a %s event", name)
			}
			if ev.name != name {
				continue
			}
			var m map[string]any
			if err := json.Unmarshal([]byte(ev.data), &m); err != nil {
				t.Fatalf("%s data %q: %v", name, ev.data, err)
			}
			return m
		case <-timeout:
			t.Fatalf("no %s event", name)
		}
	}
}

// The stream carries a recorded attempt, webhook changes and settings
// changes to an administrator, over a real connection; others get 403.
func TestStreamOverARealConnection(t *testing.T) {
	e, hub := newLiveEnv(t)
	base := e.listen()
	var mu sync.Mutex
	var ids []string
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		ids = append(ids, r.Header.Get("webhook-id"))
		mu.Unlock()
		w.WriteHeader(200)
	}))
	defer receiver.Close()

	if res, err := http.Get(base + "/api/admin/stream"); err != nil || res.StatusCode != 401 {
		t.Fatalf("anonymous: %v %v", res.StatusCode, err)
	}
	req, _ := http.NewRequest("GET", base+"/api/admin/stream", nil)
	req.Header.Set("Authorization", "Bearer "+e.userTok)
	if res, err := http.DefaultClient.Do(req); err != nil || res.StatusCode != 403 {
		t.Fatalf("non-administrator: %v %v", res.StatusCode, err)
	}

	s := openStream(t, base, e.adminTok)
	for !hub.Listening() {
		time.Sleep(time.Millisecond) // the handler subscribes as the response starts
	}
	admin := bearer(e.adminTok)
	if r := e.do("POST", "/api/admin/webhooks", `{"name":"Live","url":"`+receiver.URL+`","events":["project:created"]}`, admin); r.status != 201 {
		t.Fatal(r.body)
	}
	if got := s.next(t, "webhook"); got["id"] != 1.0 || got["change"] != "created" {
		t.Errorf("webhook event %v", got)
	}
	if r := e.do("POST", "/api/v3/projects", `{"identifier":"demo","name":"Demo"}`, admin); r.status != 201 {
		t.Fatal(r.body)
	}
	if _, err := e.dispatch.DispatchDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	e.dispatch.Wait()
	d := s.next(t, "delivery")
	mu.Lock()
	logged := ids
	mu.Unlock()
	if len(logged) != 1 || d["messageId"] != logged[0] || d["webhookId"] != 1.0 || d["outcome"] != "succeeded" ||
		d["responseCode"] != 200.0 || d["event"] != "project:created" || d["test"] != false || d["attemptId"] == 0.0 || d["deliveryId"] == 0.0 {
		t.Errorf("delivery event %v, receiver logged %v", d, logged)
	}
	if _, ok := d["durationMs"].(float64); !ok {
		t.Errorf("no durationMs in %v", d)
	}
	if r := e.do("PATCH", "/api/admin/webhooks/1", `{"enabled":false}`, admin); r.status != 200 {
		t.Fatal(r.body)
	}
	if got := s.next(t, "webhook"); got["change"] != "disabled" {
		t.Errorf("webhook event %v", got)
	}
	e.patchSettings(`{"maxPageSize":77}`)
	if got := s.next(t, "settings"); got["maxPageSize"] != 77.0 {
		t.Errorf("settings event %v", got)
	}
	if r := e.do("DELETE", "/api/admin/webhooks/1", "", admin); r.status != 204 {
		t.Fatal(r.body)
	}
	if got := s.next(t, "webhook"); got["change"] != "deleted" {
		t.Errorf("webhook event %v", got)
	}
	// Closing the hub (shutdown) ends the stream.
	hub.Close()
	for range s.events {
	}
}

// A client that stops reading holds the server's memory to its buffer: the
// events beyond it are dropped for that client, which is then told to
// resync; nothing grows with the burst.
func TestStreamSlowClientResyncs(t *testing.T) {
	e, hub := newLiveEnv(t)
	base := e.listen()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET /api/admin/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nAccept: text/event-stream\r\n\r\n", e.adminTok)
	for !hub.Listening() {
		time.Sleep(time.Millisecond)
	}
	// 10,000 events of 4 KiB, 40 MiB in all, while the client reads
	// nothing: far more than the socket buffers take.
	const burst = 10_000
	big := strings.Repeat("x", 4096)
	for i := range burst {
		live.Publish(hub, live.EventDelivery, live.Delivery{AttemptID: int64(i + 1), MessageID: big})
	}
	_ = conn.SetReadDeadline(time.Now().Add(30 * time.Second)) // a safety net only
	r := bufio.NewReaderSize(conn, 64<<10)
	res, err := http.ReadResponse(r, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 200 {
		t.Fatalf("status %d", res.StatusCode)
	}
	sc := bufio.NewScanner(res.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	deliveries, resync := 0, false
	for !resync && sc.Scan() {
		switch sc.Text() {
		case "event: delivery":
			deliveries++
		case "event: resync":
			resync = true
		}
	}
	t.Logf("the client that stalled got %d of %d events, then resync", deliveries, burst)
	if !resync {
		t.Fatalf("no resync after %d of %d events (%v)", deliveries, burst, sc.Err())
	}
	if deliveries >= burst {
		t.Errorf("got all %d events: nothing was dropped, so the test did not stall the client", deliveries)
	}
}

// seedAttempts logs attempts of webhook 1 at the given times directly in
// the delivery log (their delivery is one test-free delivery).
func (e *env) seedAttempts(at []time.Time, codes []int, retrying []bool, ms []float64, test bool) {
	e.t.Helper()
	ctx := context.Background()
	var id int64
	if err := e.store.DB.NewRaw(`INSERT INTO deliveries (webhook_id, event_name, status, attempts, next_attempt_at, test, created_at, updated_at)
		VALUES (1, 'project:created', 'failed', 0, ?, ?, ?, ?) RETURNING id`, store.Timestamp(at[0]), test, store.Timestamp(at[0]), store.Timestamp(at[0])).Scan(ctx, &id); err != nil {
		e.t.Fatal(err)
	}
	for i := range at {
		var next any
		if retrying[i] {
			next = store.Timestamp(at[i].Add(time.Minute))
		}
		if _, err := e.store.DB.NewRaw(`INSERT INTO delivery_attempts (delivery_id, webhook_id, attempt, event_name, url, request_headers, request_body,
			response_code, response_headers, response_body, duration_ms, next_retry_at, test, created_at)
			VALUES (?, 1, ?, 'project:created', 'http://x', '{}', '', ?, '{}', '', ?, ?, ?, ?)`,
			id, i+1, codes[i], ms[i], next, test, store.Timestamp(at[i])).Exec(ctx); err != nil {
			e.t.Fatal(err)
		}
	}
}

// Stats cut the span into round buckets and count each attempt in the
// bucket it started in, by outcome, with nearest-rank latency percentiles;
// tests are left out. The clock is the env's (2026-11-28 12:00 UTC).
func TestWebhookStats(t *testing.T) {
	e, _ := newLiveEnv(t)
	admin := bearer(e.adminTok)
	if r := e.do("POST", "/api/admin/webhooks", `{"name":"S","url":"https://hooks.example.com/s"}`, admin); r.status != 201 {
		t.Fatal(r.body)
	}
	now := e.clock.t
	// 100 attempts at 11:40:xx: 97 succeeded with latencies 1..97 ms, 2
	// failed (500: 98, 99 ms), 1 retrying (100 ms); at 11:20, one success;
	// two days ago, one (out of the default span); a test at 11:40 (left out).
	var at []time.Time
	var codes []int
	var retry []bool
	var ms []float64
	for i := 1; i <= 100; i++ {
		at = append(at, now.Add(-20*time.Minute+time.Duration(i)*time.Second))
		code, r := 200, false
		if i > 97 {
			code = 500
		}
		if i == 100 {
			r = true
		}
		codes, retry, ms = append(codes, code), append(retry, r), append(ms, float64(i))
	}
	e.seedAttempts(at, codes, retry, ms, false)
	e.seedAttempts([]time.Time{now.Add(-40 * time.Minute)}, []int{204}, []bool{false}, []float64{5}, false)
	e.seedAttempts([]time.Time{now.Add(-48 * time.Hour)}, []int{200}, []bool{false}, []float64{5}, false)
	e.seedAttempts([]time.Time{now.Add(-20 * time.Minute)}, []int{500}, []bool{false}, []float64{9999}, true)

	type bucket struct {
		Start                       time.Time
		Succeeded, Failed, Retrying int
		P50, P95, P99               *float64 `json:"-"`
		P50ms                       *float64 `json:"p50Ms"`
		P95ms                       *float64 `json:"p95Ms"`
		P99ms                       *float64 `json:"p99Ms"`
	}
	var got struct {
		Since, Until  time.Time
		BucketSeconds int64
		Buckets       []bucket
	}
	stats := func(query string) {
		t.Helper()
		r := e.do("GET", "/api/admin/webhooks/1/stats"+query, "", admin)
		if r.status != 200 {
			t.Fatalf("stats%s: %d %s", query, r.status, r.body)
		}
		got.Buckets = nil
		if err := json.Unmarshal([]byte(r.body), &got); err != nil {
			t.Fatal(err)
		}
	}
	stats("")
	// 24 hours in buckets of at most 24 minutes: the round width is 30 min.
	if got.BucketSeconds != 1800 || len(got.Buckets) != 48 || !got.Since.Equal(now.Add(-24*time.Hour)) || !got.Until.Equal(now) {
		t.Fatalf("default span: %d s × %d buckets, %s…%s", got.BucketSeconds, len(got.Buckets), got.Since, got.Until)
	}
	last := got.Buckets[47] // 11:30–12:00
	if !last.Start.Equal(now.Add(-30*time.Minute)) || last.Succeeded != 97 || last.Failed != 2 || last.Retrying != 1 {
		t.Errorf("11:30 bucket %+v", last)
	}
	if last.P50ms == nil || *last.P50ms != 50 || *last.P95ms != 95 || *last.P99ms != 99 {
		t.Errorf("percentiles %v %v %v, want 50 95 99", deref(last.P50ms), deref(last.P95ms), deref(last.P99ms))
	}
	if b := got.Buckets[46]; b.Succeeded != 1 || *b.P99ms != 5 {
		t.Errorf("11:00 bucket %+v", b)
	}
	total := 0
	for _, b := range got.Buckets[:46] {
		total += b.Succeeded + b.Failed + b.Retrying
		if b.P50ms != nil {
			t.Errorf("empty bucket %s has a p50", b.Start)
		}
	}
	if total != 0 {
		t.Errorf("%d attempts counted outside 11:00–12:00", total)
	}

	stats("?since=" + now.Add(-time.Hour).Format(time.RFC3339))
	if got.BucketSeconds != 60 || len(got.Buckets) != 60 {
		t.Errorf("one hour: %d s × %d buckets", got.BucketSeconds, len(got.Buckets))
	}
	stats("?since=" + now.Add(-7*24*time.Hour).Format(time.RFC3339))
	if got.BucketSeconds != 3*3600 || len(got.Buckets) != 56 {
		t.Errorf("seven days: %d s × %d buckets", got.BucketSeconds, len(got.Buckets))
	}
	n := 0
	for _, b := range got.Buckets {
		n += b.Succeeded + b.Failed + b.Retrying
	}
	if n != 102 {
		t.Errorf("seven days count %d attempts, want 102 (the test left out)", n)
	}

	for _, c := range []struct {
		query  string
		status int
		field  string
	}{
		{"?since=yesterday", 400, ""},
		{"?since=" + now.Add(time.Hour).Format(time.RFC3339), 422, "since"},
	} {
		r := e.do("GET", "/api/admin/webhooks/1/stats"+c.query, "", admin)
		if r.status != c.status || c.field != "" && !strings.Contains(r.body, `"attribute":"`+c.field+`"`) {
			t.Errorf("%s: %d %s", c.query, r.status, r.body)
		}
	}
	// A since far before the log's retention reads what is kept: a span of
	// centuries does not fit the bucket arithmetic.
	if r := e.do("GET", "/api/admin/webhooks/1/stats?since=1000-01-01T00:00:00Z", "", admin); r.status != 200 ||
		!strings.Contains(r.body, `"buckets":[{`) {
		t.Errorf("since in the year 1000: %d %.300s", r.status, r.body)
	}
	if r := e.do("GET", "/api/admin/webhooks/9/stats", "", admin); r.status != 404 {
		t.Errorf("unknown webhook: %d", r.status)
	}
	if r := e.do("GET", "/api/admin/webhooks/1/stats", "", bearer(e.userTok)); r.status != 403 {
		t.Errorf("non-administrator: %d", r.status)
	}
}

func deref(p *float64) any {
	if p == nil {
		return nil
	}
	return *p
}

// A receiver's logged webhook-id finds its delivery with every attempt,
// each carrying deliveryId and messageId; so does the delivery's id.
func TestDeliveryLookup(t *testing.T) {
	e, _ := newLiveEnv(t)
	admin := bearer(e.adminTok)
	var mu sync.Mutex
	var logged []string
	fail := true
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		logged = append(logged, r.Header.Get("webhook-id"))
		if fail {
			w.WriteHeader(503)
		}
	}))
	defer receiver.Close()
	if r := e.do("POST", "/api/admin/webhooks", `{"name":"L","url":"`+receiver.URL+`","events":["project:created"]}`, admin); r.status != 201 {
		t.Fatal(r.body)
	}
	for _, id := range []string{"a", "b"} {
		if r := e.do("POST", "/api/v3/projects", `{"identifier":"`+id+`","name":"`+id+`"}`, admin); r.status != 201 {
			t.Fatal(r.body)
		}
	}
	deliver := func() {
		if _, err := e.dispatch.DispatchDue(t.Context()); err != nil {
			t.Fatal(err)
		}
		e.dispatch.Wait()
	}
	deliver() // both fail with 503 and are to be retried
	mu.Lock()
	fail = false
	mu.Unlock()
	e.clock.t = e.clock.t.Add(time.Minute)
	deliver() // retried: both succeed
	mu.Lock()
	if len(logged) != 4 || logged[0] == logged[1] {
		t.Fatalf("receiver logged %v", logged)
	}
	second := logged[1] // the second event's webhook-id
	mu.Unlock()

	type attempt struct {
		ID, DeliveryID        int64
		MessageID             string
		Attempt, ResponseCode int
	}
	var found struct {
		ID        int64
		MessageID string
		Status    string
		Attempts  []attempt
	}
	r := e.do("GET", "/api/admin/deliveries?messageId="+second, "", admin)
	if r.status != 200 {
		t.Fatalf("by messageId: %d %s", r.status, r.body)
	}
	_ = json.Unmarshal([]byte(r.body), &found)
	if found.MessageID != second || found.Status != "succeeded" || len(found.Attempts) != 2 ||
		found.Attempts[0].ResponseCode != 200 || found.Attempts[1].ResponseCode != 503 || found.Attempts[0].Attempt != 2 {
		t.Fatalf("found %+v", found)
	}
	for _, a := range found.Attempts {
		if a.DeliveryID != found.ID || a.MessageID != second {
			t.Errorf("attempt %+v of delivery %d %s", a, found.ID, second)
		}
	}
	if r := e.do("GET", "/api/admin/deliveries/"+itoa(found.ID), "", admin); r.status != 200 || !strings.Contains(r.body, `"messageId":"`+second+`"`) {
		t.Errorf("by id: %d %s", r.status, r.body)
	}
	// The list carries messageId too.
	list := e.do("GET", "/api/admin/webhooks/1/deliveries", "", admin)
	if strings.Count(list.body, `"messageId":"`+second+`"`) != 2 {
		t.Errorf("list: %s", list.body)
	}
	// A test delivery's id.
	test := e.do("POST", "/api/admin/webhooks/1/test", `{"event":"project:created"}`, admin)
	var tf struct {
		DeliveryID int64
		MessageID  string
	}
	_ = json.Unmarshal([]byte(test.body), &tf)
	mu.Lock()
	lastLogged := logged[len(logged)-1]
	mu.Unlock()
	if tf.MessageID != lastLogged || tf.MessageID != "msg_test_"+itoa(tf.DeliveryID) {
		t.Errorf("test fire messageId %q, receiver logged %q", tf.MessageID, lastLogged)
	}
	if r := e.do("GET", "/api/admin/deliveries?messageId="+tf.MessageID, "", admin); r.status != 200 || !strings.Contains(r.body, `"test":true`) {
		t.Errorf("test delivery: %d %s", r.status, r.body)
	}
	for _, c := range []struct {
		query  string
		status int
		field  string
	}{
		{"", 400, ""},
		{"?messageId=hello", 422, "messageId"},
		{"?messageId=msg_1", 422, "messageId"},
		{"?messageId=msg_99_1", 404, ""},
		{"?messageId=msg_test_" + itoa(found.ID), 404, ""}, // not a test delivery
	} {
		r := e.do("GET", "/api/admin/deliveries"+c.query, "", admin)
		if r.status != c.status || c.field != "" && !strings.Contains(r.body, `"attribute":"`+c.field+`"`) {
			t.Errorf("%q: %d %s", c.query, r.status, r.body)
		}
	}
	if r := e.do("GET", "/api/admin/deliveries?messageId="+second, "", bearer(e.userTok)); r.status != 403 {
		t.Errorf("non-administrator: %d", r.status)
	}
}

// A password change checks the current password and the new one's length
// (422 naming each), ends the user's other sessions but keeps the one that
// asked, and bumps the auth change counter for other processes.
func TestChangePassword(t *testing.T) {
	e, _ := newLiveEnv(t)
	cookie, csrf := e.login("jane")
	other, _ := e.login("jane")
	adminCookie, _ := e.login("admin")
	patch := func(body string) resp {
		return e.do("PATCH", "/api/account/password", body, "Cookie: "+cookie, csrfHeader+": "+csrf)
	}
	counter := func() int64 {
		var n int64
		if err := e.store.DB.NewRaw("SELECT value FROM change_counters WHERE name = 'auth'").Scan(context.Background(), &n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := counter()
	for _, c := range []struct {
		body, field string
	}{
		{`{"currentPassword":"correct horse battery","newPassword":"short"}`, "newPassword"},
		{`{"currentPassword":"wrong password!","newPassword":"a new long password"}`, "currentPassword"},
		{`{"newPassword":"a new long password"}`, "currentPassword"},
	} {
		r := patch(c.body)
		if r.status != 422 || !strings.Contains(r.body, `"attribute":"`+c.field+`"`) {
			t.Errorf("%s: %d %s", c.body, r.status, r.body)
		}
	}
	if r := e.do("PATCH", "/api/account/password", `{"currentPassword":"correct horse battery","newPassword":"a new long password"}`, "Cookie: "+cookie); r.status != 403 && r.status != 401 {
		t.Errorf("without the CSRF token: %d", r.status)
	}
	if r := patch(`{"currentPassword":"correct horse battery","newPassword":"a new long password"}`); r.status != 204 {
		t.Fatalf("change: %d %s", r.status, r.body)
	}
	if n := counter(); n != before+1 {
		t.Errorf("auth counter %d → %d, want one bump", before, n)
	}
	if r := e.do("GET", "/api/auth/session", "", "Cookie: "+cookie); r.status != 200 {
		t.Errorf("the session that changed the password ended: %d", r.status)
	}
	if r := e.do("GET", "/api/auth/session", "", "Cookie: "+other); r.status != 401 {
		t.Errorf("the user's other session still works: %d", r.status)
	}
	if r := e.do("GET", "/api/auth/session", "", "Cookie: "+adminCookie); r.status != 200 {
		t.Errorf("another user's session ended: %d", r.status)
	}
	if r := e.do("POST", "/api/auth/login", `{"login":"jane","password":"correct horse battery"}`); r.status != 401 {
		t.Errorf("old password: %d", r.status)
	}
	if r := e.do("POST", "/api/auth/login", `{"login":"jane","password":"a new long password"}`); r.status != 200 {
		t.Errorf("new password: %d %s", r.status, r.body)
	}
	// An API token may change its user's password too (no session to keep).
	if r := e.do("PATCH", "/api/account/password", `{"currentPassword":"a new long password","newPassword":"yet another password"}`, bearer(e.userTok)); r.status != 204 {
		t.Errorf("with a token: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/auth/session", "", "Cookie: "+cookie); r.status != 401 {
		t.Errorf("a change by token keeps no session: %d", r.status)
	}
}

// A stream ends once its credentials no longer hold: here a revoked token.
func TestStreamEndsWhenItsTokenIsRevoked(t *testing.T) {
	old := streamRecheck
	streamRecheck = 20 * time.Millisecond
	t.Cleanup(func() { streamRecheck = old })
	e, _ := newLiveEnv(t)
	base := e.listen()
	r := e.do("POST", "/api/account/tokens", `{"name":"stream"}`, bearer(e.adminTok), "Content-Type: application/json")
	if r.status != 201 {
		t.Fatal(r.body)
	}
	created := r.json(t)
	s := openStream(t, base, created["token"].(string))
	e.patchSettings(`{"maxPageSize":999}`)
	s.next(t, "settings")
	if r := e.do("DELETE", fmt.Sprintf("/api/account/tokens/%v", created["id"]), "", bearer(e.adminTok)); r.status != 204 {
		t.Fatal(r.body)
	}
	deadline := time.Now().Add(5 * time.Second)
	for n := 0; time.Now().Before(deadline); n++ {
		e.patchSettings(fmt.Sprintf(`{"maxPageSize":%d}`, 500+n%100))
		select {
		case _, ok := <-s.events:
			if !ok {
				return // ended
			}
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatal("the stream went on after its token was revoked")
}
