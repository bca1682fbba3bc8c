package dispatch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"

	"code.dny.dev/ssrf"
)

// The refused destinations come from code.dny.dev/ssrf, generated from
// IANA's special-purpose registries: every special-purpose IPv4 range
// (loopback, private, link-local where cloud metadata lives, carrier-grade
// NAT, multicast, reserved, documentation…), and every IPv6 address outside
// global unicast 2000::/3 (loopback, unspecified, unique-local with AWS's
// fd00:ec2::254, link-local, multicast, NAT64, IPv4-compatible…) plus the
// special ranges inside it (Teredo and the rest of 2001::/23, 6to4
// 2002::/16, documentation). IPv6 is judged by an allow list, so a range
// nobody thought of is refused rather than let through.
var deny = ssrf.New(ssrf.WithAnyNetwork(), ssrf.WithAnyPort(),
	// Azure's WireServer: a public address that answers only inside Azure,
	// with the VM's goal state and certificates.
	ssrf.WithDeniedV4Prefixes(netip.MustParsePrefix("168.63.129.16/32")))

// nat64 is the well-known NAT64 prefix (RFC 6052): on an IPv6-only host
// behind DNS64 every IPv4-only receiver resolves into it, so its addresses
// are judged by the IPv4 address in their last 32 bits rather than refused.
// The local-use prefix 64:ff9b:1::/48 (RFC 8215) may embed the address at
// several positions, so it stays refused unless --webhook-allow opens it.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// SSRFError is a refused destination.
type SSRFError struct {
	Addr netip.Addr // without its zone
	// Carried is the IPv4 address an IPv4-mapped or NAT64 address was judged by.
	Carried netip.Addr
}

func (e *SSRFError) Error() string {
	what := e.Addr.String()
	if e.Carried.IsValid() && e.Carried != e.Addr {
		what += " (carrying " + e.Carried.String() + ")"
	}
	return fmt.Sprintf("destination %s is a private or reserved address and is refused; allow it with --webhook-allow %s/%d (HOOKPOST_WEBHOOK_ALLOW)",
		what, e.Addr, e.Addr.BitLen())
}

// Guard decides on the resolved address of every connection.
type Guard struct {
	Allow []netip.Prefix
}

// Check refuses a blocked address that no allowlist entry covers.
//
// A zone (fe80::1%eth0) only says which interface to leave by: it is dropped
// before judging, since netip.Prefix.Contains is false for every zoned
// address and would let them all through. IPv4-mapped (::ffff:a.b.c.d) and
// well-known NAT64 (64:ff9b::a.b.c.d) addresses are judged as the IPv4
// address they carry, allowlist included. The other forms that embed an
// IPv4 address are refused whatever they carry: IPv4-compatible (::a.b.c.d,
// deprecated since RFC 4291), 6to4 (2002::/16, deprecated by RFC 7526) and
// Teredo (2001::/32); no receiver is reached through them today and their
// relays are third parties.
func (g Guard) Check(a netip.Addr) error {
	a = a.WithZone("")
	if g.allowed(a) {
		return nil
	}
	v4, carries := carried(a)
	if !carries {
		if deny.SafeAddr(a) != nil {
			return &SSRFError{Addr: a}
		}
		return nil
	}
	if g.allowed(v4) {
		return nil
	}
	if deny.SafeAddr(v4) != nil {
		return &SSRFError{Addr: a, Carried: v4}
	}
	return nil
}

func (g Guard) allowed(a netip.Addr) bool {
	for _, p := range g.Allow {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// carried returns the IPv4 address a connection to a actually reaches, for
// the IPv6 forms judged by it.
func carried(a netip.Addr) (netip.Addr, bool) {
	if a.Is4() || a.Is4In6() {
		return a.Unmap(), true
	}
	if nat64.Contains(a) {
		b := a.As16()
		return netip.AddrFrom4([4]byte(b[12:])), true
	}
	return netip.Addr{}, false
}

// Dialer returns a dialer that checks each address it actually connects to,
// after DNS resolution, so that a name resolving (or re-resolving) to a
// private address does not pass.
func (g Guard) Dialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{
		Timeout: timeout,
		Control: func(network, address string, _ syscall.RawConn) error {
			// An IPv4-mapped address with a zone arrives as "127.0.0.1%lo",
			// which netip does not read: the zone goes first.
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return fmt.Errorf("unexpected address %q: %w", address, err)
			}
			host, _, _ = strings.Cut(host, "%")
			a, err := netip.ParseAddr(host)
			if err != nil {
				return fmt.Errorf("unexpected address %q: %w", address, err)
			}
			return g.Check(a)
		},
	}
}

// DialContext is the guarded dial function for an http.Transport.
func (g Guard) DialContext(timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return g.Dialer(timeout).DialContext
}

// RedactURL is a webhook URL as logs and the delivery log show it: without
// a user name or password. Webhooks saved today cannot have them, but rows
// from before that rule, and the URLs net/http quotes in its errors, may.
func RedactURL(raw string) string {
	u, err := url.Parse(raw)
	if err == nil {
		if u.User == nil {
			return raw
		}
		u.User = nil
		return u.String()
	}
	// Not a URL net/url reads: drop whatever precedes an @ in the authority.
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	authority := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		authority = rest[:i]
	}
	if i := strings.LastIndex(authority, "@"); i >= 0 {
		return scheme + "://" + rest[i+1:]
	}
	return raw
}

// redactError rewrites the URL that net/http quotes in a request error
// (which keeps the user name and masks only the password).
func redactError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		ue.URL = RedactURL(ue.URL)
	}
	return err
}
