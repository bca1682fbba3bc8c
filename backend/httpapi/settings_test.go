package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/settings"
)

func TestSettingsAPI(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/api/admin/settings", "", bearer(e.adminTok))
	var got settings.Settings
	if err := json.Unmarshal([]byte(r.body), &got); err != nil || r.status != 200 {
		t.Fatalf("GET: %d %s", r.status, r.body)
	}
	def := settings.Defaults()
	// The table switches the REST API (and with it tokens) off, so it uses the admin's browser session.
	cookie, csrf := e.login("admin")
	if got.RestAPIEnabled != def.RestAPIEnabled || got.MaxPageSize != 1000 || got.WriteReadonlyAttributes || got.DocsEnabled || got.CORSEnabled || got.CORSOrigins == nil || len(got.CORSOrigins) != 0 {
		t.Fatalf("defaults: %+v", got)
	}

	cases := []struct {
		name   string
		body   string
		status int
		field  string // attribute the error names
		msg    string // fragment of the message
		check  func(settings.Settings) bool
	}{
		{"restApiEnabled false", `{"restApiEnabled":false}`, 200, "", "", func(s settings.Settings) bool { return !s.RestAPIEnabled }},
		{"restApiEnabled true", `{"restApiEnabled":true}`, 200, "", "", func(s settings.Settings) bool { return s.RestAPIEnabled }},
		{"restApiEnabled not a bool", `{"restApiEnabled":"yes"}`, 422, "restApiEnabled", "true or false", nil},
		{"maxPageSize minimum", `{"maxPageSize":1}`, 200, "", "", func(s settings.Settings) bool { return s.MaxPageSize == 1 }},
		{"maxPageSize maximum", `{"maxPageSize":10000}`, 200, "", "", func(s settings.Settings) bool { return s.MaxPageSize == 10000 }},
		{"maxPageSize zero", `{"maxPageSize":0}`, 422, "maxPageSize", "at least 1", nil},
		{"maxPageSize negative", `{"maxPageSize":-5}`, 422, "maxPageSize", "at least 1", nil},
		{"maxPageSize too big", `{"maxPageSize":10001}`, 422, "maxPageSize", "at most 10000", nil},
		{"maxPageSize not a number", `{"maxPageSize":"50"}`, 422, "maxPageSize", "a number", nil},
		{"maxPageSize fraction", `{"maxPageSize":2.5}`, 422, "maxPageSize", "a number", nil},
		{"writeReadonlyAttributes on", `{"writeReadonlyAttributes":true}`, 200, "", "", func(s settings.Settings) bool { return s.WriteReadonlyAttributes }},
		{"writeReadonlyAttributes bad", `{"writeReadonlyAttributes":1}`, 422, "writeReadonlyAttributes", "true or false", nil},
		{"docsEnabled on", `{"docsEnabled":true}`, 200, "", "", func(s settings.Settings) bool { return s.DocsEnabled }},
		{"docsEnabled bad", `{"docsEnabled":null,"x":1}`, 422, "x", "not a property", nil},
		{"corsEnabled on", `{"corsEnabled":true}`, 200, "", "", func(s settings.Settings) bool { return s.CORSEnabled }},
		{"corsEnabled bad", `{"corsEnabled":"true"}`, 422, "corsEnabled", "true or false", nil},
		{"corsOrigins good, normalised", `{"corsOrigins":["https://app.example.com:8443"," HTTP://Other.Example.com/ ","","https://app.example.com:8443","http://[::1]:3000","http://127.0.0.1"]}`, 200, "", "",
			func(s settings.Settings) bool {
				return strings.Join(s.CORSOrigins, " ") == "https://app.example.com:8443 http://other.example.com http://[::1]:3000 http://127.0.0.1"
			}},
		{"corsOrigins empty list", `{"corsOrigins":[]}`, 200, "", "", func(s settings.Settings) bool { return len(s.CORSOrigins) == 0 }},
		{"corsOrigins wildcard", `{"corsOrigins":["https://ok.example.com","*"]}`, 422, "corsOrigins", "line 2", nil},
		{"corsOrigins path", `{"corsOrigins":["https://a.example.com/app"]}`, 422, "corsOrigins", "line 1", nil},
		{"corsOrigins no scheme", `{"corsOrigins":["a.example.com"]}`, 422, "corsOrigins", "http:// or https://", nil},
		{"corsOrigins ftp", `{"corsOrigins":["ftp://a.example.com"]}`, 422, "corsOrigins", "http:// or https://", nil},
		{"corsOrigins query", `{"corsOrigins":["https://a.example.com?x=1"]}`, 422, "corsOrigins", "query", nil},
		{"corsOrigins port", `{"corsOrigins":["https://a.example.com:99999"]}`, 422, "corsOrigins", "port", nil},
		{"corsOrigins user", `{"corsOrigins":["https://u:p@a.example.com"]}`, 422, "corsOrigins", "user name", nil},
		{"corsOrigins bad host", `{"corsOrigins":["https://exa_mple.com"]}`, 422, "corsOrigins", "host", nil},
		{"corsOrigins not a list", `{"corsOrigins":"https://a.example.com"}`, 422, "corsOrigins", "a list", nil},
		{"several errors at once", `{"maxPageSize":0,"corsOrigins":["*"]}`, 422, "", "Multiple", nil},
		{"not JSON", `{"maxPageSize":`, 400, "", "not valid JSON", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := e.settings.Current()
			r := e.do("PATCH", "/api/admin/settings", tc.body, "Cookie: "+cookie, csrfHeader+": "+csrf)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.field != "" && !strings.Contains(r.body, `"attribute":"`+tc.field+`"`) {
				t.Errorf("error does not name %s: %s", tc.field, r.body)
			}
			if tc.msg != "" && !strings.Contains(r.body, tc.msg) {
				t.Errorf("error does not say %q: %s", tc.msg, r.body)
			}
			if tc.status != 200 {
				after := e.settings.Current()
				if fmt.Sprint(after) != fmt.Sprint(before) {
					t.Errorf("a rejected PATCH changed the settings: %+v -> %+v", before, after)
				}
				return
			}
			var s settings.Settings
			if err := json.Unmarshal([]byte(r.body), &s); err != nil || !tc.check(s) {
				t.Fatalf("response %s", r.body)
			}
			// Persisted, not only cached: a fresh service reads the same.
			fresh, err := settings.New(context.Background(), e.store, e.clock.now, nil)
			if err != nil || !tc.check(fresh.Current()) {
				t.Fatalf("not persisted: %+v %v", fresh.Current(), err)
			}
		})
	}

	t.Run("wrong content type", func(t *testing.T) {
		r := e.do("PATCH", "/api/admin/settings", `maxPageSize=5`, bearer(e.adminTok), "Content-Type: application/x-www-form-urlencoded")
		if r.status != 415 || errorID(t, r) != "TypeNotSupported" {
			t.Fatalf("%d %s", r.status, r.body)
		}
	})
}

