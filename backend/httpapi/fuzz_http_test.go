package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/settings"
)

// TestFuzzOpenAPIOperations walks every operation of the OpenAPI document the
// app serves (so it follows the document as it changes) with generated valid
// and invalid inputs, as an administrator, as a user and anonymously. No
// request may answer 5xx; every 4xx is an OpenProject error; every 2xx
// matches the response schema documented for its status.
func TestFuzzOpenAPIOperations(t *testing.T) {
	e := newEnv(t)
	e.seed()
	ctx := context.Background()
	// Spare tokens for the token routes to revoke, so that the fuzzer's own
	// keep working.
	spare := map[int64]bool{}
	for i := range 3 {
		tok, err := e.auth.CreateToken(ctx, e.user.ID, auth.NewToken{Name: "spare " + strconv.Itoa(i)})
		if err != nil {
			t.Fatal(err)
		}
		spare[tok.ID] = true
	}
	receiver := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	t.Cleanup(receiver.Close)
	if r := e.do("POST", "/api/admin/webhooks", `{"name":"fuzz","url":"`+receiver.URL+`/hook","events":["work_package:created"]}`, bearer(e.adminTok)); r.status != 201 {
		t.Fatalf("webhook: %d %s", r.status, r.body)
	}

	// A real listener: limits that app.Test does not apply (header sizes,
	// malformed requests) answer as they do in production.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = e.app.Listener(ln) }()
	// Streams opened by the walk end with the hub, which main closes first;
	// here the server stops waiting for them after a second.
	t.Cleanup(func() { _ = e.app.ShutdownWithTimeout(time.Second) })
	client := &listenerClient{base: "http://" + ln.Addr().String(), c: &http.Client{
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}

	raw := client.do(t, "GET", "/api/v3/openapi.json", "")
	if raw.status != 200 {
		t.Fatalf("openapi.json: %d", raw.status)
	}
	var doc map[string]any
	if err := json.Unmarshal([]byte(raw.body), &doc); err != nil {
		t.Fatal(err)
	}
	schemas := compileDocument(t, raw.body)

	var tokenIDs []string
	for id := range spare {
		tokenIDs = append(tokenIDs, strconv.FormatInt(id, 10))
	}
	sort.Strings(tokenIDs)
	g := &generator{r: rand.New(rand.NewPCG(8, 2026)), doc: doc,
		urls: []string{receiver.URL + "/hook", "http://127.0.0.1:1/", "http://[::1%25lo]:1/", "https://user:pw@127.0.0.1/",
			"http://10.0.0.1/", "ftp://127.0.0.1/", "not a url", "http://[64:ff9b::7f00:1]/"}}

	ops := operations(doc)
	identities := []struct{ name, header string }{
		{"admin", bearer(e.adminTok)}, {"user", bearer(e.userTok)}, {"anonymous", ""}, {"wrong token", "Authorization: Bearer hp_nope"},
	}
	const casesPerOperation = 18
	findings := map[string]int{}
	requests := 0
	for _, op := range ops {
		statuses := map[int]int{}
		n := casesPerOperation
		if op.path == "/api/auth/login" {
			n = 3 // each costs a password hash
		}
		for range n {
			for _, id := range identities {
				if id.name == "wrong token" && g.r.IntN(4) != 0 {
					continue
				}
				req := g.request(op, tokenIDs)
				headers := append([]string{}, req.headers...)
				if id.header != "" {
					headers = append(headers, id.header)
				}
				res := client.do(t, op.method, req.target, req.body, headers...)
				requests++
				statuses[res.status]++
				what := fmt.Sprintf("%s %s as %s (%s), body %.300q", op.method, req.target, id.name, req.mutation, req.body)
				check(t, schemas, op, res, what, findings)
				if op.method == "PATCH" && op.path == "/api/admin/settings" && res.status == 200 {
					resetSettings(t, e.settings)
				}
			}
		}
		t.Logf("%-6s %-45s %v", op.method, op.path, statuses)
	}
	keys := make([]string, 0, len(findings))
	for k := range findings {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Errorf("undocumented status (%d times): %s", findings[k], k)
	}
	t.Logf("%d requests over %d operations", requests, len(ops))
}

type listenerClient struct {
	base string
	c    *http.Client
}

// do is env.do over the network; headers are "Name: value" strings.
func (l *listenerClient) do(t *testing.T, method, target, body string, headers ...string) resp {
	t.Helper()
	req, err := http.NewRequest(method, l.base+target, strings.NewReader(body))
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	res, err := l.c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer res.Body.Close()
	if strings.HasPrefix(res.Header.Get("Content-Type"), "text/event-stream") {
		// The live stream never ends: its status and type are what the
		// walk checks; the events have tests of their own.
		return resp{status: res.StatusCode, header: res.Header}
	}
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: string(b)}
}

