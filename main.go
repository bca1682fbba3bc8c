// Command hookpost is OpenProject's "API and webhooks" administration as one
// binary: a desktop window, an HTTP server with an OpenProject-compatible
// APIv3, and (later) a webhook dispatcher, over one set of services.
package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"syscall"
	"time"

	"github.com/hookpost/hookpost/app"
	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/config"
	"github.com/hookpost/hookpost/backend/dispatch"
	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/httpapi"
	"github.com/hookpost/hookpost/backend/live"
	"github.com/hookpost/hookpost/backend/settings"
	"github.com/hookpost/hookpost/backend/store"
	"github.com/hookpost/hookpost/backend/tracker"
	"github.com/hookpost/hookpost/backend/version"
	"github.com/hookpost/hookpost/backend/webhooks"
	"github.com/hookpost/hookpost/frontend"
)

// Exit codes (SPEC §1).
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// shutdownBudget bounds a clean shutdown, from the signal to the exit (SPEC
// §8: 10 s): the HTTP server and the dispatcher stop side by side within it,
// and the store is closed in what is left.
const shutdownBudget = 10 * time.Second

// closeReserve is what the budget keeps for closing the store (its final
// checkpoint) after the server and the dispatcher have stopped.
const closeReserve = 1500 * time.Millisecond

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if app.GeneratingBindings {
		// "wails build" runs this build only to write frontend/wailsjs.
		if err := app.Run(context.Background(), app.New(app.Services{}, "", slog.Default()), frontend.Dist()); err != nil {
			fmt.Fprintln(stderr, "hookpost:", err)
			return exitFailure
		}
		return exitOK
	}
	cfg, err := config.Parse(args, getenv)
	var usage *config.UsageError
	switch {
	case errors.Is(err, config.ErrHelp):
		fmt.Fprint(stdout, config.Usage)
		return exitOK
	case errors.As(err, &usage):
		fmt.Fprintln(stderr, "hookpost:", err)
		return exitUsage
	case err != nil:
		fmt.Fprintln(stderr, "hookpost:", err)
		return exitFailure
	}
	switch cfg.Command {
	case config.CmdVersion:
		fmt.Fprintln(stdout, "hookpost", version.Version)
		return exitOK
	case config.CmdDesktop:
		if !app.Available {
			fmt.Fprintln(stderr, "hookpost: this binary was built without the desktop window: run 'hookpost serve' for the HTTP server")
			return exitUsage
		}
	}
	tuneGC(getenv)
	log := newLogger(cfg.LogFormat, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := execute(ctx, cfg, stdin, stdout, stderr, log); err != nil {
		var uerr *config.UsageError
		if errors.As(err, &uerr) {
			fmt.Fprintln(stderr, "hookpost:", err)
			return exitUsage
		}
		fmt.Fprintln(stderr, "hookpost:", err)
		return exitFailure
	}
	return exitOK
}

// Memory settings (unless GOGC or GOMEMLIMIT say otherwise). The live heap
// under load is a few tens of MB; the soft limit keeps the process near
// 100 MiB of RSS (SPEC: at most 150 MB under load): the collector runs more
// often when a burst approaches it instead of letting the heap grow to
// several times its live size. GOGC stays the default: a larger value trades
// little throughput for much memory.
const (
	gcPercent   = 100
	memoryLimit = 100 << 20
)

// tuneGC applies the memory settings.
func tuneGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	if getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
}

// Idle memory: the runtime keeps the heap it grew under load and returns it
// to the OS only slowly. Once the process has allocated less than
// quietAllocs in a quietPeriod (no requests, no deliveries), it returns its
// free memory at once, so that an idle server is small again within a
// minute; it does so once per quiet spell, so it costs one collection after
// each burst of work and nothing while busy.
const (
	quietPeriod = 10 * time.Second
	quietAllocs = 8 << 20
)

// idleReclaimer decides, from the running total of heap allocations sampled
// every quietPeriod, when to return memory.
type idleReclaimer struct {
	lastAllocs uint64
	returned   bool
}

// quiet records a sample and reports whether memory should be returned now.
func (r *idleReclaimer) quiet(allocs uint64) bool {
	busy := allocs-r.lastAllocs > quietAllocs
	r.lastAllocs = allocs
	if busy {
		r.returned = false
		return false
	}
	if r.returned {
		return false
	}
	r.returned = true
	return true
}

