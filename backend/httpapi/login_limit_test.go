package httpapi

import (
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/auth"
)

func TestLoginRateLimited(t *testing.T) {
	e := newEnv(t)
	lim := auth.DefaultLoginLimits()
	lim.PerAddress = 5
	e.auth.SetLoginLimits(lim)

	bad := `{"login":"jane","password":"not her password"}`
	for i := range 5 {
		if r := e.do("POST", "/api/auth/login", bad); r.status != 401 {
			t.Fatalf("bad attempt %d: %d %s", i+1, r.status, r.body)
		}
	}
	e.clock.t = e.clock.t.Add(time.Minute)
	for _, body := range []string{bad, `{"login":"jane","password":"correct horse battery"}`} {
		r := e.do("POST", "/api/auth/login", body)
		if r.status != 429 {
			t.Fatalf("after 5 bad attempts: %d %s", r.status, r.body)
		}
		if got := r.header.Get("Retry-After"); got != "540" {
			t.Errorf("Retry-After %q, want the 540 s left of the 10-minute window", got)
		}
		if id := errorID(t, r); id != "TooManyRequests" || r.json(t)["_type"] != "Error" {
			t.Errorf("error body %s", r.body)
		}
		if r.header.Get("Set-Cookie") != "" {
			t.Errorf("a refused sign-in set a cookie")
		}
	}
	e.clock.t = e.clock.t.Add(9 * time.Minute)
	e.login("jane")
}
