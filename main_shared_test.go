package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/config"
	"github.com/hookpost/hookpost/backend/store"
	"github.com/hookpost/hookpost/backend/store/storetest"
)

// lockedBuffer is a stderr that a server goroutine writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startServe runs "hookpost serve" on db (a SQLite file or a PostgreSQL URL)
// at a free port, with the extra flags, until the test ends.
func startServe(t *testing.T, db string, extra ...string) (base string, stderr *lockedBuffer) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	flag := "--db"
	if store.IsPostgresURL(db) {
		flag = "--database-url"
	}
	cfg, err := config.Parse(append([]string{"serve", flag, db, "--addr", addr}, extra...), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	stderr = &lockedBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- execute(ctx, cfg, strings.NewReader(""), io.Discard, stderr, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve on %s returned %v", addr, err)
		}
	})
	base = "http://" + addr
	for range 200 {
		if res, err := http.Get(base + "/healthz"); err == nil {
			res.Body.Close()
			return base, stderr
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatalf("serve on %s did not come up: %s", addr, stderr.String())
	return "", nil
}

type client struct {
	t            *testing.T
	base         string
	cookie, csrf string
	token        string
}

func (c *client) call(method, path, body string) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	if err != nil {
		c.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	} else if c.cookie != "" {
		req.Header.Set("Cookie", c.cookie)
		req.Header.Set("X-CSRF-Token", c.csrf)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer res.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(res.Body).Decode(&m)
	if method == "POST" && path == "/api/auth/login" && res.StatusCode == 200 {
		for _, ck := range res.Cookies() {
			if ck.Name == "hookpost_session" {
				c.cookie = ck.Name + "=" + ck.Value
			}
		}
		c.csrf, _ = m["csrfToken"].(string)
	}
	return res.StatusCode, m
}

func (c *client) must(method, path, body string, want int) map[string]any {
	c.t.Helper()
	status, m := c.call(method, path, body)
	if status != want {
		c.t.Fatalf("%s %s %s on %s: %d, want %d: %v", method, path, body, c.base, status, want, m)
	}
	return m
}

// within polls cond for up to 2 s: SPEC §2 allows one second, the margin is
// for a loaded machine.
func within(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("the other server did not see it within 2 s: %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Two servers on one SQLite file, as a desktop window and a serve are: what
// one changes, the other applies within a second (SPEC §2).
func TestTwoServersOnOneDatabase(t *testing.T) {
	db := storetest.Location(t) // one SQLite file, or one PostgreSQL database
	baseA, stderrA := startServe(t, db)
	baseB, _ := startServe(t, db)
	m := regexp.MustCompile(`'admin' with password (\S+)`).FindStringSubmatch(stderrA.String())
	if m == nil {
		t.Fatalf("no admin password on stderr: %q", stderrA.String())
	}
	login := `{"login":"admin","password":"` + m[1] + `"}`
	a := &client{t: t, base: baseA}
	b := &client{t: t, base: baseB}
	a.must("POST", "/api/auth/login", login, 200)
	b.must("POST", "/api/auth/login", login, 200)
	secret := a.must("POST", "/api/account/tokens", `{"name":"one"}`, 201)["token"].(string)
	apiA := &client{t: t, base: baseA, token: secret}
	apiB := &client{t: t, base: baseB, token: secret}

	// A work package created through A shows in B's (cached) list.
	apiA.must("POST", "/api/v3/projects", `{"identifier":"demo","name":"Demo","public":true}`, 201)
	if n := apiB.must("GET", "/api/v3/work_packages", "", 200)["total"]; n != 0.0 {
		t.Fatalf("total %v before any work package", n)
	}
	apiA.must("POST", "/api/v3/work_packages", `{"subject":"From A","_links":{"project":{"href":"/api/v3/projects/1"}}}`, 201)
	within(t, "a work package created through A", func() bool {
		return apiB.must("GET", "/api/v3/work_packages", "", 200)["total"] == 1.0
	})

	// restApiEnabled=false set in A is enforced by B, and back.
	a.must("PATCH", "/api/admin/settings", `{"restApiEnabled":false}`, 200)
	within(t, "restApiEnabled=false", func() bool { s, _ := apiB.call("GET", "/api/v3/users/me", ""); return s == 401 })
	if got := b.must("GET", "/api/admin/settings", "", 200)["restApiEnabled"]; got != false {
		t.Fatalf("B's settings say restApiEnabled=%v", got)
	}
	b.must("PATCH", "/api/admin/settings", `{"restApiEnabled":true}`, 200)
	within(t, "restApiEnabled=true", func() bool { s, _ := apiA.call("GET", "/api/v3/users/me", ""); return s == 200 })

	// A token revoked in A is refused by B, which has it cached.
	apiB.must("GET", "/api/v3/users/me", "", 200)
	id := a.must("GET", "/api/account/tokens", "", 200)["tokens"].([]any)[0].(map[string]any)["id"].(float64)
	a.must("DELETE", "/api/account/tokens/"+strconv.Itoa(int(id)), "", 204)
	within(t, "token revocation", func() bool { s, _ := apiB.call("GET", "/api/v3/users/me", ""); return s == 401 })
}
