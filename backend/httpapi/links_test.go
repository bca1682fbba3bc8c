package httpapi

import (
	"cmp"
	"encoding/json"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// linkExceptions are links to routes not built yet (none today). Each
// answers 404 or 405 until its route exists; an exception whose link answers
// fails the test, so that the list only shrinks.
var linkExceptions = []struct {
	method, pattern, why string
}{}

// link is one advertised link and where it was seen.
type link struct {
	method, href, from string
}

// collectLinks finds every link under a "_links" object of doc, at any depth.
func collectLinks(doc any, from string, out map[[2]string]link) {
	switch v := doc.(type) {
	case []any:
		for _, x := range v {
			collectLinks(x, from, out)
		}
	case map[string]any:
		for k, x := range v {
			if k != "_links" {
				collectLinks(x, from, out)
				continue
			}
			links, _ := x.(map[string]any)
			for name, l := range links {
				objs, ok := l.([]any)
				if !ok {
					objs = []any{l}
				}
				for _, o := range objs {
					m, _ := o.(map[string]any)
					href, _ := m["href"].(string)
					if href == "" {
						continue // {"href": null}: nothing advertised
					}
					method, _ := m["method"].(string)
					method = strings.ToUpper(cmp.Or(method, "get"))
					if m["templated"] == true {
						href = strings.NewReplacer("{offset}", "1", "{size}", "5").Replace(href)
					}
					key := [2]string{method, href}
					if _, seen := out[key]; !seen {
						out[key] = link{method, href, from + " _links." + name}
					}
				}
			}
		}
	}
}

// deleteOrder deletes what others hang on first: attachments, time entries,
// work packages, then projects, newest first (subprojects before parents).
func deleteOrder(a, b link) int {
	rank := func(l link) (int, int) {
		parts := strings.Split(l.href, "/")
		id, _ := strconv.Atoi(parts[len(parts)-1])
		for i, kind := range []string{"/attachments/", "/time_entries/", "/work_packages/", "/projects/"} {
			if strings.Contains(l.href, kind) {
				return i, -id
			}
		}
		return 9, -id
	}
	ka, ia := rank(a)
	kb, ib := rank(b)
	return cmp.Or(cmp.Compare(ka, kb), cmp.Compare(ia, ib))
}

// Every link of every representation and payload Hookpost produces answers
// with the method it names (never 404 or 405), or is {"href": null}.
func TestEveryAdvertisedLinkAnswers(t *testing.T) {
	e := newEnv(t)
	rec := newReceiver(t)
	admin, user := bearer(e.adminTok), bearer(e.userTok)
	if r := e.do("POST", "/api/admin/webhooks", `{"name":"All","url":"`+rec.srv.URL+`/all","events":`+allEvents()+`}`, admin); r.status != 201 {
		t.Fatalf("webhook: %d %s", r.status, r.body)
	}
	e.seed()
	links := map[[2]string]link{}
	add := func(what string, r resp) {
		t.Helper()
		if r.status >= 300 {
			t.Fatalf("%s: %d %s", what, r.status, r.body)
		}
		var doc any
		if err := json.Unmarshal([]byte(r.body), &doc); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		collectLinks(doc, what, links)
	}
	// Responses of writes, beside those of reads.
	add("PATCH work package", e.do("PATCH", "/api/v3/work_packages/1", `{"lockVersion":0,"subject":"Docs","_links":{"status":{"href":"/api/v3/statuses/1"}}}`, admin))
	add("PATCH time entry", e.do("PATCH", "/api/v3/time_entries/1", `{"hours":"PT3H"}`, admin))
	add("POST comment as user", e.do("POST", "/api/v3/work_packages/1/activities", `{"comment":{"raw":"Mine"}}`, user))
	add("POST work package as user", e.do("POST", "/api/v3/work_packages", wpBody("User's", ""), user))
	add("POST time entry as user", e.do("POST", "/api/v3/time_entries", `{"hours":"PT1H","spentOn":"2026-11-27","_links":{"project":{"href":"/api/v3/projects/1"}}}`, user))
	gets := []string{
		"/api/v3", "/api/v3/users/me", "/api/v3/users/1", "/api/v3/users/2", "/api/v3/users",
		"/api/v3/projects", "/api/v3/projects/1", "/api/v3/projects/2", "/api/v3/projects/1/work_packages",
		"/api/v3/work_packages?filters=[]", "/api/v3/work_packages/1", "/api/v3/work_packages/2",
		"/api/v3/work_packages/1/activities", "/api/v3/activities/1", "/api/v3/activities/1000000001", "/api/v3/activities/1000000003",
		"/api/v3/time_entries", "/api/v3/time_entries/1", "/api/v3/time_entries/2", "/api/v3/attachments/1", "/api/v3/work_packages/1/attachments",
		"/api/v3/statuses", "/api/v3/statuses/1", "/api/v3/types", "/api/v3/types/1", "/api/v3/priorities", "/api/v3/priorities/1",
		"/api/v3/projects?pageSize=1&offset=2", "/api/v3/time_entries?pageSize=1",
	}
	for _, as := range []struct{ name, header string }{{"admin", admin}, {"user", user}} {
		for _, path := range gets {
			r := e.do("GET", path, "", as.header)
			if r.status == 403 || (r.status == 404 && as.name == "user") {
				continue // the user may not see it
			}
			add("GET "+path+" as "+as.name, r)
		}
	}
	// The payloads a receiver gets; those of deleted resources link to what
	// is gone, by definition, and are left out.
	e.deliverAll()
	payloads := rec.got("/all")
	if len(payloads) < 8 {
		t.Fatalf("%d payloads", len(payloads))
	}
	for _, p := range payloads {
		if action, _ := p["action"].(string); !strings.HasSuffix(action, ":deleted") {
			collectLinks(p, "payload of "+action, links)
		}
	}

	var deletes, others []link
	for _, l := range links {
		if l.method == "DELETE" {
			deletes = append(deletes, l)
		} else {
			others = append(others, l)
		}
	}
	slices.SortFunc(others, func(a, b link) int {
		return cmp.Or(strings.Compare(a.href, b.href), strings.Compare(a.method, b.method))
	})
	slices.SortFunc(deletes, deleteOrder)
	excepted := map[string]bool{}
	for _, l := range append(others, deletes...) {
		body := ""
		if l.method == "POST" || l.method == "PATCH" {
			body = "{}"
		}
		r := e.do(l.method, l.href, body, admin)
		var why string
		for _, x := range linkExceptions {
			if x.method == l.method && regexp.MustCompile(x.pattern).MatchString(strings.SplitN(l.href, "?", 2)[0]) {
				why = x.why
			}
		}
		failed := r.status == 404 || r.status == 405
		switch {
		case failed && why == "":
			t.Errorf("%s %s (from %s) answers %d", l.method, l.href, l.from, r.status)
		case !failed && why != "":
			t.Errorf("%s %s (%s) answers %d now: remove it from linkExceptions", l.method, l.href, why, r.status)
		case failed:
			excepted[why] = true
		}
	}
	t.Logf("%d links followed; waiting for their routes: %v", len(links), slices.Sorted(maps.Keys(excepted)))
	if len(links) < 40 {
		t.Errorf("only %d links found", len(links))
	}
}
