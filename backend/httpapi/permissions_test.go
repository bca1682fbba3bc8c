package httpapi

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"sort"
	"strings"
	"testing"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/tracker"
)

// permFixture is what every permission case starts from, created afresh for
// each request so that one case's write cannot decide another's outcome.
type permFixture struct {
	public, private int64 // projects; the private one only administrators see
	wp              int64 // by the author, assigned to the assignee, no time logged
	wpOwnTime       int64 // like wp, with a time entry of its author
	wpOthersTime    int64 // like wp, with a time entry of the other user
	privateWP       int64 // in the private project
	authorTime      int64 // the author's time entry, on wpOwnTime
	attachment      int64 // uploaded by the author to wp
	comment         int64 // the author's, on wp
	relation        int64 // wp relates to wpOthersTime, by the author
}

// permUsers are the roles of SPEC §3's rules.
type permUsers struct {
	e                        *env
	byRole                   map[string]auth.User
	tokens                   map[string]string
	author, assignee, others auth.User
	projects                 int
}

func newPermUsers(e *env) *permUsers {
	sam, samTok := e.newUser("sam", false)
	olga, olgaTok := e.newUser("olga", false)
	return &permUsers{e: e, author: e.user, assignee: sam, others: olga,
		byRole: map[string]auth.User{"administrator": e.admin, "author": e.user, "assignee": sam, "other user": olga},
		tokens: map[string]string{"administrator": e.adminTok, "author": e.userTok, "assignee": samTok, "other user": olgaTok}}
}

func ptr[T any](v T) *T { return &v }

