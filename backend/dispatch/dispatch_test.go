package dispatch_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/dispatch"
	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/settings"
	"github.com/hookpost/hookpost/backend/store"
	"github.com/hookpost/hookpost/backend/store/storetest"
	"github.com/hookpost/hookpost/backend/tracker"
	"github.com/hookpost/hookpost/backend/webhooks"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

type world struct {
	st       *store.Store
	tracker  *tracker.Service
	webhooks *webhooks.Service
	admin    auth.User
	clock    *clock
	project  int64
}

func newWorld(t testing.TB) *world {
	t.Helper()
	return newWorldAt(t, storetest.Location(t))
}

// newWorldAt is newWorld on the database at loc (storetest.Location), which
// other stores may open too, as other processes would.
func newWorldAt(t testing.TB, loc string) *world {
	t.Helper()
	ctx := context.Background()
	st := storetest.OpenAt(t, loc)
	clk := &clock{t: time.Now().UTC().Truncate(time.Second)}
	set, _ := settings.New(ctx, st, clk.now, nil)
	a, _ := auth.New(ctx, st, set, clk.now)
	admin, err := a.CreateUser(ctx, auth.NewUser{Login: "admin", Password: "correct horse battery", Admin: true, FirstName: "Ada", LastName: "Admin"})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := tracker.New(ctx, tracker.Deps{Store: st, Settings: set, Now: clk.now, Payloads: hal.EventPayloads})
	if err != nil {
		t.Fatal(err)
	}
	w := &world{st: st, tracker: tr, webhooks: webhooks.New(st, clk.now, nil), admin: admin, clock: clk}
	w.project = w.newProject(t, "demo")
	return w
}

func (w *world) newProject(t testing.TB, ident string) int64 {
	t.Helper()
	p, err := w.tracker.CreateProject(context.Background(), w.admin, tracker.ProjectInput{Identifier: &ident, Name: &ident})
	if err != nil {
		t.Fatal(err)
	}
	return p.ID
}

func (w *world) newWorkPackage(t testing.TB, project int64) { w.newWorkPackageID(t, project) }

func (w *world) newWorkPackageID(t testing.TB, project int64) int64 {
	t.Helper()
	subject := "Ship it"
	wp, err := w.tracker.CreateWorkPackage(context.Background(), w.admin, tracker.WorkPackageInput{Subject: &subject, ProjectID: &project})
	if err != nil {
		t.Fatal(err)
	}
	return wp.ID
}

var (
	allowLoopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	discard       = slog.New(slog.NewTextHandler(io.Discard, nil))
)

func (w *world) hook(t testing.TB, url, secret string, events []string, projects []int64) webhooks.Webhook {
	t.Helper()
	name := "hook " + url
	all := projects == nil
	in := webhooks.Input{Name: &name, URL: &url, Secret: &secret, Events: &events, AllProjects: &all}
	if projects != nil {
		in.ProjectIDs = &projects
	}
	h, err := w.webhooks.Create(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func (w *world) dispatcher(t testing.TB, allow ...string) *dispatch.Dispatcher {
	t.Helper()
	cfg := dispatch.DefaultConfig("test")
	cfg.Timeout = 500 * time.Millisecond
	for _, a := range allow {
		cfg.Allow = append(cfg.Allow, netip.MustParsePrefix(a))
	}
	d, err := dispatch.New(context.Background(), w.st, cfg, w.clock.now, discard)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func (w *world) run(t *testing.T, d *dispatch.Dispatcher) int {
	t.Helper()
	n, err := d.DispatchDue(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	d.Wait()
	return n
}

type received struct {
	header http.Header
	body   []byte
}

// receiver records requests and answers with the next status of codes.
func receiver(t *testing.T, codes ...int) (*httptest.Server, func() []received) {
	var mu sync.Mutex
	var got []received
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		got = append(got, received{r.Header.Clone(), body})
		code := 200
		if len(got) <= len(codes) {
			code = codes[len(got)-1]
		}
		mu.Unlock()
		rw.WriteHeader(code)
		_, _ = rw.Write([]byte(`{"ok":true}`))
	}))
	t.Cleanup(srv.Close)
	return srv, func() []received { mu.Lock(); defer mu.Unlock(); return append([]received(nil), got...) }
}

// verify checks both signatures the way a receiver would, from the secret
// alone: OpenProject's X-OP-Signature and Standard Webhooks' webhook-signature.
func verify(t *testing.T, r received, secret string, now time.Time) {
	t.Helper()
	m := hmac.New(sha1.New, []byte(secret))
	m.Write(r.body)
	if got, want := r.header.Get("X-OP-Signature"), "sha1="+hex.EncodeToString(m.Sum(nil)); got != want {
		t.Errorf("X-OP-Signature %q, want %q", got, want)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	id, ts := r.header.Get("webhook-id"), r.header.Get("webhook-timestamp")
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(r.body)))
	want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil))
	if !strings.Contains(" "+r.header.Get("webhook-signature")+" ", " "+want+" ") {
		t.Errorf("webhook-signature %q lacks %q", r.header.Get("webhook-signature"), want)
	}
	// Standard Webhooks receivers reject timestamps far from their clock.
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil || time.Unix(sec, 0).Sub(now).Abs() > 5*time.Minute {
		t.Errorf("webhook-timestamp %q is not the Unix time of the attempt (%d)", ts, now.Unix())
	}
}

const secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func TestDeliveryIsSignedAndCarriesTheRepresentation(t *testing.T) {
	w := newWorld(t)
	srv, got := receiver(t)
	w.hook(t, srv.URL, secret, []string{"work_package:created"}, nil)
	w.newWorkPackage(t, w.project)
	if n := w.run(t, w.dispatcher(t, "127.0.0.1/32")); n != 1 {
		t.Fatalf("queued %d deliveries, want 1", n)
	}
	reqs := got()
	if len(reqs) != 1 {
		t.Fatalf("receiver got %d requests", len(reqs))
	}
	r := reqs[0]
	verify(t, r, secret, w.clock.now())
	for k, v := range map[string]string{"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "Hookpost-Webhooks/test", "X-Hookpost-Event": "work_package:created", "webhook-id": "msg_2_1"} {
		if r.header.Get(k) != v {
			t.Errorf("%s: %q, want %q", k, r.header.Get(k), v)
		}
	}
	var body struct {
		Action      string         `json:"action"`
		WorkPackage map[string]any `json:"work_package"`
		Actor       map[string]any `json:"actor"`
	}
	if err := json.Unmarshal(r.body, &body); err != nil {
		t.Fatal(err)
	}
	if body.Action != "work_package:created" || body.WorkPackage["_type"] != "WorkPackage" || body.WorkPackage["_embedded"] == nil || body.Actor["name"] != "Ada Admin" {
		t.Fatalf("body: %s", r.body)
	}
	attempts, err := dispatch.Attempts(context.Background(), w.st, 1, dispatch.AttemptFilter{})
	if err != nil || len(attempts) != 1 {
		t.Fatalf("attempts %v %v", attempts, err)
	}
	if a := attempts[0]; a.ResponseCode != 200 || a.RequestHeaders["X-Op-Signature"] == "" || a.ResponseBody != `{"ok":true}` || a.Attempt != 1 {
		t.Fatalf("logged attempt: %+v", a)
	}
	// The log shows the body exactly as sent (it is rebuilt from the event,
	// which keeps the actor as rendered at commit time).
	if _, err := w.st.DB.NewUpdate().Table("users").Set("first_name = 'Renamed'").Where("id = ?", w.admin.ID).Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	if attempts, _ = dispatch.Attempts(context.Background(), w.st, 1, dispatch.AttemptFilter{}); attempts[0].RequestBody != string(r.body) {
		t.Fatalf("logged request body\n%s\nsent\n%s", attempts[0].RequestBody, r.body)
	}
	if n := w.run(t, w.dispatcher(t, "127.0.0.1/32")); n != 0 {
		t.Fatalf("a delivered event was queued again (%d)", n)
	}
}

func TestProjectRule(t *testing.T) {
	w := newWorld(t)
	srv, got := receiver(t)
	other := w.newProject(t, "other")
	w.hook(t, srv.URL, secret, []string{"work_package:created", "project:created"}, []int64{w.project})
	w.newWorkPackage(t, other)     // not selected: no delivery
	w.newWorkPackage(t, w.project) // selected
	w.newProject(t, "third")       // project:created reaches every subscriber
	w.run(t, w.dispatcher(t, "127.0.0.1/32"))
	var events []string
	for _, r := range got() {
		events = append(events, r.header.Get("X-Hookpost-Event"))
	}
	if strings.Join(events, ",") != "work_package:created,project:created" && strings.Join(events, ",") != "project:created,work_package:created" {
		t.Fatalf("delivered %v", events)
	}
}

