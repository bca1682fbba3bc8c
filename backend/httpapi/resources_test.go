package httpapi

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/hookpost/hookpost/backend/outbox"
)

func filters(f string) string { return "filters=" + url.QueryEscape(f) }

// Time entry activities: OpenProject's defaults, set through _links.activity
// under either of its paths, returned on time entries, and filtered by.
func TestTimeEntryActivities(t *testing.T) {
	e := newEnv(t)
	e.run(t, []scenario{
		{"project", "POST", "/api/v3/projects", `{"identifier":"demo","name":"Demo","public":true}`, "admin", nil, 201, nil, []string{outbox.ProjectCreated}},
		{"private project", "POST", "/api/v3/projects", `{"identifier":"private","name":"Private"}`, "admin", nil, 201, nil, []string{outbox.ProjectCreated}},
		{"work package", "POST", "/api/v3/work_packages", wpBody("Task", ""), "user", nil, 201, nil, []string{outbox.WorkPackageCreated}},

		{"the default activity", "GET", "/api/v3/time_entries/activities/1", "", "user", nil, 200,
			[]string{`"_type":"TimeEntriesActivity"`, `"name":"Management"`, `"position":1`, `"default":true`,
				`"self":{"href":"/api/v3/time_entries/activities/1","title":"Management"}`, `"projects":[{"href":"/api/v3/projects/1","title":"Demo"}]`}, nil},
		{"at the documented path", "GET", "/api/v3/time_entries/activity/3", "", "user", nil, 200, []string{`"name":"Development"`, `"default":false`}, nil},
		{"an administrator sees every project", "GET", "/api/v3/time_entries/activities/6", "", "admin", nil, 200, []string{`"name":"Other"`, `"title":"Private"`}, nil},
		{"unknown activity", "GET", "/api/v3/time_entries/activities/7", "", "user", nil, 404, []string{"NotFound"}, nil},

		{"log time with an activity", "POST", "/api/v3/time_entries", `{"hours":"PT1H","spentOn":"2026-11-27","_links":{"workPackage":{"href":"/api/v3/work_packages/1"},"activity":{"href":"/api/v3/time_entries/activities/3"}}}`, "user", nil, 201,
			[]string{`"activity":{"href":"/api/v3/time_entries/activities/3","title":"Development"}`}, []string{outbox.TimeEntryCreated}},
		{"the activity is kept", "GET", "/api/v3/time_entries/1", "", "user", nil, 200, []string{`"activity":{"href":"/api/v3/time_entries/activities/3","title":"Development"}`}, nil},
		{"an activity at the documented path", "POST", "/api/v3/time_entries", `{"hours":"PT1H","spentOn":"2026-11-27","_links":{"project":{"href":"/api/v3/projects/1"},"activity":{"href":"/api/v3/time_entries/activity/4"}}}`, "user", nil, 201,
			[]string{`"activity":{"href":"/api/v3/time_entries/activities/4","title":"Testing"}`}, []string{outbox.TimeEntryCreated}},
		{"no activity takes the default", "POST", "/api/v3/time_entries", `{"hours":"PT1H","spentOn":"2026-11-27","_links":{"project":{"href":"/api/v3/projects/1"}}}`, "user", nil, 201,
			[]string{`"activity":{"href":"/api/v3/time_entries/activities/1","title":"Management"}`}, []string{outbox.TimeEntryCreated}},
		{"an unknown activity", "POST", "/api/v3/time_entries", `{"hours":"PT1H","spentOn":"2026-11-27","_links":{"project":{"href":"/api/v3/projects/1"},"activity":{"href":"/api/v3/time_entries/activities/99"}}}`, "user", nil, 422,
			[]string{"PropertyConstraintViolation", `"attribute":"activity"`}, nil},
		{"an activity link to another resource", "POST", "/api/v3/time_entries", `{"hours":"PT1H","spentOn":"2026-11-27","_links":{"project":{"href":"/api/v3/projects/1"},"activity":{"href":"/api/v3/types/1"}}}`, "user", nil, 422,
			[]string{"ResourceTypeMismatch", `"attribute":"activity"`}, nil},
		{"change the activity", "PATCH", "/api/v3/time_entries/1", `{"_links":{"activity":{"href":"/api/v3/time_entries/activities/5"}}}`, "user", nil, 200,
			[]string{`"activity":{"href":"/api/v3/time_entries/activities/5","title":"Support"}`}, []string{outbox.TimeEntryUpdated}},
		{"filter by activity", "GET", "/api/v3/time_entries?" + filters(`[{"activity":{"operator":"=","values":["5","4"]}}]`), "", "user", nil, 200, []string{`"total":2`, `"title":"Support"`, `"title":"Testing"`}, nil},
		{"clear the activity", "PATCH", "/api/v3/time_entries/1", `{"_links":{"activity":{"href":null}}}`, "user", nil, 200, []string{`"activity":{"href":null}`}, []string{outbox.TimeEntryUpdated}},
	})
}

