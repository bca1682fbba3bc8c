package httpapi

import (
	"net/url"
	"testing"
)

// TestTextWithNULIsRefused: no database stores a NUL character (the SQL
// builder ends its string literals there, PostgreSQL's text cannot hold
// one), so every text that reaches a query is refused naming the property
// instead of failing the request with a 500.
func TestTextWithNULIsRefused(t *testing.T) {
	e := newEnv(t)
	e.seed()
	admin := bearer(e.adminTok)
	wp := `"_links":{"project":{"href":"/api/v3/projects/1"}}`
	cases := []struct {
		name, method, path, body string
		status                   int
		field                    string
	}{
		{name: "webhook name", method: "POST", path: "/api/admin/webhooks", body: `{"name":"a\u0000b","url":"https://example.com/","allProjects":true}`, status: 422, field: "name"},
		{name: "webhook url", method: "POST", path: "/api/admin/webhooks", body: `{"name":"n","url":"https://example.com/\u0000","allProjects":true}`, status: 422, field: "url"},
		{name: "project name", method: "POST", path: "/api/v3/projects", body: `{"identifier":"nul","name":"a\u0000b"}`, status: 422, field: "name"},
		{name: "work package subject", method: "POST", path: "/api/v3/work_packages", body: `{"subject":"a\u0000b",` + wp + `}`, status: 422, field: "subject"},
		{name: "work package description", method: "POST", path: "/api/v3/work_packages", body: `{"subject":"s","description":{"raw":"\u0000"},` + wp + `}`, status: 422, field: "description"},
		{name: "token name", method: "POST", path: "/api/account/tokens", body: `{"name":"a\u0000"}`, status: 422, field: "name"},
		{name: "settings origins", method: "PATCH", path: "/api/admin/settings", body: `{"corsOrigins":["https://a.example\u0000"]}`, status: 422, field: "corsOrigins"},
		{name: "login", method: "POST", path: "/api/auth/login", body: `{"login":"a\u0000","password":"whatever-long"}`, status: 422, field: "login"},
		{name: "filter value", method: "GET", path: "/api/v3/work_packages?filters=" + url.QueryEscape(`[{"subject":{"operator":"~","values":["a\u0000"]}}]`), status: 400, field: "subject"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			headers := []string{admin}
			if c.body != "" {
				headers = append(headers, "Content-Type: application/json")
			}
			r := e.do(c.method, c.path, c.body, headers...)
			if r.status != c.status {
				t.Fatalf("status %d, want %d: %s", r.status, c.status, r.body)
			}
			if got := attributes(r.json(t)); !got[c.field] {
				t.Fatalf("error does not name %q: %s", c.field, r.body)
			}
		})
	}
}

// attributes are the properties an error body names, its own or its
// embedded errors'.
func attributes(body map[string]any) map[string]bool {
	out := map[string]bool{}
	var walk func(m map[string]any)
	walk = func(m map[string]any) {
		emb, _ := m["_embedded"].(map[string]any)
		if d, ok := emb["details"].(map[string]any); ok {
			if a, ok := d["attribute"].(string); ok {
				out[a] = true
			}
		}
		errs, _ := emb["errors"].([]any)
		for _, e := range errs {
			if em, ok := e.(map[string]any); ok {
				walk(em)
			}
		}
	}
	walk(body)
	return out
}
