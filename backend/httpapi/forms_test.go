package httpapi

import (
	"context"
	"encoding/json"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/hookpost/hookpost/backend/outbox"
	"github.com/hookpost/hookpost/backend/tracker"
)

// dig walks a decoded JSON value along keys (object keys, or list indexes).
func dig(v any, keys ...string) any {
	for _, k := range keys {
		switch x := v.(type) {
		case map[string]any:
			v = x[k]
		case []any:
			i, err := strconv.Atoi(k)
			if err != nil || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		default:
			return nil
		}
	}
	return v
}

// formValidationErrors are the validation errors of a form answer (nil for
// another status).
func formValidationErrors(t *testing.T, r resp) map[string]any {
	t.Helper()
	if r.status != 200 {
		return nil
	}
	errs, _ := dig(r.json(t), "_embedded", "validationErrors").(map[string]any)
	return errs
}

// rowCounts counts what a form must never write: tracker rows and events.
func (e *env) rowCounts() map[string]int {
	e.t.Helper()
	out := map[string]int{}
	for _, table := range []string{"projects", "work_packages", "time_entries", "comments", "attachments", "events"} {
		var n int
		if err := e.store.Read.NewRaw("SELECT count(*) FROM "+table).Scan(context.Background(), &n); err != nil {
			e.t.Fatal(err)
		}
		out[table] = n
	}
	return out
}

func exampleBody(t *testing.T, name string) string {
	t.Helper()
	ex, ok := requestExamples[name]
	if !ok {
		return "{}"
	}
	raw, err := json.Marshal(ex)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

// TestProjectIdentifiersInPaths: every route under /api/v3/projects/{id},
// whichever part of Hookpost added it, answers the same for the project's
// identifier as for its id; identifiers of projects a user cannot see are
// not found, like their ids.
func TestProjectIdentifiersInPaths(t *testing.T) {
	e := newEnv(t)
	e.seed()
	admin := bearer(e.adminTok)

	n := 0
	for _, r := range e.routes() {
		if !namesProject(r.path) {
			continue
		}
		n++
		body := ""
		if r.method != "GET" && r.method != "DELETE" {
			body = exampleBody(t, r.doc.body)
		}
		byID := e.do(r.method, strings.Replace(r.path, ":id", "1", 1), body, admin)
		byIdentifier := e.do(r.method, strings.Replace(r.path, ":id", "demo", 1), body, admin)
		if byID.status != byIdentifier.status || byIdentifier.status == 404 {
			t.Errorf("%s %s: %d by id, %d by identifier: %.300s", r.method, r.path, byID.status, byIdentifier.status, byIdentifier.body)
		}
	}
	if n < 7 {
		t.Fatalf("only %d project routes", n)
	}

	jane := bearer(e.userTok)
	cases := []struct {
		name, method, path, body, as string
		status                       int
		contains                     string
	}{
		{"change by identifier", "PATCH", "/api/v3/projects/demo", `{"name":"Demo"}`, admin, 200, `"id":1`},
		{"project by identifier", "GET", "/api/v3/projects/demo", "", jane, 200, `"id":1,"identifier":"demo"`},
		{"private project by identifier, admin", "GET", "/api/v3/projects/sub", "", admin, 200, `"id":2,"identifier":"sub"`},
		{"private project by identifier, other user", "GET", "/api/v3/projects/sub", "", jane, 404, "NotFound"},
		{"its work packages, other user", "GET", "/api/v3/projects/sub/work_packages", "", jane, 404, "NotFound"},
		{"unknown identifier", "GET", "/api/v3/projects/nope", "", admin, 404, "NotFound"},
		{"identifiers are lower-case", "GET", "/api/v3/projects/Demo", "", admin, 404, "NotFound"},
		{"not an identifier", "GET", "/api/v3/projects/a%20b", "", admin, 404, "NotFound"},
		{"work packages by identifier", "GET", "/api/v3/projects/demo/work_packages?filters=%5B%5D", "", jane, 200, `"subject":"Write docs"`},
		{"create a work package by identifier", "POST", "/api/v3/projects/demo/work_packages", `{"subject":"By identifier"}`, jane, 201, `"project":{"href":"/api/v3/projects/1","title":"Demo"}`},
		// OpenProject reads a link's last segment as the id (its integer
		// cast of "demo" finds no project): bodies link projects by id.
		{"identifier in a body link", "POST", "/api/v3/work_packages", `{"subject":"x","_links":{"project":{"href":"/api/v3/projects/demo"}}}`, admin, 422, `"attribute":"project"`},
		{"a project to delete", "POST", "/api/v3/projects", `{"name":"Throwaway"}`, admin, 201, `"identifier":"throwaway"`},
		{"delete by identifier", "DELETE", "/api/v3/projects/throwaway", "", admin, 204, ""},
		{"deleted", "GET", "/api/v3/projects/throwaway", "", admin, 404, "NotFound"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.method, c.path, c.body, c.as)
			if r.status != c.status || !strings.Contains(r.body, c.contains) {
				t.Errorf("%d (want %d, with %s): %.400s", r.status, c.status, c.contains, r.body)
			}
		})
	}

	// The path parameter is documented once, as an id or an identifier.
	doc := loadDoc(t, e)
	for _, p := range []string{"/api/v3/projects/{id}", "/api/v3/projects/{id}/work_packages", "/api/v3/projects/{id}/work_packages/form"} {
		for method, o := range doc.raw["paths"].(map[string]any)[p].(map[string]any) {
			param := dig(o, "parameters", "0")
			if dig(param, "name") != "id" || dig(param, "schema", "oneOf", "1", "pattern") != tracker.IdentifierPattern {
				t.Errorf("%s %s: the id parameter is not documented as an id or identifier: %v", method, p, param)
			}
		}
	}
}

