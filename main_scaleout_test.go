package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/config"
	"github.com/hookpost/hookpost/backend/store/storetest"
)

// TestMain lets tests run this binary's command line in a process of its
// own: with HOOKPOST_TEST_MAIN=1 the test binary is "hookpost", so a test can
// start real "serve" processes and kill them with SIGKILL.
func TestMain(m *testing.M) {
	if os.Getenv("HOOKPOST_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
	}
	os.Exit(m.Run())
}

// instance is a "hookpost serve" process.
type instance struct {
	cmd    *exec.Cmd
	base   string
	stderr *lockedBuffer
	done   chan struct{}
}

// startInstance runs "hookpost serve" with dbArgs in a process of its own
// until the test ends.
func startInstance(t *testing.T, dbArgs []string) *instance {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	args := append([]string{"serve", "--addr", addr, "--webhook-allow", "127.0.0.1/32"}, dbArgs...)
	in := &instance{cmd: exec.Command(os.Args[0], args...), base: "http://" + addr, stderr: &lockedBuffer{}, done: make(chan struct{})}
	in.cmd.Env = append(os.Environ(), "HOOKPOST_TEST_MAIN=1")
	in.cmd.Stderr = in.stderr
	if err := in.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { _ = in.cmd.Wait(); close(in.done) }()
	t.Cleanup(func() {
		_ = in.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-in.done:
		case <-time.After(15 * time.Second):
			_ = in.cmd.Process.Kill()
			<-in.done
		}
	})
	for range 400 {
		if res, err := http.Get(in.base + "/healthz"); err == nil {
			res.Body.Close()
			return in
		}
		select {
		case <-in.done:
			t.Fatalf("serve %v exited: %s", args, in.stderr.String())
		case <-time.After(25 * time.Millisecond):
		}
	}
	t.Fatalf("serve on %s did not come up: %s", addr, in.stderr.String())
	return nil
}

// kill ends the process with SIGKILL, as a crash or an OOM kill would.
func (in *instance) kill(t *testing.T) {
	t.Helper()
	if err := in.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-in.done
}

// hookReceiver counts the work_package:created deliveries each webhook
// (by its path, /hook/<n>) received per work package.
type hookReceiver struct {
	mu   sync.Mutex
	seen []map[int64]int
	all  atomic.Int64
}

func newHookReceiver(hooks int) *hookReceiver {
	r := &hookReceiver{seen: make([]map[int64]int, hooks)}
	for i := range r.seen {
		r.seen[i] = map[int64]int{}
	}
	return r
}

func (r *hookReceiver) ServeHTTP(rw http.ResponseWriter, req *http.Request) {
	i, err := strconv.Atoi(strings.TrimPrefix(req.URL.Path, "/hook/"))
	var body struct {
		Action      string `json:"action"`
		WorkPackage struct {
			ID int64 `json:"id"`
		} `json:"work_package"`
	}
	if err != nil || i < 0 || i >= len(r.seen) || json.NewDecoder(req.Body).Decode(&body) != nil {
		rw.WriteHeader(http.StatusBadRequest)
		return
	}
	if body.Action == "work_package:created" {
		r.mu.Lock()
		r.seen[i][body.WorkPackage.ID]++
		r.mu.Unlock()
		r.all.Add(1)
	}
	rw.WriteHeader(http.StatusNoContent)
}

// missing counts (webhook, work package) pairs of ids not received yet, and
// duplicates counts the receipts beyond the first.
func (r *hookReceiver) missing(ids []int64) (missing, duplicates int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.seen {
		for _, id := range ids {
			switch n := m[id]; {
			case n == 0:
				missing++
			case n > 1:
				duplicates += n - 1
			}
		}
	}
	return missing, duplicates
}

// apiClient calls one instance with an API token.
type apiClient struct {
	base, token string
	http        *http.Client
}