// fixture creates the resources through the services, as their owners.
func (u *permUsers) fixture(t *testing.T) permFixture {
	t.Helper()
	ctx, tr := context.Background(), u.e.tracker
	must := func(id int64, err error) int64 {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	u.projects++
	var f permFixture
	project := func(public bool) int64 {
		ident := fmt.Sprintf("p%d-%t", u.projects, public)
		p, err := tr.CreateProject(ctx, u.e.admin, tracker.ProjectInput{Identifier: &ident, Name: &ident, Public: &public})
		return must(p.ID, err)
	}
	f.public, f.private = project(true), project(false)
	wp := func(subject string) int64 {
		v, err := tr.CreateWorkPackage(ctx, u.author, tracker.WorkPackageInput{Subject: &subject, ProjectID: &f.public,
			AssigneeID: tracker.Opt[int64]{Set: true, Value: &u.assignee.ID}})
		return must(v.ID, err)
	}
	f.wp, f.wpOwnTime, f.wpOthersTime = wp("Plain"), wp("With the author's time"), wp("With another user's time")
	logTime := func(who auth.User, wp int64) int64 {
		v, err := tr.CreateTimeEntry(ctx, who, tracker.TimeEntryInput{Hours: ptr(1.5), SpentOn: ptr("2026-11-27"),
			WorkPackageID: tracker.Opt[int64]{Set: true, Value: &wp}})
		return must(v.ID, err)
	}
	f.authorTime = logTime(u.author, f.wpOwnTime)
	logTime(u.others, f.wpOthersTime)
	hidden, err := tr.CreateWorkPackage(ctx, u.e.admin, tracker.WorkPackageInput{Subject: ptr("Hidden"), ProjectID: &f.private})
	f.privateWP = must(hidden.ID, err)
	a, err := tr.AddAttachment(ctx, u.author, f.wp, tracker.NewAttachment{FileName: "notes.txt", Content: []byte("hello")})
	f.attachment = must(a.ID, err)
	c, err := tr.AddComment(ctx, u.author, f.wp, "Hello")
	f.comment = must(c.ID, err)
	r, err := tr.CreateRelation(ctx, u.author, f.wp, tracker.RelationInput{Type: ptr("relates"), ToID: &f.wpOthersTime})
	f.relation = must(r.ID, err)
	return f
}

// snapshot is every row the write routes can touch (events included), in a
// stable order: equal snapshots mean that nothing changed.
func (e *env) snapshot(t *testing.T) string {
	t.Helper()
	var out []string
	for _, table := range []string{"projects", "work_packages", "work_package_counts", "comments", "time_entries", "attachments", "relations", "events", "deliveries"} {
		var rows []map[string]any
		if err := e.store.Read.NewSelect().TableExpr(table).Scan(context.Background(), &rows); err != nil {
			t.Fatalf("snapshot %s: %v", table, err)
		}
		for _, r := range rows {
			out = append(out, table+" "+fmt.Sprint(r))
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

func uploadBody() (body, contentType string) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("metadata", `{"fileName":"report.txt"}`)
	fw, _ := w.CreateFormFile("file", "report.txt")
	_, _ = fw.Write([]byte("report"))
	_ = w.Close()
	return buf.String(), w.FormDataContentType()
}

// permCase is one route under every role (PocketBase's ApiScenario, keyed):
// want maps each signed-in role to its status; without credentials every
// write answers 401. A denial (4xx) must leave the database as it was and
// record no event; says holds a fragment each denial's message must carry.
type permCase struct {
	name   string
	method string
	url    func(f permFixture) string
	body   func(f permFixture) string
	upload bool
	want   map[string]int
	says   map[string]string
	// after, when set, checks the database after an allowed request.
	after func(t *testing.T, e *env, f permFixture)
}

var permRoles = []string{"administrator", "author", "assignee", "other user"}

// everyone gives every signed-in role the same status.
func permEveryone(status int) map[string]int {
	return map[string]int{"administrator": status, "author": status, "assignee": status, "other user": status}
}

func permURL(format string, id func(f permFixture) int64) func(f permFixture) string {
	return func(f permFixture) string { return fmt.Sprintf(format, id(f)) }
}

func permFixed(s string) func(permFixture) string { return func(permFixture) string { return s } }

const (
	onlyAdmins     = "only administrators may"
	authorAssignee = "only its author, its assignee or an administrator may"
	othersTime     = "it carries 1 time entry of other users, which the delete would remove; ask an administrator"
	timeOwner      = "only the user who logged it, or an administrator, may"
	uploader       = "only the user who uploaded it, or an administrator, may"
)

func TestPermissionsPerRoleAndRoute(t *testing.T) {
	e := newEnv(t)
	u := newPermUsers(e)
	wpJSON := func(project string) func(f permFixture) string {
		return func(f permFixture) string {
			id := f.public
			if project == "private" {
				id = f.private
			}
			return fmt.Sprintf(`{"subject":"New","_links":{"project":{"href":"/api/v3/projects/%d"}}}`, id)
		}
	}
	timeOn := func(wp func(f permFixture) int64, user string) func(f permFixture) string {
		return func(f permFixture) string {
			link := ""
			if user != "" {
				link = fmt.Sprintf(`,"user":{"href":"/api/v3/users/%d"}`, u.byRole[user].ID)
			}
			return fmt.Sprintf(`{"hours":"PT1H","spentOn":"2026-11-28","_links":{"workPackage":{"href":"/api/v3/work_packages/%d"}%s}}`, wp(f), link)
		}
	}
	wpID := func(f permFixture) int64 { return f.wp }
	cases := []permCase{
		// Projects: administrators only; the private one is hidden from the rest.
		{name: "create a project", method: "POST", url: permFixed("/api/v3/projects"),
			body: permFixed(`{"identifier":"new-one","name":"New"}`),
			want: map[string]int{"administrator": 201, "author": 403, "assignee": 403, "other user": 403},
			says: map[string]string{"author": onlyAdmins, "assignee": onlyAdmins, "other user": onlyAdmins}},
		{name: "change a public project", method: "PATCH", url: permURL("/api/v3/projects/%d", func(f permFixture) int64 { return f.public }),
			body: permFixed(`{"name":"Renamed"}`),
			want: map[string]int{"administrator": 200, "author": 403, "assignee": 403, "other user": 403},
			says: map[string]string{"author": onlyAdmins, "other user": onlyAdmins}},
		{name: "change a private project", method: "PATCH", url: permURL("/api/v3/projects/%d", func(f permFixture) int64 { return f.private }),
			body: permFixed(`{"name":"Renamed"}`),
			want: map[string]int{"administrator": 200, "author": 404, "assignee": 404, "other user": 404}},
		{name: "delete a public project", method: "DELETE", url: permURL("/api/v3/projects/%d", func(f permFixture) int64 { return f.public }),
			want: map[string]int{"administrator": 204, "author": 403, "assignee": 403, "other user": 403},
			says: map[string]string{"other user": onlyAdmins}},
		{name: "read a private project", method: "GET", url: permURL("/api/v3/projects/%d", func(f permFixture) int64 { return f.private }),
			want: map[string]int{"administrator": 200, "author": 404, "assignee": 404, "other user": 404}},
		{name: "read a work package of a private project", method: "GET", url: permURL("/api/v3/work_packages/%d", func(f permFixture) int64 { return f.privateWP }),
			want: map[string]int{"administrator": 200, "author": 404, "assignee": 404, "other user": 404}},

		// Work packages: anyone creates them in a public project.
		{name: "create a work package", method: "POST", url: permFixed("/api/v3/work_packages"), body: wpJSON("public"), want: permEveryone(201)},
		{name: "create a work package in a project's collection", method: "POST", url: permURL("/api/v3/projects/%d/work_packages", func(f permFixture) int64 { return f.public }),
			body: permFixed(`{"subject":"New"}`), want: permEveryone(201)},
		{name: "create a work package in a private project's collection", method: "POST", url: permURL("/api/v3/projects/%d/work_packages", func(f permFixture) int64 { return f.private }),
			body: permFixed(`{"subject":"New"}`), want: map[string]int{"administrator": 201, "author": 404, "assignee": 404, "other user": 404}},
		{name: "create a work package in a private project", method: "POST", url: permFixed("/api/v3/work_packages"), body: wpJSON("private"),
			want: map[string]int{"administrator": 201, "author": 422, "assignee": 422, "other user": 422}},
		// ... and changes or deletes only those they authored or are assigned to.
		{name: "change a work package", method: "PATCH", url: permURL("/api/v3/work_packages/%d", wpID),
			body: permFixed(`{"subject":"Changed","lockVersion":0}`),
			want: map[string]int{"administrator": 200, "author": 200, "assignee": 200, "other user": 403},
			says: map[string]string{"other user": authorAssignee}},
		{name: "change a work package with a stale lockVersion", method: "PATCH", url: permURL("/api/v3/work_packages/%d", wpID),
			body: permFixed(`{"subject":"Changed","lockVersion":7}`),
			want: map[string]int{"administrator": 409, "author": 409, "assignee": 409, "other user": 403},
			says: map[string]string{"other user": authorAssignee}},
		{name: "change a private work package", method: "PATCH", url: permURL("/api/v3/work_packages/%d", func(f permFixture) int64 { return f.privateWP }),
			body: permFixed(`{"subject":"Changed","lockVersion":0}`),
			want: map[string]int{"administrator": 200, "author": 404, "assignee": 404, "other user": 404}},
		{name: "delete a work package", method: "DELETE", url: permURL("/api/v3/work_packages/%d", wpID),
			want: map[string]int{"administrator": 204, "author": 204, "assignee": 204, "other user": 403},
			says: map[string]string{"other user": authorAssignee}},
		{name: "delete a work package with its author's time", method: "DELETE", url: permURL("/api/v3/work_packages/%d", func(f permFixture) int64 { return f.wpOwnTime }),
			want: map[string]int{"administrator": 204, "author": 204, "assignee": 403, "other user": 403},
			says: map[string]string{"assignee": othersTime, "other user": authorAssignee}},
		{name: "delete a work package with another user's time", method: "DELETE", url: permURL("/api/v3/work_packages/%d", func(f permFixture) int64 { return f.wpOthersTime }),
			want: map[string]int{"administrator": 204, "author": 403, "assignee": 403, "other user": 403},
			says: map[string]string{"author": othersTime, "assignee": othersTime, "other user": authorAssignee},
			after: func(t *testing.T, e *env, f permFixture) {
				n, err := e.store.Read.NewSelect().Table("time_entries").Where("work_package_id = ?", f.wpOthersTime).Count(context.Background())
				if err != nil || n != 0 {
					t.Errorf("an administrator's delete leaves %d time entries (%v), want them deleted with the work package", n, err)
				}
			}},

		// Comments: anyone who sees the work package.
		{name: "comment", method: "POST", url: permURL("/api/v3/work_packages/%d/activities", wpID),
			body: permFixed(`{"comment":{"raw":"Hello"}}`), want: permEveryone(201)},
		{name: "comment on a private work package", method: "POST", url: permURL("/api/v3/work_packages/%d/activities", func(f permFixture) int64 { return f.privateWP }),
			body: permFixed(`{"comment":{"raw":"Hello"}}`), want: map[string]int{"administrator": 201, "author": 404, "assignee": 404, "other user": 404}},

		// Time entries: logged on visible work packages, for oneself unless
		// administrator; changed or deleted by their user.
		{name: "log time", method: "POST", url: permFixed("/api/v3/time_entries"), body: timeOn(wpID, ""), want: permEveryone(201)},
		{name: "log time on a private work package", method: "POST", url: permFixed("/api/v3/time_entries"), body: timeOn(func(f permFixture) int64 { return f.privateWP }, ""),
			want: map[string]int{"administrator": 201, "author": 422, "assignee": 422, "other user": 422},
			says: map[string]string{"other user": "does not exist"}},
		{name: "log time for the author", method: "POST", url: permFixed("/api/v3/time_entries"), body: timeOn(wpID, "author"),
			want: map[string]int{"administrator": 201, "author": 201, "assignee": 422, "other user": 422},
			says: map[string]string{"other user": "Only administrators may log time for other users"}},
		{name: "change the author's time entry", method: "PATCH", url: permURL("/api/v3/time_entries/%d", func(f permFixture) int64 { return f.authorTime }),
			body: permFixed(`{"hours":"PT3H"}`),
			want: map[string]int{"administrator": 200, "author": 200, "assignee": 403, "other user": 403},
			says: map[string]string{"assignee": timeOwner, "other user": timeOwner}},
		{name: "delete the author's time entry", method: "DELETE", url: permURL("/api/v3/time_entries/%d", func(f permFixture) int64 { return f.authorTime }),
			want: map[string]int{"administrator": 204, "author": 204, "assignee": 403, "other user": 403},
			says: map[string]string{"assignee": timeOwner, "other user": timeOwner}},

		// Attachments: added by whoever may change the work package (as
		// OpenProject asks for edit_work_packages), deleted by their uploader.
		{name: "attach a file", method: "POST", url: permURL("/api/v3/work_packages/%d/attachments", wpID), upload: true,
			want: map[string]int{"administrator": 201, "author": 201, "assignee": 201, "other user": 403},
			says: map[string]string{"other user": authorAssignee}},
		{name: "attach a file to a private work package", method: "POST", url: permURL("/api/v3/work_packages/%d/attachments", func(f permFixture) int64 { return f.privateWP }), upload: true,
			want: map[string]int{"administrator": 201, "author": 404, "assignee": 404, "other user": 404}},
		{name: "delete the author's attachment", method: "DELETE", url: permURL("/api/v3/attachments/%d", func(f permFixture) int64 { return f.attachment }),
			want: map[string]int{"administrator": 204, "author": 204, "assignee": 403, "other user": 403},
			says: map[string]string{"assignee": uploader, "other user": uploader}},

		// Relations: by whoever may change one of the two work packages.
		{name: "relate two work packages", method: "POST", url: permURL("/api/v3/work_packages/%d/relations", wpID),
			body: func(f permFixture) string {
				return fmt.Sprintf(`{"type":"blocks","_links":{"to":{"href":"/api/v3/work_packages/%d"}}}`, f.wpOwnTime)
			},
			want: map[string]int{"administrator": 201, "author": 201, "assignee": 201, "other user": 403},
			says: map[string]string{"other user": "only the author or assignee of one of them"}},
		{name: "relate to a private work package", method: "POST", url: permURL("/api/v3/work_packages/%d/relations", wpID),
			body: func(f permFixture) string {
				return fmt.Sprintf(`{"type":"relates","_links":{"to":{"href":"/api/v3/work_packages/%d"}}}`, f.privateWP)
			},
			want: map[string]int{"administrator": 201, "author": 422, "assignee": 422, "other user": 422}},
		{name: "change a relation", method: "PATCH", url: permURL("/api/v3/relations/%d", func(f permFixture) int64 { return f.relation }),
			body: permFixed(`{"description":"Changed"}`),
			want: map[string]int{"administrator": 200, "author": 200, "assignee": 200, "other user": 403}},
		{name: "delete a relation", method: "DELETE", url: permURL("/api/v3/relations/%d", func(f permFixture) int64 { return f.relation }),
			want: map[string]int{"administrator": 204, "author": 204, "assignee": 204, "other user": 403},
			says: map[string]string{"other user": "only the author or assignee of one of its work packages"}},

		// Comments are edited by their author or an administrator.
		{name: "edit the author's comment", method: "PATCH", url: permURL("/api/v3/activities/%d", func(f permFixture) int64 { return f.comment }),
			body: permFixed(`{"comment":{"raw":"Edited"}}`),
			want: map[string]int{"administrator": 200, "author": 200, "assignee": 403, "other user": 403},
			says: map[string]string{"assignee": "only its author or an administrator", "other user": "only its author or an administrator"}},
	}
	errorIDs := map[int]string{401: "Unauthenticated", 403: "MissingPermission", 404: "NotFound", 409: "UpdateConflict"}
	for _, c := range cases {
		for _, role := range append(permRoles, "anonymous") {
			want, ok := c.want[role]
			if role == "anonymous" {
				want, ok = 401, true
			}
			if !ok {
				t.Fatalf("%s: no status for %s", c.name, role)
			}
			t.Run(c.name+"/"+role, func(t *testing.T) {
				f := u.fixture(t)
				var body string
				var headers []string
				if c.upload {
					var ctype string
					body, ctype = uploadBody()
					headers = append(headers, "Content-Type: "+ctype)
				} else if c.body != nil {
					body = c.body(f)
				}
				if role != "anonymous" {
					headers = append(headers, bearer(u.tokens[role]))
				}
				before, lastEvent := e.snapshot(t), e.lastEventID()
				r := e.do(c.method, c.url(f), body, headers...)
				if r.status != want {
					t.Fatalf("%s %s as %s: status %d, want %d: %s", c.method, c.url(f), role, r.status, want, r.body)
				}
				if want >= 400 {
					if id, known := errorIDs[want]; known && errorID(t, r) != id {
						t.Errorf("error %s, want %s: %s", errorID(t, r), id, r.body)
					}
					if frag := c.says[role]; frag != "" && !strings.Contains(r.body, frag) {
						t.Errorf("message lacks %q: %s", frag, r.body)
					}
					if e.lastEventID() != lastEvent {
						t.Errorf("a denied request recorded an event")
					}
					if after := e.snapshot(t); after != before {
						t.Errorf("a denied request changed the database:\nbefore:\n%s\nafter:\n%s", before, after)
					}
					return
				}
				if c.method != "GET" && e.lastEventID() == lastEvent && !strings.Contains(c.url(f), "/attachments/") {
					t.Errorf("an allowed %s recorded no event", c.method)
				}
				if c.after != nil {
					c.after(t, e, f)
				}
			})
		}
	}
}

// TestWorkPackageActionLinksFollowPermissions: every link a representation
// advertises answers (SPEC §3), so a user who may not change a work package
// gets its action links as {"href": null} rather than links that answer 403.
func TestWorkPackageActionLinksFollowPermissions(t *testing.T) {
	e := newEnv(t)
	u := newPermUsers(e)
	f := u.fixture(t)
	for _, role := range permRoles {
		r := e.do("GET", fmt.Sprintf("/api/v3/work_packages/%d", f.wp), "", bearer(u.tokens[role]))
		if r.status != 200 {
			t.Fatalf("GET as %s: %d %s", role, r.status, r.body)
		}
		links, _ := r.json(t)["_links"].(map[string]any)
		for _, rel := range []string{"update", "updateImmediately", "delete", "addAttachment", "addRelation"} {
			link, _ := links[rel].(map[string]any)
			href, advertised := link["href"].(string)
			if want := role != "other user"; advertised != want {
				t.Errorf("%s as %s: %v, want advertised=%v", rel, role, link, want)
			} else if advertised && !strings.HasPrefix(href, fmt.Sprintf("/api/v3/work_packages/%d", f.wp)) {
				t.Errorf("%s as %s: href %q", rel, role, href)
			}
		}
		if link, _ := links["addComment"].(map[string]any); link["href"] == nil {
			t.Errorf("addComment as %s is not advertised: everyone who sees the work package comments", role)
		}
	}
}
