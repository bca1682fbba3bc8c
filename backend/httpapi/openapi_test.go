package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hookpost/hookpost/backend/settings"
	"github.com/hookpost/hookpost/backend/tracker"
)

// apiDoc is the served OpenAPI document, compiled for validating bodies.
type apiDoc struct {
	t     *testing.T
	raw   map[string]any
	c     *jsonschema.Compiler
	cache map[string]*jsonschema.Schema
}

func loadDoc(t *testing.T, e *env) *apiDoc {
	t.Helper()
	body := e.do("GET", "/api/v3/openapi.json", "").body
	var raw map[string]any
	if err := json.Unmarshal([]byte(body), &raw); err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	if err := c.AddResource("file:///openapi.json", doc); err != nil {
		t.Fatal(err)
	}
	return &apiDoc{t: t, raw: raw, c: c, cache: map[string]*jsonschema.Schema{}}
}

// at follows a JSON pointer ("#/paths/...") in the document.
func (d *apiDoc) at(ptr string) map[string]any {
	var cur any = d.raw
	for _, part := range strings.Split(strings.TrimPrefix(ptr, "#/"), "/") {
		part = strings.ReplaceAll(strings.ReplaceAll(part, "~1", "/"), "~0", "~")
		cur = cur.(map[string]any)[part]
	}
	m, _ := cur.(map[string]any)
	return m
}

func (d *apiDoc) schema(ptr string) *jsonschema.Schema {
	if s, ok := d.cache[ptr]; ok {
		return s
	}
	s, err := d.c.Compile("file:///openapi.json" + ptr)
	if err != nil {
		d.t.Fatalf("compile %s: %v", ptr, err)
	}
	d.cache[ptr] = s
	return s
}

func (d *apiDoc) valid(ptr string, body []byte) error {
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return err
	}
	return d.schema(ptr).Validate(v)
}

func opPointer(r route) string {
	p := strings.ReplaceAll(pathParam.ReplaceAllString(r.path, "{$1}"), "/", "~1")
	return "#/paths/" + p + "/" + strings.ToLower(r.method)
}

// checkAnswer: the status is one the document lists for the operation, and
// a JSON body matches the schema documented for that status.
func (d *apiDoc) checkAnswer(t *testing.T, r route, res resp, what string) {
	t.Helper()
	op := opPointer(r)
	responses := d.at(op + "/responses")
	status := strconv.Itoa(res.status)
	documented, ok := responses[status].(map[string]any)
	if !ok {
		t.Errorf("%s: %s %s answered %d, which the document does not list: %.300s", what, r.method, r.path, res.status, res.body)
		return
	}
	if ref, ok := documented["$ref"].(string); ok {
		documented = d.at(ref)
	}
	content, _ := documented["content"].(map[string]any)
	ct, _, _ := strings.Cut(res.header.Get("Content-Type"), ";")
	if content == nil || (ct != "application/json" && ct != "application/hal+json") {
		return
	}
	if _, ok := content[ct]; !ok {
		t.Errorf("%s: %s %s answered %d as %s, not documented", what, r.method, r.path, res.status, ct)
		return
	}
	ptr := op + "/responses/" + status + "/content/" + strings.ReplaceAll(ct, "/", "~1") + "/schema"
	if ref, ok := responses[status].(map[string]any)["$ref"].(string); ok {
		ptr = ref + "/content/" + strings.ReplaceAll(ct, "/", "~1") + "/schema"
	}
	if err := d.valid(ptr, []byte(res.body)); err != nil {
		t.Errorf("%s: %s %s %d does not match the documented schema: %v\n%.500s", what, r.method, r.path, res.status, err, res.body)
	}
}

// probe is one request derived from the request schema.
type probe struct {
	what  string
	body  func() map[string]any // built when sent: a PATCH reads the current lockVersion
	valid bool                  // the document says the body is valid: it must be accepted
	field string                // for an invalid body: the attribute the 422 must name ("" for any)
}