func TestRestAPIDisabledIsLive(t *testing.T) {
	e := newEnv(t)
	cookie, csrf := e.login("jane")
	e.patchSettings(`{"restApiEnabled":false}`)
	if r := e.do("GET", "/api/v3/users/me", "", bearer(e.userTok)); r.status != 401 {
		t.Fatalf("bearer with REST API off: %d", r.status)
	}
	if r := e.do("GET", "/api/v3/users/me", "", basic("apikey", e.userTok)); r.status != 401 {
		t.Fatalf("basic with REST API off: %d", r.status)
	}
	if r := e.do("GET", "/api/v3/users/me", "", "Cookie: "+cookie); r.status != 200 {
		t.Fatalf("session with REST API off: %d", r.status)
	}
	r := e.do("POST", "/api/account/tokens", `{"name":"x"}`, "Cookie: "+cookie, csrfHeader+": "+csrf)
	if r.status != 403 || !strings.Contains(r.body, "REST web service") {
		t.Fatalf("token creation with REST API off: %d %s", r.status, r.body)
	}
	// The administrator can still switch it back on through the session.
	adminCookie, adminCSRF := e.login("admin")
	if r := e.do("PATCH", "/api/admin/settings", `{"restApiEnabled":true}`, "Cookie: "+adminCookie, csrfHeader+": "+adminCSRF); r.status != 200 {
		t.Fatalf("re-enable: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/api/v3/users/me", "", bearer(e.userTok)); r.status != 200 {
		t.Fatalf("bearer after re-enabling: %d", r.status)
	}
}

func TestMaxPageSizeClampsUsersCollection(t *testing.T) {
	e := newEnv(t)
	for i := range 5 {
		if _, err := e.auth.CreateUser(context.Background(), auth.NewUser{Login: fmt.Sprintf("u%d", i), Password: "correct horse battery"}); err != nil {
			t.Fatal(err)
		}
	}
	// 7 users in all.
	e.patchSettings(`{"maxPageSize":3}`)
	cases := []struct {
		query                          string
		status                         int
		pageSize, offset, count, total int
		next, prev                     bool
	}{
		{"", 200, 3, 1, 3, 7, true, false},
		{"?pageSize=100", 200, 3, 1, 3, 7, true, false},
		{"?pageSize=-1", 200, 3, 1, 3, 7, true, false},
		{"?pageSize=2", 200, 2, 1, 2, 7, true, false},
		{"?pageSize=0", 200, 0, 1, 0, 7, false, false},
		{"?pageSize=3&offset=2", 200, 3, 2, 3, 7, true, true},
		{"?pageSize=3&offset=3", 200, 3, 3, 1, 7, false, true},
		{"?pageSize=3&offset=9", 200, 3, 9, 0, 7, false, true},
		{"?pageSize=3&offset=0", 200, 3, 1, 3, 7, true, false},
		{"?pageSize=3&offset=x", 200, 3, 1, 3, 7, true, false},
		{"?pageSize=abc", 400, 0, 0, 0, 0, false, false},
		{"?pageSize=-2", 400, 0, 0, 0, 0, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			r := e.do("GET", "/api/v3/users"+tc.query, "", bearer(e.adminTok))
			if r.status != tc.status {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			if tc.status != 200 {
				if errorID(t, r) != "InvalidQuery" || !strings.Contains(r.body, "pageSize") {
					t.Errorf("bad pageSize error: %s", r.body)
				}
				return
			}
			if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/hal+json") {
				t.Errorf("content type %q", ct)
			}
			m := r.json(t)
			elems := m["_embedded"].(map[string]any)["elements"].([]any)
			if m["_type"] != "Collection" || int(m["pageSize"].(float64)) != tc.pageSize || int(m["offset"].(float64)) != tc.offset ||
				int(m["count"].(float64)) != tc.count || int(m["total"].(float64)) != tc.total || len(elems) != tc.count {
				t.Fatalf("collection: %s", r.body)
			}
			links := m["_links"].(map[string]any)
			if _, ok := links["nextByOffset"]; ok != tc.next {
				t.Errorf("nextByOffset present=%v, want %v", ok, tc.next)
			}
			if _, ok := links["previousByOffset"]; ok != tc.prev {
				t.Errorf("previousByOffset present=%v, want %v", ok, tc.prev)
			}
			self := links["self"].(map[string]any)["href"].(string)
			want := fmt.Sprintf("/api/v3/users?offset=%d&pageSize=%d", tc.offset, tc.pageSize)
			if self != want {
				t.Errorf("self %q, want %q", self, want)
			}
		})
	}
	t.Run("links keep the query", func(t *testing.T) {
		m := e.do("GET", `/api/v3/users?pageSize=2&sortBy=%5B%5B%22id%22%2C%22asc%22%5D%5D`, "", bearer(e.adminTok)).json(t)
		links := m["_links"].(map[string]any)
		next := links["nextByOffset"].(map[string]any)["href"].(string)
		if next != `/api/v3/users?sortBy=%5B%5B%22id%22%2C%22asc%22%5D%5D&offset=2&pageSize=2` {
			t.Errorf("next %q", next)
		}
		jump := links["jumpTo"].(map[string]any)
		if jump["templated"] != true || !strings.Contains(jump["href"].(string), "offset={offset}") {
			t.Errorf("jumpTo %v", jump)
		}
		size := links["changeSize"].(map[string]any)
		if size["templated"] != true || !strings.Contains(size["href"].(string), "pageSize={size}") {
			t.Errorf("changeSize %v", size)
		}
	})
	t.Run("raising the cap applies at once", func(t *testing.T) {
		e.patchSettings(`{"maxPageSize":5}`)
		m := e.do("GET", "/api/v3/users?pageSize=-1", "", bearer(e.adminTok)).json(t)
		if int(m["count"].(float64)) != 5 {
			t.Fatalf("count %v after raising maxPageSize to 5", m["count"])
		}
	})
}