// resetSettings undoes a settings change (the REST API switched off, a tiny
// page size) so that the walk goes on covering the rest.
func resetSettings(t *testing.T, s *settings.Service) {
	t.Helper()
	d := settings.Defaults()
	if _, err := s.Update(context.Background(), settings.Patch{RestAPIEnabled: &d.RestAPIEnabled, DocsEnabled: &d.DocsEnabled,
		MaxPageSize: &d.MaxPageSize, WriteReadonlyAttributes: &d.WriteReadonlyAttributes, CORSEnabled: &d.CORSEnabled,
		CORSOrigins: &d.CORSOrigins}); err != nil {
		t.Fatal(err)
	}
}

// compileDocument loads the OpenAPI document into a JSON Schema compiler so
// that any of its schemas compiles by its JSON pointer.
func compileDocument(t *testing.T, body string) func(pointer string) *jsonschema.Schema {
	t.Helper()
	js, err := jsonschema.UnmarshalJSON(strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft2020)
	c.AssertFormat()
	if err := c.AddResource("file:///openapi.json", js); err != nil {
		t.Fatal(err)
	}
	cache := map[string]*jsonschema.Schema{}
	return func(pointer string) *jsonschema.Schema {
		if s, ok := cache[pointer]; ok {
			return s
		}
		s, err := c.Compile("file:///openapi.json#" + pointer)
		if err != nil {
			t.Fatalf("compile %s: %v", pointer, err)
		}
		cache[pointer] = s
		return s
	}
}

type apiOperation struct {
	method, path, pointer string // pointer: the operation's JSON pointer in the document
	spec                  map[string]any
}

func operations(doc map[string]any) []apiOperation {
	var ops []apiOperation
	for path, item := range doc["paths"].(map[string]any) {
		for method, o := range item.(map[string]any) {
			spec, ok := o.(map[string]any)
			if !ok || method == "parameters" {
				continue
			}
			ptr := "/paths/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(path) + "/" + method
			ops = append(ops, apiOperation{method: strings.ToUpper(method), path: path, pointer: ptr, spec: spec})
		}
	}
	// Deterministic order; deletions last so that the other operations find
	// resources to work on, revoking tokens last of all.
	rank := func(o apiOperation) int {
		switch {
		case o.method == "DELETE" && strings.Contains(o.path, "tokens"):
			return 2
		case o.method == "DELETE":
			return 1
		}
		return 0
	}
	sort.Slice(ops, func(i, j int) bool {
		if rank(ops[i]) != rank(ops[j]) {
			return rank(ops[i]) < rank(ops[j])
		}
		return ops[i].path+ops[i].method < ops[j].path+ops[j].method
	})
	return ops
}

