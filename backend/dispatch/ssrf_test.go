package dispatch_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/dispatch"
	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/webhooks"
)

// Every form an address can take to reach a private or reserved host is
// refused; public addresses in the forms that carry one pass.
func TestGuardAddressForms(t *testing.T) {
	g := dispatch.Guard{}
	refused := []string{
		// IPv4 special purpose.
		"127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "100.100.100.200",
		"0.0.0.0", "224.0.0.1", "255.255.255.255", "192.0.0.192", "198.18.0.1", "192.0.2.1", "168.63.129.16",
		// IPv6 special purpose.
		"::", "::1", "fe80::1", "fc00::1", "fd00:ec2::254", "ff02::1", "fec0::1", "100::1", "2001:db8::1",
		// Zones: netip.Prefix.Contains is false for every zoned address.
		"::1%lo", "fe80::1%eth0", "fd00:ec2::254%eth0", "ff02::1%eth0", "fe80::1%1",
		// IPv4-mapped: judged by the IPv4 address.
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:127.0.0.1%lo",
		// NAT64, well-known prefix: judged by the IPv4 address.
		"64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "64:ff9b::a00:1", "64:ff9b::127.0.0.1%eth0",
		// NAT64 local-use prefix: refused whatever it carries.
		"64:ff9b:1::7f00:1", "64:ff9b:1::5db8:d822", "64:ff9b:1:ffff::1",
		// IPv4-compatible: refused whatever it carries.
		"::127.0.0.1", "::10.0.0.1", "::93.184.216.34",
		// 6to4 and Teredo: refused whatever they carry.
		"2002:7f00:1::1", "2002:a9fe:a9fe::", "2002:5db8:d822::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001::1",
	}
	for _, s := range refused {
		a := netip.MustParseAddr(s)
		err := g.Check(a)
		var ssrf *dispatch.SSRFError
		if !errors.As(err, &ssrf) {
			t.Errorf("%s: allowed without the allowlist (%v)", s, err)
			continue
		}
		if ssrf.Addr.Zone() != "" || !strings.Contains(err.Error(), "--webhook-allow") {
			t.Errorf("%s: error %q should name the flag and an address without its zone", s, err)
		}
		// The allowlist opens exactly that address, whatever the zone.
		plain := a.WithZone("")
		allowed := dispatch.Guard{Allow: []netip.Prefix{netip.PrefixFrom(plain, plain.BitLen())}}
		if err := allowed.Check(a); err != nil {
			t.Errorf("%s: refused although allowed: %v", s, err)
		}
	}
	passed := []string{
		"93.184.216.34", "1.1.1.1", "172.32.0.1", "100.128.0.1",
		"2606:2800:220:1:248:1893:25c8:1946", "2a00:1450:4001:80b::200e", "2001:4860:4860::8888",
		"::ffff:93.184.216.34",  // IPv4-mapped public
		"64:ff9b::5db8:d822",    // NAT64 of 93.184.216.34 (DNS64 on an IPv6-only host)
		"64:ff9b::1.1.1.1%eth0", // ... zone ignored
	}
	for _, s := range passed {
		if err := g.Check(netip.MustParseAddr(s)); err != nil {
			t.Errorf("%s refused: %v", s, err)
		}
	}
	// An IPv4 allowlist entry covers the forms judged by that IPv4 address.
	v4 := dispatch.Guard{Allow: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}
	for _, s := range []string{"10.9.8.7", "::ffff:10.9.8.7", "64:ff9b::a09:807"} {
		if err := v4.Check(netip.MustParseAddr(s)); err != nil {
			t.Errorf("%s refused with --webhook-allow 10.0.0.0/8: %v", s, err)
		}
	}
	if v4.Check(netip.MustParseAddr("127.0.0.1")) == nil {
		t.Error("127.0.0.1 allowed by --webhook-allow 10.0.0.0/8")
	}
}

// A webhook URL with a zone is refused when it is saved, naming url.
func TestWebhookURLWithZoneRefusedAtSave(t *testing.T) {
	w := newWorld(t)
	for _, u := range []string{"http://[::1%25lo]:8080/", "http://[fe80::1%25eth0]/hook", "https://[fd00:ec2::254%25eth0]/"} {
		name, events := "zoned "+u, []string{"work_package:created"}
		_, err := w.webhooks.Create(context.Background(), webhooks.Input{Name: &name, URL: &u, Events: &events})
		ve := domain.FieldErrors(err)
		if len(ve) != 1 || ve[0].Field != "url" || !strings.Contains(ve[0].Message, "zone") {
			t.Errorf("%s: %v, want one validation error naming url", u, err)
		}
	}
	h := w.hook(t, "http://[::1]:8080/", "", []string{"work_package:created"}, nil)
	zoned := "http://[::1%25lo]:8080/"
	if _, err := w.webhooks.Update(context.Background(), h.ID, webhooks.Input{URL: &zoned}); err == nil {
		t.Error("an update to a zoned URL was accepted")
	}
}