// A project's types and categories, and the category a work package links to.
func TestProjectTypesAndCategories(t *testing.T) {
	e := newEnv(t)
	e.run(t, []scenario{
		{"project", "POST", "/api/v3/projects", `{"identifier":"demo","name":"Demo","public":true}`, "admin", nil, 201, []string{`"types":{"href":"/api/v3/projects/1/types"}`, `"categories":{"href":"/api/v3/projects/1/categories"}`}, []string{outbox.ProjectCreated}},
		{"private project", "POST", "/api/v3/projects", `{"identifier":"private","name":"Private"}`, "admin", nil, 201, nil, []string{outbox.ProjectCreated}},
		{"types of a project", "GET", "/api/v3/projects/1/types", "", "user", nil, 200,
			[]string{`"_type":"Collection"`, `"total":7`, `"count":7`, `"self":{"href":"/api/v3/projects/1/types`, `"name":"Task"`, `"name":"Bug"`}, nil},
		{"types of a project the user cannot see", "GET", "/api/v3/projects/2/types", "", "user", nil, 404, []string{"NotFound"}, nil},
		{"no categories yet", "GET", "/api/v3/projects/1/categories", "", "user", nil, 200, []string{`"total":0`, `"elements":[]`}, nil},
		{"categories of an unknown project", "GET", "/api/v3/projects/9/categories", "", "admin", nil, 404, nil, nil},
	})
	ctx := context.Background()
	if _, err := e.tracker.CreateCategory(ctx, e.admin, 1, "Documentation", &e.user.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.tracker.CreateCategory(ctx, e.admin, 1, "Backend", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.tracker.CreateCategory(ctx, e.admin, 2, "Secret", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.tracker.CreateCategory(ctx, e.user, 1, "Mine", nil); err == nil {
		t.Error("a user who is not an administrator created a category")
	}
	e.run(t, []scenario{
		{"categories by name", "GET", "/api/v3/projects/1/categories", "", "user", nil, 200,
			[]string{`"total":2`, `{"_type":"Category","id":2,"name":"Backend","_links":{"self":{"href":"/api/v3/categories/2","title":"Backend"},"project":{"href":"/api/v3/projects/1","title":"Demo"}}},{"_type":"Category","id":1,"name":"Documentation"`}, nil},
		{"a category", "GET", "/api/v3/categories/1", "", "user", nil, 200,
			[]string{`"name":"Documentation"`, `"defaultAssignee":{"href":"/api/v3/users/2","title":"Jane Doe"}`}, nil},
		{"a category of a project the user cannot see", "GET", "/api/v3/categories/3", "", "user", nil, 404, nil, nil},
		{"an unknown category", "GET", "/api/v3/categories/4", "", "admin", nil, 404, nil, nil},
		{"a work package without category", "POST", "/api/v3/work_packages", wpBody("Task", ""), "user", nil, 201, []string{`"category":{"href":null}`}, []string{outbox.WorkPackageCreated}},
	})
	if _, err := e.store.DB.NewUpdate().Table("work_packages").Set("category_id = 1").Where("id = 1").Exec(ctx); err != nil {
		t.Fatal(err)
	}
	e.tracker.Invalidate()
	e.run(t, []scenario{
		{"a work package's category", "GET", "/api/v3/work_packages/1", "", "user", nil, 200, []string{`"category":{"href":"/api/v3/categories/1","title":"Documentation"}`}, nil},
		{"in lists too", "GET", "/api/v3/work_packages", "", "user", nil, 200, []string{`"category":{"href":"/api/v3/categories/1","title":"Documentation"}`}, nil},
	})
}

// Principals (users) with OpenProject's filters, and a project's available
// assignees.
func TestPrincipalsAndAssignees(t *testing.T) {
	e := newEnv(t)
	e.newUser("zoe", false)
	if _, err := e.store.DB.NewUpdate().Table("users").Set("status = 'locked'").Where("login = 'zoe'").Exec(context.Background()); err != nil {
		t.Fatal(err)
	}
	e.run(t, []scenario{
		{"project", "POST", "/api/v3/projects", `{"identifier":"demo","name":"Demo","public":true}`, "admin", nil, 201, nil, []string{outbox.ProjectCreated}},
		{"private project", "POST", "/api/v3/projects", `{"identifier":"private","name":"Private"}`, "admin", nil, 201, nil, []string{outbox.ProjectCreated}},
		{"an administrator sees every user", "GET", "/api/v3/principals", "", "admin", nil, 200, []string{`"total":3`, `"login":"zoe"`, `"pageSize":`}, nil},
		{"others see the active ones, without logins", "GET", "/api/v3/principals", "", "user", nil, 200, []string{`"total":2`, `"name":"Admin Doe"`}, nil},
		{"members of a project, as a client asks for assignees", "GET", "/api/v3/principals?" + filters(`[{"member":{"operator":"=","values":["1"]}},{"type":{"operator":"=","values":["User"]}}]`) + "&pageSize=-1", "", "admin", nil, 200, []string{`"total":2`}, nil},
		{"member given as a number", "GET", "/api/v3/principals?" + filters(`[{"member":{"operator":"=","values":[1]}}]`), "", "user", nil, 200, []string{`"total":2`}, nil},
		{"members of a project the user cannot see", "GET", "/api/v3/principals?" + filters(`[{"member":{"operator":"=","values":["2"]}}]`), "", "user", nil, 200, []string{`"total":0`}, nil},
		{"not members", "GET", "/api/v3/principals?" + filters(`[{"member":{"operator":"!","values":["1"]}}]`), "", "admin", nil, 200, []string{`"total":1`, `"login":"zoe"`}, nil},
		{"groups", "GET", "/api/v3/principals?" + filters(`[{"type":{"operator":"=","values":["Group","PlaceholderUser"]}}]`), "", "admin", nil, 200, []string{`"total":0`}, nil},
		{"status as OpenProject numbers it", "GET", "/api/v3/principals?" + filters(`[{"status":{"operator":"=","values":["3"]}}]`), "", "admin", nil, 200, []string{`"total":1`, `"login":"zoe"`}, nil},
		{"by name", "GET", "/api/v3/principals?" + filters(`[{"name":{"operator":"~","values":["jan"]}}]`), "", "user", nil, 200, []string{`"total":1`, `"name":"Jane Doe"`}, nil},
		{"any name attribute finds logins for administrators", "GET", "/api/v3/principals?" + filters(`[{"any_name_attribute":{"operator":"~","values":["admin"]}}]`), "", "admin", nil, 200, []string{`"total":1`}, nil},
		{"sorted", "GET", "/api/v3/principals?sortBy=" + url.QueryEscape(`[["name","desc"]]`), "", "admin", nil, 200, []string{`"name":"Zoe Doe"`}, nil},
		{"an unknown filter", "GET", "/api/v3/principals?" + filters(`[{"group":{"operator":"=","values":["1"]}}]`), "", "admin", nil, 400, []string{"InvalidQuery", `"attribute":"group"`, "member"}, nil},
		{"an operator member does not take", "GET", "/api/v3/principals?" + filters(`[{"member":{"operator":"~","values":["1"]}}]`), "", "admin", nil, 400, []string{"InvalidQuery", `"attribute":"member"`}, nil},
		{"sorting by member", "GET", "/api/v3/principals?sortBy=" + url.QueryEscape(`[["member","asc"]]`), "", "admin", nil, 400, []string{"InvalidQuery"}, nil},

		{"available assignees", "GET", "/api/v3/projects/1/available_assignees", "", "user", nil, 200,
			[]string{`"total":2`, `"self":{"href":"/api/v3/projects/1/available_assignees`, `"name":"Admin Doe"`, `"name":"Jane Doe"`}, nil},
		{"of a project the user cannot see", "GET", "/api/v3/projects/2/available_assignees", "", "user", nil, 404, nil, nil},
	})
}

// Relations through the API: OpenProject's rules, its stored form, and an
// event for every change.
func TestRelationRoutes(t *testing.T) {
	e := newEnv(t)
	rel := func(typ, to string) string {
		return `{"type":"` + typ + `","_links":{"to":{"href":"/api/v3/work_packages/` + to + `"}}}`
	}
	e.run(t, []scenario{
		{"project", "POST", "/api/v3/projects", `{"identifier":"demo","name":"Demo","public":true}`, "admin", nil, 201, nil, []string{outbox.ProjectCreated}},
		{"private project", "POST", "/api/v3/projects", `{"identifier":"private","name":"Private"}`, "admin", nil, 201, nil, []string{outbox.ProjectCreated}},
		{"work package 1", "POST", "/api/v3/work_packages", wpBody("Design", ""), "user", nil, 201, nil, []string{outbox.WorkPackageCreated}},
		{"work package 2", "POST", "/api/v3/work_packages", wpBody("Build", ""), "user", nil, 201, nil, []string{outbox.WorkPackageCreated}},
		{"work package 3", "POST", "/api/v3/work_packages", wpBody("Ship", ""), "admin", nil, 201, nil, []string{outbox.WorkPackageCreated}},
		{"work package 4, private", "POST", "/api/v3/projects/2/work_packages", `{"subject":"Hidden"}`, "admin", nil, 201, nil, []string{outbox.WorkPackageCreated}},
		{"work package 5", "POST", "/api/v3/work_packages", wpBody("Review", ""), "admin", nil, 201, nil, []string{outbox.WorkPackageCreated}},

		{"follows", "POST", "/api/v3/work_packages/2/relations", `{"type":"follows","lag":2,"description":"After the design","_links":{"to":{"href":"/api/v3/work_packages/1"}}}`, "user", nil, 201,
			[]string{`"_type":"Relation"`, `"id":1`, `"name":"precedes"`, `"type":"precedes"`, `"reverseType":"follows"`, `"lag":2`, `"description":"After the design"`,
				`"from":{"href":"/api/v3/work_packages/1","title":"Design"}`, `"to":{"href":"/api/v3/work_packages/2","title":"Build"}`,
				`"updateImmediately":{"href":"/api/v3/relations/1","method":"patch"}`, `"_embedded":{"from":{"_type":"WorkPackage","id":1`}, []string{outbox.RelationCreated}},
		{"relates", "POST", "/api/v3/work_packages/5/relations", rel("relates", "3"), "admin", nil, 201, []string{`"type":"relates"`, `"lag":null`, `"description":null`}, []string{outbox.RelationCreated}},
		{"already related, the other way", "POST", "/api/v3/work_packages/1/relations", rel("blocks", "2"), "user", nil, 409, []string{"UpdateConflict", "already related"}, nil},
		{"to itself", "POST", "/api/v3/work_packages/1/relations", rel("relates", "1"), "user", nil, 422, []string{`"attribute":"to"`, "itself"}, nil},
		{"a cycle of precedes", "POST", "/api/v3/work_packages/2/relations", rel("precedes", "3"), "admin", nil, 201, nil, []string{outbox.RelationCreated}},
		{"closing the cycle", "POST", "/api/v3/work_packages/3/relations", rel("precedes", "1"), "admin", nil, 422, []string{`"attribute":"to"`, "circular dependency"}, nil},
		{"closing it the other way round", "POST", "/api/v3/work_packages/1/relations", rel("follows", "3"), "user", nil, 422, []string{"circular dependency"}, nil},
		{"an unknown type", "POST", "/api/v3/work_packages/1/relations", rel("causes", "3"), "user", nil, 422, []string{`"attribute":"type"`}, nil},
		{"without to", "POST", "/api/v3/work_packages/1/relations", `{"type":"relates"}`, "user", nil, 422, []string{`"attribute":"to"`}, nil},
		{"to a work package the user cannot see", "POST", "/api/v3/work_packages/1/relations", rel("relates", "4"), "user", nil, 422, []string{`"attribute":"to"`, "does not exist"}, nil},
		{"to a resource of another kind", "POST", "/api/v3/work_packages/1/relations", rel("relates", "x"), "user", nil, 422, []string{"ResourceTypeMismatch"}, nil},
		{"on an unknown work package", "POST", "/api/v3/work_packages/99/relations", rel("relates", "1"), "admin", nil, 404, nil, nil},
		{"a negative lag", "POST", "/api/v3/work_packages/4/relations", `{"type":"precedes","lag":-1,"_links":{"to":{"href":"/api/v3/work_packages/3"}}}`, "admin", nil, 422, []string{`"attribute":"lag"`}, nil},

		{"a work package's relations", "GET", "/api/v3/work_packages/1/relations", "", "user", nil, 200, []string{`"total":1`, `"self":{"href":"/api/v3/work_packages/1/relations`}, nil},
		{"all relations", "GET", "/api/v3/relations", "", "user", nil, 200, []string{`"total":3`, `"pageSize":`}, nil},
		{"involving a work package", "GET", "/api/v3/relations?" + filters(`[{"involved":{"operator":"=","values":[3]}}]`), "", "user", nil, 200, []string{`"total":2`}, nil},
		{"of a type", "GET", "/api/v3/relations?" + filters(`[{"type":{"operator":"=","values":["relates"]}}]`), "", "user", nil, 200, []string{`"total":1`, `"type":"relates"`}, nil},
		{"from a work package", "GET", "/api/v3/relations?" + filters(`[{"from":{"operator":"=","values":["1"]}}]`) + "&sortBy=" + url.QueryEscape(`[["id","desc"]]`), "", "user", nil, 200, []string{`"total":1`}, nil},
		{"an unknown filter", "GET", "/api/v3/relations?" + filters(`[{"lag":{"operator":"=","values":["1"]}}]`), "", "user", nil, 400, []string{"InvalidQuery", `"attribute":"lag"`}, nil},
		{"a relation", "GET", "/api/v3/relations/1", "", "user", nil, 200, []string{`"_embedded":{"from":`, `"to":{"_type":"WorkPackage","id":2`}, nil},
		{"an unknown relation", "GET", "/api/v3/relations/99", "", "user", nil, 404, nil, nil},

		{"change the description", "PATCH", "/api/v3/relations/1", `{"description":"Once the design is approved"}`, "user", nil, 200, []string{`"description":"Once the design is approved"`, `"lag":2`}, []string{outbox.RelationUpdated}},
		{"change the type", "PATCH", "/api/v3/relations/1", `{"type":"relates"}`, "user", nil, 200, []string{`"type":"relates"`, `"lag":null`}, []string{outbox.RelationUpdated}},
		{"move it", "PATCH", "/api/v3/relations/1", `{"_links":{"to":{"href":"/api/v3/work_packages/3"}}}`, "user", nil, 422, []string{"PropertyIsReadOnly", `"attribute":"to"`}, nil},
		{"change one of the user's neither", "PATCH", "/api/v3/relations/2", `{"description":"x"}`, "user", nil, 403, []string{"MissingPermission"}, nil},
		{"delete one of the user's neither", "DELETE", "/api/v3/relations/2", "", "user", nil, 403, nil, nil},
		{"no action links for them", "GET", "/api/v3/relations/2", "", "user", nil, 200, []string{`"_links":{"self":{"href":"/api/v3/relations/2"},"from":`}, nil},
		{"delete", "DELETE", "/api/v3/relations/1", "", "user", nil, 204, nil, []string{outbox.RelationDeleted}},
		{"deleted is gone", "GET", "/api/v3/relations/1", "", "user", nil, 404, nil, nil},
		{"the other end's list", "GET", "/api/v3/work_packages/2/relations", "", "user", nil, 200, []string{`"total":1`}, nil},
	})
}

// Editing a comment: its author or an administrator.
func TestEditComment(t *testing.T) {
	e := newEnv(t)
	_, otherTok := e.newUser("olga", false)
	e.run(t, []scenario{
		{"project", "POST", "/api/v3/projects", `{"identifier":"demo","name":"Demo","public":true}`, "admin", nil, 201, nil, []string{outbox.ProjectCreated}},
		{"work package", "POST", "/api/v3/work_packages", wpBody("Task", ""), "admin", nil, 201, nil, []string{outbox.WorkPackageCreated}},
		{"comment", "POST", "/api/v3/work_packages/1/activities", `{"comment":{"raw":"Frist"}}`, "user", nil, 201, []string{`"update":{"href":"/api/v3/activities/1","method":"patch"}`}, []string{outbox.CommentCreated}},
		{"someone else reads it without the update link", "GET", "/api/v3/activities/1", "", "", []string{bearer(otherTok)}, 200, []string{`"user":{"href":"/api/v3/users/2"`}, nil},
		{"edit by its author", "PATCH", "/api/v3/activities/1", `{"comment":{"raw":"First"}}`, "user", nil, 200, []string{`"_type":"Activity::Comment"`, `"raw":"First"`, `"updatedAt":`}, []string{outbox.CommentUpdated}},
		{"edit by someone else", "PATCH", "/api/v3/activities/1", `{"comment":{"raw":"Mine now"}}`, "", []string{bearer(otherTok)}, 403, []string{"MissingPermission"}, nil},
		{"edit by an administrator", "PATCH", "/api/v3/activities/1", `{"comment":{"raw":"First!"}}`, "admin", nil, 200, []string{`"raw":"First!"`}, []string{outbox.CommentUpdated}},
		{"blank", "PATCH", "/api/v3/activities/1", `{"comment":{"raw":" "}}`, "user", nil, 422, []string{`"attribute":"comment"`}, nil},
		{"without a comment", "PATCH", "/api/v3/activities/1", `{}`, "user", nil, 422, []string{`"attribute":"comment"`}, nil},
		{"an unknown comment", "PATCH", "/api/v3/activities/9", `{"comment":{"raw":"x"}}`, "admin", nil, 404, nil, nil},
		{"the edit is kept", "GET", "/api/v3/work_packages/1/activities", "", "user", nil, 200, []string{`"raw":"First!"`, `"total":2`}, nil}, // the creation journal and the comment
		{"an administrator may edit it from the list", "GET", "/api/v3/work_packages/1/activities", "", "admin", nil, 200, []string{`"update":{"href":"/api/v3/activities/1","method":"patch"}`}, nil},
	})
	// The update link is advertised only where it answers.
	if r := e.do("GET", "/api/v3/activities/1", "", bearer(otherTok)); r.status != 200 || strings.Contains(r.body, `"update":{"href":"/api/v3/activities/1"`) {
		t.Errorf("someone else's comment: %d, update link advertised: %s", r.status, r.body)
	}
}