// returnMemoryWhenIdle runs until ctx ends. Besides the Go heap, it calls
// release for what the database keeps outside it (SQLite's page caches and
// prepared statements).
func returnMemoryWhenIdle(ctx context.Context, release func(context.Context)) {
	sample := []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}}
	r := idleReclaimer{}
	t := time.NewTicker(quietPeriod)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		metrics.Read(sample)
		if r.quiet(sample[0].Value.Uint64()) {
			release(ctx)
			debug.FreeOSMemory()
		}
	}
}

func newLogger(format string, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: slog.LevelInfo}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// services are built once and shared by the HTTP server and the desktop bindings.
type services struct {
	store    *store.Store
	settings *settings.Service
	auth     *auth.Service
	webhooks *webhooks.Service
	// live carries this process's live updates to the stream and the window.
	live *live.Hub
}

// databaseLocation is where cfg puts the database: the PostgreSQL URL when
// one is given, else the SQLite file.
func databaseLocation(cfg config.Config) string {
	if cfg.DatabaseURL != "" {
		return cfg.DatabaseURL
	}
	return cfg.DBPath
}

func openServices(ctx context.Context, cfg config.Config, log *slog.Logger) (*services, error) {
	st, err := store.Open(ctx, databaseLocation(cfg))
	if err != nil {
		return nil, err
	}
	n, err := st.Migrate(ctx)
	if err != nil {
		st.Close()
		return nil, err
	}
	if n > 0 {
		log.Info("database migrated", "applied", n, "db", st.Location())
	}
	hub := live.NewHub()
	set, err := settings.New(ctx, st, time.Now, hub)
	if err != nil {
		st.Close()
		return nil, err
	}
	a, err := auth.New(ctx, st, set, time.Now)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &services{store: st, settings: set, auth: a, webhooks: webhooks.New(st, time.Now, hub), live: hub}, nil
}

func execute(ctx context.Context, cfg config.Config, stdin io.Reader, stdout, stderr io.Writer, log *slog.Logger) error {
	svc, err := openServices(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer svc.store.Close()

	switch cfg.Command {
	case config.CmdMigrate:
		fmt.Fprintln(stderr, "hookpost: database is up to date:", svc.store.Location())
		return nil
	case config.CmdUserCreate:
		return createUser(ctx, svc, cfg, stdin, stdout, stderr)
	case config.CmdUserPasswd:
		return setPassword(ctx, svc, cfg, stdin, stdout, stderr)
	case config.CmdTokenCreate:
		u, err := svc.auth.UserByLogin(ctx, cfg.Login)
		if err != nil {
			return fmt.Errorf("no user with login %q", cfg.Login)
		}
		t, err := svc.auth.CreateToken(ctx, u.ID, auth.NewToken{Name: cfg.TokenName})
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, t.Secret)
		return nil
	}

	pw, err := svc.auth.EnsureAdmin(ctx)
	if err != nil {
		return err
	}
	if pw != "" {
		fmt.Fprintf(stderr, "hookpost: created the administrator 'admin' with password %s\nhookpost: it is shown only this once: sign in and keep it safe.\n", pw)
	}
	dcfg := dispatchConfig(cfg)
	dcfg.Live = svc.live
	dispatcher, err := dispatch.New(ctx, svc.store, dcfg, time.Now, log)
	if err != nil {
		return err
	}
	// The tracker records each write's events in its transaction, rendered
	// by hal, and wakes the dispatcher once it is committed.
	tr, err := tracker.New(ctx, tracker.Deps{Store: svc.store, Settings: svc.settings, Now: time.Now,
		Payloads: hal.EventPayloads, OnCommit: dispatcher.Wake})
	if err != nil {
		return err
	}
	web, err := httpapi.New(httpapi.Deps{Store: svc.store, Settings: svc.settings, Auth: svc.auth, Tracker: tr, Webhooks: svc.webhooks, Dispatcher: dispatcher, Live: svc.live, Log: log,
		Version: version.Version, SPA: frontend.Dist(), MetricsToken: cfg.MetricsToken})
	if err != nil {
		return err
	}
	ln, err := listen(cfg, log)
	if err != nil {
		return err
	}
	if cfg.PprofAddr != "" {
		if err := serveProfiler(cfg.PprofAddr, log); err != nil {
			return err
		}
	}
	// Settings, token revocations, tracker and webhook writes and delivery
	// attempts of other processes on this database reach this one's caches,
	// dispatcher and live stream within a poll on SQLite, as notified on
	// PostgreSQL (SPEC §2).
	wctx, stopWatch := context.WithCancel(context.Background())
	watched := make(chan struct{})
	go func() { svc.settings.Watch(wctx, settings.PollInterval, log); close(watched) }()
	defer func() { stopWatch(); <-watched }()
	go returnMemoryWhenIdle(ctx, svc.store.ReleaseMemory)
	dispatched := make(chan struct{})
	go func() { dispatcher.Run(context.Background()); close(dispatched) }()
	stopped := false
	defer func() { // an early return stops the dispatcher too
		if !stopped {
			dispatcher.Shutdown(context.Background())
		}
		<-dispatched
	}()

	serveErr := make(chan error, 1)
	go func() { serveErr <- web.Listener(ln) }()
	addr := "http://" + ln.Addr().String()
	log.Info("http server listening", "addr", addr, "db", svc.store.Location(), "version", version.Version)

	if cfg.Command == config.CmdDesktop {
		err = app.Run(ctx, app.New(app.Services{Settings: svc.settings, Auth: svc.auth, Tracker: tr, Webhooks: svc.webhooks,
			Dispatcher: dispatcher, Live: svc.live}, addr, log), frontend.Dist())
	} else {
		select {
		case <-ctx.Done():
			log.Info("shutting down")
		case err = <-serveErr:
		}
	}
	// One deadline for everything: requests and deliveries in flight get
	// what is left of it after the store's reserve; deliveries still
	// running then are cancelled and stay pending for the next start.
	began := time.Now()
	// Live streams never end on their own: end them so that the server's
	// shutdown does not wait for the browsers that hold them.
	svc.live.Close()
	sctx, cancel := context.WithDeadline(context.Background(), began.Add(shutdownBudget-closeReserve))
	defer cancel()
	webDone := make(chan error, 1)
	go func() { webDone <- web.ShutdownWithContext(sctx) }()
	dispatcher.Shutdown(sctx)
	stopped = true
	if serr := <-webDone; serr != nil && err == nil && !errors.Is(serr, context.DeadlineExceeded) {
		err = serr
	}
	log.Info("stopped", "took", time.Since(began).Round(time.Millisecond))
	return err
}

