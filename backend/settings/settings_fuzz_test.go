package settings_test

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/hookpost/hookpost/backend/settings"
)

func FuzzNormalizeOrigins(f *testing.F) {
	for _, s := range []string{
		"https://app.example.com", "HTTP://App.Example.COM:8443/", "http://[::1]:3000", "https://xn--bcher-kva.example",
		"https://*.example.com", "https://a.example.com/path", "https://a.example.com?x", "https://a.example.com#f",
		"https://user:pw@a.example.com", "ftp://a.example.com", "https://a.example.com:0", "https://a.example.com:65536",
		"https://a.example.com:", "https://a_b.example.com", "https://[fe80::1%25eth0]", "null", "//a.example.com",
		"https://a.example.com\nhttps://b.example.com\n\nhttps://a.example.com", "https://-a.example.com", "https://1.2.3.4:80",
		"https://a.example.com/?", "https://a.example.com:+80", "https://a.example.com:0080",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		lines := strings.Split(text, "\n")
		origins, errs := settings.NormalizeOrigins(lines)
		for _, e := range errs {
			if e.Field != "corsOrigins" || !strings.Contains(e.Message, "corsOrigins line ") {
				t.Fatalf("%q: error %+v does not name corsOrigins and the line", text, e)
			}
		}
		if len(origins)+len(errs) > len(lines) {
			t.Fatalf("%q: %d origins and %d errors from %d lines", text, len(origins), len(errs), len(lines))
		}
		seen := map[string]bool{}
		for _, o := range origins {
			// What an origin is: scheme://host[:port], lower case, nothing else.
			u, err := url.Parse(o)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
				u.Path != "" || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || u.Opaque != "" {
				t.Fatalf("%q: accepted origin %q is not scheme://host[:port]", text, o)
			}
			if p := u.Port(); p != "" {
				if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 || strconv.Itoa(n) != p {
					t.Fatalf("%q: accepted origin %q has port %q", text, o, p)
				}
			}
			if o != strings.ToLower(o) || strings.ContainsAny(o, "*% \t") {
				t.Fatalf("%q: accepted origin %q is not a lower-case origin", text, o)
			}
			if seen[o] {
				t.Fatalf("%q: origin %q listed twice", text, o)
			}
			seen[o] = true
			// normalize → normalize: an accepted origin is its own normal form.
			again, errs := settings.NormalizeOrigins([]string{o})
			if len(errs) != 0 || len(again) != 1 || again[0] != o {
				t.Fatalf("%q: origin %q normalizes again to %q, %v", text, o, again, errs)
			}
			if !(settings.Settings{CORSEnabled: true, CORSOrigins: origins}).AllowsOrigin(o) {
				t.Fatalf("%q: accepted origin %q is not allowed", text, o)
			}
		}
	})
}
