package httpapi

import (
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/auth"
)

func basic(user, pass string) string {
	return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
}

func TestAuthMatrix(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	expiring, err := e.auth.CreateToken(ctx, e.user.ID, auth.NewToken{Name: "short", ExpiresAt: ptrTime(e.clock.t.Add(time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := e.auth.CreateToken(ctx, e.user.ID, auth.NewToken{Name: "gone"})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.auth.RevokeToken(ctx, e.user.ID, revoked.ID); err != nil {
		t.Fatal(err)
	}
	cookie, csrf := e.login("jane")
	adminCookie, adminCSRF := e.login("admin")

	cases := []struct {
		name    string
		method  string
		url     string
		body    string
		headers []string
		status  int
		errID   string
		userID  int64
	}{
		{"no credentials", "GET", "/api/v3/users/me", "", nil, 401, "Unauthenticated", 0},
		{"wrong bearer token", "GET", "/api/v3/users/me", "", []string{bearer("hp_" + strings.Repeat("0", 64))}, 401, "Unauthenticated", 0},
		{"bearer without prefix", "GET", "/api/v3/users/me", "", []string{bearer("nonsense")}, 401, "Unauthenticated", 0},
		{"wrong basic password", "GET", "/api/v3/users/me", "", []string{basic("apikey", "hp_wrong")}, 401, "Unauthenticated", 0},
		{"basic with a login instead of apikey", "GET", "/api/v3/users/me", "", []string{basic("jane", e.userTok)}, 401, "Unauthenticated", 0},
		{"unknown scheme", "GET", "/api/v3/users/me", "", []string{"Authorization: Digest x"}, 401, "Unauthenticated", 0},
		{"revoked token", "GET", "/api/v3/users/me", "", []string{bearer(revoked.Secret)}, 401, "Unauthenticated", 0},
		{"basic apikey", "GET", "/api/v3/users/me", "", []string{basic("apikey", e.userTok)}, 200, "", e.user.ID},
		{"bearer", "GET", "/api/v3/users/me", "", []string{bearer(e.userTok)}, 200, "", e.user.ID},
		{"token of an expiring key before expiry", "GET", "/api/v3/users/me", "", []string{bearer(expiring.Secret)}, 200, "", e.user.ID},
		{"session GET without CSRF header", "GET", "/api/v3/users/me", "", []string{"Cookie: " + cookie}, 200, "", e.user.ID},
		{"session POST without CSRF header", "POST", "/api/account/tokens", `{"name":"x"}`, []string{"Cookie: " + cookie}, 401, "Unauthenticated", 0},
		{"session POST with a wrong CSRF header", "POST", "/api/account/tokens", `{"name":"x"}`, []string{"Cookie: " + cookie, csrfHeader + ": nope"}, 401, "Unauthenticated", 0},
		{"session POST with CSRF header", "POST", "/api/account/tokens", `{"name":"x"}`, []string{"Cookie: " + cookie, csrfHeader + ": " + csrf}, 201, "", 0},
		{"session PATCH settings as admin without CSRF", "PATCH", "/api/admin/settings", `{"docsEnabled":true}`, []string{"Cookie: " + adminCookie}, 401, "Unauthenticated", 0},
		{"session PATCH settings as admin with CSRF", "PATCH", "/api/admin/settings", `{"docsEnabled":true}`, []string{"Cookie: " + adminCookie, csrfHeader + ": " + adminCSRF}, 200, "", 0},
		{"forged session cookie", "GET", "/api/v3/users/me", "", []string{"Cookie: " + sessionCookie + "=forged"}, 401, "Unauthenticated", 0},
		{"non-admin GET settings", "GET", "/api/admin/settings", "", []string{bearer(e.userTok)}, 403, "MissingPermission", 0},
		{"non-admin PATCH settings", "PATCH", "/api/admin/settings", `{"maxPageSize":5}`, []string{bearer(e.userTok)}, 403, "MissingPermission", 0},
		{"non-admin session PATCH settings", "PATCH", "/api/admin/settings", `{"maxPageSize":5}`, []string{"Cookie: " + cookie, csrfHeader + ": " + csrf}, 403, "MissingPermission", 0},
		{"non-admin users collection", "GET", "/api/v3/users", "", []string{bearer(e.userTok)}, 403, "MissingPermission", 0},
		{"admin GET settings", "GET", "/api/admin/settings", "", []string{bearer(e.adminTok)}, 200, "", 0},
		{"admin API without credentials", "GET", "/api/admin/settings", "", nil, 401, "Unauthenticated", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.method, tc.url, tc.body, tc.headers...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.errID != "" {
				if got := errorID(t, r); got != tc.errID {
					t.Errorf("errorIdentifier %q, want %q", got, tc.errID)
				}
				if r.json(t)["_type"] != "Error" || r.json(t)["message"] == "" {
					t.Errorf("not an OpenProject error body: %s", r.body)
				}
			}
			if tc.status == 401 {
				if got := r.header.Get("WWW-Authenticate"); got != `Basic realm="Hookpost API"` {
					t.Errorf("WWW-Authenticate %q", got)
				}
			}
			if tc.userID != 0 {
				m := r.json(t)
				if m["_type"] != "User" || int64(m["id"].(float64)) != tc.userID {
					t.Errorf("answered as %v %v, want User %d", m["_type"], m["id"], tc.userID)
				}
			}
		})
	}

	t.Run("expired token", func(t *testing.T) {
		e.clock.t = e.clock.t.Add(2 * time.Hour)
		defer func() { e.clock.t = e.clock.t.Add(-2 * time.Hour) }()
		r := e.do("GET", "/api/v3/users/me", "", bearer(expiring.Secret))
		if r.status != 401 || !strings.Contains(r.json(t)["message"].(string), "expired") {
			t.Fatalf("expired token: %d %s", r.status, r.body)
		}
	})
	t.Run("session scheme challenge on request", func(t *testing.T) {
		r := e.do("GET", "/api/v3/users/me", "", "X-Authentication-Scheme: Session")
		if got := r.header.Get("WWW-Authenticate"); got != `Session realm="Hookpost API"` {
			t.Fatalf("WWW-Authenticate %q", got)
		}
	})
	t.Run("logout ends the session", func(t *testing.T) {
		c, _ := e.login("jane")
		if r := e.do("POST", "/api/auth/logout", "", "Cookie: "+c); r.status != 204 {
			t.Fatalf("logout: %d %s", r.status, r.body)
		}
		if r := e.do("GET", "/api/v3/users/me", "", "Cookie: "+c); r.status != 401 {
			t.Fatalf("after logout: %d", r.status)
		}
	})
	t.Run("wrong password", func(t *testing.T) {
		r := e.do("POST", "/api/auth/login", `{"login":"jane","password":"wrong"}`)
		if r.status != 401 || r.header.Get("Set-Cookie") != "" {
			t.Fatalf("wrong password: %d %v", r.status, r.header)
		}
	})
	t.Run("users/me is an OpenProject User", func(t *testing.T) {
		m := e.do("GET", "/api/v3/users/me", "", bearer(e.userTok)).json(t)
		if m["login"] != "jane" || m["name"] != "Jane Doe" || m["_links"].(map[string]any)["self"].(map[string]any)["href"] != "/api/v3/users/2" {
			t.Fatalf("users/me: %v", m)
		}
		if _, ok := m["admin"]; ok {
			t.Errorf("a non-admin viewer must not see the admin flag")
		}
	})
}

func TestTokensLifecycle(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/api/account/tokens", `{"name":"CI","expiresAt":"2027-01-01T00:00:00Z"}`, bearer(e.userTok))
	if r.status != 201 {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	created := r.json(t)
	secret := created["token"].(string)
	if !strings.HasPrefix(secret, auth.TokenPrefix) || created["last4"] != secret[len(secret)-4:] {
		t.Fatalf("created token: %v", created)
	}
	var stored int
	if err := e.store.DB.NewRaw("SELECT count(*) FROM api_tokens WHERE token_hash LIKE ?", "%"+secret[3:]+"%").Scan(context.Background(), &stored); err != nil || stored != 0 {
		t.Fatalf("the plain token must not be stored (%d rows, %v)", stored, err)
	}
	list := e.do("GET", "/api/account/tokens", "", bearer(secret))
	if list.status != 200 || strings.Contains(list.body, secret) || !strings.Contains(list.body, `"name":"CI"`) {
		t.Fatalf("list: %d %s", list.status, list.body)
	}
	for _, bad := range []struct{ body, field string }{
		{`{"name":""}`, "name"},
		{`{"name":"x","expiresAt":"2020-01-01T00:00:00Z"}`, "expiresAt"},
		{`{"name":` + `"` + strings.Repeat("n", 101) + `"}`, "name"},
	} {
		r := e.do("POST", "/api/account/tokens", bad.body, bearer(e.userTok))
		if r.status != 422 || !strings.Contains(r.body, `"attribute":"`+bad.field+`"`) {
			t.Errorf("%s: %d %s", bad.body, r.status, r.body)
		}
	}
	id := int64(created["id"].(float64))
	if r := e.do("DELETE", "/api/account/tokens/"+itoa(id), "", bearer(e.adminTok)); r.status != 404 {
		t.Fatalf("another user's token must not be revocable: %d", r.status)
	}
	if r := e.do("DELETE", "/api/account/tokens/"+itoa(id), "", bearer(e.userTok)); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v3/users/me", "", bearer(secret)); r.status != 401 {
		t.Fatalf("revoked token still works: %d", r.status)
	}
}

func ptrTime(t time.Time) *time.Time { return &t }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