func (c *apiClient) do(method, path string, in, out any) (int, error) {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return 0, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		return res.StatusCode, err
	}
	if res.StatusCode/100 != 2 {
		return res.StatusCode, fmt.Errorf("%s %s: %d %s", method, path, res.StatusCode, data)
	}
	if out != nil {
		return res.StatusCode, json.Unmarshal(data, out)
	}
	return res.StatusCode, nil
}

// scaleOutDatabases are the shared databases the two-instance test runs on:
// a SQLite file always, and a fresh PostgreSQL database when the test
// command provides a server.
func scaleOutDatabases(t *testing.T) map[string][]string {
	dbs := map[string][]string{"sqlite": {"--db", filepath.Join(t.TempDir(), "shared.db")}}
	if url := postgresTestDatabase(t); url != "" {
		dbs["postgres"] = []string{"--database-url", url}
	}
	return dbs
}

// Two real "serve" processes on one database: events created through both
// are each delivered exactly once; with one of them killed (SIGKILL) in the
// middle of a run, the other takes its webhooks over once their leases end
// and every event still reaches every webhook; a setting changed on one is
// applied by the other within a second (SPEC §2, §6.1).
func TestTwoInstancesShareTheWork(t *testing.T) {
	if testing.Short() {
		t.Skip("starts server processes and waits for a lease to expire")
	}
	for name, dbArgs := range scaleOutDatabases(t) {
		t.Run(name, func(t *testing.T) { twoInstances(t, dbArgs) })
	}
}

