package auth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/settings"
	"github.com/hookpost/hookpost/backend/store"
	"github.com/hookpost/hookpost/backend/store/storetest"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

const testPassword = "correct horse battery"

// newTestService opens a real SQLite database with the users alice and bob.
func newTestService(t *testing.T, lim LoginLimits) (*Service, *testClock) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, storetest.Location(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	clk := &testClock{t: time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)}
	set, err := settings.New(ctx, st, clk.now, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(ctx, st, set, clk.now)
	if err != nil {
		t.Fatal(err)
	}
	s.SetLoginLimits(lim)
	for _, login := range []string{"alice", "bob"} {
		if _, err := s.CreateUser(ctx, NewUser{Login: login, Password: testPassword}); err != nil {
			t.Fatal(err)
		}
	}
	return s, clk
}

func testLimits() LoginLimits {
	return LoginLimits{Window: time.Minute, PerAddress: 100, PerLogin: 100, MaxKeys: 1000, Hashes: 2, HashWait: time.Minute}
}

// limited reports the LimitError err is, failing the test if it is not one.
func limited(t *testing.T, err error, what string) *LimitError {
	t.Helper()
	var le *LimitError
	if !errors.As(err, &le) {
		t.Fatalf("%s: want a LimitError, got %v", what, err)
	}
	var req *domain.RequestError
	if !errors.As(err, &req) || req.Status != 429 || req.Identifier != "TooManyRequests" {
		t.Fatalf("%s: want a 429 TooManyRequests request error, got %+v", what, req)
	}
	return le
}

