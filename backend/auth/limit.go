package auth

import (
	"context"
	"fmt"
	"net/netip"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookpost/hookpost/backend/domain"
)

// LoginLimits bound password sign-ins (SPEC §4). Every sign-in costs an
// argon2id hash of 19 MiB and about 30 ms of a core, so both the rate of
// failed attempts and the number of hashes running at once are bounded.
type LoginLimits struct {
	// Window is the fixed period over which failed attempts are counted.
	Window time.Duration
	// PerAddress is how many failed sign-ins one client address (an IPv6
	// client's /64, which one host usually owns whole) may make per window.
	PerAddress int
	// PerLogin is how many failed sign-ins one login may receive per window,
	// from all addresses together: guessing one account's password from many
	// addresses is limited as well. It is well above PerAddress, so that one
	// address alone cannot keep an account (admin, say) locked out.
	PerLogin int
	// MaxKeys bounds the entries kept per kind (addresses, logins), so that
	// an attacker varying them cannot grow the limiter's memory.
	MaxKeys int
	// Hashes bounds the password hashes running at once; further sign-ins
	// wait up to HashWait for a slot and are then refused with 429 (not
	// counted as failed), so that a burst queues briefly instead of holding
	// 19 MiB per request.
	Hashes   int
	HashWait time.Duration
}

// DefaultLoginLimits are the limits of a running server.
func DefaultLoginLimits() LoginLimits {
	return LoginLimits{
		Window:     10 * time.Minute,
		PerAddress: 20,
		PerLogin:   60,
		MaxKeys:    16384,
		Hashes:     runtime.GOMAXPROCS(0),
		HashWait:   2 * time.Second,
	}
}

// LimitError refuses a sign-in without checking its password. It unwraps to
// the RequestError the HTTP layer and the desktop bindings answer with;
// RetryAfter is what the Retry-After header says.
type LimitError struct {
	RetryAfter time.Duration
	req        domain.RequestError
}

func (e *LimitError) Error() string { return e.req.Message }
func (e *LimitError) Unwrap() error { return &e.req }

// RetryAfterSeconds is RetryAfter rounded up to whole seconds, at least 1.
func (e *LimitError) RetryAfterSeconds() int {
	return max(1, int((e.RetryAfter+time.Second-1)/time.Second))
}

func tooManyAttempts(wait time.Duration) *LimitError {
	e := &LimitError{RetryAfter: wait}
	e.req = domain.RequestError{Status: 429, Identifier: "TooManyRequests",
		Message: fmt.Sprintf("Too many failed sign-in attempts. Try again in %d seconds.", e.RetryAfterSeconds())}
	return e
}

func hashesBusy(wait time.Duration) *LimitError {
	e := &LimitError{RetryAfter: wait}
	e.req = domain.RequestError{Status: 429, Identifier: "TooManyRequests",
		Message: "The server is busy checking other sign-ins. Try again in a moment."}
	return e
}

// window counts attempts in one fixed window.
type window struct {
	start time.Time
	n     int
}

// counters is a bounded map of windows.
type counters struct {
	m         map[string]*window
	max       int
	lastSweep time.Time
}

// get returns key's window at now, starting a new one when the old has
// passed. When the map is full it first drops every passed window, then, if
// still full, the oldest of a few sampled entries: an attacker flooding the
// map with fresh keys can at most reset a victim's count, which costs him
// MaxKeys attempts (each rate-limited by address) per reset.
func (cs *counters) get(key string, now time.Time, win time.Duration) *window {
	if w, ok := cs.m[key]; ok {
		if now.Sub(w.start) >= win || now.Before(w.start) {
			w.start, w.n = now, 0
		}
		return w
	}
	// A full sweep walks the whole map: at most a few times per window.
	if len(cs.m) >= cs.max && now.Sub(cs.lastSweep) >= win/8 {
		cs.lastSweep = now
		for k, w := range cs.m {
			if now.Sub(w.start) >= win {
				delete(cs.m, k)
			}
		}
	}
	if len(cs.m) >= cs.max {
		var oldest string
		var oldestStart time.Time
		i := 0
		for k, w := range cs.m { // map order is random: a cheap sample
			if i == 0 || w.start.Before(oldestStart) {
				oldest, oldestStart = k, w.start
			}
			if i++; i == 8 {
				break
			}
		}
		delete(cs.m, oldest)
	}
	w := &window{start: now}
	cs.m[key] = w
	return w
}