// probes derives from schema (the request body's) bodies that the document
// calls valid (at every bound) and invalid (one beyond, without a required
// property, with a read-only or unknown one), starting from base.
func probes(schema map[string]any, base func() map[string]any, seq *int) []probe {
	var out []probe
	with := func(f func(b map[string]any)) func() map[string]any {
		return func() map[string]any { b := base(); f(b); return b }
	}
	props, _ := schema["properties"].(map[string]any)
	names := make([]string, 0, len(props))
	for n := range props {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		p := props[name].(map[string]any)
		if name == "_links" {
			req, _ := p["required"].([]any)
			for _, l := range req {
				name := l.(string)
				out = append(out, probe{what: "without _links." + name, field: name, body: with(func(b map[string]any) {
					if m, ok := b["_links"].(map[string]any); ok {
						delete(m, name)
					}
				})})
			}
			continue
		}
		if p["readOnly"] == true {
			out = append(out, probe{what: "read-only " + name, field: name,
				body: with(func(b map[string]any) { b[name] = "2026-01-01T00:00:00Z" })})
			continue
		}
		set := func(v any) func() map[string]any { return with(func(b map[string]any) { b[name] = v }) }
		// A formattable's bound is on its raw text.
		sub, _ := p["properties"].(map[string]any)
		if raw, ok := sub["raw"].(map[string]any); ok {
			if n, ok := num(raw["maxLength"]); ok {
				*seq++
				out = append(out,
					probe{what: name + ".raw at maxLength", body: set(map[string]any{"raw": fill(raw, n, *seq)}), valid: true},
					probe{what: name + ".raw beyond maxLength", body: set(map[string]any{"raw": fill(raw, n+1, *seq)}), field: name})
			}
			continue
		}
		if n, ok := num(p["maxLength"]); ok {
			*seq++
			if v := fill(p, n, *seq); v != "" {
				out = append(out, probe{what: name + " at maxLength", body: set(v), valid: true})
			}
			out = append(out, probe{what: name + " beyond maxLength", body: set(strings.Repeat("x", n+1)), field: name})
		}
		if n, ok := num(p["minLength"]); ok && n > 0 {
			out = append(out, probe{what: name + " below minLength", body: set(strings.Repeat("x", n-1)), field: name})
		}
		if n, ok := num(p["minimum"]); ok {
			out = append(out, probe{what: name + " at minimum", body: set(n), valid: true},
				probe{what: name + " below minimum", body: set(n - 1), field: name})
		}
		if n, ok := num(p["maximum"]); ok {
			out = append(out, probe{what: name + " at maximum", body: set(n), valid: true},
				probe{what: name + " beyond maximum", body: set(n + 1), field: name})
		}
		if n, ok := num(p["maxItems"]); ok {
			items, _ := p["items"].(map[string]any)
			*seq++
			out = append(out, probe{what: name + " at maxItems", body: set(list(items, n, *seq)), valid: true},
				probe{what: name + " beyond maxItems", body: set(list(items, n+1, *seq)), field: name})
		}
		if items, ok := p["items"].(map[string]any); ok {
			if n, ok := num(items["maxLength"]); ok {
				out = append(out, probe{what: name + " item beyond maxLength", body: set([]string{strings.Repeat("x", n+1)}), field: name})
			}
		}
	}
	req, _ := schema["required"].([]any)
	for _, r := range req {
		name := r.(string)
		field := name
		if field == "_links" {
			field = ""
		}
		out = append(out, probe{what: "without " + name, field: field, body: with(func(b map[string]any) { delete(b, name) })})
	}
	unknown := with(func(b map[string]any) { b["unknownProperty"] = 1 })
	if schema["additionalProperties"] == false {
		out = append(out, probe{what: "unknown property", body: unknown, field: "unknownProperty"})
	} else {
		out = append(out, probe{what: "unknown property", body: unknown, valid: true})
	}
	return append(out, probe{what: "the base body", body: base, valid: true})
}

