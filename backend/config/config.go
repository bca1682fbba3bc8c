// Package config turns the command line and HOOKPOST_* environment variables
// into one validated Config. Flags win over the environment; the environment
// wins over defaults. It holds no package-level state.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
)

// Command names accepted on the command line.
const (
	CmdDesktop     = "desktop"
	CmdServe       = "serve"
	CmdMigrate     = "migrate"
	CmdVersion     = "version"
	CmdUserCreate  = "user create"
	CmdUserPasswd  = "user password"
	CmdTokenCreate = "token create"
	CmdHelp        = "help"
)

// Config is everything a command needs to run.
type Config struct {
	Command string

	DBPath       string
	DatabaseURL  string
	Addr         string
	WebhookAllow []netip.Prefix
	LogFormat    string
	// MetricsToken, when set, is a bearer token that may read /metrics
	// (administrators' API tokens always may).
	MetricsToken string
	// PprofAddr, when set, is where Go's profiler (net/http/pprof) listens,
	// apart from the API: for measuring where a process spends its time.
	PprofAddr string

	// user create / token create
	Login         string
	Admin         bool
	PasswordStdin bool
	TokenName     string
}

// UsageError is a bad command line: a missing or unknown command, flag or
// value. Its message is one line naming what was wrong and what is accepted.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

func usagef(format string, args ...any) error {
	return &UsageError{Msg: fmt.Sprintf(format, args...)}
}

// Usage is the --help text.
const Usage = `Hookpost: OpenProject-compatible API settings, REST API and webhooks.

Usage:
  hookpost [desktop]                      open the desktop window (the HTTP server runs in the same process)
  hookpost serve                          run the HTTP server alone
  hookpost migrate                        apply database migrations and exit
  hookpost version                        print the version
  hookpost user create --login LOGIN [--admin] [--password-stdin]
  hookpost user password --login LOGIN [--password-stdin]
  hookpost token create --user LOGIN [--name NAME]

Common flags (each also read from an environment variable; the flag wins):
  --db PATH                 SQLite file (HOOKPOST_DB; default <user config dir>/hookpost/hookpost.db)
  --database-url URL        postgres://... to use PostgreSQL instead of SQLite (HOOKPOST_DATABASE_URL)
  --addr HOST:PORT          HTTP listen address (HOOKPOST_ADDR; default 127.0.0.1:8080)
  --webhook-allow CIDR,...  destinations exempt from the SSRF guard (HOOKPOST_WEBHOOK_ALLOW)
  --metrics-token TOKEN     bearer token for GET /metrics besides administrators' API tokens (HOOKPOST_METRICS_TOKEN)
  --log-format text|json    log format (HOOKPOST_LOG_FORMAT; default text)
  --pprof-addr HOST:PORT    serve Go's profiler (/debug/pprof/) there, without authentication: keep it on loopback (HOOKPOST_PPROF_ADDR; default off)
`

// ErrHelp is returned when --help or -h was asked for.
var ErrHelp = errors.New("help requested")

