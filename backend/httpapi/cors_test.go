package httpapi

import (
	"strings"
	"testing"
)

func TestCORSMatrix(t *testing.T) {
	e := newEnv(t)
	const listed = "https://app.example.com:8443"
	for _, enabled := range []bool{true, false} {
		if enabled {
			e.patchSettings(`{"corsEnabled":true,"corsOrigins":["` + listed + `"]}`)
		} else {
			e.patchSettings(`{"corsEnabled":false,"corsOrigins":["` + listed + `"]}`)
		}
		for _, origin := range []string{listed, "https://evil.example.com", ""} {
			for _, preflight := range []bool{false, true} {
				name := map[bool]string{true: "enabled", false: "disabled"}[enabled] + "/" + map[string]string{listed: "listed", "": "absent"}[origin] + "/" + map[bool]string{true: "preflight", false: "simple"}[preflight]
				if origin == "https://evil.example.com" {
					name = strings.Replace(name, "//", "/unlisted/", 1)
				}
				t.Run(name, func(t *testing.T) {
					headers := []string{bearer(e.userTok)}
					if origin != "" {
						headers = append(headers, "Origin: "+origin)
					}
					method := "GET"
					if preflight {
						method = "OPTIONS"
						headers = []string{"Access-Control-Request-Method: PATCH", "Access-Control-Request-Headers: authorization, x-csrf-token"}
						if origin != "" {
							headers = append(headers, "Origin: "+origin)
						}
					}
					r := e.do(method, "/api/v3/users/me", "", headers...)
					if !strings.Contains(r.header.Get("Vary"), "Origin") {
						t.Errorf("no Vary: Origin (%q)", r.header.Get("Vary"))
					}
					allowed := enabled && origin == listed
					if !allowed {
						for k := range r.header {
							if strings.HasPrefix(strings.ToLower(k), "access-control-") {
								t.Errorf("unexpected %s: %s", k, r.header.Get(k))
							}
						}
						if preflight && r.status != 204 {
							t.Errorf("preflight status %d", r.status)
						}
						if !preflight && r.status != 200 {
							t.Errorf("simple request status %d", r.status)
						}
						return
					}
					if got := r.header.Get("Access-Control-Allow-Origin"); got != listed {
						t.Errorf("Allow-Origin %q", got)
					}
					if got := r.header.Get("Access-Control-Allow-Credentials"); got != "true" {
						t.Errorf("Allow-Credentials %q", got)
					}
					if preflight {
						if r.status != 204 {
							t.Errorf("preflight status %d", r.status)
						}
						if got := r.header.Get("Access-Control-Allow-Methods"); got != "GET, HEAD, POST, PUT, PATCH, DELETE" {
							t.Errorf("Allow-Methods %q", got)
						}
						if got := r.header.Get("Access-Control-Allow-Headers"); got != "authorization, x-csrf-token" {
							t.Errorf("Allow-Headers %q", got)
						}
						if got := r.header.Get("Access-Control-Max-Age"); got != "7200" {
							t.Errorf("Max-Age %q", got)
						}
					} else if r.status != 200 {
						t.Errorf("simple request status %d: %s", r.status, r.body)
					}
				})
			}
		}
	}
	t.Run("error responses carry CORS headers too", func(t *testing.T) {
		e.patchSettings(`{"corsEnabled":true}`)
		r := e.do("GET", "/api/v3/users/me", "", "Origin: "+listed)
		if r.status != 401 || r.header.Get("Access-Control-Allow-Origin") != listed {
			t.Fatalf("%d %v", r.status, r.header)
		}
	})
	t.Run("admin API is same-origin only", func(t *testing.T) {
		r := e.do("GET", "/api/admin/settings", "", bearer(e.adminTok), "Origin: "+listed)
		if r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Fatalf("admin API answered CORS: %v", r.header)
		}
	})
}
