package dispatch_test

import (
	"net/netip"
	"testing"

	"github.com/hookpost/hookpost/backend/dispatch"
)

// public reports whether netip itself sees nothing local about a.
func public(a netip.Addr) bool {
	return !(a.IsLoopback() || a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() ||
		a.IsInterfaceLocalMulticast() || a.IsMulticast() || a.IsUnspecified())
}

// FuzzGuard: a zone never changes the verdict; an allowed address is public
// as netip sees it (and as global unicast for IPv6); the forms that carry an
// IPv4 address get that address's verdict; the allowlist opens any address.
func FuzzGuard(f *testing.F) {
	for _, s := range []string{"127.0.0.1", "::1", "fe80::1", "fd00:ec2::254", "::ffff:127.0.0.1", "64:ff9b::7f00:1",
		"64:ff9b:1::1", "2002:7f00:1::", "2001::1", "::127.0.0.1", "93.184.216.34", "2606:2800:220:1::1", "64:ff9b::5db8:d822"} {
		a := netip.MustParseAddr(s).As16()
		f.Add(a[:], "eth0")
	}
	g := dispatch.Guard{}
	global := netip.MustParsePrefix("2000::/3")
	f.Fuzz(func(t *testing.T, raw []byte, zone string) {
		if len(raw) != 16 && len(raw) != 4 {
			return
		}
		a, _ := netip.AddrFromSlice(raw)
		verdict := g.Check(a)
		if a.Is6() && zone != "" {
			if zoned := g.Check(a.WithZone(zone)); (zoned == nil) != (verdict == nil) {
				t.Fatalf("%s: zone %q changes the verdict from %v to %v", a, zone, verdict, zoned)
			}
		}
		if a.Is4In6() && (g.Check(a.Unmap()) == nil) != (verdict == nil) {
			t.Fatalf("%s: verdict %v differs from its IPv4 address's", a, verdict)
		}
		if verdict == nil {
			if !public(a) || !public(a.Unmap()) || (a.Is6() && !a.Is4In6() && !global.Contains(a) && !netip.MustParsePrefix("64:ff9b::/96").Contains(a)) {
				t.Fatalf("%s allowed", a)
			}
		}
		if err := (dispatch.Guard{Allow: []netip.Prefix{netip.PrefixFrom(a, a.BitLen())}}).Check(a.WithZone(zone)); err != nil && a.Is6() {
			t.Fatalf("%s refused although allowed: %v", a, err)
		}
	})
}