func TestLoginLimitPerAddress(t *testing.T) {
	lim := testLimits()
	lim.PerAddress = 3
	s, clk := newTestService(t, lim)
	ctx := context.Background()

	for i := range 3 {
		if _, err := s.Login(ctx, "alice", "wrong password", "192.0.2.1"); !errors.Is(err, domain.ErrUnauthenticated) {
			t.Fatalf("bad attempt %d: want 401, got %v", i+1, err)
		}
		clk.add(time.Second)
	}
	_, err := s.Login(ctx, "alice", "wrong password", "192.0.2.1")
	if le := limited(t, err, "4th bad attempt"); le.RetryAfterSeconds() != 57 {
		t.Errorf("Retry-After %d s, want the 57 s left of the window", le.RetryAfterSeconds())
	}
	// The right password is refused as well: answering it would tell an
	// attacker that the guess was right.
	_, err = s.Login(ctx, "alice", testPassword, "192.0.2.1")
	limited(t, err, "right password after the limit")
	// Another login from the same address is refused too (the address is limited).
	_, err = s.Login(ctx, "bob", testPassword, "192.0.2.1")
	limited(t, err, "another login from the limited address")
	// Other addresses are not affected, for alice or anyone.
	if _, err := s.Login(ctx, "bob", testPassword, "192.0.2.2"); err != nil {
		t.Fatalf("bob from another address: %v", err)
	}
	if _, err := s.Login(ctx, "alice", testPassword, "192.0.2.2"); err != nil {
		t.Fatalf("alice from another address: %v", err)
	}
	clk.add(57 * time.Second)
	if _, err := s.Login(ctx, "alice", testPassword, "192.0.2.1"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestLoginLimitPerLoginAcrossAddresses(t *testing.T) {
	lim := testLimits()
	lim.PerLogin = 3
	s, clk := newTestService(t, lim)
	ctx := context.Background()

	for i := range 3 {
		if _, err := s.Login(ctx, "ALICE ", "wrong password", fmt.Sprintf("198.51.100.%d", i+1)); !errors.Is(err, domain.ErrUnauthenticated) {
			t.Fatalf("bad attempt %d: want 401, got %v", i+1, err)
		}
	}
	_, err := s.Login(ctx, "alice", testPassword, "198.51.100.99")
	if le := limited(t, err, "alice from a fresh address"); le.RetryAfterSeconds() != 60 {
		t.Errorf("Retry-After %d s, want 60", le.RetryAfterSeconds())
	}
	// A different login from one of the guessing addresses still signs in:
	// those addresses made 1 failed attempt each.
	if _, err := s.Login(ctx, "bob", testPassword, "198.51.100.1"); err != nil {
		t.Fatalf("bob: %v", err)
	}
	clk.add(time.Minute)
	if _, err := s.Login(ctx, "alice", testPassword, "198.51.100.99"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}

func TestLoginLimitCountsOnlyFailures(t *testing.T) {
	lim := testLimits()
	lim.PerAddress = 2
	s, _ := newTestService(t, lim)
	ctx := context.Background()
	// Many people behind one address sign in successfully all day.
	for i := range 5 {
		if _, err := s.Login(ctx, "bob", testPassword, "203.0.113.7"); err != nil {
			t.Fatalf("sign-in %d: %v", i+1, err)
		}
	}
}

func TestLoginLimitGroupsIPv6By64(t *testing.T) {
	lim := testLimits()
	lim.PerAddress = 2
	s, _ := newTestService(t, lim)
	ctx := context.Background()
	for _, a := range []string{"2001:db8:1:2::1", "2001:db8:1:2:ffff::9"} {
		if _, err := s.Login(ctx, "alice", "wrong password", a); !errors.Is(err, domain.ErrUnauthenticated) {
			t.Fatalf("%s: want 401, got %v", a, err)
		}
	}
	_, err := s.Login(ctx, "bob", testPassword, "2001:db8:1:2::abcd")
	limited(t, err, "same /64")
	if _, err := s.Login(ctx, "bob", testPassword, "2001:db8:1:3::1"); err != nil {
		t.Fatalf("another /64: %v", err)
	}
}

func TestLoginHashesBounded(t *testing.T) {
	s, _ := newTestService(t, testLimits()) // 2 hash slots
	ctx := context.Background()
	const n = 12
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := s.Login(ctx, "bob", testPassword, fmt.Sprintf("192.0.2.%d", i))
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("sign-in that waited for a slot: %v", err)
		}
	}
	if peak := s.limiter.peakHashing.Load(); peak < 1 || peak > 2 {
		t.Fatalf("%d hashes ran at once, want at most 2", peak)
	}
}

func TestLoginBusyIsRefusedAndNotCounted(t *testing.T) {
	lim := testLimits()
	lim.PerAddress = 1
	lim.HashWait = 10 * time.Millisecond
	s, _ := newTestService(t, lim)
	ctx := context.Background()
	// Occupy both slots as two long sign-ins would.
	s.limiter.slots <- struct{}{}
	s.limiter.slots <- struct{}{}
	_, err := s.Login(ctx, "alice", "wrong password", "192.0.2.1")
	if le := limited(t, err, "no free hash slot"); le.RetryAfterSeconds() != 1 {
		t.Errorf("Retry-After %d, want 1", le.RetryAfterSeconds())
	}
	<-s.limiter.slots
	<-s.limiter.slots
	// The refused attempt was not counted: the one allowed failure remains.
	if _, err := s.Login(ctx, "alice", "wrong password", "192.0.2.1"); !errors.Is(err, domain.ErrUnauthenticated) {
		t.Fatalf("want 401, got %v", err)
	}
}

func TestLimiterMemoryBounded(t *testing.T) {
	lim := testLimits()
	lim.MaxKeys = 100
	l := newLoginLimiter(lim)
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for i := range 10000 {
		if _, err := l.admit(fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255), fmt.Sprintf("user%d", i), now); err != nil {
			t.Fatalf("attempt %d: %v", i, err)
		}
		now = now.Add(time.Millisecond)
	}
	if a, g := l.keys(); a > 100 || g > 100 {
		t.Fatalf("limiter holds %d addresses and %d logins, want at most 100 each", a, g)
	}
}

// With the default limits one address cannot lock an account out: it is
// limited itself long before the login is.
func TestOneAddressCannotLockALoginOut(t *testing.T) {
	lim := DefaultLoginLimits()
	lim.Hashes, lim.HashWait = 2, time.Minute
	s, _ := newTestService(t, lim)
	ctx := context.Background()
	for {
		_, err := s.Login(ctx, "alice", "wrong password", "192.0.2.1")
		var le *LimitError
		if errors.As(err, &le) {
			break
		}
		if !errors.Is(err, domain.ErrUnauthenticated) {
			t.Fatal(err)
		}
	}
	if _, err := s.Login(ctx, "alice", testPassword, "192.0.2.9"); err != nil {
		t.Fatalf("alice from another address after one address was limited: %v", err)
	}
}