// Parse reads args (without the program name) and the environment lookup.
func Parse(args []string, getenv func(string) string) (Config, error) {
	cfg := Config{Command: CmdDesktop}
	rest := args
	if len(rest) > 0 && !strings.HasPrefix(rest[0], "-") {
		switch rest[0] {
		case "desktop", "serve", "migrate", "version":
			cfg.Command, rest = rest[0], rest[1:]
		case "help":
			return cfg, ErrHelp
		case "user", "token":
			switch {
			case len(rest) >= 2 && (rest[1] == "create" || rest[0] == "user" && rest[1] == "password"):
				cfg.Command, rest = rest[0]+" "+rest[1], rest[2:]
			case rest[0] == "user":
				return cfg, usagef("unknown command %q: use \"user create\" or \"user password\"", strings.Join(rest[:min(2, len(rest))], " "))
			default:
				return cfg, usagef("unknown command %q: use %q", strings.Join(rest[:min(2, len(rest))], " "), rest[0]+" create")
			}
		default:
			return cfg, usagef("unknown command %q: accepted are desktop, serve, migrate, version, user create, user password, token create", rest[0])
		}
	}

	fs := flag.NewFlagSet("hookpost", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&cfg.DBPath, "db", "", "")
	fs.StringVar(&cfg.DatabaseURL, "database-url", "", "")
	fs.StringVar(&cfg.Addr, "addr", "", "")
	allow := fs.String("webhook-allow", "", "")
	fs.StringVar(&cfg.LogFormat, "log-format", "", "")
	fs.StringVar(&cfg.MetricsToken, "metrics-token", "", "")
	fs.StringVar(&cfg.PprofAddr, "pprof-addr", "", "")
	switch cfg.Command {
	case CmdUserCreate:
		fs.StringVar(&cfg.Login, "login", "", "")
		fs.BoolVar(&cfg.Admin, "admin", false, "")
		fs.BoolVar(&cfg.PasswordStdin, "password-stdin", false, "")
	case CmdUserPasswd:
		fs.StringVar(&cfg.Login, "login", "", "")
		fs.BoolVar(&cfg.PasswordStdin, "password-stdin", false, "")
	case CmdTokenCreate:
		fs.StringVar(&cfg.Login, "user", "", "")
		fs.StringVar(&cfg.TokenName, "name", "", "")
	}
	if err := fs.Parse(rest); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return cfg, ErrHelp
		}
		msg := err.Error()
		if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
			msg = fmt.Sprintf("unknown flag --%s for %q", name, cfg.Command)
		}
		return cfg, usagef("%s (run 'hookpost --help' for the accepted flags)", msg)
	}
	if fs.NArg() > 0 {
		return cfg, usagef("unexpected argument %q for %q (run 'hookpost --help')", fs.Arg(0), cfg.Command)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	fromEnv := func(dst *string, flagName, env string) {
		if !set[flagName] {
			if v := getenv(env); v != "" {
				*dst = v
			}
		}
	}
	fromEnv(&cfg.DBPath, "db", "HOOKPOST_DB")
	fromEnv(&cfg.DatabaseURL, "database-url", "HOOKPOST_DATABASE_URL")
	fromEnv(&cfg.Addr, "addr", "HOOKPOST_ADDR")
	fromEnv(allow, "webhook-allow", "HOOKPOST_WEBHOOK_ALLOW")
	fromEnv(&cfg.LogFormat, "log-format", "HOOKPOST_LOG_FORMAT")
	fromEnv(&cfg.MetricsToken, "metrics-token", "HOOKPOST_METRICS_TOKEN")
	fromEnv(&cfg.PprofAddr, "pprof-addr", "HOOKPOST_PPROF_ADDR")

	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:8080"
	}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return cfg, usagef("invalid --addr %q: expected HOST:PORT, e.g. 127.0.0.1:8080", cfg.Addr)
	}
	if cfg.PprofAddr != "" {
		if _, _, err := net.SplitHostPort(cfg.PprofAddr); err != nil {
			return cfg, usagef("invalid --pprof-addr %q: expected HOST:PORT, e.g. 127.0.0.1:6060", cfg.PprofAddr)
		}
	}
	switch cfg.LogFormat {
	case "":
		cfg.LogFormat = "text"
	case "text", "json":
	default:
		return cfg, usagef("invalid --log-format %q: accepted are text, json", cfg.LogFormat)
	}
	if cfg.DatabaseURL != "" && !strings.HasPrefix(cfg.DatabaseURL, "postgres://") && !strings.HasPrefix(cfg.DatabaseURL, "postgresql://") {
		return cfg, usagef("invalid --database-url: expected postgres://user:pass@host:port/dbname")
	}
	if cfg.MetricsToken != "" && len(cfg.MetricsToken) < 16 {
		return cfg, usagef("invalid --metrics-token: use at least 16 characters (e.g. from 'openssl rand -hex 16')")
	}
	prefixes, err := ParseCIDRs(*allow)
	if err != nil {
		return cfg, err
	}
	cfg.WebhookAllow = prefixes
	if cfg.DBPath == "" && cfg.DatabaseURL == "" {
		dir, err := os.UserConfigDir()
		if err != nil {
			return cfg, usagef("no --db given and no user config directory (%v): pass --db PATH", err)
		}
		cfg.DBPath = filepath.Join(dir, "hookpost", "hookpost.db")
	}
	switch cfg.Command {
	case CmdUserCreate:
		if cfg.Login == "" {
			return cfg, usagef("missing --login: 'hookpost user create --login LOGIN [--admin] [--password-stdin]'")
		}
	case CmdUserPasswd:
		if cfg.Login == "" {
			return cfg, usagef("missing --login: 'hookpost user password --login LOGIN [--password-stdin]'")
		}
	case CmdTokenCreate:
		if cfg.Login == "" {
			return cfg, usagef("missing --user: 'hookpost token create --user LOGIN [--name NAME]'")
		}
		if cfg.TokenName == "" {
			cfg.TokenName = "CLI token"
		}
	}
	return cfg, nil
}

// ParseCIDRs parses a comma-separated list of CIDRs or single addresses.
func ParseCIDRs(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		if p, err := netip.ParsePrefix(part); err == nil {
			out = append(out, p.Masked())
			continue
		}
		if a, err := netip.ParseAddr(part); err == nil {
			out = append(out, netip.PrefixFrom(a, a.BitLen()))
			continue
		}
		return nil, usagef("invalid --webhook-allow entry %q: expected a CIDR such as 10.0.0.0/8 or an address such as 192.168.1.5", part)
	}
	return out, nil
}