// unboundedTexts are the free texts of a request schema without a maxLength
// (dates, durations, enums and links have their own shape).
func unboundedTexts(schema map[string]any) []string {
	var out []string
	props, _ := schema["properties"].(map[string]any)
	for name, v := range props {
		p := v.(map[string]any)
		if sub, ok := p["properties"].(map[string]any); ok && sub["raw"] != nil {
			p, name = sub["raw"].(map[string]any), name+".raw"
		}
		if items, ok := p["items"].(map[string]any); ok {
			p, name = items, name+"[]"
		}
		isString := p["type"] == "string"
		if types, ok := p["type"].([]any); ok {
			isString = types[0] == "string"
		}
		if isString && p["maxLength"] == nil && p["enum"] == nil && p["format"] != "date" && p["format"] != "date-time" && p["format"] != "duration" {
			out = append(out, name)
		}
	}
	return out
}

func num(v any) (int, bool) {
	f, ok := v.(float64)
	return int(f), ok
}

// fill is a value of exactly n characters that schema accepts, or "" when
// none exists (an origin cannot be as long as the bound of its line).
func fill(schema map[string]any, n, seq int) string {
	pad := func(prefix string, c string) string {
		if n < len(prefix) {
			return ""
		}
		return prefix + strings.Repeat(c, n-len(prefix))
	}
	pattern, _ := schema["pattern"].(string)
	switch {
	case schema["format"] == "uri":
		return pad(fmt.Sprintf("https://hooks.example.com/%d/", seq), "a")
	case pattern == settings.OriginPattern:
		return ""
	case pattern == tracker.IdentifierPattern:
		return pad(fmt.Sprintf("id%d-", seq), "a")
	}
	return pad(fmt.Sprintf("v%d-", seq), "é")
}

// list is a list of n items that items accepts.
func list(items map[string]any, n, seq int) []any {
	out := make([]any, n)
	for i := range out {
		switch {
		case items["enum"] != nil:
			out[i] = items["enum"].([]any)[0]
		case items["pattern"] == settings.OriginPattern:
			out[i] = fmt.Sprintf("https://app%d-%d.example.com", seq, i)
		case items["type"] == "integer":
			out[i] = 1
		default:
			out[i] = fmt.Sprintf("v%d", i)
		}
	}
	return out
}

