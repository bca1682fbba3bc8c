package httpapi

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/hookpost/hookpost/backend/outbox"
)

// scenario is one request of a stateful, ordered table (PocketBase's
// ApiScenario): the status, fragments of the body, and exactly the events
// the request must record.
type scenario struct {
	name     string
	method   string
	url      string
	body     string
	as       string // "admin", "user" or "" for no credentials
	headers  []string
	status   int
	contains []string
	events   []string
}

func (e *env) run(t *testing.T, scenarios []scenario) {
	t.Helper()
	for _, sc := range scenarios {
		t.Run(sc.name, func(t *testing.T) {
			before := e.lastEventID()
			headers := append([]string{}, sc.headers...)
			switch sc.as {
			case "admin":
				headers = append(headers, bearer(e.adminTok))
			case "user":
				headers = append(headers, bearer(e.userTok))
			}
			r := e.do(sc.method, sc.url, sc.body, headers...)
			if r.status != sc.status {
				t.Fatalf("%s %s: status %d, want %d: %s", sc.method, sc.url, r.status, sc.status, r.body)
			}
			for _, frag := range sc.contains {
				if !strings.Contains(r.body, frag) {
					t.Errorf("body lacks %s:\n%s", frag, r.body)
				}
			}
			events, err := outbox.Since(context.Background(), e.store.Read, before, 100)
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, ev := range events {
				names = append(names, ev.Name)
			}
			if fmt.Sprint(names) != fmt.Sprint(sc.events) {
				t.Errorf("events %v, want %v", names, sc.events)
			}
		})
	}
}

func (e *env) lastEventID() int64 {
	var id int64
	_ = e.store.Read.NewRaw("SELECT coalesce(max(id), 0) FROM events").Scan(context.Background(), &id)
	return id
}

const json415 = "Content-Type: text/plain"