// TestDerivedProjectIdentifiers: a project created without an identifier
// gets OpenProject's: the name made URL-friendly, numbered on a clash.
func TestDerivedProjectIdentifiers(t *testing.T) {
	e := newEnv(t)
	admin := bearer(e.adminTok)
	long := strings.Repeat("a", 120)
	cases := []struct{ name, body, want string }{
		{"from the name", `{"name":"Website relaunch"}`, "website-relaunch"},
		{"clash", `{"name":"Website Relaunch"}`, "website-relaunch-1"},
		{"second clash", `{"name":"website relaunch!"}`, "website-relaunch-2"},
		{"an empty identifier is derived too", `{"name":"Empty id","identifier":""}`, "empty-id"},
		{"symbols become words", `{"name":"R&D @ 100% + more"}`, "r-and-d-at-100-percent-plus-more"},
		{"accents are dropped", `{"name":"Café Überblick Straße"}`, "cafe-uberblick-strasse"},
		{"punctuation separates words", `{"name":"my_project (v1.2): \"beta\""}`, "my-project-v1-dot-2-beta"},
		{"reserved", `{"name":"Schema"}`, "schema-1"},
		{"nothing to start with a letter", `{"name":"2027"}`, "project"},
		{"nothing to start with a letter, again", `{"name":"2028 plan"}`, "project-1"},
		{"cut to the maximum length", `{"name":"` + long + `"}`, long[:tracker.MaxIdentifierLength]},
		{"a clash at the maximum length stays within it", `{"name":"` + long + `"}`, long[:tracker.MaxIdentifierLength-2] + "-1"},
		{"a given identifier is kept", `{"name":"Website relaunch","identifier":"chosen"}`, "chosen"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.lastEventID()
			r := e.do("POST", "/api/v3/projects", c.body, admin)
			if r.status != 201 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if got := r.json(t)["identifier"]; got != c.want {
				t.Errorf("identifier %v, want %s", got, c.want)
			}
			events, err := outbox.Since(context.Background(), e.store.Read, before, 10)
			if err != nil || len(events) != 1 || events[0].Name != outbox.ProjectCreated || !strings.Contains(string(events[0].Payload), `"identifier":"`+c.want+`"`) {
				t.Errorf("event: %v %+v", err, events)
			}
			if got := e.do("GET", "/api/v3/projects/"+c.want, "", admin); got.status != 200 {
				t.Errorf("GET by the derived identifier: %d", got.status)
			}
		})
	}
	if r := e.do("POST", "/api/v3/projects", `{"name":"Mine"}`, bearer(e.userTok)); r.status != 403 {
		t.Errorf("non-admin: %d %s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v3/projects", `{"name":"  "}`, admin); r.status != 422 || !strings.Contains(r.body, `"attribute":"name"`) || strings.Contains(r.body, `"attribute":"identifier"`) {
		t.Errorf("blank name: %d %s", r.status, r.body)
	}
}

// formCase is one request to a form or schema route.
type formCase struct {
	name, method, path, body, as string
	status                       int
	// errors are the properties of the form's validation errors, exactly.
	errors []string
	// commit is the commit link "method href", "" when there is none.
	commit string
	check  func(t *testing.T, body map[string]any)
}