func TestRetriesFollowTheSchedule(t *testing.T) {
	w := newWorld(t)
	srv, got := receiver(t, 500, 503, 200)
	w.hook(t, srv.URL, secret, []string{"work_package:created"}, nil)
	w.newWorkPackage(t, w.project)
	d := w.dispatcher(t, "127.0.0.1/32")
	times := []time.Time{w.clock.now()}
	w.run(t, d)
	if w.run(t, d) != 0 {
		t.Fatal("retried before the first wait")
	}
	w.clock.add(4 * time.Second) // 5 s - 20 % jitter = 4 s at the earliest
	if n := w.run(t, d); n > 1 {
		t.Fatalf("queued %d", n)
	}
	w.clock.add(2 * time.Second)
	times = append(times, w.clock.now())
	w.run(t, d)
	if len(got()) != 2 {
		t.Fatalf("after 6 s: %d attempts, want 2", len(got()))
	}
	w.clock.add(6 * time.Minute)
	times = append(times, w.clock.now())
	w.run(t, d)
	reqs := got()
	if len(reqs) != 3 {
		t.Fatalf("after the second wait: %d attempts, want 3", len(reqs))
	}
	ids := map[string]bool{}
	for i, r := range reqs {
		ids[r.header.Get("webhook-id")] = true
		verify(t, r, secret, times[i])
	}
	if len(ids) != 1 {
		t.Errorf("webhook-id changed across retries: %v", ids)
	}
	var status string
	_ = w.st.Read.NewRaw("SELECT status FROM deliveries").Scan(context.Background(), &status)
	if status != "succeeded" {
		t.Fatalf("delivery %s", status)
	}
}

func TestNotRetriedAnd410Disables(t *testing.T) {
	w := newWorld(t)
	srv404, got404 := receiver(t, 404)
	srv410, _ := receiver(t, 410)
	w.hook(t, srv404.URL, secret, []string{"work_package:created"}, nil)
	gone := w.hook(t, srv410.URL, "", []string{"work_package:created"}, nil)
	w.newWorkPackage(t, w.project)
	d := w.dispatcher(t, "127.0.0.1/32")
	w.run(t, d)
	w.clock.add(time.Hour)
	w.run(t, d)
	if len(got404()) != 1 {
		t.Fatalf("404 was retried: %d attempts", len(got404()))
	}
	h, err := w.webhooks.Get(context.Background(), gone.ID)
	if err != nil || h.Enabled || !strings.Contains(h.Status.Reason, "410") {
		t.Fatalf("410 did not disable the webhook: %+v %v", h, err)
	}
}

func TestSSRFGuardRefusesLoopbackUnlessAllowed(t *testing.T) {
	w := newWorld(t)
	srv, got := receiver(t)
	w.hook(t, srv.URL, secret, []string{"work_package:created"}, nil)
	w.newWorkPackage(t, w.project)
	w.run(t, w.dispatcher(t))
	if len(got()) != 0 {
		t.Fatal("a loopback receiver was reached without --webhook-allow")
	}
	var a dispatch.Attempt
	if err := w.st.Read.NewSelect().Model(&a).Limit(1).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a.ResponseCode != -1 || !strings.Contains(a.Error, "--webhook-allow") || a.NextRetryAt != nil {
		t.Fatalf("refused attempt: %+v", a)
	}
}

func TestGuardTable(t *testing.T) {
	g := dispatch.Guard{}
	for _, addr := range []string{"127.0.0.1", "::1", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "169.254.169.254", "100.64.0.1", "::ffff:127.0.0.1", "0.0.0.0", "::", "fe80::1", "fc00::1", "224.0.0.1"} {
		a := netip.MustParseAddr(addr)
		if g.Check(a) == nil {
			t.Errorf("%s allowed without the allowlist", addr)
		}
		allowed := dispatch.Guard{Allow: []netip.Prefix{netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())}}
		if err := allowed.Check(a); err != nil {
			t.Errorf("%s refused although allowed: %v", addr, err)
		}
	}
	for _, addr := range []string{"93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "172.32.0.1"} {
		if err := g.Check(netip.MustParseAddr(addr)); err != nil {
			t.Errorf("%s refused: %v", addr, err)
		}
	}
}

func TestLogRetention(t *testing.T) {
	w := newWorld(t)
	srv, _ := receiver(t)
	w.hook(t, srv.URL, secret, []string{"work_package:created"}, nil)
	w.newWorkPackage(t, w.project)
	d := w.dispatcher(t, "127.0.0.1/32")
	w.run(t, d)
	count := func() (attempts, deliveries int) {
		_ = w.st.Read.NewRaw("SELECT count(*) FROM delivery_attempts").Scan(context.Background(), &attempts)
		_ = w.st.Read.NewRaw("SELECT count(*) FROM deliveries").Scan(context.Background(), &deliveries)
		return
	}
	w.clock.add(6 * 24 * time.Hour)
	if n, err := d.Prune(context.Background()); err != nil || n != 0 {
		t.Fatalf("pruned %d after 6 days (%v)", n, err)
	}
	w.clock.add(25 * time.Hour)
	if n, err := d.Prune(context.Background()); err != nil || n != 1 {
		t.Fatalf("pruned %d after 7 days (%v)", n, err)
	}
	if a, dl := count(); a != 0 || dl != 0 {
		t.Fatalf("left %d attempts, %d deliveries", a, dl)
	}
}