// check asserts what every answer must be.
func check(t *testing.T, schemas func(string) *jsonschema.Schema, op apiOperation, res resp, what string, findings map[string]int) {
	t.Helper()
	if res.status >= 500 {
		t.Errorf("%s: %d %.500s", what, res.status, res.body)
		return
	}
	responses, _ := op.spec["responses"].(map[string]any)
	documented, isDocumented := responses[strconv.Itoa(res.status)]
	if !isDocumented {
		findings[fmt.Sprintf("%s %s → %d", op.method, op.path, res.status)]++
	}
	mt := strings.TrimSpace(strings.Split(res.header.Get("Content-Type"), ";")[0])
	if res.status >= 400 {
		var body struct {
			Type       string `json:"_type"`
			Identifier string `json:"errorIdentifier"`
			Message    string `json:"message"`
		}
		if err := json.Unmarshal([]byte(res.body), &body); err != nil || body.Type != "Error" ||
			!strings.HasPrefix(body.Identifier, "urn:openproject-org:api:v3:errors:") || body.Message == "" {
			t.Errorf("%s: %d is not an OpenProject error (%s): %.300s", what, res.status, mt, res.body)
			return
		}
		if doc, err := jsonschema.UnmarshalJSON(strings.NewReader(res.body)); err == nil {
			if err := schemas("/components/schemas/Error").Validate(doc); err != nil {
				t.Errorf("%s: %d error body does not match the Error schema: %v", what, res.status, err)
			}
		}
		return
	}
	if res.status < 200 || res.status >= 300 {
		return
	}
	if !isDocumented {
		t.Errorf("%s: %d is not documented", what, res.status)
		return
	}
	pointer := op.pointer + "/responses/" + strconv.Itoa(res.status)
	if m, ok := documented.(map[string]any); ok {
		if ref, ok := m["$ref"].(string); ok {
			pointer = strings.TrimPrefix(ref, "#")
		}
	}
	content, _ := documented.(map[string]any)["content"].(map[string]any)
	if len(content) == 0 {
		if res.status != 204 && strings.TrimSpace(res.body) != "" {
			t.Errorf("%s: %d has a body the document does not describe", what, res.status)
		}
		return
	}
	if _, ok := content["application/octet-stream"]; ok {
		return // a file download, in the file's own type
	}
	if _, ok := content[mt]; !ok {
		t.Errorf("%s: %d answered %q, the document says %v", what, res.status, mt, keysOf(content))
		return
	}
	if mt != "application/json" && mt != "application/hal+json" {
		return
	}
	body, err := jsonschema.UnmarshalJSON(strings.NewReader(res.body))
	if err != nil {
		t.Errorf("%s: %d body is not JSON: %v", what, res.status, err)
		return
	}
	ptr := pointer + "/content/" + strings.ReplaceAll(mt, "/", "~1") + "/schema"
	if err := schemas(ptr).Validate(body); err != nil {
		t.Errorf("%s: %d body does not match the documented schema:\n%v\n%.500s", what, res.status, err, res.body)
	}
}

// keysOf is m's keys, sorted.
func keysOf(m map[string]any) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// generator makes requests from the document's parameters and schemas.
type generator struct {
	r    *rand.Rand
	doc  map[string]any
	urls []string
}

type request struct {
	target, body, mutation string
	headers                []string
}

func (g *generator) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

var (
	junkIDs     = []string{"0", "-1", "9223372036854775807", "9223372036854775808", "99999999999999999999", "abc", "1.5", "1e3", "0x10", "+1", "%20", "%00", "1%2F2", "%E2%82%AC"}
	junkPaging  = []string{"0", "-1", "-2", "1", "2", "1000000", "9223372036854775807", "99999999999999999999", "-99999999999999999999", "abc", "1.5", "", "%00", "1e3"}
	junkQueries = []string{"", "[]", "{}", "null", "[", "x", `[{"status":{"operator":"=","values":["1"]}}]`, `[{"status_id":{"operator":"o","values":[]}}]`,
		`[{"id":{"operator":"=","values":["99999999999999999999"]}}]`, `[{"subject":{"operator":"~","values":["%_\\"]}}]`,
		`[{"updatedAt":{"operator":"<>d","values":["2026-01-01","2026-12-31"]}}]`, `[{"createdAt":{"operator":">=","values":["9999-12-31T23:59:59Z"]}}]`,
		`[{"nope":{"operator":"=","values":["1"]}}]`, `[{"":{}}]`, `[{"id":{"operator":"=","values":[1]}}]`, `[["updatedAt","desc"]]`,
		`[["id","asc"],["subject","desc"]]`, `[["nope","asc"]]`, `[["id"]]`, `[[1,2]]`, strings.Repeat("[", 1000)} // deep, yet within the request-line limit (431 has a test of its own: a refused line can reset the connection before the answer is read)
)