func twoInstances(t *testing.T, dbArgs []string) {
	var out strings.Builder
	if code := run(append([]string{"user", "create", "--login", "ops", "--admin"}, dbArgs...), strings.NewReader(""), &out, io.Discard, os.Getenv); code != exitOK {
		t.Fatalf("user create: exit %d", code)
	}
	out.Reset()
	if code := run(append([]string{"token", "create", "--user", "ops"}, dbArgs...), strings.NewReader(""), &out, io.Discard, os.Getenv); code != exitOK {
		t.Fatalf("token create: exit %d", code)
	}
	token := strings.TrimSpace(out.String())

	a := startInstance(t, dbArgs)
	b := startInstance(t, dbArgs)
	hc := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 32}}
	apiA := &apiClient{base: a.base, token: token, http: hc}
	apiB := &apiClient{base: b.base, token: token, http: hc}

	const hooks = 2
	recv := newHookReceiver(hooks)
	srv := httptest.NewServer(recv)
	defer srv.Close()

	var project struct {
		ID int64 `json:"id"`
	}
	if _, err := apiA.do("POST", "/api/v3/projects", map[string]any{"identifier": "shared", "name": "Shared"}, &project); err != nil {
		t.Fatal(err)
	}
	for i := range hooks {
		in := map[string]any{"name": fmt.Sprintf("hook %d", i), "url": fmt.Sprintf("%s/hook/%d", srv.URL, i),
			"events": []string{"work_package:created"}, "allProjects": true, "enabled": true, "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}
		if _, err := apiA.do("POST", "/api/admin/webhooks", in, nil); err != nil {
			t.Fatal(err)
		}
	}

	// A setting changed through A is applied by B within a second.
	if _, err := apiA.do("PATCH", "/api/admin/settings", map[string]any{"maxPageSize": 7}, nil); err != nil {
		t.Fatal(err)
	}
	changed := time.Now()
	within(t, "maxPageSize=7 set through A", func() bool {
		var page struct {
			PageSize int `json:"pageSize"`
		}
		_, err := apiB.do("GET", "/api/v3/projects?pageSize=100", nil, &page)
		return err == nil && page.PageSize == 7
	})
	t.Logf("B applied A's setting after %s", time.Since(changed).Round(time.Millisecond))

	create := func(c *apiClient) (int64, error) {
		var wp struct {
			ID int64 `json:"id"`
		}
		_, err := c.do("POST", "/api/v3/work_packages", map[string]any{"subject": "Shared work",
			"_links": map[string]any{"project": map[string]any{"href": fmt.Sprintf("/api/v3/projects/%d", project.ID)}}}, &wp)
		return wp.ID, err
	}
	// createMany creates n work packages through both instances, 8 at a
	// time, calling between() once half of them are created; creates that
	// fail (the instance was killed) go to A instead.
	createMany := func(n int, between func()) []int64 {
		var (
			mu      sync.Mutex
			ids     []int64
			next    atomic.Int64
			midOnce sync.Once
			bDown   atomic.Bool
			wg      sync.WaitGroup
		)
		for w := range 8 {
			wg.Go(func() {
				for {
					i := next.Add(1)
					if i > int64(n) {
						return
					}
					if i == int64(n/2) && between != nil {
						midOnce.Do(func() { between(); bDown.Store(true) })
					}
					c := apiA
					if (int(i)+w)%2 == 0 && !bDown.Load() {
						c = apiB
					}
					id, err := create(c)
					if err != nil && c == apiB {
						id, err = create(apiA)
					}
					if err != nil {
						t.Errorf("create: %v", err)
						return
					}
					mu.Lock()
					ids = append(ids, id)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return ids
	}
	waitDelivered := func(ids []int64, limit time.Duration) (missing, duplicates int) {
		deadline := time.Now().Add(limit)
		for {
			missing, duplicates = recv.missing(ids)
			if missing == 0 || time.Now().After(deadline) {
				return missing, duplicates
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	// Both running: every event reaches every webhook exactly once.
	ids := createMany(1000, nil)
	if t.Failed() {
		return
	}
	missing, _ := waitDelivered(ids, time.Minute)
	time.Sleep(time.Second) // a second sender would show now
	if _, dups := recv.missing(ids); missing != 0 || dups != 0 {
		t.Fatalf("both instances running: %d of %d deliveries missing, %d duplicates", missing, len(ids)*hooks, dups)
	}

	// The instance that sends the webhooks' deliveries (it holds their
	// leases) killed half-way: the other takes its webhooks over when their
	// leases end, and every event is delivered (at least once: an attempt the
	// killed one made but could not record is made again).
	if holders := leaseHolders(t, dbArgs); holders[a.cmd.Process.Pid] > holders[b.cmd.Process.Pid] {
		a, b = b, a
		apiA, apiB = apiB, apiA
	}
	var killed time.Time
	more := createMany(2000, func() { b.kill(t); killed = time.Now() })
	if t.Failed() {
		return
	}
	missing, dups := waitDelivered(more, 2*time.Minute)
	if missing != 0 {
		t.Fatalf("after B was killed: %d of %d deliveries missing\nA's log: %s", missing, len(more)*hooks, a.stderr.String())
	}
	t.Logf("B killed: %d events, every delivery made %s after the kill (%d made twice)", len(more), time.Since(killed).Round(time.Millisecond), dups)
}

// leaseHolders counts the webhook leases each process holds, by its pid.
func leaseHolders(t *testing.T, dbArgs []string) map[int]int {
	t.Helper()
	cfg, err := config.Parse(append([]string{"migrate"}, dbArgs...), func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	svc, err := openServices(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer svc.store.Close()
	st := svc.store
	var owners []string
	if err := st.Read.NewSelect().Table("dispatch_leases").Column("owner").Scan(context.Background(), &owners); err != nil {
		t.Fatal(err)
	}
	holders := map[int]int{}
	for _, o := range owners { // host/pid/random
		if parts := strings.Split(o, "/"); len(parts) == 3 {
			pid, _ := strconv.Atoi(parts[1])
			holders[pid]++
		}
	}
	if len(holders) == 0 {
		t.Fatalf("no webhook leases held: %v", owners)
	}
	return holders
}

// postgresTestDatabase returns the URL of a fresh PostgreSQL database when
// the test command provides a server (HOOKPOST_TEST_DATABASE_URL), or "".
func postgresTestDatabase(t *testing.T) string {
	t.Helper()
	if !storetest.Postgres() {
		return ""
	}
	return storetest.Location(t)
}
