package httpapi

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// TestOpenProjectClientWorkflow is a client written from OpenProject's API
// documentation alone: it knows the entry points and the documented link
// names, nothing of Hookpost. It finds a project by its identifier, lists
// its open work packages, creates one through the project's form and its
// commit link, logs time with an activity, comments and edits the comment
// through its update link, and pages every collection it has met to its end
// by following nextByOffset.
func TestOpenProjectClientWorkflow(t *testing.T) {
	e := newEnv(t)
	e.seed()
	c := &halClient{t: t, e: e, auth: bearer(e.userTok)}

	// A project by its identifier, and its work packages (open ones, by
	// default): hrefs come from the representations.
	project := c.get("/api/v3/projects/demo")
	if project["identifier"] != "demo" {
		t.Fatalf("project by identifier: %v", project["identifier"])
	}
	wpsHref := c.link(project, "workPackages")
	open := c.get(wpsHref)
	for _, el := range elements(open) {
		status := c.get(c.link(el, "status"))
		if status["isClosed"] == true {
			t.Errorf("the default list holds a closed work package: %v", el["subject"])
		}
	}

	// Create through the form: the payload it answers is committed unchanged.
	form := c.send("POST", wpsHref+"/form", map[string]any{"subject": "Found through the docs"}, 200)
	if errs := embeddedOf(form)["validationErrors"].(map[string]any); len(errs) != 0 {
		t.Fatalf("the form reports errors: %v", errs)
	}
	commit := form["_links"].(map[string]any)["commit"].(map[string]any)
	wp := c.send(strings.ToUpper(commit["method"].(string)), commit["href"].(string), embeddedOf(form)["payload"], 201)
	if wp["subject"] != "Found through the docs" {
		t.Fatalf("committed work package: %v", wp["subject"])
	}
	wpHref := c.link(wp, "self")

	// Log time with an activity, one of those the time entry schema allows.
	schema := c.get("/api/v3/time_entries/schema")
	activity := firstAllowed(t, c, schema, "activity")
	entry := c.send("POST", c.linkOf(wp, "logTime"), map[string]any{
		"hours": "PT1H30M", "spentOn": "2026-11-27", "comment": map[string]any{"raw": "Wrote it"},
		"_links": map[string]any{"workPackage": map[string]any{"href": wpHref}, "activity": map[string]any{"href": activity}},
	}, 201)
	if got := c.link(entry, "activity"); got != activity {
		t.Errorf("the time entry's activity is %q, want %q", got, activity)
	}

	// Comment, then edit the comment through the update link it carries.
	comment := c.send("POST", c.linkOf(wp, "addComment"), map[string]any{"comment": map[string]any{"raw": "Frist"}}, 201)
	update := comment["_links"].(map[string]any)["update"].(map[string]any)
	edited := c.send(strings.ToUpper(update["method"].(string)), update["href"].(string), map[string]any{"comment": map[string]any{"raw": "First"}}, 200)
	if edited["comment"].(map[string]any)["raw"] != "First" {
		t.Errorf("edited comment: %v", edited["comment"])
	}

	// Page every collection met so far, and the top-level ones, to its end.
	for _, href := range []string{wpsHref, "/api/v3/projects", "/api/v3/time_entries", "/api/v3/statuses", "/api/v3/types",
		"/api/v3/priorities", c.link(wp, "activities"), c.link(wp, "attachments"), "/api/v3/principals", "/api/v3/relations"} {
		next := withPageSize(href, 1)
		seen, total := 0, -1
		for pages := 0; next != ""; pages++ {
			if pages > 100 {
				t.Fatalf("%s: still paging after 100 pages (%d of %d)", href, seen, total)
			}
			page := c.get(next)
			total = int(page["total"].(float64))
			seen += len(elements(page))
			next = ""
			if l, ok := page["_links"].(map[string]any)["nextByOffset"].(map[string]any); ok {
				next, _ = l["href"].(string)
			}
		}
		if seen != total {
			t.Errorf("%s: paged through %d elements of %d", href, seen, total)
		}
	}
}

// halClient is what an APIv3 client does: JSON over HTTP with a token.
type halClient struct {
	t    *testing.T
	e    *env
	auth string
}

func (c *halClient) get(href string) map[string]any {
	c.t.Helper()
	return c.send("GET", href, nil, 200)
}

func (c *halClient) send(method, href string, body any, want int) map[string]any {
	c.t.Helper()
	raw := ""
	headers := []string{c.auth}
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			c.t.Fatal(err)
		}
		raw = string(b)
		headers = append(headers, "Content-Type: application/json")
	}
	r := c.e.do(method, href, raw, headers...)
	if r.status != want {
		c.t.Fatalf("%s %s: %d, want %d: %.400s", method, href, r.status, want, r.body)
	}
	return r.json(c.t)
}

// link is the href of a representation's link, which must be there.
func (c *halClient) link(res map[string]any, name string) string {
	c.t.Helper()
	href := c.linkOf(res, name)
	if href == "" {
		c.t.Fatalf("no %s link in %.300v", name, res["_links"])
	}
	return href
}

func (c *halClient) linkOf(res map[string]any, name string) string {
	l, _ := res["_links"].(map[string]any)[name].(map[string]any)
	href, _ := l["href"].(string)
	return href
}

func elements(collection map[string]any) []map[string]any {
	var out []map[string]any
	list, _ := embeddedOf(collection)["elements"].([]any)
	for _, x := range list {
		out = append(out, x.(map[string]any))
	}
	return out
}

func embeddedOf(res map[string]any) map[string]any {
	m, _ := res["_embedded"].(map[string]any)
	return m
}

// firstAllowed is the href of the first allowed value of a schema's
// attribute, embedded or linked.
func firstAllowed(t *testing.T, c *halClient, schema map[string]any, attr string) string {
	t.Helper()
	a, _ := schema[attr].(map[string]any)
	if emb, ok := embeddedOf(a)["allowedValues"].([]any); ok && len(emb) > 0 {
		return c.link(emb[0].(map[string]any), "self")
	}
	links, _ := a["_links"].(map[string]any)
	switch v := links["allowedValues"].(type) {
	case []any:
		if len(v) > 0 {
			return v[0].(map[string]any)["href"].(string)
		}
	case map[string]any: // a collection to read
		if els := elements(c.get(v["href"].(string))); len(els) > 0 {
			return c.link(els[0], "self")
		}
	}
	t.Fatalf("the schema allows no %s: %.400v", attr, schema[attr])
	return ""
}

// withPageSize sets pageSize on href, keeping its other parameters.
func withPageSize(href string, n int) string {
	u, err := url.Parse(href)
	if err != nil {
		return href
	}
	q := u.Query()
	q.Set("pageSize", itoa(int64(n)))
	u.RawQuery = q.Encode()
	return u.String()
}