func equal(t *testing.T, what string, got, want any) {
	t.Helper()
	if g, _ := json.Marshal(got); string(g) != mustJSON(t, want) {
		t.Errorf("%s: %s, want %s", what, g, mustJSON(t, want))
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestForms: OpenProject's forms and schemas through the server. A form
// answers 200 with the payload the write would store, the schema, and the
// write's validation errors (a refused body is not a 422 here), a commit link
// only when the body is valid; not found, not allowed and a stale
// lockVersion answer as the write does. Nothing is written: no row, no event.
func TestForms(t *testing.T) {
	e := newEnv(t)
	e.seed()
	_, bobTok := e.newUser("bob", false)
	admin, jane, bob := bearer(e.adminTok), bearer(e.userTok), bearer(bobTok)
	var defaultStatus, defaultType int64
	for _, s := range e.tracker.Statuses() {
		if s.IsDefault {
			defaultStatus = s.ID
		}
	}
	for _, x := range e.tracker.Types() {
		if x.IsDefault {
			defaultType = x.ID
		}
	}
	janeID := strconv.FormatInt(e.user.ID, 10)
	project1 := `"_links":{"project":{"href":"/api/v3/projects/1"}}`
	before := e.rowCounts()

	cases := []formCase{
		{name: "work package: valid", method: "POST", path: "/api/v3/work_packages/form", body: `{"subject":"Plan",` + project1 + `}`, as: admin, status: 200,
			commit: "post /api/v3/work_packages", check: func(t *testing.T, f map[string]any) {
				equal(t, "payload subject", dig(f, "_embedded", "payload", "subject"), "Plan")
				equal(t, "payload project", dig(f, "_embedded", "payload", "_links", "project", "href"), "/api/v3/projects/1")
				equal(t, "default status", dig(f, "_embedded", "payload", "_links", "status", "href"), "/api/v3/statuses/"+strconv.FormatInt(defaultStatus, 10))
				equal(t, "self", dig(f, "_links", "self"), map[string]any{"href": "/api/v3/work_packages/form", "method": "post"})
				equal(t, "validate", dig(f, "_links", "validate"), map[string]any{"href": "/api/v3/work_packages/form", "method": "post"})
				equal(t, "previewMarkup", dig(f, "_links", "previewMarkup"), map[string]any{"href": "/api/v3/render/markdown", "method": "post"})
				s := dig(f, "_embedded", "schema")
				equal(t, "schema link", dig(s, "_links", "self", "href"), "/api/v3/work_packages/schemas/1-"+strconv.FormatInt(defaultType, 10))
				equal(t, "subject", dig(s, "subject"), map[string]any{"type": "String", "name": "Subject", "required": true, "hasDefault": false,
					"writable": true, "minLength": 1, "maxLength": tracker.MaxNameLength, "options": map[string]any{}})
				equal(t, "statuses", len(dig(s, "status", "_embedded", "allowedValues").([]any)), len(e.tracker.Statuses()))
				first := e.tracker.Statuses()[0]
				equal(t, "status links", dig(s, "status", "_links", "allowedValues", "0"), map[string]any{"href": "/api/v3/statuses/" + strconv.FormatInt(first.ID, 10), "title": first.Name})
				equal(t, "assignees", dig(s, "assignee", "_links", "allowedValues", "href"), "/api/v3/projects/1/available_assignees")
				equal(t, "assignee location", dig(s, "assignee", "location"), "_links")
				equal(t, "createdAt", dig(s, "createdAt", "writable"), false)
				equal(t, "spentTime", dig(s, "spentTime", "writable"), false)
				equal(t, "version", dig(s, "version", "writable"), false)
				if _, ok := dig(f, "_embedded", "payload").(map[string]any)["createdAt"]; ok {
					t.Error("createdAt is in the payload but not writable")
				}
			}},
		{name: "work package: invalid", method: "POST", path: "/api/v3/work_packages/form",
			body: `{"subject":" ","percentageDone":101,"_links":{"project":{"href":"/api/v3/projects/99"}}}`, as: admin, status: 200,
			errors: []string{"percentageDone", "project", "subject"}, check: func(t *testing.T, f map[string]any) {
				v := dig(f, "_embedded", "validationErrors")
				equal(t, "subject error", dig(v, "subject", "errorIdentifier"), "urn:openproject-org:api:v3:errors:PropertyConstraintViolation")
				equal(t, "subject attribute", dig(v, "subject", "_embedded", "details", "attribute"), "subject")
				equal(t, "project in the payload as sent", dig(f, "_embedded", "payload", "_links", "project", "href"), "/api/v3/projects/99")
			}},
		// The write stops at a property it cannot read: so does the form.
		{name: "work package: a property of the wrong shape", method: "POST", path: "/api/v3/work_packages/form",
			body: `{"subject":" ","estimatedTime":"soon",` + project1 + `}`, as: admin, status: 200,
			errors: []string{"estimatedTime"}, check: func(t *testing.T, f map[string]any) {
				equal(t, "error", dig(f, "_embedded", "validationErrors", "estimatedTime", "errorIdentifier"), "urn:openproject-org:api:v3:errors:PropertyFormatError")
			}},
		{name: "work package: subject too long", method: "POST", path: "/api/v3/work_packages/form", body: `{"subject":"` + strings.Repeat("x", tracker.MaxNameLength+1) + `",` + project1 + `}`,
			as: admin, status: 200, errors: []string{"subject"}, check: func(t *testing.T, f map[string]any) {
				if m, _ := dig(f, "_embedded", "validationErrors", "subject", "message").(string); !strings.Contains(m, "too long (maximum is 255") {
					t.Errorf("message %q", m)
				}
			}},
		{name: "work package: read-only properties", method: "POST", path: "/api/v3/work_packages/form",
			body: `{"subject":"x","updatedAt":"2020-01-01T00:00:00Z","createdAt":"2020-01-01T00:00:00Z",` + project1 + `}`, as: admin, status: 200,
			errors: []string{"createdAt", "updatedAt"}, check: func(t *testing.T, f map[string]any) {
				equal(t, "error", dig(f, "_embedded", "validationErrors", "updatedAt", "errorIdentifier"), "urn:openproject-org:api:v3:errors:PropertyIsReadOnly")
			}},
		{name: "work package: two errors on one property", method: "POST", path: "/api/v3/work_packages/form",
			body: `{"subject":"x","_links":{"project":{"href":"/api/v3/projects/1"},"author":{"href":"/api/v3/users/99"},"assignee":{"href":"/api/v3/users/98"}}}`, as: admin, status: 200,
			errors: []string{"assignee", "author"}, check: func(t *testing.T, f map[string]any) {
				v := dig(f, "_embedded", "validationErrors")
				equal(t, "author", dig(v, "author", "errorIdentifier"), "urn:openproject-org:api:v3:errors:MultipleErrors")
				equal(t, "author errors", len(dig(v, "author", "_embedded", "errors").([]any)), 2)
				equal(t, "assignee as sent", dig(f, "_embedded", "payload", "_links", "assignee", "href"), "/api/v3/users/98")
			}},
		{name: "work package: not JSON", method: "POST", path: "/api/v3/work_packages/form", body: `{"subject":`, as: admin, status: 400},
		{name: "work package in a project named by identifier", method: "POST", path: "/api/v3/projects/demo/work_packages/form", body: `{"subject":"Here"}`, as: jane, status: 200,
			commit: "post /api/v3/projects/1/work_packages", check: func(t *testing.T, f map[string]any) {
				equal(t, "project", dig(f, "_embedded", "payload", "_links", "project", "href"), "/api/v3/projects/1")
				equal(t, "self", dig(f, "_links", "self", "href"), "/api/v3/projects/1/work_packages/form")
				equal(t, "author", dig(f, "_embedded", "payload", "_links", "author"), nil)
			}},
		{name: "work package in a project, another project linked", method: "POST", path: "/api/v3/projects/1/work_packages/form",
			body: `{"subject":"x","_links":{"project":{"href":"/api/v3/projects/2"}}}`, as: admin, status: 200, errors: []string{"project"}},
		{name: "work package in a project the user cannot see", method: "POST", path: "/api/v3/projects/sub/work_packages/form", body: `{"subject":"x"}`, as: jane, status: 404},
		{name: "work package update: valid", method: "POST", path: "/api/v3/work_packages/1/form", body: `{"lockVersion":0,"subject":"Renamed"}`, as: admin, status: 200,
			commit: "patch /api/v3/work_packages/1", check: func(t *testing.T, f map[string]any) {
				equal(t, "lockVersion", dig(f, "_embedded", "payload", "lockVersion"), 0)
				equal(t, "subject", dig(f, "_embedded", "payload", "subject"), "Renamed")
				equal(t, "kept", dig(f, "_embedded", "payload", "startDate"), "2026-11-01")
				equal(t, "lockVersion schema", dig(f, "_embedded", "schema", "lockVersion", "writable"), false)
			}},
		{name: "work package update: no lockVersion", method: "POST", path: "/api/v3/work_packages/1/form", body: `{"subject":"Renamed"}`, as: admin, status: 200,
			errors: []string{"lockVersion"}},
		{name: "work package update: finish before start", method: "POST", path: "/api/v3/work_packages/1/form", body: `{"lockVersion":0,"dueDate":"2026-10-01"}`, as: admin, status: 200,
			errors: []string{"dueDate"}},
		{name: "work package update: stale lockVersion", method: "POST", path: "/api/v3/work_packages/1/form", body: `{"lockVersion":5}`, as: admin, status: 409},
		{name: "work package update: neither author nor assignee", method: "POST", path: "/api/v3/work_packages/1/form", body: `{"lockVersion":0}`, as: bob, status: 403},
		{name: "work package update: unknown", method: "POST", path: "/api/v3/work_packages/99/form", body: `{"lockVersion":0}`, as: admin, status: 404},

		{name: "work package schema", method: "GET", path: "/api/v3/work_packages/schemas/1-1", as: jane, status: 200, check: func(t *testing.T, s map[string]any) {
			equal(t, "type", s["_type"], "Schema")
			equal(t, "self", dig(s, "_links", "self", "href"), "/api/v3/work_packages/schemas/1-1")
			equal(t, "priorities", dig(s, "priority", "_embedded", "allowedValues", "0", "_type"), "Priority")
			equal(t, "projects", dig(s, "project", "_links", "allowedValues", "href"), "/api/v3/projects?filters="+url.QueryEscape(`[{"active":{"operator":"=","values":["t"]}}]`))
		}},
		{name: "work package schema of a hidden project", method: "GET", path: "/api/v3/work_packages/schemas/2-1", as: jane, status: 404},
		{name: "work package schema of an unknown type", method: "GET", path: "/api/v3/work_packages/schemas/1-99", as: admin, status: 404},
		{name: "work package schema, not an id", method: "GET", path: "/api/v3/work_packages/schemas/abc", as: admin, status: 404},
		{name: "work package schemas by id", method: "GET", path: "/api/v3/work_packages/schemas?filters=" + url.QueryEscape(`[{"id":{"operator":"=","values":["1-1","2-1","1-99"]}}]`),
			as: jane, status: 200, check: func(t *testing.T, c map[string]any) {
				equal(t, "count", c["count"], 1)
				equal(t, "total", c["total"], 1)
				equal(t, "element", dig(c, "_embedded", "elements", "0", "_links", "self", "href"), "/api/v3/work_packages/schemas/1-1")
			}},
		{name: "work package schemas by id, admin", method: "GET", path: "/api/v3/work_packages/schemas?filters=" + url.QueryEscape(`[{"id":{"operator":"=","values":["1-1","2-1"]}}]`),
			as: admin, status: 200, check: func(t *testing.T, c map[string]any) { equal(t, "count", c["count"], 2) }},
		{name: "work package schemas without a filter", method: "GET", path: "/api/v3/work_packages/schemas", as: admin, status: 400},
		{name: "work package schemas by another filter", method: "GET", path: "/api/v3/work_packages/schemas?filters=" + url.QueryEscape(`[{"status":{"operator":"=","values":["1"]}}]`), as: admin, status: 400},

		{name: "time entry: valid", method: "POST", path: "/api/v3/time_entries/form",
			body: `{"hours":"PT1H30M","spentOn":"2026-11-28","comment":{"raw":"Review"},"_links":{"workPackage":{"href":"/api/v3/work_packages/1"}}}`, as: jane, status: 200,
			commit: "post /api/v3/time_entries", check: func(t *testing.T, f map[string]any) {
				p := dig(f, "_embedded", "payload")
				equal(t, "hours", dig(p, "hours"), "PT1H30M")
				equal(t, "project from the work package", dig(p, "_links", "project", "href"), "/api/v3/projects/1")
				equal(t, "user", dig(p, "_links", "user", "href"), "/api/v3/users/"+janeID)
				s := dig(f, "_embedded", "schema")
				equal(t, "hours", dig(s, "hours", "required"), true)
				equal(t, "comment", dig(s, "comment", "maxLength"), tracker.MaxTimeEntryCommentLength)
				equal(t, "users jane may log for", dig(s, "user", "_links", "allowedValues"), []any{map[string]any{"href": "/api/v3/users/" + janeID, "title": "Jane Doe"}})
			}},
		{name: "time entry: invalid", method: "POST", path: "/api/v3/time_entries/form", body: `{"hours":"PT0S"}`, as: jane, status: 200,
			errors: []string{"hours", "project", "spentOn"}},
		{name: "time entry: for another user", method: "POST", path: "/api/v3/time_entries/form",
			body: `{"hours":"PT1H","spentOn":"2026-11-28","_links":{"project":{"href":"/api/v3/projects/1"},"user":{"href":"/api/v3/users/1"}}}`, as: jane, status: 200,
			errors: []string{"user"}},
		{name: "time entry update: valid", method: "POST", path: "/api/v3/time_entries/1/form", body: `{"hours":"PT3H"}`, as: admin, status: 200,
			commit: "patch /api/v3/time_entries/1", check: func(t *testing.T, f map[string]any) {
				equal(t, "hours", dig(f, "_embedded", "payload", "hours"), "PT3H")
				equal(t, "kept", dig(f, "_embedded", "payload", "spentOn"), "2026-11-27")
			}},
		{name: "time entry update: another user's", method: "POST", path: "/api/v3/time_entries/1/form", body: `{"hours":"PT3H"}`, as: jane, status: 403},
		{name: "time entry schema", method: "GET", path: "/api/v3/time_entries/schema", as: jane, status: 200, check: func(t *testing.T, s map[string]any) {
			equal(t, "self", dig(s, "_links", "self", "href"), "/api/v3/time_entries/schema")
			equal(t, "spentOn", dig(s, "spentOn"), map[string]any{"type": "Date", "name": "Date", "required": true, "hasDefault": false, "writable": true, "options": map[string]any{}})
			equal(t, "id", dig(s, "id", "writable"), false)
		}},

		{name: "project: identifier derived", method: "POST", path: "/api/v3/projects/form", body: `{"name":"Website relaunch"}`, as: admin, status: 200,
			commit: "post /api/v3/projects", check: func(t *testing.T, f map[string]any) {
				equal(t, "identifier", dig(f, "_embedded", "payload", "identifier"), "website-relaunch")
				equal(t, "active", dig(f, "_embedded", "payload", "active"), true)
			}},
		{name: "project: identifier taken", method: "POST", path: "/api/v3/projects/form", body: `{"identifier":"demo","name":"Demo again"}`, as: admin, status: 200,
			errors: []string{"identifier"}, check: func(t *testing.T, f map[string]any) {
				if m, _ := dig(f, "_embedded", "validationErrors", "identifier", "message").(string); !strings.Contains(m, "already been taken") {
					t.Errorf("message %q", m)
				}
			}},
		{name: "project: not an administrator", method: "POST", path: "/api/v3/projects/form", body: `{"name":"Mine"}`, as: jane, status: 403},
		{name: "project update: blank name", method: "POST", path: "/api/v3/projects/demo/form", body: `{"name":""}`, as: admin, status: 200,
			errors: []string{"name"}, check: func(t *testing.T, f map[string]any) {
				equal(t, "self", dig(f, "_links", "self", "href"), "/api/v3/projects/1/form")
			}},
		{name: "project update: valid", method: "POST", path: "/api/v3/projects/demo/form", body: `{"name":"Demo 2"}`, as: admin, status: 200,
			commit: "patch /api/v3/projects/1", check: func(t *testing.T, f map[string]any) {
				equal(t, "name", dig(f, "_embedded", "payload", "name"), "Demo 2")
				equal(t, "identifier kept", dig(f, "_embedded", "payload", "identifier"), "demo")
			}},
		{name: "project update: not an administrator", method: "POST", path: "/api/v3/projects/demo/form", body: `{"name":"Mine"}`, as: jane, status: 403},
		{name: "project schema", method: "GET", path: "/api/v3/projects/schema", as: jane, status: 200, check: func(t *testing.T, s map[string]any) {
			equal(t, "identifier", dig(s, "identifier"), map[string]any{"type": "String", "name": "Identifier", "required": true, "hasDefault": true,
				"writable": true, "minLength": 1, "maxLength": tracker.MaxIdentifierLength, "options": map[string]any{}})
			equal(t, "name", dig(s, "name", "maxLength"), tracker.MaxNameLength)
			equal(t, "parent", dig(s, "parent", "location"), "_links")
			equal(t, "updatedAt", dig(s, "updatedAt", "writable"), false)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := e.do(c.method, c.path, c.body, c.as)
			if r.status != c.status {
				t.Fatalf("%d, want %d: %.600s", r.status, c.status, r.body)
			}
			body := r.json(t)
			if strings.HasSuffix(c.path, "/form") && r.status == 200 {
				equal(t, "_type", body["_type"], "Form")
				if got := keysOf(formValidationErrors(t, r)); strings.Join(got, ",") != strings.Join(c.errors, ",") {
					t.Errorf("validation errors on %v, want %v: %.600s", got, c.errors, r.body)
				}
				commit := ""
				if l, ok := dig(body, "_links", "commit").(map[string]any); ok {
					commit = l["method"].(string) + " " + l["href"].(string)
				}
				if commit != c.commit {
					t.Errorf("commit %q, want %q", commit, c.commit)
				}
			}
			if c.check != nil {
				c.check(t, body)
			}
		})
	}

	// A work package form's previewMarkup answers.
	if r := e.do("POST", "/api/v3/render/markdown", "Hello *world*", jane, "Content-Type: text/plain"); r.status != 200 ||
		!strings.HasPrefix(r.header.Get("Content-Type"), "text/html") || !strings.Contains(r.body, "Hello") {
		t.Errorf("previewMarkup: %d %s %s", r.status, r.header.Get("Content-Type"), r.body)
	}

	// writeReadonlyAttributes lets administrators set createdAt on creation;
	// the schema says so.
	e.patchSettings(`{"writeReadonlyAttributes":true}`)
	r := e.do("POST", "/api/v3/work_packages/form", `{"subject":"Old","createdAt":"2020-01-01T00:00:00Z",`+project1+`}`, admin)
	if errs := formValidationErrors(t, r); r.status != 200 || len(errs) != 0 || dig(r.json(t), "_embedded", "schema", "createdAt", "writable") != true ||
		dig(r.json(t), "_embedded", "payload", "createdAt") != "2020-01-01T00:00:00.000Z" {
		t.Errorf("createdAt with the setting on: %d %.600s", r.status, r.body)
	}
	if r := e.do("POST", "/api/v3/work_packages/form", `{"subject":"Old","createdAt":"2020-01-01T00:00:00Z",`+project1+`}`, jane); len(formValidationErrors(t, r)) != 1 {
		t.Errorf("createdAt by a user with the setting on: %d %.600s", r.status, r.body)
	}
	e.patchSettings(`{"writeReadonlyAttributes":false}`)

	if after := e.rowCounts(); mustJSON(t, after) != mustJSON(t, before) {
		t.Errorf("forms wrote: %v before, %v after", before, after)
	}
}

// errorAttributes are the properties an error answer names.
func errorAttributes(t *testing.T, r resp) []string {
	t.Helper()
	body := r.json(t)
	var out []string
	if errs, ok := dig(body, "_embedded", "errors").([]any); ok {
		for _, e := range errs {
			out = append(out, dig(e, "_embedded", "details", "attribute").(string))
		}
	} else if a, ok := dig(body, "_embedded", "details", "attribute").(string); ok {
		out = append(out, a)
	}
	sort.Strings(out)
	return dedupe(out)
}

func dedupe(xs []string) []string {
	var out []string
	for i, x := range xs {
		if i == 0 || xs[i-1] != x {
			out = append(out, x)
		}
	}
	return out
}

// TestFormsAgreeWithWrites: a form refuses exactly what its write refuses,
// property by property, and accepts what the write accepts: both read the
// body with one parser and check it with one validation.
func TestFormsAgreeWithWrites(t *testing.T) {
	e := newEnv(t)
	e.seed()
	admin, jane := bearer(e.adminTok), bearer(e.userTok)
	lockVersion := func() string {
		return strconv.Itoa(int(e.do("GET", "/api/v3/work_packages/1", "", admin).json(t)["lockVersion"].(float64)))
	}
	cases := []struct {
		form, method, write, as string
		body                    func() string
	}{
		{"/api/v3/work_packages/form", "POST", "/api/v3/work_packages", jane, func() string { return `{"subject":"Fine","_links":{"project":{"href":"/api/v3/projects/1"}}}` }},
		{"/api/v3/work_packages/form", "POST", "/api/v3/work_packages", jane, func() string { return `{"subject":"","_links":{"project":{"href":"/api/v3/projects/2"}}}` }},
		{"/api/v3/work_packages/form", "POST", "/api/v3/work_packages", admin, func() string {
			return `{"subject":"x","startDate":"2026-12-02","dueDate":"2026-12-01","_links":{"project":{"href":"/api/v3/projects/1"}}}`
		}},
		{"/api/v3/work_packages/form", "POST", "/api/v3/work_packages", admin, func() string {
			return `{"subject":5,"percentageDone":-1,"spentTime":"PT1H","_links":{"project":{"href":"/api/v3/projects/1"},"status":{"href":"/api/v3/statuses/99"}}}`
		}},
		{"/api/v3/projects/1/work_packages/form", "POST", "/api/v3/projects/1/work_packages", jane, func() string { return `{"subject":"In project"}` }},
		{"/api/v3/work_packages/1/form", "PATCH", "/api/v3/work_packages/1", admin, func() string { return `{"lockVersion":` + lockVersion() + `,"subject":""}` }},
		{"/api/v3/work_packages/1/form", "PATCH", "/api/v3/work_packages/1", admin, func() string { return `{"subject":"No lock"}` }},
		{"/api/v3/work_packages/1/form", "PATCH", "/api/v3/work_packages/1", admin, func() string {
			return `{"lockVersion":` + lockVersion() + `,"percentageDone":150,"_links":{"type":{"href":"/api/v3/types/99"}}}`
		}},
		{"/api/v3/work_packages/1/form", "PATCH", "/api/v3/work_packages/1", admin, func() string { return `{"lockVersion":` + lockVersion() + `,"subject":"Renamed"}` }},
		{"/api/v3/time_entries/form", "POST", "/api/v3/time_entries", jane, func() string { return `{"hours":"PT0S","spentOn":"yesterday"}` }},
		{"/api/v3/time_entries/form", "POST", "/api/v3/time_entries", jane, func() string {
			return `{"hours":"PT1H","spentOn":"2026-11-28","comment":{"raw":"` + strings.Repeat("c", tracker.MaxTimeEntryCommentLength+1) + `"},"_links":{"workPackage":{"href":"/api/v3/work_packages/99"}}}`
		}},
		{"/api/v3/time_entries/form", "POST", "/api/v3/time_entries", jane, func() string {
			return `{"hours":"PT1H","spentOn":"2026-11-28","_links":{"workPackage":{"href":"/api/v3/work_packages/1"}}}`
		}},
		{"/api/v3/time_entries/1/form", "PATCH", "/api/v3/time_entries/1", admin, func() string { return `{"hours":"PT2000H","updatedAt":"2026-01-01T00:00:00Z"}` }},
		{"/api/v3/projects/form", "POST", "/api/v3/projects", admin, func() string {
			return `{"identifier":"Bad Id","name":"x","_links":{"parent":{"href":"/api/v3/projects/99"}}}`
		}},
		{"/api/v3/projects/form", "POST", "/api/v3/projects", admin, func() string { return `{"identifier":"demo","name":" "}` }},
		{"/api/v3/projects/form", "POST", "/api/v3/projects", admin, func() string { return `{"name":"Derived"}` }},
		{"/api/v3/projects/1/form", "PATCH", "/api/v3/projects/1", admin, func() string { return `{"_links":{"parent":{"href":"/api/v3/projects/1"}}}` }},
	}
	for i, c := range cases {
		t.Run(strconv.Itoa(i)+" "+c.method+" "+c.write, func(t *testing.T) {
			body := c.body()
			f := e.do("POST", c.form, body, c.as)
			if f.status != 200 {
				t.Fatalf("form: %d %s", f.status, f.body)
			}
			formErrs := keysOf(formValidationErrors(t, f))
			w := e.do(c.method, c.write, body, c.as)
			switch {
			case w.status < 300 && len(formErrs) > 0:
				t.Errorf("the write accepted (%d) what the form refused: %v", w.status, formErrs)
			case w.status == 422 && strings.Join(errorAttributes(t, w), ",") != strings.Join(formErrs, ","):
				t.Errorf("the write refused %v, the form %v: %s", errorAttributes(t, w), formErrs, w.body)
			case w.status >= 300 && w.status != 422:
				t.Errorf("write: %d %s", w.status, w.body)
			}
		})
	}
}

// TestFormsConformToOpenProjectSchemas validates forms and schemas against
// OpenProject's own: the work package form and schema models, every
// property schema against SchemaPropertyModel, every validation error
// against the error model, the schema list against the collection model.
func TestFormsConformToOpenProjectSchemas(t *testing.T) {
	schema := openProjectSchemas(t)
	e := newEnv(t)
	e.seed()
	admin := bearer(e.adminTok)
	project1 := `"_links":{"project":{"href":"/api/v3/projects/1"}}`
	// model validates the answer; schemaModel the schema a form embeds.
	requests := []struct{ method, path, body, model, schemaModel string }{
		{"POST", "/api/v3/work_packages/form", `{"subject":"Plan","description":{"raw":"*x*"},"startDate":"2026-12-01",` + project1 + `}`, "work_package_form_model", "work_package_schema_model"},
		{"POST", "/api/v3/work_packages/form", `{"subject":"","estimatedTime":"x","_links":{"project":{"href":"/api/v3/projects/99"},"assignee":{"href":"/api/v3/users/2"}}}`, "work_package_form_model", ""},
		{"POST", "/api/v3/work_packages/form", `{"subject":"","percentageDone":300,"_links":{"project":{"href":"/api/v3/projects/99"},"assignee":{"href":"/api/v3/users/2"}}}`, "work_package_form_model", ""},
		{"POST", "/api/v3/projects/1/work_packages/form", `{}`, "work_package_form_model", ""},
		{"POST", "/api/v3/work_packages/1/form", `{"lockVersion":0,"estimatedTime":null}`, "work_package_form_model", ""},
		{"GET", "/api/v3/work_packages/schemas/1-1", "", "work_package_schema_model", ""},
		{"GET", "/api/v3/work_packages/schemas?filters=" + url.QueryEscape(`[{"id":{"operator":"=","values":["1-1","2-2"]}}]`), "", "collection_model", ""},
		{"POST", "/api/v3/time_entries/form", `{"hours":"PT1H","spentOn":"2026-11-28",` + project1 + `}`, "", "view_time_entry_schema_model"},
		{"POST", "/api/v3/time_entries/1/form", `{"hours":"nope"}`, "", ""},
		{"GET", "/api/v3/time_entries/schema", "", "view_time_entry_schema_model", ""},
		{"POST", "/api/v3/projects/form", `{"name":"New"}`, "", "projects_schema_model"},
		{"POST", "/api/v3/projects/1/form", `{"identifier":"sub"}`, "", ""},
		{"GET", "/api/v3/projects/schema", "", "projects_schema_model", ""},
	}
	property := schema("schema_property_model")
	errModel := schema("error_response")
	for _, rq := range requests {
		r := e.do(rq.method, rq.path, rq.body, admin)
		if r.status != 200 {
			t.Fatalf("%s %s: %d %s", rq.method, rq.path, r.status, r.body)
		}
		what := rq.method + " " + rq.path
		if rq.model != "" {
			conforms(t, schema(rq.model), what, []byte(r.body))
		}
		body := r.json(t)
		if rq.schemaModel != "" {
			raw, _ := json.Marshal(dig(body, "_embedded", "schema"))
			conforms(t, schema(rq.schemaModel), what+" schema", raw)
		}
		var schemas []any
		if strings.HasSuffix(rq.path, "/form") {
			schemas = append(schemas, dig(body, "_embedded", "schema"))
			for name, v := range formValidationErrors(t, r) {
				raw, _ := json.Marshal(v)
				conforms(t, errModel, what+" validation error "+name, raw)
			}
			if dig(body, "_embedded", "payload") == nil {
				t.Errorf("%s: no payload", what)
			}
		} else if els, ok := dig(body, "_embedded", "elements").([]any); ok {
			schemas = append(schemas, els...)
			for _, el := range els {
				raw, _ := json.Marshal(el)
				conforms(t, schema("work_package_schema_model"), what+" element", raw)
			}
		} else {
			schemas = append(schemas, body)
		}
		for _, s := range schemas {
			equal(t, what+" _type", dig(s, "_type"), "Schema")
			for name, p := range s.(map[string]any) {
				if strings.HasPrefix(name, "_") {
					continue
				}
				raw, _ := json.Marshal(p)
				conforms(t, property, what+" property "+name, raw)
				for i, v := range asList(dig(p, "_embedded", "allowedValues")) {
					model := map[string]string{"Status": "status_model", "Type": "type_model", "Priority": "priority_model", "User": "user_model",
						"TimeEntriesActivity": "time_entry_activity_model"}[dig(v, "_type").(string)]
					raw, _ := json.Marshal(v)
					conforms(t, schema(model), what+" "+name+" allowed value "+strconv.Itoa(i), raw)
				}
			}
		}
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

// TestFormPayloadsCommit follows forms as an OpenProject client does: from a
// resource's action link to its form, then the form's payload, unchanged, to
// its commit link with the method it names. The payload is a body the write
// takes, and the write stores what the form showed.
func TestFormPayloadsCommit(t *testing.T) {
	e := newEnv(t)
	e.seed()
	admin := bearer(e.adminTok)
	follow := func(t *testing.T, link map[string]any, body string) map[string]any {
		t.Helper()
		r := e.do(strings.ToUpper(link["method"].(string)), link["href"].(string), body, admin)
		if r.status/100 != 2 {
			t.Fatalf("%v %s: %d %s", link, body, r.status, r.body)
		}
		return r.json(t)
	}
	link := func(t *testing.T, v map[string]any, name string) map[string]any {
		t.Helper()
		l, ok := dig(v, "_links", name).(map[string]any)
		if !ok || l["href"] == nil {
			t.Fatalf("no %s link: %v", name, dig(v, "_links"))
		}
		return l
	}
	commit := func(t *testing.T, form map[string]any) map[string]any {
		t.Helper()
		if errs := dig(form, "_embedded", "validationErrors").(map[string]any); len(errs) > 0 {
			t.Fatalf("validation errors: %v", errs)
		}
		return follow(t, link(t, form, "commit"), mustJSON(t, dig(form, "_embedded", "payload")))
	}
	project := e.do("GET", "/api/v3/projects/demo", "", admin).json(t)

	t.Run("work package created through its project's form", func(t *testing.T) {
		form := follow(t, link(t, project, "createWorkPackage"), `{"subject":"From the form","description":{"raw":"*Hi*"},"_links":{"assignee":{"href":"/api/v3/users/2"}}}`)
		wp := commit(t, form)
		equal(t, "subject", wp["subject"], "From the form")
		equal(t, "description", dig(wp, "description", "raw"), "*Hi*")
		equal(t, "assignee", dig(wp, "_links", "assignee", "href"), "/api/v3/users/2")
		equal(t, "project", dig(wp, "_links", "project", "href"), "/api/v3/projects/1")

		form = follow(t, link(t, wp, "update"), `{"lockVersion":0,"subject":"Changed through the form"}`)
		changed := commit(t, form)
		equal(t, "subject", changed["subject"], "Changed through the form")
		equal(t, "lockVersion", changed["lockVersion"], 1)
		equal(t, "kept", dig(changed, "description", "raw"), "*Hi*")
	})
	t.Run("project changed through its form", func(t *testing.T) {
		changed := commit(t, follow(t, link(t, project, "update"), `{"name":"Demo (renamed)"}`))
		equal(t, "name", changed["name"], "Demo (renamed)")
		equal(t, "identifier", changed["identifier"], "demo")
	})
	t.Run("project created through the form", func(t *testing.T) {
		created := commit(t, follow(t, map[string]any{"href": "/api/v3/projects/form", "method": "post"}, `{"name":"From the form"}`))
		equal(t, "identifier", created["identifier"], "from-the-form")
	})
	t.Run("time logged through the form", func(t *testing.T) {
		entry := commit(t, follow(t, map[string]any{"href": "/api/v3/time_entries/form", "method": "post"},
			`{"hours":"PT45M","spentOn":"2026-11-28","_links":{"workPackage":{"href":"/api/v3/work_packages/1"}}}`))
		equal(t, "hours", entry["hours"], "PT45M")
		equal(t, "project", dig(entry, "_links", "project", "href"), "/api/v3/projects/1")
		changed := commit(t, follow(t, map[string]any{"href": "/api/v3/time_entries/" + strconv.Itoa(int(entry["id"].(float64))) + "/form", "method": "post"}, `{"hours":"PT1H"}`))
		equal(t, "hours", changed["hours"], "PT1H")
	})
}