// knownGood are bodies the server accepts, by request schema: the document
// cannot say everything a valid body needs (links that must exist), and the
// mutations of an accepted body reach further than those of a refused one.
var knownGood = map[string]string{
	"#/components/schemas/WorkPackageWrite": `{"subject":"Fuzzed","lockVersion":0,"_links":{"project":{"href":"/api/v3/projects/1"},"type":{"href":"/api/v3/types/1"},"status":{"href":"/api/v3/statuses/1"},"priority":{"href":"/api/v3/priorities/2"}}}`,
	"#/components/schemas/TimeEntryWrite":   `{"hours":"PT1H","spentOn":"2026-11-28","comment":{"raw":"x"},"_links":{"workPackage":{"href":"/api/v3/work_packages/1"}}}`,
	"#/components/schemas/ProjectWrite":     `{"identifier":"fuzzed","name":"Fuzzed","public":true}`,
	"#/components/schemas/WebhookWrite":     `{"name":"Fuzzed","url":"http://127.0.0.1:1/","events":["project:created"],"secret":"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}`,
}

func (g *generator) request(op apiOperation, tokenIDs []string) request {
	var req request
	path := op.path
	q := url.Values{}
	params, _ := op.spec["parameters"].([]any)
	for _, p := range params {
		p := g.resolve(p.(map[string]any))
		name, _ := p["name"].(string)
		switch p["in"] {
		case "path":
			v := g.pick("1", "2", "3")
			if strings.Contains(op.path, "/tokens/") {
				v = tokenIDs[g.r.IntN(len(tokenIDs))]
			}
			if g.r.IntN(3) == 0 {
				v = g.pick(junkIDs...)
			}
			path = strings.ReplaceAll(path, "{"+name+"}", v)
		case "query":
			if g.r.IntN(2) == 0 {
				continue
			}
			switch name {
			case "offset", "pageSize":
				q.Set(name, g.pick(junkPaging...))
			case "filters", "sortBy":
				q.Set(name, g.pick(junkQueries...))
			default:
				schema, _ := p["schema"].(map[string]any)
				q.Set(name, fmt.Sprint(g.value(schema, name, 0)))
			}
		}
	}
	if g.r.IntN(8) == 0 { // undocumented or repeated parameters
		q.Add(g.pick("limit", "before", "since", "messageId", "offset", "x"), g.pick(junkPaging...))
	}
	req.target = path
	if len(q) > 0 {
		req.target += "?" + q.Encode()
	}
	body, _ := op.spec["requestBody"].(map[string]any)
	content, _ := body["content"].(map[string]any)
	if len(content) == 0 {
		if op.method != "GET" && g.r.IntN(6) == 0 {
			req.body, req.mutation = `{"unexpected":true}`, "body where none is expected"
			req.headers = []string{"Content-Type: application/json"}
		}
		return req
	}
	if _, ok := content["multipart/form-data"]; ok {
		return g.multipart(req)
	}
	for mt, c := range content {
		schema, _ := c.(map[string]any)["schema"].(map[string]any)
		v := g.value(schema, "", 0)
		if ref, _ := schema["$ref"].(string); knownGood[ref] != "" && g.r.IntN(3) == 0 {
			_ = json.Unmarshal([]byte(knownGood[ref]), &v)
		}
		req.body, req.mutation = g.mutate(v, schema)
		req.headers = []string{"Content-Type: " + mt}
		switch g.r.IntN(12) {
		case 0:
			req.headers, req.mutation = []string{"Content-Type: text/plain"}, req.mutation+", text/plain"
		case 1:
			req.headers, req.mutation = nil, req.mutation+", no content type"
		case 2:
			req.headers, req.mutation = []string{"Content-Type: application/json; charset=latin1"}, req.mutation+", charset"
		}
	}
	return req
}