func TestFaultReceivers(t *testing.T) {
	w := newWorld(t)
	big := strings.Repeat("x", 1<<20)
	var mu sync.Mutex
	var hangArrived, healthyAt time.Time
	faults := map[string]http.HandlerFunc{
		"hang": func(rw http.ResponseWriter, r *http.Request) {
			mu.Lock()
			hangArrived = time.Now()
			mu.Unlock()
			select {
			case <-r.Context().Done():
			case <-time.After(time.Second):
			}
		},
		"drip": func(rw http.ResponseWriter, r *http.Request) {
			rw.WriteHeader(200)
			for i := 0; i < 20; i++ {
				if _, err := rw.Write([]byte("x")); err != nil {
					return
				}
				rw.(http.Flusher).Flush()
				time.Sleep(100 * time.Millisecond)
			}
		},
		"500": func(rw http.ResponseWriter, r *http.Request) { rw.WriteHeader(500) },
		"503": func(rw http.ResponseWriter, r *http.Request) {
			rw.Header().Set("Retry-After", "120")
			rw.WriteHeader(503)
		},
		"429": func(rw http.ResponseWriter, r *http.Request) { rw.WriteHeader(429) },
		"410": func(rw http.ResponseWriter, r *http.Request) { rw.WriteHeader(410) },
		"400": func(rw http.ResponseWriter, r *http.Request) { rw.WriteHeader(400) },
		"302": func(rw http.ResponseWriter, r *http.Request) {
			http.Redirect(rw, r, "http://example.com/", http.StatusFound)
		},
		"huge": func(rw http.ResponseWriter, r *http.Request) {
			for i := 0; i < 50; i++ { // 50 MB
				if _, err := rw.Write([]byte(big)); err != nil {
					return
				}
			}
		},
		"reset": func(rw http.ResponseWriter, r *http.Request) {
			conn, _, _ := rw.(http.Hijacker).Hijack()
			conn.(interface{ SetLinger(int) error }).SetLinger(0)
			conn.Close()
		},
	}
	hooks := map[int64]string{}
	for name, h := range faults {
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		hooks[w.hook(t, srv.URL+"/"+name, secret, []string{"work_package:created"}, nil).ID] = name
	}
	healthy := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		mu.Lock()
		healthyAt = time.Now()
		mu.Unlock()
	}))
	t.Cleanup(healthy.Close)
	hooks[w.hook(t, healthy.URL+"/healthy", secret, []string{"work_package:created"}, nil).ID] = "healthy"
	w.newWorkPackage(t, w.project)

	w.run(t, w.dispatcher(t, "127.0.0.1/32"))
	mu.Lock()
	// The hanging endpoint holds its attempt for the whole timeout (500 ms):
	// the healthy one must have been served within it.
	if healthyAt.IsZero() || !healthyAt.Before(hangArrived.Add(500*time.Millisecond)) {
		t.Errorf("the healthy webhook was served at %v, after the hanging one's timeout (arrived %v)", healthyAt, hangArrived)
	}
	mu.Unlock()
	var attempts []dispatch.Attempt
	if err := w.st.Read.NewSelect().Model(&attempts).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	type want struct {
		code  int
		err   string
		retry bool
	}
	wants := map[string]want{
		"hang": {-1, "timeout", true}, "drip": {200, "reading the response", true}, "500": {500, "", true},
		"503": {503, "", true}, "429": {429, "", true}, "410": {410, "", false}, "400": {400, "", false},
		"302": {302, "", false}, "huge": {200, "", false}, "reset": {-1, "reset", true}, "healthy": {200, "", false},
	}
	for _, a := range attempts {
		name := hooks[a.WebhookID]
		wt := wants[name]
		if a.ResponseCode != wt.code || !strings.Contains(a.Error, wt.err) || (a.NextRetryAt != nil) != wt.retry {
			t.Errorf("%s: code %d, error %q, next retry %v; want %d, %q, retry %v", name, a.ResponseCode, a.Error, a.NextRetryAt, wt.code, wt.err, wt.retry)
		}
		if name == "huge" && len(a.ResponseBody) != dispatch.MaxResponseBody {
			t.Errorf("huge: kept %d bytes of the body, want %d", len(a.ResponseBody), dispatch.MaxResponseBody)
		}
		if name == "503" && (a.NextRetryAt == nil || a.NextRetryAt.Sub(a.CreatedAt) < 119*time.Second) {
			t.Errorf("503 with Retry-After 120: next retry %v after %v", a.NextRetryAt, a.CreatedAt)
		}
		if name == "302" && a.ResponseHeaders["Location"] != "http://example.com/" {
			t.Errorf("302: the redirect was followed or not logged: %+v", a.ResponseHeaders)
		}
	}
	if len(attempts) != len(wants) {
		t.Errorf("%d attempts logged, want %d", len(attempts), len(wants))
	}
}