// loginLimiter applies LoginLimits.
type loginLimiter struct {
	lim    LoginLimits
	mu     sync.Mutex
	addrs  counters
	logins counters
	slots  chan struct{}

	// hashing and peakHashing count the hashes running, for tests and metrics.
	hashing     atomic.Int32
	peakHashing atomic.Int32
	sinceGC     atomic.Int32
}

func newLoginLimiter(lim LoginLimits) *loginLimiter {
	lim.Hashes = max(1, lim.Hashes)
	return &loginLimiter{lim: lim, slots: make(chan struct{}, lim.Hashes),
		addrs:  counters{m: map[string]*window{}, max: max(1, lim.MaxKeys)},
		logins: counters{m: map[string]*window{}, max: max(1, lim.MaxKeys)}}
}

// addressKey groups IPv6 clients by /64; an unparsable address (tests,
// in-process callers) is its own key.
func addressKey(client string) string {
	a, err := netip.ParseAddr(client)
	if err != nil {
		return client
	}
	a = a.Unmap()
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p.String()
	}
	return a.String()
}

// loginKey is the login as sign-in looks it up (trimmed, case-insensitive);
// logins are at most 256 characters, so a longer one is cut there.
func loginKey(login string) string {
	k := strings.ToLower(strings.TrimSpace(login))
	if len(k) > 256 {
		k = k[:256]
	}
	return k
}

// admit counts an attempt against both the address and the login before
// its password is checked, so that concurrent guesses cannot all slip in
// under the limit; a successful sign-in gives the attempt back (refund).
// It refuses when either count has reached its limit, until the window that
// count belongs to has passed — even for the right password, which an
// attacker would otherwise learn from the answer.
func (l *loginLimiter) admit(client, login string, now time.Time) (refund func(), err error) {
	ak, lk := addressKey(client), loginKey(login)
	l.mu.Lock()
	defer l.mu.Unlock()
	aw := l.addrs.get(ak, now, l.lim.Window)
	lw := l.logins.get(lk, now, l.lim.Window)
	var wait time.Duration
	if aw.n >= l.lim.PerAddress {
		wait = max(wait, aw.start.Add(l.lim.Window).Sub(now))
	}
	if lw.n >= l.lim.PerLogin {
		wait = max(wait, lw.start.Add(l.lim.Window).Sub(now))
	}
	if wait > 0 {
		return nil, tooManyAttempts(wait)
	}
	aw.n++
	lw.n++
	aStart, lStart := aw.start, lw.start
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		// Give back only to the window the attempt was counted in.
		if w, ok := l.addrs.m[ak]; ok && w.start.Equal(aStart) && w.n > 0 {
			w.n--
		}
		if w, ok := l.logins.m[lk]; ok && w.start.Equal(lStart) && w.n > 0 {
			w.n--
		}
	}, nil
}

// hash runs check in one of the hash slots, waiting at most HashWait for one.
func (l *loginLimiter) hash(ctx context.Context, check func()) error {
	t := time.NewTimer(l.lim.HashWait)
	defer t.Stop()
	select {
	case l.slots <- struct{}{}:
	case <-t.C:
		return hashesBusy(time.Second)
	case <-ctx.Done():
		return ctx.Err()
	}
	n := l.hashing.Add(1)
	for {
		p := l.peakHashing.Load()
		if n <= p || l.peakHashing.CompareAndSwap(p, n) {
			break
		}
	}
	check()
	l.hashing.Add(-1)
	<-l.slots
	// Each hash leaves 19 MiB of garbage. With the collector tuned to let
	// the heap grow to several times its live size (main's GOGC), a burst of
	// sign-ins would otherwise hold hundreds of MiB until the next cycle;
	// collecting once per round of slots keeps it near the live size, at the
	// cost of a collection per few hashes on this path only.
	if l.sinceGC.Add(1) >= int32(cap(l.slots)) {
		l.sinceGC.Store(0)
		runtime.GC()
	}
	return nil
}

// keys reports how many addresses and logins the limiter holds.
func (l *loginLimiter) keys() (int, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.addrs.m), len(l.logins.m)
}