// mutate serializes a valid body or one of its invalid variants.
func (g *generator) mutate(v any, schema map[string]any) (string, string) {
	marshal := func(v any) string { b, _ := json.Marshal(v); return string(b) }
	obj, isObj := v.(map[string]any)
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	props := g.properties(schema)
	switch n := g.r.IntN(16); {
	case n < 5:
		return marshal(v), "valid"
	case n == 5 && isObj && len(props) > 0:
		k := props[g.r.IntN(len(props))]
		obj[k] = g.pick2(42, "x", true, []any{1}, map[string]any{"a": 1}, -1, 1e300, "")
		return marshal(obj), "wrong type for " + k
	case n == 6 && isObj && len(keys) > 0:
		k := keys[g.r.IntN(len(keys))]
		delete(obj, k)
		return marshal(obj), "without " + k
	case n == 7 && isObj && len(props) > 0:
		k := props[g.r.IntN(len(props))]
		obj[k] = nil
		return marshal(obj), "null " + k
	case n == 8 && isObj && len(props) > 0:
		k := props[g.r.IntN(len(props))]
		obj[k] = strings.Repeat("é", 40000)
		return marshal(obj), "huge " + k
	case n == 9 && isObj:
		obj["unknownField"] = "x"
		return marshal(obj), "unknown field"
	case n == 10:
		return g.pick("null", "[]", `"x"`, "42", "true", "{}"), "not an object"
	case n == 11:
		return g.pick("{", `{"a":1}{"b":2}`, "not json", `{"a":}`, "\xff\xfe", strings.Repeat("[", 20000), `{"a":"\ud800"}`), "not JSON"
	case n == 12:
		return "", "empty"
	case n == 13 && isObj && len(props) > 0:
		k := props[g.r.IntN(len(props))]
		obj[k] = g.pick2("2026-02-30", "PT", "P99999999999999999999W", "9999-12-31T23:59:59Z", "0000-01-01T00:00:00Z", "/api/v3/projects/99999999999999999999", "me", "\u0000")
		return marshal(obj), "odd value for " + k
	}
	return marshal(v), "valid"
}

func (g *generator) pick2(xs ...any) any { return xs[g.r.IntN(len(xs))] }

func (g *generator) properties(schema map[string]any) []string {
	s := g.resolve(schema)
	props, _ := s["properties"].(map[string]any)
	out := make([]string, 0, len(props))
	for k := range props {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (g *generator) multipart(req request) request {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	req.mutation = "valid upload"
	switch g.r.IntN(8) {
	case 0:
		_ = w.WriteField("metadata", g.pick(`{`, `[]`, `{"fileName":1}`, `{"other":1}`, `null`))
		req.mutation = "bad metadata"
	case 1:
		req.mutation = "no metadata"
	default:
		_ = w.WriteField("metadata", `{"fileName":"`+g.pick("a.txt", "../../x", "", "é.png")+`","description":{"raw":"x"}}`)
	}
	if g.r.IntN(6) != 0 {
		fw, _ := w.CreateFormFile("file", "a.txt")
		_, _ = fw.Write([]byte("hello"))
	} else {
		req.mutation += ", no file"
	}
	_ = w.Close()
	req.body = buf.String()
	req.headers = []string{"Content-Type: " + w.FormDataContentType()}
	switch g.r.IntN(8) {
	case 0:
		req.headers, req.mutation = []string{"Content-Type: application/json"}, "multipart body as JSON"
	case 1:
		req.headers, req.mutation = []string{"Content-Type: multipart/form-data; boundary=nope"}, "wrong boundary"
	case 2:
		req.body, req.mutation = req.body[:len(req.body)/2], "truncated multipart"
	case 3:
		req.headers, req.mutation = []string{"Content-Type: multipart/form-data"}, "no boundary"
	}
	return req
}

func (g *generator) resolve(s map[string]any) map[string]any {
	for s != nil {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s
		}
		var cur any = g.doc
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cur = cur.(map[string]any)[strings.NewReplacer("~1", "/", "~0", "~").Replace(part)]
		}
		s, _ = cur.(map[string]any)
	}
	return s
}