func TestProjectRoutes(t *testing.T) {
	e := newEnv(t)
	e.run(t, []scenario{
		{"create", "POST", "/api/v3/projects", `{"identifier":"demo","name":"Demo","public":true,"description":{"raw":"Hi"}}`, "admin", nil, 201, []string{`"identifier":"demo"`, `"raw":"Hi"`}, []string{outbox.ProjectCreated}},
		{"create private", "POST", "/api/v3/projects", `{"identifier":"secret","name":"Secret"}`, "admin", nil, 201, []string{`"public":false`}, []string{outbox.ProjectCreated}},
		{"create as non-admin", "POST", "/api/v3/projects", `{"identifier":"mine","name":"Mine"}`, "user", nil, 403, []string{"MissingPermission"}, nil},
		{"create without credentials", "POST", "/api/v3/projects", `{"identifier":"x","name":"X"}`, "", nil, 401, []string{"Unauthenticated"}, nil},
		{"duplicate identifier", "POST", "/api/v3/projects", `{"identifier":"demo","name":"Again"}`, "admin", nil, 422, []string{"PropertyConstraintViolation", `"attribute":"identifier"`, "already been taken"}, nil},
		{"bad identifier", "POST", "/api/v3/projects", `{"identifier":"Bad Id","name":"X"}`, "admin", nil, 422, []string{`"attribute":"identifier"`}, nil},
		// Without a name there is nothing to derive the identifier from: the
		// name is what is missing (OpenProject's answer).
		{"missing name and identifier", "POST", "/api/v3/projects", `{}`, "admin", nil, 422, []string{"PropertyConstraintViolation", `"attribute":"name"`, "Name can't be blank"}, nil},
		{"name of the wrong type", "POST", "/api/v3/projects", `{"identifier":"t","name":5}`, "admin", nil, 422, []string{"PropertyFormatError", `"attribute":"name"`}, nil},
		{"createdAt while the setting is off", "POST", "/api/v3/projects", `{"identifier":"old","name":"Old","createdAt":"2020-01-01T00:00:00Z"}`, "admin", nil, 422, []string{"PropertyIsReadOnly", `"attribute":"createdAt"`}, nil},
		{"updatedAt is never writable", "POST", "/api/v3/projects", `{"identifier":"upd","name":"U","updatedAt":"2020-01-01T00:00:00Z"}`, "admin", nil, 422, []string{"PropertyIsReadOnly", `"attribute":"updatedAt"`}, nil},
		{"unknown parent", "POST", "/api/v3/projects", `{"identifier":"child","name":"C","_links":{"parent":{"href":"/api/v3/projects/99"}}}`, "admin", nil, 422, []string{`"attribute":"parent"`}, nil},
		{"parent link to another resource type", "POST", "/api/v3/projects", `{"identifier":"child","name":"C","_links":{"parent":{"href":"/api/v3/users/1"}}}`, "admin", nil, 422, []string{"ResourceTypeMismatch"}, nil},
		{"child", "POST", "/api/v3/projects", `{"identifier":"child","name":"Child","_links":{"parent":{"href":"/api/v3/projects/1"}}}`, "admin", nil, 201, []string{`"parent":{"href":"/api/v3/projects/1","title":"Demo"}`}, []string{outbox.ProjectCreated}},
		{"wrong content type", "POST", "/api/v3/projects", `identifier=x`, "admin", []string{json415}, 415, []string{"TypeNotSupported"}, nil},
		{"malformed JSON", "POST", "/api/v3/projects", `{"identifier":`, "admin", nil, 400, []string{"InvalidRequestBody"}, nil},
		{"get", "GET", "/api/v3/projects/1", "", "user", nil, 200, []string{`"_type":"Project"`}, nil},
		{"private project is invisible to others", "GET", "/api/v3/projects/2", "", "user", nil, 404, []string{"NotFound"}, nil},
		{"list as user shows public only", "GET", "/api/v3/projects", "", "user", nil, 200, []string{`"total":1`}, nil},
		{"list as admin", "GET", "/api/v3/projects?sortBy=[[\"name\",\"desc\"]]", "", "admin", nil, 200, []string{`"total":3`}, nil},
		{"filter active", "GET", "/api/v3/projects?filters=" + url.QueryEscape(`[{"active":{"operator":"=","values":["t"]}}]`), "", "admin", nil, 200, []string{`"total":3`}, nil},
		{"unknown project", "GET", "/api/v3/projects/99", "", "admin", nil, 404, []string{"NotFound"}, nil},
		{"non-numeric id", "GET", "/api/v3/projects/abc", "", "admin", nil, 404, nil, nil},
		{"update", "PATCH", "/api/v3/projects/1", `{"name":"Demo project","active":true}`, "admin", nil, 200, []string{`"name":"Demo project"`}, []string{outbox.ProjectUpdated}},
		{"update as non-admin", "PATCH", "/api/v3/projects/1", `{"name":"Mine"}`, "user", nil, 403, nil, nil},
		{"update own parent to a child", "PATCH", "/api/v3/projects/1", `{"_links":{"parent":{"href":"/api/v3/projects/3"}}}`, "admin", nil, 422, []string{"subprojects"}, nil},
		{"createdAt on update", "PATCH", "/api/v3/projects/1", `{"createdAt":"2020-01-01T00:00:00Z"}`, "admin", nil, 422, []string{"PropertyIsReadOnly"}, nil},
		{"delete with subprojects", "DELETE", "/api/v3/projects/1", "", "admin", nil, 422, []string{"subprojects"}, nil},
		{"delete child", "DELETE", "/api/v3/projects/3", "", "admin", nil, 204, nil, []string{outbox.ProjectDeleted}},
		{"delete as non-admin", "DELETE", "/api/v3/projects/1", "", "user", nil, 403, nil, nil},
		{"deleted is gone", "GET", "/api/v3/projects/3", "", "admin", nil, 404, nil, nil},
	})
	e.patchSettings(`{"writeReadonlyAttributes":true}`)
	e.run(t, []scenario{
		{"createdAt with the setting on", "POST", "/api/v3/projects", `{"identifier":"old","name":"Old","createdAt":"2020-01-01T10:00:00Z"}`, "admin", nil, 201, []string{`"createdAt":"2020-01-01T10:00:00.000Z"`}, []string{outbox.ProjectCreated}},
		{"updatedAt stays read-only with the setting on", "POST", "/api/v3/projects", `{"identifier":"old2","name":"Old","updatedAt":"2020-01-01T10:00:00Z"}`, "admin", nil, 422, []string{"PropertyIsReadOnly"}, nil},
	})
}