// A host name that resolves to loopback is refused on its resolved address.
func TestSSRFGuardChecksResolvedAddresses(t *testing.T) {
	w := newWorld(t)
	srv, got := receiver(t)
	u := strings.Replace(srv.URL, "127.0.0.1", "localhost", 1)
	w.hook(t, u, secret, []string{"work_package:created"}, nil)
	w.newWorkPackage(t, w.project)
	w.run(t, w.dispatcher(t))
	if len(got()) != 0 {
		t.Fatal("localhost was reached without --webhook-allow")
	}
	var a dispatch.Attempt
	if err := w.st.Read.NewSelect().Model(&a).Limit(1).Scan(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a.ResponseCode != -1 || !strings.Contains(a.Error, "--webhook-allow") {
		t.Fatalf("refused attempt: %+v", a)
	}
	// Allowed, the same name goes through.
	w2 := newWorld(t)
	srv2, got2 := receiver(t)
	w2.hook(t, strings.Replace(srv2.URL, "127.0.0.1", "localhost", 1), secret, []string{"work_package:created"}, nil)
	w2.newWorkPackage(t, w2.project)
	w2.run(t, w2.dispatcher(t, "127.0.0.0/8", "::1/128"))
	if len(got2()) != 1 {
		t.Fatalf("allowed localhost got %d requests", len(got2()))
	}
}

func TestSecretRotation(t *testing.T) {
	w := newWorld(t)
	srv, got := receiver(t)
	h := w.hook(t, srv.URL, secret, []string{"work_package:created"}, nil)
	const next = "whsec_bmV3LXNlY3JldC1ieXRlcy0xMjM0NTY3OA=="
	s := next
	if _, err := w.webhooks.Update(context.Background(), h.ID, webhooks.Input{Secret: &s}); err != nil {
		t.Fatal(err)
	}
	wh, _ := w.webhooks.Get(context.Background(), h.ID)
	if wh.RotatingUntil == nil {
		t.Fatal("no rotation shown")
	}
	d := w.dispatcher(t, "127.0.0.1/32")
	w.newWorkPackage(t, w.project)
	w.run(t, d)
	r := got()[0]
	if n := len(strings.Fields(r.header.Get("webhook-signature"))); n != 2 {
		t.Fatalf("%d signatures during the rotation, want 2: %q", n, r.header.Get("webhook-signature"))
	}
	// A receiver with either secret accepts the delivery; X-OP-Signature uses the new one.
	verify(t, r, next, w.clock.now())
	oldOnly := r
	oldOnly.header = r.header.Clone()
	oldOnly.header.Set("X-OP-Signature", signSHA1(secret, r.body))
	verify(t, oldOnly, secret, w.clock.now())

	w.clock.add(webhooks.RotationGrace + time.Minute)
	w.newWorkPackage(t, w.project)
	w.run(t, d)
	if sigs := got()[1].header.Get("webhook-signature"); len(strings.Fields(sigs)) != 1 {
		t.Fatalf("the old secret still signs after the grace period: %q", sigs)
	}
	verify(t, got()[1], next, w.clock.now())
}

func signSHA1(secret string, body []byte) string {
	m := hmac.New(sha1.New, []byte(secret))
	m.Write(body)
	return "sha1=" + hex.EncodeToString(m.Sum(nil))
}

// The log keeps each header's first value, as one JSON object; quotes and
// backslashes survive the trip.
func TestLogHeadersKeepFirstValues(t *testing.T) {
	h := http.Header{"Content-Type": {"application/json"}, "Webhook-Signature": {`v1,a"b\c`, "second"}, "Empty": {}}
	b, err := hal.Marshal(dispatch.LogHeaders(h))
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]string
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	want := map[string]string{"Content-Type": "application/json", "Webhook-Signature": `v1,a"b\c`}
	if len(got) != len(want) || got["Content-Type"] != want["Content-Type"] || got["Webhook-Signature"] != want["Webhook-Signature"] {
		t.Errorf("logged headers = %v, want %v", got, want)
	}
}