// TestOpenAPIAgreesWithValidation drives every write route with bodies built
// from its documented request schema: the document's bounds, required,
// read-only and unknown properties must be what the server refuses (422
// naming the property), and documented-valid bodies must be accepted. Every
// answer's status is one the document lists, and its body matches the
// documented schema. A bound changed on one side only fails here.
func TestOpenAPIAgreesWithValidation(t *testing.T) {
	e := newEnv(t)
	e.seed()
	doc := loadDoc(t, e)
	admin := bearer(e.adminTok)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
	defer receiver.Close()
	if r := e.do("POST", "/api/admin/webhooks", `{"name":"Seed","url":"`+receiver.URL+`"}`, admin); r.status != 201 {
		t.Fatal(r.body)
	}
	n := 0
	unique := func(prefix string) string { n++; return fmt.Sprintf("%s%d", prefix, n) }
	lockVersion := func() any {
		var wp map[string]any
		_ = json.Unmarshal([]byte(e.do("GET", "/api/v3/work_packages/1", "", admin).body), &wp)
		return wp["lockVersion"]
	}
	link := func(name, href string) map[string]any {
		return map[string]any{name: map[string]any{"href": href}}
	}
	bases := map[string]func() map[string]any{
		"POST /api/auth/login":     func() map[string]any { return map[string]any{"login": "jane", "password": "correct horse battery"} },
		"POST /api/account/tokens": func() map[string]any { return map[string]any{"name": "t"} },
		"PATCH /api/admin/settings": func() map[string]any {
			return map[string]any{"docsEnabled": false}
		},
		"POST /api/admin/webhooks": func() map[string]any {
			return map[string]any{"name": unique("hook"), "url": "https://hooks.example.com/h"}
		},
		"PATCH /api/admin/webhooks/:id":       func() map[string]any { return map[string]any{"enabled": true} },
		"POST /api/admin/webhooks/:id/test":   func() map[string]any { return map[string]any{"event": "project:created"} },
		"POST /api/admin/webhooks/:id/replay": func() map[string]any { return map[string]any{"since": "2026-01-01T00:00:00Z"} },
		"POST /api/v3/projects": func() map[string]any {
			return map[string]any{"identifier": unique("p"), "name": "P"}
		},
		"PATCH /api/v3/projects/:id":              func() map[string]any { return map[string]any{"name": "Demo"} },
		"POST /api/v3/projects/:id/work_packages": func() map[string]any { return map[string]any{"subject": "S"} },
		"POST /api/v3/work_packages": func() map[string]any {
			return map[string]any{"subject": "S", "_links": link("project", "/api/v3/projects/1")}
		},
		"PATCH /api/v3/work_packages/:id":           func() map[string]any { return map[string]any{"lockVersion": lockVersion()} },
		"POST /api/v3/work_packages/:id/activities": func() map[string]any { return map[string]any{"comment": map[string]any{"raw": "c"}} },
		"POST /api/v3/time_entries": func() map[string]any {
			return map[string]any{"hours": "PT1H", "spentOn": "2026-11-27", "_links": link("workPackage", "/api/v3/work_packages/1")}
		},
		"PATCH /api/v3/time_entries/:id": func() map[string]any { return map[string]any{"hours": "PT2H"} },
		// Forms take the bodies of their writes.
		"POST /api/v3/projects/form": func() map[string]any {
			return map[string]any{"identifier": unique("p"), "name": "P"}
		},
		"POST /api/v3/projects/:id/form":               func() map[string]any { return map[string]any{"name": "Demo"} },
		"POST /api/v3/projects/:id/work_packages/form": func() map[string]any { return map[string]any{"subject": "S"} },
		"POST /api/v3/work_packages/form": func() map[string]any {
			return map[string]any{"subject": "S", "_links": link("project", "/api/v3/projects/1")}
		},
		"POST /api/v3/work_packages/:id/form": func() map[string]any { return map[string]any{"lockVersion": lockVersion()} },
		"POST /api/v3/time_entries/form": func() map[string]any {
			return map[string]any{"hours": "PT1H", "spentOn": "2026-11-27", "_links": link("workPackage", "/api/v3/work_packages/1")}
		},
		"POST /api/v3/time_entries/:id/form": func() map[string]any { return map[string]any{"hours": "PT2H"} },
		"PATCH /api/v3/activities/:id":       func() map[string]any { return map[string]any{"comment": map[string]any{"raw": "edited"}} },
		// Two work packages are related once: each probe relates a new one.
		"POST /api/v3/work_packages/:id/relations": func() map[string]any {
			r := e.do("POST", "/api/v3/work_packages", `{"subject":"Related","_links":{"project":{"href":"/api/v3/projects/1"}}}`, admin)
			id, _ := r.json(t)["id"].(float64)
			return map[string]any{"type": "relates", "_links": link("to", fmt.Sprintf("/api/v3/work_packages/%d", int(id)))}
		},
		"PATCH /api/v3/relations/:id": func() map[string]any { return map[string]any{"description": "d"} },
	}
	seq := 0
	for _, r := range e.routes() {
		if r.doc.body == "" || r.doc.multipart {
			continue
		}
		key := r.method + " " + r.path
		if key == "PATCH /api/account/password" {
			continue // valid only with the stored password, which a valid probe changes: see live_test.go
		}
		base, ok := bases[key]
		if !ok {
			t.Errorf("%s takes a JSON body but has no base body here: add one", key)
			continue
		}
		ptr := "#/components/schemas/" + r.doc.body
		schema := doc.at(ptr)
		if schema == nil {
			t.Errorf("%s: the document has no schema %s", key, r.doc.body)
			continue
		}
		for _, name := range unboundedTexts(schema) {
			t.Errorf("%s: the text %s has no maxLength: every text a client writes is bounded", key, name)
		}
		path := strings.ReplaceAll(r.path, ":id", "1")
		for _, p := range probes(schema, base, &seq) {
			t.Run(key+" "+p.what, func(t *testing.T) {
				body, _ := json.Marshal(p.body())
				docErr := doc.valid(ptr, body)
				if p.valid && docErr != nil {
					t.Fatalf("the probe is not valid by the document: %v", docErr)
				}
				if !p.valid && docErr == nil {
					t.Fatalf("the document accepts a body it should refuse: %s", body)
				}
				res := e.do(r.method, path, string(body), admin)
				doc.checkAnswer(t, r, res, p.what)
				if strings.HasSuffix(r.path, "/form") {
					// A form answers 200 and names what the write would refuse.
					errs := formValidationErrors(t, res)
					switch {
					case p.valid && (res.status != 200 || len(errs) > 0):
						t.Errorf("documented-valid body refused by the form: %d %.400s", res.status, res.body)
					case !p.valid && res.status != 400 && len(errs) == 0:
						t.Errorf("documented-invalid body has no validation error in the form: %d %.400s", res.status, res.body)
					case !p.valid && p.field != "" && res.status == 200 && !strings.Contains(res.body, `"attribute":"`+p.field+`"`):
						t.Errorf("the form's errors do not name %s: %.400s", p.field, res.body)
					}
					return
				}
				switch {
				case p.valid && res.status >= 300 && !(key == "POST /api/auth/login" && res.status == 401 && p.what != "the base body"):
					// A login at a bound is a valid body for a user who does not exist.
					t.Errorf("documented-valid body refused: %d %.400s", res.status, res.body)
				case !p.valid && res.status != 422 && res.status != 400:
					t.Errorf("documented-invalid body answered %d: %.400s", res.status, res.body)
				case !p.valid && p.field != "" && !strings.Contains(res.body, `"attribute":"`+p.field+`"`):
					t.Errorf("the error does not name %s: %.400s", p.field, res.body)
				}
			})
		}
	}
}

