package httpapi

import (
	"strings"
	"testing"
)

// TestEveryRoute walks the route table: every route that needs credentials
// answers 401 without them, every {id} route 404 for an unknown id, and every
// route that takes a JSON body 415 for another content type.
func TestEveryRoute(t *testing.T) {
	e := newEnv(t)
	e.seed()
	if r := e.do("POST", "/api/admin/webhooks", `{"name":"Seed","url":"https://hooks.example.com/h"}`, bearer(e.adminTok)); r.status != 201 {
		t.Fatal(r.body)
	}
	for _, r := range e.routes() {
		path := strings.ReplaceAll(r.path, ":id", "1")
		if r.access != public {
			t.Run("401 "+r.method+" "+r.path, func(t *testing.T) {
				res := e.do(r.method, path, "{}")
				if res.status != 401 || errorID(t, res) != "Unauthenticated" || res.header.Get("WWW-Authenticate") == "" {
					t.Errorf("%d %s", res.status, res.body)
				}
			})
		}
		if strings.Contains(r.path, ":id") {
			t.Run("404 "+r.method+" "+r.path, func(t *testing.T) {
				res := e.do(r.method, strings.ReplaceAll(r.path, ":id", "987654"), "{}", bearer(e.adminTok))
				if res.status != 404 || errorID(t, res) != "NotFound" {
					t.Errorf("%d %s", res.status, res.body)
				}
			})
		}
		if r.doc.body != "" && !r.doc.multipart {
			t.Run("415 "+r.method+" "+r.path, func(t *testing.T) {
				res := e.do(r.method, path, "a=b", bearer(e.adminTok), "Content-Type: application/x-www-form-urlencoded")
				if res.status != 415 || errorID(t, res) != "TypeNotSupported" {
					t.Errorf("%d %s", res.status, res.body)
				}
			})
		}
	}
}

func (e *env) routes() []route {
	srv := &server{}
	return srv.routes()
}
