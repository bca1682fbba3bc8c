package dispatch

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"
)

// blocked are the destinations refused unless --webhook-allow opens them:
// loopback, private, link-local (cloud metadata lives there), carrier-grade
// NAT, multicast, unspecified and the other special-purpose ranges.
var blocked = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),
	netip.MustParsePrefix("10.0.0.0/8"),
	netip.MustParsePrefix("100.64.0.0/10"),
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("169.254.0.0/16"),
	netip.MustParsePrefix("172.16.0.0/12"),
	netip.MustParsePrefix("192.0.0.0/24"),
	netip.MustParsePrefix("192.168.0.0/16"),
	netip.MustParsePrefix("198.18.0.0/15"),
	netip.MustParsePrefix("224.0.0.0/4"),
	netip.MustParsePrefix("240.0.0.0/4"),
	netip.MustParsePrefix("::/128"),
	netip.MustParsePrefix("::1/128"),
	netip.MustParsePrefix("fc00::/7"),
	netip.MustParsePrefix("fe80::/10"),
	netip.MustParsePrefix("ff00::/8"),
	netip.MustParsePrefix("fd00:ec2::254/128"),
}

// SSRFError is a refused destination.
type SSRFError struct{ Addr netip.Addr }

func (e *SSRFError) Error() string {
	return fmt.Sprintf("destination %s is a private or reserved address and is refused; allow it with --webhook-allow %s/%d (HOOKPOST_WEBHOOK_ALLOW)",
		e.Addr, e.Addr, e.Addr.BitLen())
}

// Guard decides on the resolved address of every connection.
type Guard struct {
	Allow []netip.Prefix
}

// Check refuses a blocked address that no allowlist entry covers.
// IPv4-mapped IPv6 addresses are judged as the IPv4 address they carry.
func (g Guard) Check(a netip.Addr) error {
	a = a.Unmap()
	for _, p := range g.Allow {
		if p.Contains(a) {
			return nil
		}
	}
	for _, p := range blocked {
		if p.Contains(a) {
			return &SSRFError{Addr: a}
		}
	}
	return nil
}

// Dialer returns a dialer that checks each address it actually connects to,
// after DNS resolution, so that a name resolving (or re-resolving) to a
// private address does not pass.
func (g Guard) Dialer(timeout time.Duration) *net.Dialer {
	return &net.Dialer{
		Timeout: timeout,
		Control: func(network, address string, _ syscall.RawConn) error {
			ap, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("unexpected address %q: %w", address, err)
			}
			return g.Check(ap.Addr())
		},
	}
}

// DialContext is the guarded dial function for an http.Transport.
func (g Guard) DialContext(timeout time.Duration) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return g.Dialer(timeout).DialContext
}
