package httpapi

import (
	"strings"
	"testing"
)

// TestBodiesMustBeObjects: null (or any non-object) is not an empty change,
// and a value its type refuses is a 422 naming the property.
func TestBodiesMustBeObjects(t *testing.T) {
	e := newEnv(t)
	e.seed()
	admin := bearer(e.adminTok)
	if r := e.do("POST", "/api/admin/webhooks", `{"name":"Hook","url":"https://example.com/hook","events":["project:created"],"allProjects":true}`, admin); r.status != 201 {
		t.Fatalf("create webhook: %d %s", r.status, r.body)
	}
	for _, c := range []struct{ method, path, body string }{
		{"PATCH", "/api/admin/webhooks/1", `null`},
		{"PATCH", "/api/admin/settings", `null`},
		{"PATCH", "/api/admin/settings", ` null `},
		{"PATCH", "/api/admin/settings", `[]`},
		{"PATCH", "/api/admin/settings", `"x"`},
		{"POST", "/api/account/tokens", `null`},
		{"PATCH", "/api/v3/projects/1", `null`},
		{"POST", "/api/admin/webhooks/1/test", `null`},
	} {
		r := e.do(c.method, c.path, c.body, admin)
		if r.status != 400 || errorID(t, r) != "InvalidRequestBody" || !strings.Contains(r.body, "must be a JSON object") {
			t.Errorf("%s %s %s: want 400 InvalidRequestBody, got %d %s", c.method, c.path, c.body, r.status, r.body)
		}
	}
	for _, c := range []struct{ body, field string }{
		{`{"name":"ci","expiresAt":""}`, "expiresAt"},
		{`{"name":"ci","expiresAt":"tomorrow"}`, "expiresAt"},
	} {
		r := e.do("POST", "/api/account/tokens", c.body, admin)
		embedded, _ := r.json(t)["_embedded"].(map[string]any)
		details, _ := embedded["details"].(map[string]any)
		if r.status != 422 || errorID(t, r) != "PropertyFormatError" || details["attribute"] != c.field || !strings.Contains(r.body, "ISO 8601") {
			t.Errorf("%s: want 422 naming %s, got %d %s", c.body, c.field, r.status, r.body)
		}
	}
	if r := e.do("POST", "/api/account/tokens", `{"name":"ci","expiresAt":"2027-01-01T00:00:00Z"}`, admin); r.status != 201 {
		t.Errorf("valid expiresAt: %d %s", r.status, r.body)
	}
}