func TestDocsAndSpec(t *testing.T) {
	e := newEnv(t)
	if r := e.do("GET", "/api/docs", ""); r.status != 404 {
		t.Fatalf("docs while disabled: %d", r.status)
	}
	for _, p := range []string{"/api/v3/openapi.json", "/api/v3/spec.json", "/api/v3/spec.yml"} {
		if r := e.do("GET", p, ""); r.status != 200 {
			t.Fatalf("%s while docs disabled: %d", p, r.status)
		}
	}
	e.patchSettings(`{"docsEnabled":true}`)
	r := e.do("GET", "/api/docs", "")
	if r.status != 200 || !strings.Contains(r.body, "Hookpost API docs") || !strings.HasPrefix(r.header.Get("Content-Type"), "text/html") {
		t.Fatalf("docs while enabled: %d %s", r.status, r.body)
	}
	e.patchSettings(`{"docsEnabled":false}`)
	if r := e.do("GET", "/api/docs", ""); r.status != 404 {
		t.Fatalf("docs after disabling: %d", r.status)
	}

	js := e.do("GET", "/api/v3/openapi.json", "")
	if js.body != e.do("GET", "/api/v3/spec.json", "").body {
		t.Error("openapi.json and spec.json differ")
	}
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal([]byte(js.body), &doc); err != nil || doc.OpenAPI != "3.1.0" {
		t.Fatalf("not OpenAPI 3.1: %v %q", err, doc.OpenAPI)
	}
	srv := &server{}
	for _, rt := range srv.routes() {
		p := pathParam.ReplaceAllString(rt.path, "{$1}")
		if _, ok := doc.Paths[p][strings.ToLower(rt.method)]; !ok {
			t.Errorf("route %s %s missing from the spec", rt.method, p)
		}
	}
	y := e.do("GET", "/api/v3/spec.yml", "")
	if !strings.HasPrefix(y.header.Get("Content-Type"), "text/vnd.yaml") || !strings.Contains(y.body, "openapi: 3.1.0") {
		t.Errorf("spec.yml: %s %.80s", y.header.Get("Content-Type"), y.body)
	}
	if got := js.header.Get("Link"); got != `</api/v3/openapi.json>; rel="service-desc"` {
		t.Errorf("Link header %q", got)
	}
}

func TestUnknownAPIRouteAndSPA(t *testing.T) {
	e := newEnv(t)
	r := e.do("GET", "/api/v3/nothing", "", bearer(e.adminTok))
	if r.status != 404 || errorID(t, r) != "NotFound" {
		t.Fatalf("unknown api route: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/settings/api", ""); r.status != 200 || !strings.Contains(r.body, "<title>Hookpost</title>") {
		t.Fatalf("SPA fallback: %d %s", r.status, r.body)
	}
	if r := e.do("GET", "/assets/app.js", ""); r.status != 200 || !strings.Contains(r.header.Get("Cache-Control"), "immutable") {
		t.Fatalf("asset: %d %v", r.status, r.header)
	}
	if r := e.do("GET", "/healthz", ""); r.status != 200 {
		t.Fatalf("healthz: %d", r.status)
	}
	if r := e.do("GET", "/readyz", ""); r.status != 200 || !strings.Contains(r.body, "ok") {
		t.Fatalf("readyz: %d %s", r.status, r.body)
	}
}
