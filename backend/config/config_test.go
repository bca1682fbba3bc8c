package config

import (
	"errors"
	"strings"
	"testing"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestParse(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(Config) bool
		err   string // fragment of a usage error
	}{
		{"default is desktop", nil, nil, func(c Config) bool {
			return c.Command == CmdDesktop && c.Addr == "127.0.0.1:8080" && strings.HasSuffix(c.DBPath, "hookpost/hookpost.db") && c.LogFormat == "text"
		}, ""},
		{"serve with flags", []string{"serve", "--db", "/tmp/x.db", "--addr", ":9000", "--log-format", "json"}, nil, func(c Config) bool {
			return c.Command == CmdServe && c.DBPath == "/tmp/x.db" && c.Addr == ":9000" && c.LogFormat == "json"
		}, ""},
		{"environment", []string{"serve"}, map[string]string{"HOOKPOST_DB": "/e.db", "HOOKPOST_ADDR": "0.0.0.0:1", "HOOKPOST_WEBHOOK_ALLOW": "10.0.0.0/8, 192.168.1.5"}, func(c Config) bool {
			return c.DBPath == "/e.db" && c.Addr == "0.0.0.0:1" && len(c.WebhookAllow) == 2 && c.WebhookAllow[1].String() == "192.168.1.5/32"
		}, ""},
		{"flag wins over environment", []string{"serve", "--db", "/f.db"}, map[string]string{"HOOKPOST_DB": "/e.db"}, func(c Config) bool { return c.DBPath == "/f.db" }, ""},
		{"user create", []string{"user", "create", "--login", "bob", "--admin", "--password-stdin"}, nil, func(c Config) bool {
			return c.Command == CmdUserCreate && c.Login == "bob" && c.Admin && c.PasswordStdin
		}, ""},
		{"token create", []string{"token", "create", "--user", "bob"}, nil, func(c Config) bool {
			return c.Command == CmdTokenCreate && c.Login == "bob" && c.TokenName == "CLI token"
		}, ""},
		{"metrics token from the environment", []string{"serve"}, map[string]string{"HOOKPOST_METRICS_TOKEN": "0123456789abcdef"}, func(c Config) bool { return c.MetricsToken == "0123456789abcdef" }, ""},
		{"metrics token flag", []string{"serve", "--metrics-token", "fedcba9876543210"}, map[string]string{"HOOKPOST_METRICS_TOKEN": "0123456789abcdef"}, func(c Config) bool { return c.MetricsToken == "fedcba9876543210" }, ""},
		{"pprof address from the environment", []string{"serve"}, map[string]string{"HOOKPOST_PPROF_ADDR": "127.0.0.1:6060"}, func(c Config) bool { return c.PprofAddr == "127.0.0.1:6060" }, ""},
		{"bad pprof address", []string{"serve", "--pprof-addr", "6060"}, nil, nil, "--pprof-addr"},
		{"short metrics token", []string{"serve", "--metrics-token", "short"}, nil, nil, "--metrics-token"},
		{"unknown command", []string{"frobnicate"}, nil, nil, `unknown command "frobnicate"`},
		{"unknown flag", []string{"serve", "--nope"}, nil, nil, "unknown flag --nope"},
		{"bad addr", []string{"serve", "--addr", "localhost"}, nil, nil, "--addr"},
		{"bad log format", []string{"serve", "--log-format", "xml"}, nil, nil, "text, json"},
		{"bad allowlist", []string{"serve", "--webhook-allow", "10.0.0.0/33"}, nil, nil, "--webhook-allow"},
		{"bad database url", []string{"serve", "--database-url", "mysql://x"}, nil, nil, "postgres://"},
		{"user create without login", []string{"user", "create"}, nil, nil, "--login"},
		{"token create without user", []string{"token", "create"}, nil, nil, "--user"},
		{"user without create", []string{"user", "delete"}, nil, nil, "user create"},
		{"stray argument", []string{"serve", "extra"}, nil, nil, "unexpected argument"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, err := Parse(tc.args, env(tc.env))
			if tc.err != "" {
				var ue *UsageError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "\n") {
					t.Fatalf("want one-line usage error with %q, got %v", tc.err, err)
				}
				return
			}
			if err != nil || !tc.check(cfg) {
				t.Fatalf("got %+v, %v", cfg, err)
			}
		})
	}
	if _, err := Parse([]string{"--help"}, env(nil)); !errors.Is(err, ErrHelp) {
		t.Errorf("--help: %v", err)
	}
}