// listener counts the requests that reach it.
func listener(t *testing.T, network, addr string) (port string, hits *atomic.Int64) {
	t.Helper()
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	hits = new(atomic.Int64)
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(rw http.ResponseWriter, _ *http.Request) { hits.Add(1) }))
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	_, port, _ = net.SplitHostPort(l.Addr().String())
	return port, hits
}

// linkLocal is a link-local address of this host with its zone, if any.
func linkLocal() (string, bool) {
	ifs, _ := net.Interfaces()
	for _, i := range ifs {
		addrs, _ := i.Addrs()
		for _, a := range addrs {
			if n, ok := a.(*net.IPNet); ok && n.IP.To4() == nil && n.IP.IsLinkLocalUnicast() {
				return n.IP.String() + "%25" + i.Name, true
			}
		}
	}
	return "", false
}

// Webhooks saved before zones were refused, and the other IPv6 forms of
// loopback, are refused at connect time: a test-fire reaches no listener.
func TestTestFireToLoopbackFormsReachesNoListener(t *testing.T) {
	p4, hits4 := listener(t, "tcp4", "127.0.0.1:0")
	p6, hits6 := listener(t, "tcp6", "[::1]:0")
	pAny, hitsAny := listener(t, "tcp", "[::]:0")
	urls := []string{
		"http://[::1]:" + p6 + "/",
		"http://[::1%25lo]:" + p6 + "/",
		"http://[::1%251]:" + p6 + "/",
		"http://[::ffff:127.0.0.1]:" + p4 + "/",
		"http://[::ffff:7f00:1%25lo]:" + p4 + "/",
		"http://[::127.0.0.1]:" + p4 + "/",
		"http://[64:ff9b::7f00:1]:" + p4 + "/",
		"http://[2002:7f00:1::1]:" + p4 + "/",
	}
	if ll, ok := linkLocal(); ok {
		urls = append(urls, "http://["+ll+"]:"+pAny+"/")
	}
	for i, u := range urls {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			w := newWorld(t)
			h := w.hook(t, "http://example.com/", "", []string{"work_package:created"}, nil)
			// Stored as a webhook saved before the rule would have it.
			if _, err := w.st.DB.ExecContext(context.Background(), "UPDATE webhooks SET url = ? WHERE id = ?", u, h.ID); err != nil {
				t.Fatal(err)
			}
			a, err := w.dispatcher(t).TestFire(context.Background(), h.ID, "work_package:created", w.admin.ID)
			if err != nil {
				t.Fatal(err)
			}
			if a.ResponseCode != -1 || !strings.Contains(a.Error, "--webhook-allow") {
				t.Errorf("%s: attempt %d %q, want -1 and an error naming --webhook-allow", u, a.ResponseCode, a.Error)
			}
		})
	}
	if n := hits4.Load() + hits6.Load() + hitsAny.Load(); n != 0 {
		t.Fatalf("%d requests reached a loopback listener", n)
	}
	// The allowlist still opens loopback, zone or not.
	w := newWorld(t)
	h := w.hook(t, "http://example.com/", "", []string{"work_package:created"}, nil)
	if _, err := w.st.DB.ExecContext(context.Background(), "UPDATE webhooks SET url = ? WHERE id = ?", "http://[::1%25lo]:"+p6+"/", h.ID); err != nil {
		t.Fatal(err)
	}
	a, err := w.dispatcher(t, "::1/128").TestFire(context.Background(), h.ID, "work_package:created", w.admin.ID)
	if err != nil || a.ResponseCode != 200 || hits6.Load() != 1 {
		t.Fatalf("allowed ::1: attempt %d %q %v, %d hits", a.ResponseCode, a.Error, err, hits6.Load())
	}
}

