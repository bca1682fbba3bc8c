package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/outbox"
	"github.com/hookpost/hookpost/backend/tracker"
)

// receiver is a real webhook receiver: it keeps every body it is sent, by path.
type receiver struct {
	srv    *httptest.Server
	mu     sync.Mutex
	bodies map[string][]map[string]any
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	r := &receiver{bodies: map[string][]map[string]any{}}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		raw, _ := io.ReadAll(req.Body)
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Errorf("%s: body is not JSON: %v", req.URL.Path, err)
		}
		r.mu.Lock()
		r.bodies[req.URL.Path] = append(r.bodies[req.URL.Path], m)
		r.mu.Unlock()
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) got(path string) []map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.bodies[path])
}

// deliverAll sends every due delivery and waits for the attempts.
func (e *env) deliverAll() {
	e.t.Helper()
	for range 3 {
		if _, err := e.dispatch.DispatchDue(context.Background()); err != nil {
			e.t.Fatal(err)
		}
		e.dispatch.Wait()
	}
}

func allEvents() string {
	var names []string
	for _, r := range outbox.Catalogue {
		for _, ev := range r.Events {
			names = append(names, ev.Name)
		}
	}
	b, _ := json.Marshal(names)
	return string(b)
}

// Every payload a receiver gets embeds the linked resources as the API's
// single representation of that resource does, each a valid OpenProject
// representation.
func TestWebhookPayloadsEmbedAsTheAPIDoes(t *testing.T) {
	schema := openProjectSchemas(t)
	e := newEnv(t)
	rec := newReceiver(t)
	e.run(t, []scenario{
		{"webhook", "POST", "/api/admin/webhooks", `{"name":"All","url":"` + rec.srv.URL + `/all","events":` + allEvents() + `}`, "admin", nil, 201, nil, nil},
		{"project", "POST", "/api/v3/projects", `{"identifier":"demo","name":"Demo","public":true}`, "admin", nil, 201, nil, []string{outbox.ProjectCreated}},
		{"subproject", "POST", "/api/v3/projects", `{"identifier":"sub","name":"Sub","_links":{"parent":{"href":"/api/v3/projects/1"}}}`, "admin", nil, 201, []string{`"_embedded":{"parent":{"_type":"Project","id":1`}, []string{outbox.ProjectCreated}},
		{"work package", "POST", "/api/v3/work_packages", wpBody("Embed", ""), "admin", nil, 201, nil, []string{outbox.WorkPackageCreated}},
		{"comment", "POST", "/api/v3/work_packages/1/activities", `{"comment":{"raw":"Hi"}}`, "admin", nil, 201, []string{`"_embedded":{"workPackage":{"_type":"WorkPackage","id":1`}, []string{outbox.CommentCreated}},
		{"time entry", "POST", "/api/v3/time_entries", `{"hours":"PT1H","spentOn":"2026-11-27","_links":{"workPackage":{"href":"/api/v3/work_packages/1"}}}`, "admin", nil, 201, []string{`"_embedded":{"project":{"_type":"Project","id":1`}, []string{outbox.TimeEntryCreated}},
		{"project time entry", "POST", "/api/v3/time_entries", `{"hours":"PT1H","spentOn":"2026-11-27","_links":{"project":{"href":"/api/v3/projects/1"}}}`, "admin", nil, 201, nil, []string{outbox.TimeEntryCreated}},
		{"project updated", "PATCH", "/api/v3/projects/2", `{"name":"Sub project"}`, "admin", nil, 200, nil, []string{outbox.ProjectUpdated}},
	})
	if r := e.upload(1, "notes.txt", []byte("hello"), e.adminTok); r.status != 201 || !strings.Contains(r.body, `"_embedded":{"container":{"_type":"WorkPackage","id":1`) {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	e.deliverAll()

	want := map[string][]string{
		outbox.ProjectCreated:     {},
		outbox.ProjectUpdated:     {"parent"},
		outbox.WorkPackageCreated: {"author", "priority", "project", "status", "type"},
		outbox.CommentCreated:     {"workPackage"},
		outbox.TimeEntryCreated:   {"project", "user", "workPackage"},
		outbox.AttachmentCreated:  {"author", "container"},
	}
	schemaOf := map[string]string{"parent": "project_model", "project": "project_model", "workPackage": "work_package_model",
		"container": "work_package_model", "author": "user_model", "user": "user_model", "status": "status_model",
		"type": "type_model", "priority": "priority_model"}
	keyOf := map[string]string{}
	for _, r := range outbox.Catalogue {
		for _, ev := range r.Events {
			keyOf[ev.Name] = r.PayloadKey
		}
	}
	seen := map[string]bool{}
	bodies := rec.got("/all")
	if len(bodies) != 8 {
		t.Fatalf("received %d deliveries, want 8", len(bodies))
	}
	for _, b := range bodies {
		action := b["action"].(string)
		res, _ := b[keyOf[action]].(map[string]any)
		emb, ok := res["_embedded"].(map[string]any)
		if !ok {
			t.Errorf("%s payload has no _embedded: %v", action, res)
			continue
		}
		got := keysOf(emb)
		switch {
		case action == outbox.ProjectCreated && res["id"].(float64) == 2:
			if fmt.Sprint(got) != "[parent]" {
				t.Errorf("subproject's payload embeds %v, want its parent", got)
			}
		case action == outbox.TimeEntryCreated && res["id"].(float64) == 2:
			if fmt.Sprint(got) != "[project user]" {
				t.Errorf("project time entry's payload embeds %v", got)
			}
		default:
			if fmt.Sprint(got) != fmt.Sprint(want[action]) {
				t.Errorf("%s payload embeds %v, want %v", action, got, want[action])
			}
		}
		seen[action] = true
		for k, v := range emb {
			raw, _ := json.Marshal(v)
			conforms(t, schema(schemaOf[k]), action+" embedded "+k, raw)
			if _, nested := v.(map[string]any)["_embedded"]; nested {
				t.Errorf("%s: embedded %s embeds again", action, k)
			}
		}
	}
	for action := range want {
		if !seen[action] {
			t.Errorf("no %s delivered", action)
		}
	}
	// The API's single representations embed the same.
	for path, want := range map[string]string{
		"/api/v3/projects/2": "[parent]", "/api/v3/activities/1": "[workPackage]", "/api/v3/time_entries/1": "[project user workPackage]",
		"/api/v3/attachments/1": "[author container]", "/api/v3/work_packages/1": "[author priority project status type]",
	} {
		r := e.do("GET", path, "", bearer(e.adminTok))
		emb, _ := r.json(t)["_embedded"].(map[string]any)
		if fmt.Sprint(keysOf(emb)) != want {
			t.Errorf("GET %s embeds %v, want %s", path, keysOf(emb), want)
		}
	}
	// Collections do not embed in their elements.
	for _, path := range []string{"/api/v3/projects", "/api/v3/time_entries", "/api/v3/work_packages/1/activities", "/api/v3/work_packages/1/attachments"} {
		if r := e.do("GET", path, "", bearer(e.adminTok)); strings.Count(r.body, `"_embedded"`) != 1 {
			t.Errorf("GET %s: elements embed: %s", path, r.body)
		}
	}
}

// Deleting a project tells the webhooks that subscribe to
// work_package:deleted (for all projects or for that project) about each of
// its work packages, with their last representation, before project:deleted.
func TestProjectDeleteSendsWorkPackageDeleted(t *testing.T) {
	e := newEnv(t)
	rec := newReceiver(t)
	hook := func(name, path, events, projects string) scenario {
		body := `{"name":"` + name + `","url":"` + rec.srv.URL + path + `","events":` + events + projects + `}`
		return scenario{name, "POST", "/api/admin/webhooks", body, "admin", nil, 201, nil, nil}
	}
	e.run(t, []scenario{
		{"project", "POST", "/api/v3/projects", `{"identifier":"demo","name":"Demo"}`, "admin", nil, 201, nil, []string{outbox.ProjectCreated}},
		{"other project", "POST", "/api/v3/projects", `{"identifier":"other","name":"Other"}`, "admin", nil, 201, nil, []string{outbox.ProjectCreated}},
		hook("All", "/all", `["work_package:deleted","project:deleted"]`, ""),
		hook("Selected", "/selected", `["work_package:deleted"]`, `,"allProjects":false,"projectIds":[1]`),
		hook("Other", "/other", `["work_package:deleted"]`, `,"allProjects":false,"projectIds":[2]`),
		hook("Projects only", "/projects", `["project:deleted"]`, ""),
		{"first", "POST", "/api/v3/work_packages", wpBody("First", ""), "admin", nil, 201, nil, []string{outbox.WorkPackageCreated}},
		{"second", "POST", "/api/v3/work_packages", wpBody("Second", ""), "admin", nil, 201, nil, []string{outbox.WorkPackageCreated}},
		{"third", "POST", "/api/v3/work_packages", wpBody("Third", ""), "admin", nil, 201, nil, []string{outbox.WorkPackageCreated}},
		{"elsewhere", "POST", "/api/v3/projects/2/work_packages", `{"subject":"Stays"}`, "admin", nil, 201, nil, []string{outbox.WorkPackageCreated}},
		{"time on the first", "POST", "/api/v3/time_entries", `{"hours":"PT2H","spentOn":"2026-11-27","_links":{"workPackage":{"href":"/api/v3/work_packages/1"}}}`, "admin", nil, 201, nil, []string{outbox.TimeEntryCreated}},
		{"delete the project", "DELETE", "/api/v3/projects/1", "", "admin", nil, 204, nil,
			[]string{outbox.WorkPackageDeleted, outbox.WorkPackageDeleted, outbox.WorkPackageDeleted, outbox.ProjectDeleted}},
		{"its work packages are gone", "GET", "/api/v3/work_packages/1", "", "admin", nil, 404, nil, nil},
		{"others stay", "GET", "/api/v3/work_packages/4", "", "admin", nil, 200, nil, nil},
	})
	e.deliverAll()
	subjects := func(path string) []string {
		var out []string
		for _, b := range rec.got(path) {
			if b["action"] != outbox.WorkPackageDeleted {
				continue
			}
			wp := b["work_package"].(map[string]any)
			emb := wp["_embedded"].(map[string]any)
			out = append(out, fmt.Sprintf("%v/%v/%v/%v", wp["id"], wp["subject"], emb["project"].(map[string]any)["id"], wp["spentTime"]))
		}
		slices.Sort(out)
		return out
	}
	want := "[1/First/1/PT2H 2/Second/1/PT0S 3/Third/1/PT0S]"
	if got := fmt.Sprint(subjects("/all")); got != want {
		t.Errorf("all projects: %s, want %s", got, want)
	}
	if got := fmt.Sprint(subjects("/selected")); got != want {
		t.Errorf("selected project: %s, want %s", got, want)
	}
	if got := rec.got("/other"); len(got) != 0 {
		t.Errorf("a webhook for another project got %d deliveries", len(got))
	}
	if got := rec.got("/projects"); len(got) != 1 || got[0]["action"] != outbox.ProjectDeleted {
		t.Errorf("a webhook for project:deleted only got %v", got)
	}
	if all := rec.got("/all"); len(all) != 4 {
		t.Errorf("all projects: %d deliveries, want 3 work_package:deleted and project:deleted", len(all))
	}

	// Many work packages: batches of rows, every one recorded with its deliveries.
	ctx := context.Background()
	p, err := e.tracker.CreateProject(ctx, e.admin, tracker.ProjectInput{Identifier: ptrTo("big"), Name: ptrTo("Big")})
	if err != nil {
		t.Fatal(err)
	}
	const n = 250 // over the 200 loaded and the 100 inserted at a time
	createWorkPackages(t, e.tracker, e.admin, p.ID, n)
	before := e.lastEventID()
	if r := e.do("DELETE", fmt.Sprintf("/api/v3/projects/%d", p.ID), "", bearer(e.adminTok)); r.status != 204 {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	var events, ids, deliveries int
	_ = e.store.Read.NewRaw(`SELECT count(*), count(DISTINCT resource_id) FROM events WHERE id > ? AND name = ?`, before, outbox.WorkPackageDeleted).Scan(ctx, &events, &ids)
	_ = e.store.Read.NewRaw(`SELECT count(*) FROM deliveries d JOIN events ev ON ev.id = d.event_id WHERE ev.id > ? AND ev.name = ?`, before, outbox.WorkPackageDeleted).Scan(ctx, &deliveries)
	if events != n || ids != n || deliveries != n { // only "All" subscribes to this project
		t.Errorf("%d work packages: %d events for %d of them, %d deliveries", n, events, ids, deliveries)
	}
}

func ptrTo[T any](v T) *T { return &v }

// createWorkPackages adds n work packages to a project through the service,
// several at a time, as concurrent requests would.
func createWorkPackages(t testing.TB, tr *tracker.Service, actor auth.User, projectID int64, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 16)
	for i := range n {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			_, err := tr.CreateWorkPackage(context.Background(), actor, tracker.WorkPackageInput{Subject: ptrTo(fmt.Sprintf("Task %d", i)), ProjectID: &projectID})
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
}

// spentTime in a collection is each work package's sum, as on the single
// resource.
func TestSpentTimeInCollections(t *testing.T) {
	e := newEnv(t)
	e.run(t, []scenario{
		{"project", "POST", "/api/v3/projects", `{"identifier":"demo","name":"Demo","public":true}`, "admin", nil, 201, nil, []string{outbox.ProjectCreated}},
		{"first", "POST", "/api/v3/work_packages", wpBody("First", ""), "admin", nil, 201, nil, []string{outbox.WorkPackageCreated}},
		{"second", "POST", "/api/v3/work_packages", wpBody("Second", ""), "admin", nil, 201, nil, []string{outbox.WorkPackageCreated}},
		{"third", "POST", "/api/v3/work_packages", wpBody("Third", ""), "admin", nil, 201, nil, []string{outbox.WorkPackageCreated}},
	})
	for _, x := range []struct {
		wp    int
		hours string
	}{{1, "PT1H30M"}, {1, "PT2H"}, {3, "P1DT1H"}} {
		body := `{"hours":"` + x.hours + `","spentOn":"2026-11-27","_links":{"workPackage":{"href":"/api/v3/work_packages/` + fmt.Sprint(x.wp) + `"}}}`
		if r := e.do("POST", "/api/v3/time_entries", body, bearer(e.adminTok)); r.status != 201 {
			t.Fatalf("log time: %d %s", r.status, r.body)
		}
	}
	want := map[float64]string{1: "PT3H30M", 2: "PT0S", 3: "P1DT1H"}
	for _, path := range []string{"/api/v3/work_packages?filters=[]", "/api/v3/projects/1/work_packages?filters=[]&pageSize=2&offset=1", "/api/v3/projects/1/work_packages?filters=[]&pageSize=2&offset=2"} {
		r := e.do("GET", path, "", bearer(e.userTok))
		elems := r.json(t)["_embedded"].(map[string]any)["elements"].([]any)
		if len(elems) == 0 {
			t.Fatalf("%s: no elements: %s", path, r.body)
		}
		for _, el := range elems {
			wp := el.(map[string]any)
			if wp["spentTime"] != want[wp["id"].(float64)] {
				t.Errorf("%s: work package %v spentTime %v, want %s", path, wp["id"], wp["spentTime"], want[wp["id"].(float64)])
			}
			single := e.do("GET", fmt.Sprintf("/api/v3/work_packages/%v", wp["id"]), "", bearer(e.userTok)).json(t)
			if single["spentTime"] != wp["spentTime"] {
				t.Errorf("work package %v: %v in the collection, %v alone", wp["id"], wp["spentTime"], single["spentTime"])
			}
		}
	}
}

// A work package's activities are its creation, every change and its
// comments, as OpenProject's journals, in version order; each answers alone.
func TestJournalsAsActivities(t *testing.T) {
	schema := openProjectSchemas(t)
	e := newEnv(t)
	e.run(t, []scenario{
		{"project", "POST", "/api/v3/projects", `{"identifier":"demo","name":"Demo","public":true}`, "admin", nil, 201, nil, []string{outbox.ProjectCreated}},
		{"create", "POST", "/api/v3/work_packages", wpBody("Draft", `,"description":{"raw":"Text"},"estimatedTime":"PT2H"`), "user", nil, 201, nil, []string{outbox.WorkPackageCreated}},
		{"change", "PATCH", "/api/v3/work_packages/1", `{"lockVersion":0,"subject":"Final","_links":{"status":{"href":"/api/v3/statuses/7"}}}`, "user", nil, 200, nil, []string{outbox.WorkPackageUpdated}},
		{"comment", "POST", "/api/v3/work_packages/1/activities", `{"comment":{"raw":"Looks **good**"}}`, "user", nil, 201, []string{`"_type":"Activity::Comment","id":1,"version":3`}, []string{outbox.CommentCreated}},
		{"assign and clear", "PATCH", "/api/v3/work_packages/1", `{"lockVersion":1,"estimatedTime":null,"description":{"raw":"New text"},"_links":{"assignee":{"href":"/api/v3/users/1"}}}`, "user", nil, 200, nil, []string{outbox.WorkPackageUpdated}},
		{"a change that changes nothing", "PATCH", "/api/v3/work_packages/1", `{"lockVersion":2,"subject":"Final"}`, "user", nil, 200, nil, []string{outbox.WorkPackageUpdated}},
	})
	r := e.do("GET", "/api/v3/work_packages/1/activities", "", bearer(e.userTok))
	if r.status != 200 {
		t.Fatalf("activities: %d %s", r.status, r.body)
	}
	var coll struct {
		Total    int `json:"total"`
		Embedded struct {
			Elements []json.RawMessage `json:"elements"`
		} `json:"_embedded"`
	}
	if err := json.Unmarshal([]byte(r.body), &coll); err != nil {
		t.Fatal(err)
	}
	type activity struct {
		Type    string `json:"_type"`
		ID      int64  `json:"id"`
		Version int    `json:"version"`
		Comment struct {
			Raw string `json:"raw"`
		} `json:"comment"`
		Details []struct {
			Format, Raw, HTML string
		} `json:"details"`
		Links map[string]struct {
			Href *string `json:"href"`
		} `json:"_links"`
	}
	want := []struct {
		typ     string
		version int
		user    string
		details []string
	}{
		{"Activity", 1, "/api/v3/users/2", []string{"Subject set to Draft", "Description set", "Type set to Task", "Project set to Demo",
			"Status set to New", "Priority set to Normal", "Work set to 2h"}},
		{"Activity", 2, "/api/v3/users/2", []string{"Subject changed from Draft to Final", "Status changed from New to In progress"}},
		{"Activity::Comment", 3, "/api/v3/users/2", nil},
		{"Activity", 4, "/api/v3/users/2", []string{"Description changed", "Assignee set to Admin Doe", "Work deleted (2h)"}},
	}
	if coll.Total != len(want) || len(coll.Embedded.Elements) != len(want) {
		t.Fatalf("%d activities, want %d: %s", coll.Total, len(want), r.body)
	}
	for i, raw := range coll.Embedded.Elements {
		var a activity
		_ = json.Unmarshal(raw, &a)
		w := want[i]
		var details []string
		for _, d := range a.Details {
			details = append(details, d.Raw)
			if d.Format != "custom" || !strings.HasPrefix(d.HTML, "<strong>") {
				t.Errorf("activity %d: detail %+v is not OpenProject's custom format", i, d)
			}
		}
		if a.Type != w.typ || a.Version != w.version || fmt.Sprint(details) != fmt.Sprint(w.details) || *a.Links["user"].Href != w.user {
			t.Errorf("activity %d: %s v%d by %s %q, want %s v%d by %s %q", i, a.Type, a.Version, *a.Links["user"].Href, details, w.typ, w.version, w.user, w.details)
		}
		if *a.Links["workPackage"].Href != "/api/v3/work_packages/1" {
			t.Errorf("activity %d links to %s", i, *a.Links["workPackage"].Href)
		}
		conforms(t, schema("activity_model"), fmt.Sprintf("activity %d", i), raw)
		single := e.do("GET", *a.Links["self"].Href, "", bearer(e.userTok))
		if single.status != 200 || !strings.Contains(single.body, fmt.Sprintf(`"_type":"%s","id":%d,"version":%d`, a.Type, a.ID, a.Version)) {
			t.Errorf("GET %s: %d %s", *a.Links["self"].Href, single.status, single.body)
		}
		conforms(t, schema("activity_model"), "GET "+*a.Links["self"].Href, []byte(single.body))
	}
	if html := e.do("GET", "/api/v3/work_packages/1/activities", "", bearer(e.userTok)).body; !strings.Contains(html, `"html":"<strong>Status</strong> changed from <i>New</i> to <i>In progress</i>"`) {
		t.Errorf("status change html: %s", html)
	}
	e.run(t, []scenario{
		{"the comment keeps its id", "GET", "/api/v3/activities/1", "", "user", nil, 200, []string{`"_type":"Activity::Comment","id":1,`, `"raw":"Looks **good**"`}, nil},
		{"an unknown journal", "GET", "/api/v3/activities/1000000099", "", "user", nil, 404, nil, nil},
		{"delete", "DELETE", "/api/v3/work_packages/1", "", "admin", nil, 204, nil, []string{outbox.WorkPackageDeleted}},
		{"journals go with it", "GET", "/api/v3/activities/1000000001", "", "admin", nil, 404, nil, nil},
	})
}
