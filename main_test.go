package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/config"
	"github.com/hookpost/hookpost/backend/store"
	"github.com/hookpost/hookpost/backend/store/storetest"
)

func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb, func(string) string { return "" })
	return code, out.String(), errb.String()
}

// testDB returns the flag and the location of a fresh, empty database: a
// SQLite file (--db), or a PostgreSQL schema (--database-url) when
// HOOKPOST_TEST_DATABASE_URL is set.
func testDB(t *testing.T) (flag, loc string) {
	t.Helper()
	loc = storetest.Location(t)
	if store.IsPostgresURL(loc) {
		return "--database-url", loc
	}
	return "--db", loc
}

func TestCommands(t *testing.T) {
	dbFlag, db := testDB(t)

	if code, out, _ := runCLI(t, "", "version"); code != 0 || !strings.HasPrefix(out, "hookpost ") {
		t.Errorf("version: %d %q", code, out)
	}
	if code, out, _ := runCLI(t, "", "--help"); code != 0 || !strings.Contains(out, "hookpost serve") {
		t.Errorf("--help: %d %q", code, out)
	}
	code, _, errOut := runCLI(t, "", "desktop", dbFlag, db)
	if code != 2 || !strings.Contains(errOut, "hookpost serve") || strings.Count(errOut, "\n") != 1 {
		t.Errorf("desktop in the headless build: %d %q", code, errOut)
	}
	for _, args := range [][]string{{"serve", "--bogus"}, {"serve", "--addr", "nope"}, {"nonsense"}, {"serve", "--log-format", "xml"}} {
		code, out, errOut := runCLI(t, "", args...)
		if code != 2 || out != "" || strings.Count(errOut, "\n") != 1 {
			t.Errorf("%v: exit %d, stderr %q", args, code, errOut)
		}
	}
	if code, _, errOut := runCLI(t, "", "migrate", dbFlag, db); code != 0 {
		t.Fatalf("migrate: %d %s", code, errOut)
	}
	if code, out, errOut := runCLI(t, "a long enough password\n", "user", "create", "--login", "bob", "--admin", "--password-stdin", dbFlag, db); code != 0 || !strings.Contains(out, `"bob"`) {
		t.Fatalf("user create: %d %s %s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "short\n", "user", "create", "--login", "carl", "--password-stdin", dbFlag, db); code != 1 || !strings.Contains(errOut, "password") {
		t.Errorf("short password: %d %s", code, errOut)
	}
	if code, _, errOut := runCLI(t, "", "user", "create", "--login", "BOB", dbFlag, db); code != 1 || !strings.Contains(errOut, "already been taken") {
		t.Errorf("duplicate login: %d %s", code, errOut)
	}
	code, out, errOut := runCLI(t, "", "token", "create", "--user", "bob", "--name", "ci", dbFlag, db)
	if code != 0 || !regexp.MustCompile(`^hp_[0-9a-f]{64}\n$`).MatchString(out) {
		t.Fatalf("token create must print the token alone: %d %q %s", code, out, errOut)
	}
	if code, _, errOut := runCLI(t, "", "token", "create", "--user", "nobody", dbFlag, db); code != 1 || !strings.Contains(errOut, "nobody") {
		t.Errorf("token for unknown user: %d %s", code, errOut)
	}
}

// TestDatabaseURLFromEnvironment: HOOKPOST_DATABASE_URL selects PostgreSQL
// for the commands, as --database-url does.
func TestDatabaseURLFromEnvironment(t *testing.T) {
	if !storetest.Postgres() {
		t.Skip("needs PostgreSQL: set HOOKPOST_TEST_DATABASE_URL (scripts/pg-test-server)")
	}
	loc := storetest.Location(t)
	env := func(k string) string {
		if k == "HOOKPOST_DATABASE_URL" {
			return loc
		}
		return ""
	}
	cli := func(stdin string, args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := run(args, strings.NewReader(stdin), &out, &errb, env)
		return code, out.String(), errb.String()
	}
	if code, _, errOut := cli("", "migrate"); code != 0 || !strings.Contains(errOut, "up to date") {
		t.Fatalf("migrate: %d %s", code, errOut)
	}
	if code, out, errOut := cli("a long enough password\n", "user", "create", "--login", "eve", "--password-stdin"); code != 0 || !strings.Contains(out, `"eve"`) {
		t.Fatalf("user create: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := cli("", "token", "create", "--user", "eve"); code != 0 || !strings.HasPrefix(out, "hp_") {
		t.Fatalf("token create: %d %q %s", code, out, errOut)
	}
	st := storetest.OpenAt(t, loc)
	var n int
	if err := st.Read.NewRaw("SELECT count(*) FROM api_tokens").Scan(context.Background(), &n); err != nil || n != 1 {
		t.Fatalf("tokens in the PostgreSQL database: %d %v", n, err)
	}
}

func TestServeCreatesAdminAndShutsDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dbFlag, db := testDB(t)
	cfg, err := config.Parse([]string{"serve", dbFlag, db, "--addr", addr}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var errOut bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- execute(ctx, cfg, strings.NewReader(""), io.Discard, &errOut, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	var res *http.Response
	for range 100 {
		if res, err = http.Get("http://" + addr + "/healthz"); err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("healthz: %v", err)
	}
	res.Body.Close()
	m := regexp.MustCompile(`'admin' with password (\S+)`).FindStringSubmatch(errOut.String())
	if m == nil {
		t.Fatalf("no admin password on stderr: %q", errOut.String())
	}
	body := strings.NewReader(`{"login":"admin","password":"` + m[1] + `"}`)
	res, err = http.Post("http://"+addr+"/api/auth/login", "application/json", body)
	if err != nil || res.StatusCode != 200 {
		t.Fatalf("login with the printed password: %v %v", err, res.Status)
	}
	res.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop within 10 s")
	}
}

// TestMemorySettings: the soft limit keeps RSS under load well below 150 MB;
// the environment overrides both settings.
func TestMemorySettings(t *testing.T) {
	oldPercent, oldLimit := debug.SetGCPercent(100), debug.SetMemoryLimit(math.MaxInt64)
	defer func() { debug.SetGCPercent(oldPercent); debug.SetMemoryLimit(oldLimit) }()

	tuneGC(func(string) string { return "" })
	if limit := debug.SetMemoryLimit(-1); limit > 100<<20 {
		t.Errorf("soft memory limit %d MiB, want at most 100 MiB", limit>>20)
	}
	if percent := debug.SetGCPercent(100); percent > 100 {
		t.Errorf("GOGC %d, want at most 100", percent)
	}
	debug.SetMemoryLimit(math.MaxInt64)
	debug.SetGCPercent(50)
	tuneGC(func(k string) string { return map[string]string{"GOGC": "50", "GOMEMLIMIT": "1GiB"}[k] })
	if debug.SetMemoryLimit(-1) != math.MaxInt64 || debug.SetGCPercent(50) != 50 {
		t.Error("GOGC and GOMEMLIMIT in the environment must win")
	}
}

// TestIdleReclaimer: memory is returned once per quiet spell, never while busy.
func TestIdleReclaimer(t *testing.T) {
	r := idleReclaimer{}
	var allocs uint64
	steps := []struct {
		allocated uint64
		want      bool
	}{
		{64 << 20, false},  // start-up
		{200 << 20, false}, // load
		{1 << 20, true},    // quiet: return memory
		{0, false},         // still quiet: already returned
		{2 << 20, false},
		{100 << 20, false}, // load again
		{0, true},          // quiet again
	}
	for i, s := range steps {
		allocs += s.allocated
		if got := r.quiet(allocs); got != s.want {
			t.Errorf("step %d (%d MiB allocated): return memory %v, want %v", i, s.allocated>>20, got, s.want)
		}
	}
}
