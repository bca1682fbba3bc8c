package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/dispatch"
	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/live"
	"github.com/hookpost/hookpost/backend/settings"
	"github.com/hookpost/hookpost/backend/store"
	"github.com/hookpost/hookpost/backend/store/storetest"
	"github.com/hookpost/hookpost/backend/tracker"
	"github.com/hookpost/hookpost/backend/webhooks"
)

// env is a real Fiber app over a real database: a SQLite file in a temp dir,
// or PostgreSQL (see storetest).
type env struct {
	t        *testing.T
	app      *fiber.App
	store    *store.Store
	settings *settings.Service
	auth     *auth.Service
	tracker  *tracker.Service
	dispatch *dispatch.Dispatcher
	clock    *clock
	admin    auth.User
	adminTok string
	user     auth.User
	userTok  string
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func newEnv(t *testing.T) *env {
	t.Helper()
	e := buildEnv(t, storetest.Location(t), nil)
	e.admin, e.adminTok = e.newUser("admin", true)
	e.user, e.userTok = e.newUser("jane", false)
	return e
}

// buildEnv wires the services on the database at path (a SQLite file or a
// PostgreSQL URL, from storetest.Location) as main does, with
// hub (nil: none) fed by the settings, the webhooks and the dispatcher; it
// creates no users.
func buildEnv(t *testing.T, path string, hub *live.Hub) *env {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	set, err := settings.New(ctx, st, clk.now, hub)
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(ctx, st, set, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := tracker.New(ctx, tracker.Deps{Store: st, Settings: set, Now: clk.now, Payloads: hal.EventPayloads})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := dispatch.DefaultConfig("test")
	cfg.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	cfg.Timeout = 2 * time.Second
	cfg.Live = hub
	disp, err := dispatch.New(ctx, st, cfg, clk.now, log)
	if err != nil {
		t.Fatal(err)
	}
	spa := fstest.MapFS{
		"index.html":    {Data: []byte("<!doctype html><title>Hookpost</title>")},
		"docs.html":     {Data: []byte("<!doctype html><title>Hookpost API docs</title>")},
		"assets/app.js": {Data: []byte("console.log(1)")},
	}
	app, err := New(Deps{Store: st, Settings: set, Auth: a, Tracker: tr, Webhooks: webhooks.New(st, clk.now, hub), Dispatcher: disp,
		Live: hub, Version: "test", SPA: spa, MetricsToken: testMetricsToken, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	return &env{t: t, app: app, store: st, settings: set, auth: a, tracker: tr, dispatch: disp, clock: clk}
}

func (e *env) newUser(login string, admin bool) (auth.User, string) {
	e.t.Helper()
	ctx := context.Background()
	u, err := e.auth.CreateUser(ctx, auth.NewUser{Login: login, Password: "correct horse battery", Admin: admin, FirstName: strings.ToUpper(login[:1]) + login[1:], LastName: "Doe"})
	if err != nil {
		e.t.Fatal(err)
	}
	tok, err := e.auth.CreateToken(ctx, u.ID, auth.NewToken{Name: "test"})
	if err != nil {
		e.t.Fatal(err)
	}
	return u, tok.Secret
}

type resp struct {
	status int
	header http.Header
	body   string
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// do sends a request; headers are "Name: value" strings.
func (e *env) do(method, target, body string, headers ...string) resp {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req := httptest.NewRequest(method, target, rd)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		if v == "" {
			req.Header.Del(k)
		} else {
			req.Header.Set(k, v)
		}
	}
	res, err := e.app.Test(req, -1)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: string(b)}
}

func bearer(tok string) string { return "Authorization: Bearer " + tok }

func (e *env) patchSettings(body string) {
	e.t.Helper()
	if r := e.do("PATCH", "/api/admin/settings", body, bearer(e.adminTok)); r.status != 200 {
		e.t.Fatalf("PATCH settings %s: %d %s", body, r.status, r.body)
	}
}

// login signs in through the API and returns the session cookie and CSRF token.
func (e *env) login(login string) (cookie, csrf string) {
	e.t.Helper()
	r := e.do("POST", "/api/auth/login", `{"login":"`+login+`","password":"correct horse battery"}`)
	if r.status != 200 {
		e.t.Fatalf("login: %d %s", r.status, r.body)
	}
	for _, c := range (&http.Response{Header: r.header}).Cookies() {
		if c.Name == sessionCookie {
			cookie = c.Name + "=" + c.Value
			if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode {
				e.t.Errorf("session cookie must be HttpOnly and SameSite=Lax: %+v", c)
			}
		}
	}
	if cookie == "" {
		e.t.Fatalf("login set no session cookie: %v", r.header)
	}
	return cookie, r.json(e.t)["csrfToken"].(string)
}

func errorID(t *testing.T, r resp) string {
	t.Helper()
	id, _ := r.json(t)["errorIdentifier"].(string)
	return strings.TrimPrefix(id, "urn:openproject-org:api:v3:errors:")
}

// testDispatcher may reach receivers on loopback, where httptest listens.
// listen serves e's app on a real loopback listener, for requests that
// app.Test cannot send (bodies over fasthttp's limit, a connection's reuse,
// a stream read as it comes). Open streams end with their clients; the
// server stops waiting for them after two seconds.
func (e *env) listen() string {
	e.t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		e.t.Fatal(err)
	}
	go func() { _ = e.app.Listener(ln) }()
	e.t.Cleanup(func() { _ = e.app.ShutdownWithTimeout(2 * time.Second) })
	return "http://" + ln.Addr().String()
}