// A secret is shown by its last 4 characters only when it is long enough
// for them not to give it away.
func TestSecretLast4OnlyForLongSecrets(t *testing.T) {
	w := newWorld(t)
	for _, tc := range []struct{ secret, last4 string }{
		{"abcd", ""}, {"s3cr", ""}, {"fifteen-chars-x", ""}, {"sixteen-chars-xy", "s-xy"}, {secret, "LaSw"}, {"", ""},
	} {
		h := w.hook(t, "http://example.com/"+tc.secret, tc.secret, []string{"work_package:created"}, nil)
		if h.SecretSet != (tc.secret != "") || h.SecretLast4 != tc.last4 {
			t.Errorf("secret %q: secretSet %v last4 %q, want %v %q", tc.secret, h.SecretSet, h.SecretLast4, tc.secret != "", tc.last4)
		}
	}
}

// A URL with userinfo (refused at save today, but possibly stored before)
// never reaches the delivery log or the logs with it.
func TestUserinfoNeverLogged(t *testing.T) {
	var logs bytes.Buffer
	for _, tc := range []struct{ url, want string }{
		{"http://user:pa55word@127.0.0.1:1/hook", "http://127.0.0.1:1/hook"},
		{"http://user@[::1%25lo]:1/", "http://[::1%25lo]:1/"},
		{"http://user:pa55word@[::1]:1/?q=1", "http://[::1]:1/?q=1"},
	} {
		w := newWorld(t)
		h := w.hook(t, "http://example.com/", "", []string{"work_package:created"}, nil)
		if _, err := w.st.DB.ExecContext(context.Background(), "UPDATE webhooks SET url = ? WHERE id = ?", tc.url, h.ID); err != nil {
			t.Fatal(err)
		}
		cfg := dispatch.DefaultConfig("test")
		cfg.Timeout = 500 * time.Millisecond
		cfg.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32"), netip.MustParsePrefix("::1/128")}
		d, err := dispatch.New(context.Background(), w.st, cfg, w.clock.now, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
		if err != nil {
			t.Fatal(err)
		}
		a, err := d.TestFire(context.Background(), h.ID, "work_package:created", w.admin.ID)
		if err != nil {
			t.Fatal(err)
		}
		if a.URL != tc.want || a.Error == "" {
			t.Errorf("attempt URL %q error %q, want %q and a connection error", a.URL, a.Error, tc.want)
		}
		stored, err := d.Deliveries(context.Background(), h.ID, dispatch.AttemptFilter{Limit: 10})
		if err != nil || len(stored) != 1 {
			t.Fatal(stored, err)
		}
		all := fmt.Sprintf("%+v %+v %s", a, stored[0], logs.String())
		if strings.Contains(all, "user:") || strings.Contains(all, "user@") || strings.Contains(all, "pa55word") ||
			strings.Contains(all, "Basic ") || strings.Contains(all, "dXNlcjpwYTU1d29yZA") { // base64 of user:pa55word
			t.Errorf("userinfo logged: %s", all)
		}
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pass@host/p?q=1#f": "https://host/p?q=1#f",
		"https://user@host/":             "https://host/",
		"https://host/":                  "https://host/",
		"http://u:p@[::1%zz]:1/":         "http://[::1%zz]:1/", // not a URL net/url reads
		"not a url":                      "not a url",
	} {
		if got := dispatch.RedactURL(in); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", in, got, want)
		}
	}
}

// A URL with userinfo sends it as Basic authentication, as before, while
// the attempt the log keeps shows neither the header nor the userinfo.
func TestUserinfoSentAsBasicAuth(t *testing.T) {
	got := make(chan string, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got <- r.Header.Get("Authorization")
	}))
	defer srv.Close()
	w := newWorld(t)
	h := w.hook(t, "http://example.com/", "", []string{"work_package:created"}, nil)
	withUser := strings.Replace(srv.URL, "http://", "http://user:pa55word@", 1) + "/hook"
	if _, err := w.st.DB.ExecContext(context.Background(), "UPDATE webhooks SET url = ? WHERE id = ?", withUser, h.ID); err != nil {
		t.Fatal(err)
	}
	cfg := dispatch.DefaultConfig("test")
	cfg.Allow = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	d, err := dispatch.New(context.Background(), w.st, cfg, w.clock.now, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	a, err := d.TestFire(context.Background(), h.ID, "work_package:created", w.admin.ID)
	if err != nil {
		t.Fatal(err)
	}
	if auth := <-got; auth != "Basic dXNlcjpwYTU1d29yZA==" {
		t.Errorf("the receiver got Authorization %q", auth)
	}
	if a.ResponseCode != http.StatusOK || a.URL != srv.URL+"/hook" {
		t.Errorf("attempt %d to %q", a.ResponseCode, a.URL)
	}
	if v, ok := a.RequestHeaders["Authorization"]; ok {
		t.Errorf("the attempt's request headers show Authorization %q", v)
	}
}