func dispatchConfig(cfg config.Config) dispatch.Config {
	c := dispatch.DefaultConfig(version.Version)
	c.Allow = cfg.WebhookAllow
	return c
}

// listen binds cfg.Addr. The desktop window falls back to a free loopback
// port when the address is taken (another Hookpost may be serving there);
// "serve" fails instead, since a server must be where it was told to be.
func listen(cfg config.Config, log *slog.Logger) (net.Listener, error) {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err == nil || cfg.Command != config.CmdDesktop {
		if err != nil {
			return nil, fmt.Errorf("listen on %s: %w (choose another with --addr)", cfg.Addr, err)
		}
		return ln, nil
	}
	log.Warn("address taken, using a free loopback port", "addr", cfg.Addr, "error", err)
	return net.Listen("tcp", "127.0.0.1:0")
}

// setPassword is 'hookpost user password': a forgotten password replaced,
// every session of that user ended.
func setPassword(ctx context.Context, svc *services, cfg config.Config, stdin io.Reader, stdout, stderr io.Writer) error {
	u, err := svc.auth.UserByLogin(ctx, cfg.Login)
	if err != nil {
		return fmt.Errorf("no user with login %q", cfg.Login)
	}
	pw, generated, err := readPassword(cfg, stdin)
	if err != nil {
		return err
	}
	if err := svc.auth.SetPassword(ctx, u.ID, pw); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "password of %q changed; their sessions have ended\n", u.Login)
	if generated {
		fmt.Fprintf(stderr, "hookpost: password for %q: %s (shown only this once)\n", u.Login, pw)
	}
	return nil
}

// readPassword reads one line from stdin with --password-stdin, or makes a
// random password (generated is then true).
func readPassword(cfg config.Config, stdin io.Reader) (pw string, generated bool, err error) {
	if !cfg.PasswordStdin {
		return auth.RandomPassword(), true, nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", false, fmt.Errorf("read password from stdin: %w", err)
	}
	return strings.TrimRight(line, "\r\n"), false, nil
}

func createUser(ctx context.Context, svc *services, cfg config.Config, stdin io.Reader, stdout, stderr io.Writer) error {
	pw, generated, err := readPassword(cfg, stdin)
	if err != nil {
		return err
	}
	u, err := svc.auth.CreateUser(ctx, auth.NewUser{Login: cfg.Login, Password: pw, Admin: cfg.Admin})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "created user %q (id %d, admin %t)\n", u.Login, u.ID, u.Admin)
	if generated {
		fmt.Fprintf(stderr, "hookpost: password for %q: %s (shown only this once)\n", u.Login, pw)
	}
	return nil
}