func wpBody(subject string, extra string) string {
	return `{"subject":"` + subject + `"` + extra + `,"_links":{"project":{"href":"/api/v3/projects/1"}}}`
}

func TestWorkPackageRoutes(t *testing.T) {
	e := newEnv(t)
	e.run(t, []scenario{
		{"project", "POST", "/api/v3/projects", `{"identifier":"demo","name":"Demo","public":true}`, "admin", nil, 201, nil, []string{outbox.ProjectCreated}},
		{"private project", "POST", "/api/v3/projects", `{"identifier":"private","name":"Private"}`, "admin", nil, 201, nil, []string{outbox.ProjectCreated}},
		{"create with defaults", "POST", "/api/v3/work_packages", wpBody("First", ""), "user", nil, 201,
			[]string{`"lockVersion":0`, `"status":{"href":"/api/v3/statuses/1","title":"New"}`, `"type":{"href":"/api/v3/types/1","title":"Task"}`, `"priority":{"href":"/api/v3/priorities/2","title":"Normal"}`, `"author":{"href":"/api/v3/users/2"`, `"_embedded":{"project":`}, []string{outbox.WorkPackageCreated}},
		{"create in a project's collection", "POST", "/api/v3/projects/1/work_packages", `{"subject":"Second","estimatedTime":"P1DT2H","percentageDone":50,"startDate":"2026-01-01","dueDate":"2026-01-31","_links":{"assignee":{"href":"/api/v3/users/1"},"status":{"href":"/api/v3/statuses/7"}}}`, "admin", nil, 201,
			[]string{`"estimatedTime":"P1DT2H"`, `"percentageDone":50`, `"assignee":{"href":"/api/v3/users/1"`, `"title":"In progress"`}, []string{outbox.WorkPackageCreated}},
		{"missing subject", "POST", "/api/v3/work_packages", wpBody("", ""), "admin", nil, 422, []string{"PropertyConstraintViolation", `"attribute":"subject"`}, nil},
		{"missing project", "POST", "/api/v3/work_packages", `{"subject":"x"}`, "admin", nil, 422, []string{`"attribute":"project"`}, nil},
		{"private project for a non-admin", "POST", "/api/v3/work_packages", `{"subject":"x","_links":{"project":{"href":"/api/v3/projects/2"}}}`, "user", nil, 422, []string{`"attribute":"project"`}, nil},
		{"unknown status", "POST", "/api/v3/work_packages", `{"subject":"x","_links":{"project":{"href":"/api/v3/projects/1"},"status":{"href":"/api/v3/statuses/99"}}}`, "admin", nil, 422, []string{`"attribute":"status"`}, nil},
		{"status link of the wrong type", "POST", "/api/v3/work_packages", `{"subject":"x","_links":{"project":{"href":"/api/v3/projects/1"},"status":{"href":"/api/v3/types/1"}}}`, "admin", nil, 422, []string{"ResourceTypeMismatch"}, nil},
		{"due before start", "POST", "/api/v3/work_packages", wpBody("x", `,"startDate":"2026-02-01","dueDate":"2026-01-01"`), "admin", nil, 422, []string{`"attribute":"dueDate"`}, nil},
		{"bad date", "POST", "/api/v3/work_packages", wpBody("x", `,"startDate":"01/02/2026"`), "admin", nil, 422, []string{"PropertyFormatError", `"attribute":"startDate"`}, nil},
		{"bad duration", "POST", "/api/v3/work_packages", wpBody("x", `,"estimatedTime":"4 hours"`), "admin", nil, 422, []string{"PropertyFormatError", `"attribute":"estimatedTime"`}, nil},
		{"percentage out of range", "POST", "/api/v3/work_packages", wpBody("x", `,"percentageDone":101`), "admin", nil, 422, []string{`"attribute":"percentageDone"`}, nil},
		{"several errors", "POST", "/api/v3/work_packages", wpBody("", `,"percentageDone":101`), "admin", nil, 422, []string{"MultipleErrors"}, nil},
		{"author while the setting is off", "POST", "/api/v3/work_packages", `{"subject":"x","_links":{"project":{"href":"/api/v3/projects/1"},"author":{"href":"/api/v3/users/2"}}}`, "admin", nil, 422, []string{"PropertyIsReadOnly", `"attribute":"author"`}, nil},
		{"wrong content type", "POST", "/api/v3/work_packages", wpBody("x", ""), "admin", []string{json415}, 415, []string{"TypeNotSupported"}, nil},
		{"without credentials", "POST", "/api/v3/work_packages", wpBody("x", ""), "", nil, 401, nil, nil},
		{"get embeds", "GET", "/api/v3/work_packages/1", "", "user", nil, 200, []string{`"_embedded"`, `"spentTime":"PT0S"`}, nil},
		{"unknown", "GET", "/api/v3/work_packages/99", "", "admin", nil, 404, []string{"NotFound"}, nil},
		{"update", "PATCH", "/api/v3/work_packages/1", `{"subject":"First, renamed","lockVersion":0,"_links":{"status":{"href":"/api/v3/statuses/12"}}}`, "user", nil, 200, []string{`"lockVersion":1`, `"subject":"First, renamed"`, `"title":"Closed"`}, []string{outbox.WorkPackageUpdated}},
		{"stale lockVersion", "PATCH", "/api/v3/work_packages/1", `{"subject":"Lost update","lockVersion":0}`, "user", nil, 409, []string{"UpdateConflict"}, nil},
		{"missing lockVersion", "PATCH", "/api/v3/work_packages/1", `{"subject":"No lock"}`, "user", nil, 422, []string{"PropertyMissingError", `"attribute":"lockVersion"`}, nil},
		{"createdAt on update", "PATCH", "/api/v3/work_packages/1", `{"createdAt":"2020-01-01T00:00:00Z","lockVersion":1}`, "admin", nil, 422, []string{"PropertyIsReadOnly"}, nil},
		{"updatedAt", "PATCH", "/api/v3/work_packages/1", `{"updatedAt":"2020-01-01T00:00:00Z","lockVersion":1}`, "admin", nil, 422, []string{"PropertyIsReadOnly", `"attribute":"updatedAt"`}, nil},
		{"clear assignee", "PATCH", "/api/v3/work_packages/2", `{"lockVersion":0,"_links":{"assignee":{"href":null}}}`, "admin", nil, 200, []string{`"assignee":{"href":null}`}, []string{outbox.WorkPackageUpdated}},
		{"delete as neither author nor assignee", "DELETE", "/api/v3/work_packages/2", "", "user", nil, 403, []string{"MissingPermission"}, nil},
		{"delete", "DELETE", "/api/v3/work_packages/2", "", "admin", nil, 204, nil, []string{outbox.WorkPackageDeleted}},
		{"deleted is gone", "GET", "/api/v3/work_packages/2", "", "admin", nil, 404, nil, nil},
		{"delete unknown", "DELETE", "/api/v3/work_packages/2", "", "admin", nil, 404, nil, nil},
		{"in the private project", "POST", "/api/v3/projects/2/work_packages", `{"subject":"Hidden"}`, "admin", nil, 201, nil, []string{outbox.WorkPackageCreated}},
		{"admin counts every project", "GET", "/api/v3/work_packages?filters=%5B%5D&pageSize=0", "", "admin", nil, 200, []string{`"total":2`}, nil},
		{"others count public projects only", "GET", "/api/v3/work_packages?filters=%5B%5D&pageSize=0", "", "user", nil, 200, []string{`"total":1`}, nil},
		{"and see them only", "GET", "/api/v3/work_packages?filters=%5B%5D", "", "user", nil, 200, []string{`"total":1`, `"subject":"First, renamed"`}, nil},
		{"a private work package is not found", "GET", "/api/v3/work_packages/3", "", "user", nil, 404, nil, nil},
	})
	e.patchSettings(`{"writeReadonlyAttributes":true}`)
	e.run(t, []scenario{
		{"author and createdAt as admin with the setting on", "POST", "/api/v3/work_packages", `{"subject":"Imported","createdAt":"2019-05-01T08:00:00Z","_links":{"project":{"href":"/api/v3/projects/1"},"author":{"href":"/api/v3/users/2"}}}`, "admin", nil, 201,
			[]string{`"createdAt":"2019-05-01T08:00:00.000Z"`, `"author":{"href":"/api/v3/users/2"`}, []string{outbox.WorkPackageCreated}},
		{"author as non-admin with the setting on", "POST", "/api/v3/work_packages", `{"subject":"x","_links":{"project":{"href":"/api/v3/projects/1"},"author":{"href":"/api/v3/users/1"}}}`, "user", nil, 422, []string{"PropertyIsReadOnly"}, nil},
		{"updatedAt with the setting on", "POST", "/api/v3/work_packages", wpBody("x", `,"updatedAt":"2019-05-01T08:00:00Z"`), "admin", nil, 422, []string{"PropertyIsReadOnly", `"attribute":"updatedAt"`}, nil},
	})
}