// value generates a value valid for schema; name is the property it is for.
func (g *generator) value(schema map[string]any, name string, depth int) any {
	s := g.resolve(schema)
	if s == nil {
		return "x"
	}
	if c, ok := s["const"]; ok {
		return c
	}
	if enum, ok := s["enum"].([]any); ok && len(enum) > 0 {
		return enum[g.r.IntN(len(enum))]
	}
	for _, k := range []string{"oneOf", "anyOf", "allOf"} {
		if alts, ok := s[k].([]any); ok && len(alts) > 0 {
			return g.value(alts[g.r.IntN(len(alts))].(map[string]any), name, depth)
		}
	}
	typ := ""
	switch t := s["type"].(type) {
	case string:
		typ = t
	case []any:
		typ, _ = t[g.r.IntN(len(t))].(string)
	}
	if ex, ok := s["examples"].([]any); ok && len(ex) > 0 && typ != "null" && g.r.IntN(4) != 0 {
		return ex[g.r.IntN(len(ex))]
	}
	switch typ {
	case "null":
		return nil
	case "object":
		out := map[string]any{}
		if depth > 4 {
			return out
		}
		required := map[string]bool{}
		if req, ok := s["required"].([]any); ok {
			for _, r := range req {
				required[r.(string)] = true
			}
		}
		props, _ := s["properties"].(map[string]any)
		keys := make([]string, 0, len(props))
		for k := range props {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			p, _ := props[k].(map[string]any)
			if p["readOnly"] == true || (k == "createdAt" || k == "author") && g.r.IntN(4) != 0 {
				continue // writable only by administrators with writeReadonlyAttributes
			}
			if required[k] || len(keys) == 1 || g.r.IntN(4) != 0 {
				out[k] = g.value(props[k].(map[string]any), k, depth+1)
			}
		}
		return out
	case "array":
		items, _ := s["items"].(map[string]any)
		n := g.r.IntN(3)
		out := make([]any, 0, n)
		for range n {
			out = append(out, g.value(items, name, depth+1))
		}
		if name == "projectIds" {
			return []any{1}
		}
		return out
	case "integer", "number":
		lo, hi := 0.0, 3.0
		if m, ok := s["minimum"].(float64); ok {
			lo = m
			hi = max(hi, lo+3)
		}
		if m, ok := s["maximum"].(float64); ok {
			hi = m
		}
		if name == "lockVersion" {
			return 0
		}
		return int(lo) + g.r.IntN(int(hi-lo)+1)
	case "boolean":
		return g.r.IntN(2) == 0
	case "string":
		switch s["format"] {
		case "date":
			return g.pick("2026-11-28", "2026-01-01")
		case "date-time":
			return g.pick("2026-11-28T12:00:00Z", "2026-12-01T00:00:00.5+01:00")
		case "duration":
			return g.pick("PT2H", "PT30M", "P1DT1H")
		case "uri", "url":
			return g.pick(g.urls...)
		case "password":
			return "correct horse battery"
		}
		switch name {
		case "url":
			return g.pick(g.urls...)
		case "login":
			return g.pick("admin", "jane", "nobody")
		case "identifier":
			return "p" + strconv.Itoa(g.r.IntN(1000000))
		case "name", "subject":
			return g.pick("Fuzz ", "Ünïcødé ", "") + strconv.Itoa(g.r.IntN(1000000))
		}
		n := 1 + g.r.IntN(12)
		if m, ok := s["maxLength"].(float64); ok && int(m) < n {
			n = int(m)
		}
		return strings.Repeat(g.pick("a", "é", "<b>", "*"), n)
	}
	return "x"
}

// The paging parser's overflow, end to end: a huge offset is an empty page
// past the end, not page 1; a huge pageSize is clamped, not a 400.
func TestHugePagingNumbers(t *testing.T) {
	e := newEnv(t)
	e.seed()
	admin := bearer(e.adminTok)
	for _, target := range []string{"/api/v3/projects?offset=9223372036854775807", "/api/v3/projects?offset=99999999999999999999&pageSize=1"} {
		r := e.do("GET", target, "", admin)
		m := r.json(t)
		if r.status != 200 || m["count"] != 0.0 || m["offset"] == 1.0 || m["total"] != 2.0 {
			t.Errorf("GET %s: %d count %v offset %v total %v", target, r.status, m["count"], m["offset"], m["total"])
		}
	}
	for _, size := range []string{"9223372036854775807", "99999999999999999999"} {
		r := e.do("GET", "/api/v3/projects?pageSize="+size, "", admin)
		if m := r.json(t); r.status != 200 || m["pageSize"] != float64(e.settings.Current().MaxPageSize) || m["count"] != 2.0 {
			t.Errorf("pageSize=%s: %d %v", size, r.status, r.body)
		}
	}
}

// A webhook URL with an IPv6 zone is a 422 naming url.
func TestWebhookZoneIs422NamingURL(t *testing.T) {
	e := newEnv(t)
	r := e.do("POST", "/api/admin/webhooks", `{"name":"z","url":"http://[fe80::1%25eth0]/","events":["work_package:created"]}`, bearer(e.adminTok))
	m := r.json(t)
	details, _ := m["_embedded"].(map[string]any)["details"].(map[string]any)
	if r.status != 422 || details["attribute"] != "url" {
		t.Fatalf("%d %s", r.status, r.body)
	}
}