// TestOpenAPIResponses: every route's answers — read by an administrator,
// without credentials, for an unknown id — carry a status the document lists
// for it, with a body that matches the documented schema.
func TestOpenAPIResponses(t *testing.T) {
	e := newEnv(t)
	e.seed()
	doc := loadDoc(t, e)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
	defer receiver.Close()
	if r := e.do("POST", "/api/admin/webhooks", `{"name":"Seed","url":"`+receiver.URL+`","secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}`, bearer(e.adminTok)); r.status != 201 {
		t.Fatal(r.body)
	}
	if r := e.do("POST", "/api/admin/webhooks/1/test", `{"event":"project:created"}`, bearer(e.adminTok)); r.status != 200 {
		t.Fatal(r.body)
	}
	for _, r := range e.routes() {
		// A work package schema is named <project>-<type>.
		path := strings.NewReplacer(":identifier", "1-1", ":id", "1").Replace(r.path)
		// The stream never ends (live_test.go reads it over a real listener);
		// the delivery look-up needs its messageId (live_test.go), the
		// schema list its id filter (forms_test.go).
		if r.method == "GET" && !r.doc.stream && r.path != "/api/admin/deliveries" && r.path != "/api/v3/work_packages/schemas" {
			res := e.do("GET", path, "", bearer(e.adminTok))
			// The docs are off by default; the session needs a cookie, not a token.
			if res.status != 200 && r.path != "/api/docs" && r.path != "/api/auth/session" {
				t.Errorf("GET %s: %d %.300s", path, res.status, res.body)
			}
			doc.checkAnswer(t, r, res, "read by an administrator")
		}
		if r.access != public {
			doc.checkAnswer(t, r, e.do(r.method, path, "{}"), "without credentials")
		}
		if strings.Contains(r.path, ":id") {
			doc.checkAnswer(t, r, e.do(r.method, strings.ReplaceAll(r.path, ":id", "987654"), "{}", bearer(e.adminTok)), "unknown id")
		}
	}
}