func TestCommentsTimeEntriesAttachments(t *testing.T) {
	e := newEnv(t)
	e.run(t, []scenario{
		{"project", "POST", "/api/v3/projects", `{"identifier":"demo","name":"Demo","public":true}`, "admin", nil, 201, nil, []string{outbox.ProjectCreated}},
		{"work package", "POST", "/api/v3/work_packages", wpBody("Task", ""), "user", nil, 201, nil, []string{outbox.WorkPackageCreated}},

		{"comment", "POST", "/api/v3/work_packages/1/activities", `{"comment":{"raw":"First\n\nSecond <b>"}}`, "user", nil, 201, []string{`"_type":"Activity::Comment"`, `"html":"<p class=\"op-uc-p\">First</p>\n<p class=\"op-uc-p\">Second &lt;b&gt;</p>"`}, []string{outbox.CommentCreated}},
		{"blank comment", "POST", "/api/v3/work_packages/1/activities", `{"comment":{"raw":"  "}}`, "user", nil, 422, []string{`"attribute":"comment"`}, nil},
		{"comment of the wrong shape", "POST", "/api/v3/work_packages/1/activities", `{"comment":"text"}`, "user", nil, 422, []string{"PropertyFormatError"}, nil},
		{"comment on an unknown work package", "POST", "/api/v3/work_packages/9/activities", `{"comment":{"raw":"x"}}`, "user", nil, 404, nil, nil},
		{"list comments", "GET", "/api/v3/work_packages/1/activities", "", "user", nil, 200, []string{`"total":2`, `"_type":"Activity","id":1000000001,"version":1`, `"_type":"Activity::Comment","id":1,"version":2`}, nil},
		{"get comment", "GET", "/api/v3/activities/1", "", "user", nil, 200, []string{`"_type":"Activity::Comment"`}, nil},

		{"log time", "POST", "/api/v3/time_entries", `{"hours":"PT1H30M","spentOn":"2026-11-27","comment":{"raw":"Review"},"_links":{"workPackage":{"href":"/api/v3/work_packages/1"}}}`, "user", nil, 201, []string{`"hours":"PT1H30M"`, `"project":{"href":"/api/v3/projects/1"`, `"user":{"href":"/api/v3/users/2"`}, []string{outbox.TimeEntryCreated}},
		{"log time on a project", "POST", "/api/v3/time_entries", `{"hours":"PT8H","spentOn":"2026-11-26","_links":{"project":{"href":"/api/v3/projects/1"}}}`, "admin", nil, 201, []string{`"workPackage":{"href":null}`}, []string{outbox.TimeEntryCreated}},
		{"hours missing", "POST", "/api/v3/time_entries", `{"spentOn":"2026-11-27","_links":{"project":{"href":"/api/v3/projects/1"}}}`, "user", nil, 422, []string{`"attribute":"hours"`}, nil},
		{"hours zero", "POST", "/api/v3/time_entries", `{"hours":"PT0H","spentOn":"2026-11-27","_links":{"project":{"href":"/api/v3/projects/1"}}}`, "user", nil, 422, []string{`"attribute":"hours"`}, nil},
		{"hours not a duration", "POST", "/api/v3/time_entries", `{"hours":"2","spentOn":"2026-11-27","_links":{"project":{"href":"/api/v3/projects/1"}}}`, "user", nil, 422, []string{"PropertyFormatError"}, nil},
		{"spentOn missing", "POST", "/api/v3/time_entries", `{"hours":"PT1H","_links":{"project":{"href":"/api/v3/projects/1"}}}`, "user", nil, 422, []string{`"attribute":"spentOn"`}, nil},
		{"time for someone else as non-admin", "POST", "/api/v3/time_entries", `{"hours":"PT1H","spentOn":"2026-11-27","_links":{"project":{"href":"/api/v3/projects/1"},"user":{"href":"/api/v3/users/1"}}}`, "user", nil, 422, []string{`"attribute":"user"`}, nil},
		{"list time entries", "GET", "/api/v3/time_entries?filters=" + url.QueryEscape(`[{"user":{"operator":"=","values":["me"]}}]`), "", "user", nil, 200, []string{`"total":1`}, nil},
		{"filter by work package", "GET", "/api/v3/time_entries?filters=" + url.QueryEscape(`[{"workPackage":{"operator":"=","values":["1"]}}]`), "", "admin", nil, 200, []string{`"total":1`}, nil},
		{"spentOn range", "GET", "/api/v3/time_entries?filters=" + url.QueryEscape(`[{"spentOn":{"operator":"<>d","values":["2026-11-26","2026-11-26"]}}]`), "", "admin", nil, 200, []string{`"total":1`, `"spentOn":"2026-11-26"`}, nil},
		{"spent time on the work package", "GET", "/api/v3/work_packages/1", "", "admin", nil, 200, []string{`"spentTime":"PT1H30M"`}, nil},
		{"update own entry", "PATCH", "/api/v3/time_entries/1", `{"hours":"PT2H"}`, "user", nil, 200, []string{`"hours":"PT2H"`}, []string{outbox.TimeEntryUpdated}},
		{"update another's entry", "PATCH", "/api/v3/time_entries/2", `{"hours":"PT2H"}`, "user", nil, 403, []string{"MissingPermission"}, nil},
		{"delete another's entry", "DELETE", "/api/v3/time_entries/2", "", "user", nil, 403, nil, nil},
		{"delete own entry", "DELETE", "/api/v3/time_entries/1", "", "user", nil, 204, nil, []string{outbox.TimeEntryDeleted}},
		{"unknown entry", "GET", "/api/v3/time_entries/1", "", "admin", nil, 404, nil, nil},

		{"upload needs multipart", "POST", "/api/v3/work_packages/1/attachments", `{"fileName":"x"}`, "user", nil, 415, []string{"TypeNotSupported"}, nil},
	})

	content := []byte("some bytes \x00\x01 of a file")
	r := e.upload(1, "report.bin", content, e.userTok)
	if r.status != 201 || !strings.Contains(r.body, `"fileName":"report.bin"`) || !strings.Contains(r.body, fmt.Sprintf(`"fileSize":%d`, len(content))) {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	dl := e.do("GET", "/api/v3/attachments/1/content", "", bearer(e.adminTok))
	if dl.status != 200 || dl.body != string(content) || !strings.Contains(dl.header.Get("Content-Disposition"), "report.bin") {
		t.Fatalf("download: %d %q %v", dl.status, dl.body, dl.header)
	}
	big := e.upload(1, "big.bin", make([]byte, 16<<20+1), e.userTok)
	if big.status != 413 || !strings.Contains(big.body, "16 MiB") {
		t.Fatalf("oversized upload: %d %s", big.status, big.body)
	}
	e.run(t, []scenario{
		{"attachments of the work package", "GET", "/api/v3/work_packages/1/attachments", "", "user", nil, 200, []string{`"total":1`}, nil},
		{"delete someone else's attachment", "DELETE", "/api/v3/attachments/1", "", "", []string{bearer(e.adminTok)}, 204, nil, nil},
		{"deleted attachment", "GET", "/api/v3/attachments/1", "", "admin", nil, 404, nil, nil},
	})
	var names []string
	events, _ := outbox.Since(context.Background(), e.store.Read, 0, 100)
	for _, ev := range events {
		names = append(names, ev.Name)
	}
	if !strings.Contains(fmt.Sprint(names), outbox.AttachmentCreated) || strings.Count(fmt.Sprint(names), outbox.AttachmentCreated) != 1 {
		t.Errorf("want exactly one attachment:created among %v", names)
	}
}
