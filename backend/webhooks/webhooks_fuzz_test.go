package webhooks

import (
	"bytes"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hookpost/hookpost/backend/dispatch"
)

// FuzzCheckURL: an accepted payload URL is one the dispatcher can post to,
// with nothing the rules refuse; a refusal never quotes userinfo.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{
		"https://example.com/hook", "http://example.com:8080/a?b=c#d", "http://[2001:db8::1]/", "http://[::1%25lo]:8080/",
		"http://[fe80::1%25eth0]/", "https://user:pass@example.com/", "https://user@example.com/", "ftp://example.com/",
		"example.com/hook", "http://", "http:///path", "http://:80/", "http://exa mple.com/", "http://example.com:99999/",
		"http://[::1]:80/", "HTTPS://EXAMPLE.COM/", "https://example.com/%zz", "http://ex%41mple.com/", "javascript:alert(1)",
		"http://a@b@c/", "https://[::ffff:127.0.0.1]/", "http://1.2.3.4\x00/", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		raw = strings.TrimSpace(raw) // as validate does
		msg := checkURL(raw)
		if msg != "" {
			if u, err := url.Parse(raw); err == nil && u.User != nil && u.User.String() != "" && strings.Contains(msg, u.User.String()+"@") {
				t.Fatalf("%q: message %q quotes the userinfo", raw, msg)
			}
			return
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" || u.User != nil ||
			strings.Contains(u.Hostname(), "%") {
			t.Fatalf("accepted %q breaks the rules: %+v %v", raw, u, err)
		}
		if _, err := http.NewRequest(http.MethodPost, raw, bytes.NewReader(nil)); err != nil {
			t.Fatalf("accepted %q, which the dispatcher cannot post to: %v", raw, err)
		}
		if dispatch.RedactURL(raw) != raw {
			t.Fatalf("accepted %q is logged as %q", raw, dispatch.RedactURL(raw))
		}
	})
}
