package httpapi

import (
	"encoding/json"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// These tests speak the query language as OpenProject documents it
// (docs/api/apiv3/tags/filters.yml and the collections' path files), with
// the injected clock at Saturday 2026-11-28 12:00 UTC: the week runs from
// Monday 2026-11-23, yesterday is 2026-11-27.

// filtered is target with filters (and sortBy, when not empty) as JSON.
func filtered(target, filters, sortBy string) string {
	q := url.Values{}
	if filters != "-" {
		q.Set("filters", filters)
	}
	if sortBy != "" {
		q.Set("sortBy", sortBy)
	}
	if len(q) == 0 {
		return target
	}
	return target + "?" + q.Encode()
}

// queryWorkPackages creates five work packages at known times:
//
//	id project status          type created (UTC)          due
//	1  1       New (open)      Task 2026-11-28 09:00 today  2026-11-28 today
//	2  1       Closed          Task 2026-11-27 23:00        2026-11-30 next Monday
//	3  1       In progress     Bug  2026-11-23 00:00 Monday 2026-12-05
//	4  2       Rejected (c.)   Task 2026-11-22 23:59:59 Sun 2026-11-21
//	5  2       New (open)      Task 2026-11-18 10:00        none
func queryWorkPackages(t *testing.T, e *env) {
	t.Helper()
	admin := bearer(e.adminTok)
	for _, body := range []string{`{"identifier":"a","name":"A","public":true}`, `{"identifier":"b","name":"B","public":true}`} {
		if r := e.do("POST", "/api/v3/projects", body, admin); r.status != 201 {
			t.Fatal(r.body)
		}
	}
	now := e.clock.t
	at := func(s string) time.Time {
		ts, err := time.Parse(time.DateTime, s)
		if err != nil {
			t.Fatal(err)
		}
		return ts
	}
	for _, wp := range []struct {
		created time.Time
		body    string
	}{
		{at("2026-11-28 09:00:00"), `{"subject":"One","dueDate":"2026-11-28","_links":{"project":{"href":"/api/v3/projects/1"}}}`},
		{at("2026-11-27 23:00:00"), `{"subject":"Two","dueDate":"2026-11-30","_links":{"project":{"href":"/api/v3/projects/1"},"status":{"href":"/api/v3/statuses/12"},"assignee":{"href":"/api/v3/users/2"}}}`},
		{at("2026-11-23 00:00:00"), `{"subject":"Three","dueDate":"2026-12-05","_links":{"project":{"href":"/api/v3/projects/1"},"status":{"href":"/api/v3/statuses/7"},"type":{"href":"/api/v3/types/7"}}}`},
		{at("2026-11-22 23:59:59"), `{"subject":"Four","dueDate":"2026-11-21","_links":{"project":{"href":"/api/v3/projects/2"},"status":{"href":"/api/v3/statuses/14"}}}`},
		{at("2026-11-18 10:00:00"), `{"subject":"Five","_links":{"project":{"href":"/api/v3/projects/2"}}}`},
	} {
		e.clock.t = wp.created
		if r := e.do("POST", "/api/v3/work_packages", wp.body, admin); r.status != 201 {
			t.Fatal(r.body)
		}
	}
	e.clock.t = now
}

func TestOpenProjectQueryLanguage(t *testing.T) {
	e := newEnv(t)
	queryWorkPackages(t, e)
	admin := bearer(e.adminTok)
	wp := func(filters string) string { return filtered("/api/v3/work_packages", filters, "") }
	for _, tc := range []struct{ name, url, want string }{
		// OpenProject's default filter, [{"status_id":{"operator":"o"}}].
		{"no filters: open only", "/api/v3/work_packages", "3:1,3,5"},
		{"no filters in a project: open only", "/api/v3/projects/1/work_packages", "2:1,3"},
		{"no filters in the other project", "/api/v3/projects/2/work_packages", "1:5"},
		{"empty filters parameter: the default", "/api/v3/work_packages?filters=", "3:1,3,5"},
		{"[] is no filter", wp(`[]`), "5:1,2,3,4,5"},
		{"[] in a project", filtered("/api/v3/projects/1/work_packages", `[]`, ""), "3:1,2,3"},
		{"the default spelled out", wp(`[{"status_id":{"operator":"o","values":null}}]`), "3:1,3,5"},
		{"status o", wp(`[{"status":{"operator":"o","values":[]}}]`), "3:1,3,5"},
		{"status c", wp(`[{"status":{"operator":"c","values":[]}}]`), "2:2,4"},
		{"status_id c", wp(`[{"status_id":{"operator":"c"}}]`), "2:2,4"},
		{"status_id = as a number", wp(`[{"status_id":{"operator":"=","values":[12]}}]`), "1:2"},
		{"type_id = as a string", wp(`[{"type_id":{"operator":"=","values":["7"]}}]`), "1:3"},
		{"project_id = as a number", wp(`[{"project_id":{"operator":"=","values":[2]}}]`), "2:4,5"},
		{"assignee_id", wp(`[{"assignee_id":{"operator":"=","values":[2]}}]`), "1:2"},
		{"author_id me", wp(`[{"author_id":{"operator":"=","values":["me"]}}]`), "5:1,2,3,4,5"},
		{"open in a project", wp(`[{"status":{"operator":"o"}},{"project_id":{"operator":"=","values":["2"]}}]`), "1:5"},
		// Relative dates on a timestamp: whole UTC days.
		{"created today", wp(`[{"createdAt":{"operator":"t","values":[]}}]`), "1:1"},
		{"created_at today", wp(`[{"created_at":{"operator":"t"}}]`), "1:1"},
		{"created this week: from Monday 00:00", wp(`[{"createdAt":{"operator":"w"}}]`), "3:1,2,3"},
		{"created less than 1 day ago: yesterday and today", wp(`[{"createdAt":{"operator":">t-","values":["1"]}}]`), "2:1,2"},
		{"created less than 6 days ago: from Sunday 00:00", wp(`[{"createdAt":{"operator":">t-","values":[6]}}]`), "4:1,2,3,4"},
		{"created more than 1 day ago: up to the end of yesterday", wp(`[{"createdAt":{"operator":"<t-","values":["1"]}}]`), "4:2,3,4,5"},
		{"created more than 10 days ago", wp(`[{"createdAt":{"operator":"<t-","values":["10"]}}]`), "1:5"},
		{"created 1 day ago", wp(`[{"createdAt":{"operator":"t-","values":["1"]}}]`), "1:2"},
		{"created on a day: =d", wp(`[{"createdAt":{"operator":"=d","values":["2026-11-27"]}}]`), "1:2"},
		{"created from a day on: <>d with an open end", wp(`[{"created_at":{"operator":"<>d","values":["2026-11-23",""]}}]`), "3:1,2,3"},
		{"updated up to a day, whole day: <>d with an open start", wp(`[{"updated_at":{"operator":"<>d","values":["","2026-11-22"]}}]`), "2:4,5"},
		// Relative dates on a date.
		{"due today", wp(`[{"dueDate":{"operator":"t"}}]`), "1:1"},
		{"due this week: Monday to the next Monday, both included as in OpenProject", wp(`[{"due_date":{"operator":"w"}}]`), "2:1,2"},
		{"due in 2 days", wp(`[{"due_date":{"operator":"t+","values":["2"]}}]`), "1:2"},
		{"due in less than 2 days: today to in 2 days", wp(`[{"dueDate":{"operator":"<t+","values":["2"]}}]`), "2:1,2"},
		{"due in more than 3 days", wp(`[{"dueDate":{"operator":">t+","values":["3"]}}]`), "1:3"},
		{"due more than 7 days ago", wp(`[{"dueDate":{"operator":"<t-","values":["7"]}}]`), "1:4"},
		{"due less than 7 days ago", wp(`[{"dueDate":{"operator":">t-","values":["7"]}}]`), "2:1,4"},
		{"due on a day: =d", wp(`[{"dueDate":{"operator":"=d","values":["2026-11-30"]}}]`), "1:2"},
		{"due from a day on", wp(`[{"dueDate":{"operator":"<>d","values":["2026-11-29",""]}}]`), "2:2,3"},
		{"due up to a day", wp(`[{"dueDate":{"operator":"<>d","values":["","2026-11-28"]}}]`), "2:1,4"},
		{"sort by due_date (none first)", filtered("/api/v3/work_packages", `[]`, `[["due_date","asc"]]`), "5:5,4,1,2,3"},
		{"sort by status_id, then id", filtered("/api/v3/work_packages", `[]`, `[["status_id","desc"]]`), "5:4,2,3,1,5"},
		{"sort by created_at without filters: open only", filtered("/api/v3/work_packages", "-", `[["created_at","asc"]]`), "3:5,3,1"},
		// Projects.
		{"projects: name_and_identifier matches the identifier", filtered("/api/v3/projects", `[{"name_and_identifier":{"operator":"~","values":["b"]}}]`, ""), "1:2"},
		{"projects: name_and_identifier = the name", filtered("/api/v3/projects", `[{"name_and_identifier":{"operator":"=","values":["a"]}}]`, ""), "1:1"},
		{"projects: parent_id none", filtered("/api/v3/projects", `[{"parent_id":{"operator":"!*","values":[]}}]`, ""), "2:1,2"},
		{"projects: created_at today", filtered("/api/v3/projects", `[{"created_at":{"operator":"t"}}]`, `[["id","desc"]]`), "2:2,1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("GET", tc.url, "", admin)
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if got := ids(t, r); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	for _, bad := range []struct{ name, url, attr string }{
		{"o on a field without statuses", wp(`[{"type":{"operator":"o"}}]`), "type"},
		{"relative without days", wp(`[{"createdAt":{"operator":">t-","values":[]}}]`), "createdAt"},
		{"relative with a word", wp(`[{"createdAt":{"operator":"<t+","values":["soon"]}}]`), "createdAt"},
		{"between with both ends open", wp(`[{"dueDate":{"operator":"<>d","values":["",""]}}]`), "dueDate"},
		{"value that is an object", wp(`[{"status_id":{"operator":"=","values":[{"id":1}]}}]`), "status_id"},
		{"a filter work packages do not have", wp(`[{"parent_id":{"operator":"=","values":["1"]}}]`), "parent_id"},
		{"a sort work packages do not have", filtered("/api/v3/work_packages", "-", `[["parent_id","asc"]]`), "sortBy"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			r := e.do("GET", bad.url, "", admin)
			if r.status != 400 || errorID(t, r) != "InvalidQuery" || !strings.Contains(r.body, `"attribute":"`+bad.attr+`"`) {
				t.Errorf("%d %s", r.status, r.body)
			}
		})
	}

	// The relative filters count from the clock, and a cached page of
	// yesterday's "today" is not today's.
	t.Run("the day moves without a write", func(t *testing.T) {
		today := wp(`[{"createdAt":{"operator":"t"}}]`)
		lastDay := wp(`[{"createdAt":{"operator":">t-","values":["1"]}}]`)
		if got := ids(t, e.do("GET", today, "", admin)); got != "1:1" {
			t.Fatalf("today: %s", got)
		}
		if got := ids(t, e.do("GET", lastDay, "", admin)); got != "2:1,2" {
			t.Fatalf("since yesterday: %s", got)
		}
		saved := e.clock.t
		defer func() { e.clock.t = saved }()
		e.clock.t = time.Date(2026, 11, 29, 0, 30, 0, 0, time.UTC)
		if got := ids(t, e.do("GET", today, "", admin)); got != "0:" {
			t.Errorf("today, a day later: %s", got)
		}
		if got := ids(t, e.do("GET", lastDay, "", admin)); got != "1:1" {
			t.Errorf("since yesterday, a day later: %s", got)
		}
		// Monday: a new week.
		e.clock.t = time.Date(2026, 11, 30, 8, 0, 0, 0, time.UTC)
		if got := ids(t, e.do("GET", wp(`[{"createdAt":{"operator":"w"}}]`), "", admin)); got != "0:" {
			t.Errorf("this week, on the next Monday: %s", got)
		}
	})
}

// TestDefaultFilterTotals: the total of the default (open) collection comes
// from the kept counts less the closed work packages; it must equal the
// counted total of the same filter after every kind of write, for every viewer.
func TestDefaultFilterTotals(t *testing.T) {
	e := newEnv(t)
	queryWorkPackages(t, e)
	admin := bearer(e.adminTok)
	check := func(step string) {
		t.Helper()
		for _, as := range []string{admin, bearer(e.userTok)} {
			for _, base := range []string{"/api/v3/work_packages", "/api/v3/projects/1/work_packages", "/api/v3/projects/2/work_packages"} {
				def := e.do("GET", base+"?pageSize=0", "", as)
				counted := e.do("GET", filtered(base, `[{"status":{"operator":"!","values":["12","14"]}}]`, "")+"&pageSize=0", "", as)
				if def.status != counted.status {
					t.Errorf("%s: %s: %d, counted %d", step, base, def.status, counted.status)
					continue
				}
				if def.status == 200 && ids(t, def) != ids(t, counted) {
					t.Errorf("%s: %s: default total %s, counted %s", step, base, ids(t, def), ids(t, counted))
				}
			}
		}
	}
	total := func() string {
		return ids(t, e.do("GET", "/api/v3/work_packages?pageSize=0", "", admin))
	}
	check("seeded")
	if got := total(); got != "3:" {
		t.Fatalf("open total %s, want 3", got)
	}
	steps := []struct{ name, method, url, body, want string }{
		{"close one", "PATCH", "/api/v3/work_packages/1", `{"lockVersion":0,"_links":{"status":{"href":"/api/v3/statuses/12"}}}`, "2:"},
		{"reopen a closed one", "PATCH", "/api/v3/work_packages/4", `{"lockVersion":0,"_links":{"status":{"href":"/api/v3/statuses/1"}}}`, "3:"},
		{"move an open one to the other project", "PATCH", "/api/v3/work_packages/3", `{"lockVersion":0,"_links":{"project":{"href":"/api/v3/projects/2"}}}`, "3:"},
		{"create an open one", "POST", "/api/v3/work_packages", wpBody("Six", ""), "4:"},
		{"create a closed one", "POST", "/api/v3/work_packages", `{"subject":"Seven","_links":{"project":{"href":"/api/v3/projects/1"},"status":{"href":"/api/v3/statuses/14"}}}`, "4:"},
		{"delete an open one", "DELETE", "/api/v3/work_packages/5", "", "3:"},
		{"make project 2 private", "PATCH", "/api/v3/projects/2", `{"public":false}`, "3:"},
	}
	for _, st := range steps {
		r := e.do(st.method, st.url, st.body, admin)
		if r.status >= 300 {
			t.Fatalf("%s: %d %s", st.name, r.status, r.body)
		}
		if got := total(); got != st.want {
			t.Errorf("%s: open total %s, want %s", st.name, got, st.want)
		}
		check(st.name)
	}
}

func TestTimeEntryQueries(t *testing.T) {
	e := newEnv(t)
	queryWorkPackages(t, e)
	admin, user := bearer(e.adminTok), bearer(e.userTok)
	for _, te := range []struct{ as, body string }{
		{admin, `{"hours":"PT2H","spentOn":"2026-11-28","_links":{"workPackage":{"href":"/api/v3/work_packages/1"}}}`},
		{user, `{"hours":"PT1H","spentOn":"2026-11-23","_links":{"workPackage":{"href":"/api/v3/work_packages/1"}}}`},
		{admin, `{"hours":"PT3H","spentOn":"2026-11-20","_links":{"workPackage":{"href":"/api/v3/work_packages/5"}}}`},
	} {
		if r := e.do("POST", "/api/v3/time_entries", te.body, te.as); r.status != 201 {
			t.Fatal(r.body)
		}
	}
	te := func(filters, sortBy string) string { return filtered("/api/v3/time_entries", filters, sortBy) }
	uid := strconv.FormatInt(e.user.ID, 10)
	for _, tc := range []struct{ name, url, want string }{
		{"work_package", te(`[{"work_package":{"operator":"=","values":["1"]}}]`, ""), "2:1,2"},
		{"work_package_id as a number", te(`[{"work_package_id":{"operator":"=","values":[1]}}]`, ""), "2:1,2"},
		{"workPackage", te(`[{"workPackage":{"operator":"=","values":["5"]}}]`, ""), "1:3"},
		{"project", te(`[{"project":{"operator":"=","values":["2"]}}]`, ""), "1:3"},
		{"user", te(`[{"user":{"operator":"=","values":["`+uid+`"]}}]`, ""), "1:2"},
		{"user_id me", te(`[{"user_id":{"operator":"=","values":["me"]}}]`, ""), "2:1,3"},
		{"spent_on today", te(`[{"spent_on":{"operator":"t"}}]`, ""), "1:1"},
		{"spent_on this week", te(`[{"spent_on":{"operator":"w"}}]`, ""), "2:1,2"},
		{"spent_on less than 5 days ago", te(`[{"spent_on":{"operator":">t-","values":["5"]}}]`, ""), "2:1,2"},
		{"spent_on up to a day", te(`[{"spent_on":{"operator":"<>d","values":["","2026-11-23"]}}]`, ""), "2:2,3"},
		{"spent_on =d", te(`[{"spentOn":{"operator":"=d","values":["2026-11-20"]}}]`, ""), "1:3"},
		{"created_at today", te(`[{"created_at":{"operator":"t"}}]`, ""), "3:1,2,3"},
		{"updated_at more than a day ago", te(`[{"updated_at":{"operator":"<t-","values":["1"]}}]`, ""), "0:"},
		{"sort by hours", te("-", `[["hours","desc"]]`), "3:3,1,2"},
		{"sort by spent_on", te("-", `[["spent_on","asc"]]`), "3:3,2,1"},
		{"sort by created_at, then id", te("-", `[["created_at","desc"]]`), "3:1,2,3"},
		{"sort by updated_at", te("-", `[["updated_at","asc"]]`), "3:1,2,3"},
		{"sort by id", te("-", `[["id","desc"]]`), "3:3,2,1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("GET", tc.url, "", admin)
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if got := ids(t, r); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	for _, bad := range []struct{ name, url, attr string }{
		{"hours sorts but does not filter", te(`[{"hours":{"operator":"=","values":["1"]}}]`, ""), "hours"},
		{"an unknown filter", te(`[{"ongoing":{"operator":"=","values":["t"]}}]`, ""), "ongoing"},
		{"an unknown sort", te("-", `[["comment","asc"]]`), "sortBy"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			r := e.do("GET", bad.url, "", admin)
			if r.status != 400 || errorID(t, r) != "InvalidQuery" || !strings.Contains(r.body, `"attribute":"`+bad.attr+`"`) {
				t.Errorf("%d %s", r.status, r.body)
			}
		})
	}
}

func TestUserQueries(t *testing.T) {
	e := newEnv(t)
	e.newUser("zed", false) // Zed Doe, id 3
	admin := bearer(e.adminTok)
	u := func(filters, sortBy string) string { return filtered("/api/v3/users", filters, sortBy) }
	if _, err := e.store.DB.ExecContext(t.Context(), "UPDATE users SET status = 'locked', email = 'zed@example.com' WHERE login = 'zed'"); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, url, want string }{
		{"no filters: every user", "/api/v3/users", "3:1,2,3"},
		{"login =", u(`[{"login":{"operator":"=","values":["JANE"]}}]`, ""), "1:2"},
		{"login ~", u(`[{"login":{"operator":"~","values":["e"]}}]`, ""), "2:2,3"},
		{"name ~ first and last name", u(`[{"name":{"operator":"~","values":["jane doe"]}}]`, ""), "1:2"},
		{"name ~ last name", u(`[{"name":{"operator":"~","values":["doe"]}}]`, ""), "3:1,2,3"},
		{"name ~ e-mail", u(`[{"name":{"operator":"~","values":["example.com"]}}]`, ""), "1:3"},
		{"status =", u(`[{"status":{"operator":"=","values":["active"]}}]`, ""), "2:1,2"},
		{"status !", u(`[{"status":{"operator":"!","values":["active"]}}]`, ""), "1:3"},
		{"id =", u(`[{"id":{"operator":"=","values":[1,3]}}]`, ""), "2:1,3"},
		{"sort by login desc", u("-", `[["login","desc"]]`), "3:3,2,1"},
		{"sort by name", u("-", `[["name","asc"]]`), "3:1,2,3"},
		{"sort by status, then id", u("-", `[["status","desc"]]`), "3:3,1,2"},
		{"sort by id desc", u("-", `[["id","desc"]]`), "3:3,2,1"},
		{"paged", "/api/v3/users?pageSize=1&offset=2", "3:2"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("GET", tc.url, "", admin)
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if got := ids(t, r); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	// What /api/v3/users does not know is refused, never ignored.
	for _, bad := range []struct{ name, url, attr string }{
		{"group", u(`[{"group":{"operator":"=","values":["1"]}}]`, ""), "group"},
		{"an operator login lacks", u(`[{"login":{"operator":">=","values":["a"]}}]`, ""), "login"},
		{"sort by email", u("-", `[["email","asc"]]`), "sortBy"},
		{"filters not JSON", "/api/v3/users?filters=login%3Dadmin", "filters"},
	} {
		t.Run(bad.name, func(t *testing.T) {
			r := e.do("GET", bad.url, "", admin)
			if r.status != 400 || errorID(t, r) != "InvalidQuery" || !strings.Contains(r.body, `"attribute":"`+bad.attr+`"`) {
				t.Errorf("%d %s", r.status, r.body)
			}
		})
	}
}

// collectionBody is what the paging tests read of a collection.
type collectionBody struct {
	Total    int  `json:"total"`
	Count    int  `json:"count"`
	PageSize *int `json:"pageSize"`
	Offset   *int `json:"offset"`
	Embedded struct {
		Elements []struct {
			Links struct {
				Self struct {
					Href string `json:"href"`
				} `json:"self"`
			} `json:"_links"`
		} `json:"elements"`
	} `json:"_embedded"`
	Links map[string]json.RawMessage `json:"_links"`
}

func readCollection(t *testing.T, r resp) collectionBody {
	t.Helper()
	var c collectionBody
	if r.status != 200 {
		t.Fatalf("%d %s", r.status, r.body)
	}
	if err := json.Unmarshal([]byte(r.body), &c); err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
	return c
}

// seedMore adds work packages, comments and projects to e.seed()'s, so that
// every collection has more than one page of one element.
func seedMore(t *testing.T, e *env) {
	t.Helper()
	e.seed()
	admin := bearer(e.adminTok)
	for _, p := range []struct{ path, body string }{
		{"/api/v3/work_packages", wpBody("Second", "")},
		{"/api/v3/work_packages", wpBody("Third", "")},
		{"/api/v3/work_packages/1/activities", `{"comment":{"raw":"Again"}}`},
		{"/api/v3/time_entries", `{"hours":"PT1H","spentOn":"2026-11-28","_links":{"workPackage":{"href":"/api/v3/work_packages/2"}}}`},
	} {
		if r := e.do("POST", p.path, p.body, admin); r.status != 201 {
			t.Fatalf("POST %s: %d %s", p.path, r.status, r.body)
		}
	}
	if r := e.upload(1, "more.txt", []byte("more"), e.adminTok); r.status != 201 {
		t.Fatal(r.body)
	}
}

// collectionRoutes are the GET routes that answer a collection, with their
// path parameter filled in, and whether the route table says they page.
func collectionRoutes(e *env) map[string]bool {
	out := map[string]bool{}
	for _, r := range e.routes() {
		if r.method == "GET" && strings.HasSuffix(r.doc.resp, "Collection") {
			path := strings.ReplaceAll(r.path, ":id", "1")
			if path == "/api/v3/work_packages/schemas" { // listed by id only
				path += "?filters=" + url.QueryEscape(`[{"id":{"operator":"=","values":["1-1"]}}]`)
			}
			out[path] = r.doc.paged
		}
	}
	return out
}

// TestUnpagedCollections: statuses, types, priorities and a work package's
// activities and attachments answer as OpenProject does: every element,
// total and count, no offset, pageSize or paging links, whatever the request
// asks; the others page and clamp.
func TestUnpagedCollections(t *testing.T) {
	e := newEnv(t)
	seedMore(t, e)
	admin := bearer(e.adminTok)
	unpaged := []string{"/api/v3/statuses", "/api/v3/types", "/api/v3/priorities", "/api/v3/work_packages/1/activities", "/api/v3/work_packages/1/attachments"}
	routes := collectionRoutes(e)
	for _, path := range unpaged {
		t.Run(path, func(t *testing.T) {
			if paged, ok := routes[path]; !ok || paged {
				t.Fatalf("the route table does not list %s as an unpaged collection (listed %v, paged %v)", path, ok, paged)
			}
			full := readCollection(t, e.do("GET", path, "", admin))
			if full.Total < 2 || full.Count != full.Total || len(full.Embedded.Elements) != full.Total {
				t.Errorf("total %d, count %d, elements %d: want all of them", full.Total, full.Count, len(full.Embedded.Elements))
			}
			for _, q := range []string{"", "?offset=2&pageSize=1", "?pageSize=0", "?pageSize=-1", "?offset=99", "?filters=%5B%5D"} {
				r := e.do("GET", path+q, "", admin)
				c := readCollection(t, r)
				if c.PageSize != nil || c.Offset != nil {
					t.Errorf("GET %s%s claims paging: %s", path, q, r.body)
				}
				if c.Total != full.Total || c.Count != full.Total || len(c.Embedded.Elements) != full.Total {
					t.Errorf("GET %s%s: total %d count %d elements %d, want %d of each", path, q, c.Total, c.Count, len(c.Embedded.Elements), full.Total)
				}
				if len(c.Links) != 1 || c.Links["self"] == nil || !strings.Contains(string(c.Links["self"]), `"href":"`+path+`"`) {
					t.Errorf("GET %s%s: links %s, want self only", path, q, r.body)
				}
			}
			for _, q := range []string{
				"?filters=" + url.QueryEscape(`[{"name":{"operator":"=","values":["x"]}}]`),
				"?sortBy=" + url.QueryEscape(`[["position","asc"]]`),
			} {
				r := e.do("GET", path+q, "", admin)
				if r.status != 400 || errorID(t, r) != "InvalidQuery" {
					t.Errorf("GET %s%s: %d %s, want a 400 InvalidQuery", path, q, r.status, r.body)
				}
			}
		})
	}
	// Other collections OpenProject renders unpaged (its
	// UnpaginatedCollection representers), should the route table have them.
	alsoUnpaged := []string{"/api/v3/projects/1/types", "/api/v3/projects/1/categories", "/api/v3/work_packages/1/relations",
		"/api/v3/projects/1/available_assignees", "/api/v3/work_packages/schemas"}
	e.patchSettings(`{"maxPageSize":2}`)
	for path, paged := range routes {
		if !paged {
			bare, _, _ := strings.Cut(path, "?")
			if !slices.Contains(unpaged, bare) && !slices.Contains(alsoUnpaged, bare) {
				t.Errorf("%s does not page and is not one of the collections OpenProject leaves unpaged", path)
			}
			continue
		}
		t.Run(path, func(t *testing.T) {
			r := e.do("GET", path+"?filters=%5B%5D&pageSize=50", "", admin)
			c := readCollection(t, r)
			if c.PageSize == nil || *c.PageSize != 2 || c.Offset == nil || *c.Offset != 1 || c.Count > 2 || c.Links["jumpTo"] == nil || c.Links["changeSize"] == nil {
				t.Errorf("pageSize 50 under maxPageSize 2: %s", r.body)
			}
		})
	}
}

// TestClientPagesEveryCollectionToItsEnd is a client written from
// OpenProject's documentation: it asks for pages of one element and follows
// the offset and pageSize the server answers, until the server has said all
// (total < offset × pageSize) or answered a collection without paging, which
// holds every element. It must stop on every collection with every element
// exactly once.
func TestClientPagesEveryCollectionToItsEnd(t *testing.T) {
	e := newEnv(t)
	seedMore(t, e)
	admin := bearer(e.adminTok)
	for path := range collectionRoutes(e) {
		t.Run(path, func(t *testing.T) {
			seen := map[string]bool{}
			total := -1
			offset, size := 1, 1
			for requests := 1; ; requests++ {
				if requests > 50 {
					t.Fatalf("still paging after %d requests (%d of %d elements)", requests-1, len(seen), total)
				}
				sep := "?"
				if strings.Contains(path, "?") {
					sep = "&"
				}
				c := readCollection(t, e.do("GET", path+sep+"offset="+strconv.Itoa(offset)+"&pageSize="+strconv.Itoa(size), "", admin))
				total = c.Total
				for i, el := range c.Embedded.Elements {
					href := el.Links.Self.Href
					if href == "" { // an element without a self link counts by position
						href = strconv.Itoa(requests) + "/" + strconv.Itoa(i)
					}
					if seen[href] {
						t.Errorf("%s answered twice", href)
					}
					seen[href] = true
				}
				if c.Offset == nil || c.PageSize == nil {
					if c.Count != c.Total {
						t.Errorf("an unpaged answer with count %d of total %d", c.Count, c.Total)
					}
					break
				}
				if c.Total < *c.Offset**c.PageSize {
					break
				}
				offset, size = *c.Offset+1, *c.PageSize
			}
			if len(seen) != total {
				t.Errorf("collected %d elements, total %d", len(seen), total)
			}
		})
	}
}

// TestCollectionsConformToOpenProject validates paged and unpaged collections,
// filtered answers and query errors against OpenProject's own schemas.
func TestCollectionsConformToOpenProject(t *testing.T) {
	schema := openProjectSchemas(t)
	e := newEnv(t)
	seedMore(t, e)
	admin := bearer(e.adminTok)
	for _, c := range []struct{ path, schema string }{
		{"/api/v3/statuses", "status_collection_model"},
		{"/api/v3/statuses?offset=2&pageSize=1", "status_collection_model"},
		{"/api/v3/priorities", "priority_collection_model"},
		{"/api/v3/types", "collection_model"},
		{"/api/v3/work_packages/1/attachments", "attachments_model"},
		{"/api/v3/work_packages/1/activities", "collection_model"},
		{"/api/v3/users?pageSize=1", "offset_paginated_collection_model"},
		{"/api/v3/users?" + url.Values{"filters": {`[{"login":{"operator":"~","values":["a"]}}]`}, "sortBy": {`[["name","desc"]]`}}.Encode(), "user_collection_model"},
		{"/api/v3/projects?pageSize=1", "project_collection_model"},
		{"/api/v3/projects?filters=" + url.QueryEscape(`[{"name_and_identifier":{"operator":"~","values":["demo"]}}]`), "project_collection_model"},
		{"/api/v3/work_packages?pageSize=1", "offset_paginated_collection_model"},
		{"/api/v3/work_packages?filters=" + url.QueryEscape(`[{"status_id":{"operator":"o"}},{"updated_at":{"operator":">t-","values":["1"]}}]`), "offset_paginated_collection_model"},
		{"/api/v3/time_entries?pageSize=1&offset=2", "time_entry_collection_model"},
		{"/api/v3/time_entries?pageSize=1&offset=2", "offset_paginated_collection_model"},
		{"/api/v3/time_entries?filters=" + url.QueryEscape(`[{"spent_on":{"operator":"w"}}]`), "time_entry_collection_model"},
	} {
		r := e.do("GET", c.path, "", admin)
		if r.status != 200 {
			t.Fatalf("GET %s: %d %s", c.path, r.status, r.body)
		}
		conforms(t, schema(c.schema), "GET "+c.path, []byte(r.body))
	}
	for _, path := range []string{
		"/api/v3/users?filters=" + url.QueryEscape(`[{"group":{"operator":"=","values":["1"]}}]`),
		"/api/v3/statuses?filters=" + url.QueryEscape(`[{"isClosed":{"operator":"=","values":["t"]}}]`),
		"/api/v3/work_packages?filters=" + url.QueryEscape(`[{"createdAt":{"operator":"<t-","values":["many"]}}]`),
	} {
		r := e.do("GET", path, "", admin)
		if r.status != 400 {
			t.Fatalf("GET %s: %d %s", path, r.status, r.body)
		}
		conforms(t, schema("error_response"), "GET "+path, []byte(r.body))
	}
}

// TestOpenAPISaysWhichCollectionsPage: the document's collections agree with
// the route table: a paged route takes offset and pageSize and answers a
// schema that requires them; any other collection's schema forbids them.
func TestOpenAPISaysWhichCollectionsPage(t *testing.T) {
	e := newEnv(t)
	var doc struct {
		Paths      map[string]map[string]map[string]any `json:"paths"`
		Components struct {
			Schemas map[string]struct {
				Required []string       `json:"required"`
				Not      map[string]any `json:"not"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal([]byte(e.do("GET", "/api/v3/openapi.json", "").body), &doc); err != nil {
		t.Fatal(err)
	}
	for _, r := range e.routes() {
		if r.method != "GET" || !strings.HasSuffix(r.doc.resp, "Collection") {
			continue
		}
		path := pathParam.ReplaceAllString(r.path, "{$1}")
		opDoc := doc.Paths[path]["get"]
		params, _ := json.Marshal(opDoc["parameters"])
		takesOffset := strings.Contains(string(params), `"name":"offset"`)
		schema := doc.Components.Schemas[r.doc.resp]
		requiresOffset := slices.Contains(schema.Required, "offset") && slices.Contains(schema.Required, "pageSize")
		if r.doc.paged != takesOffset || r.doc.paged != requiresOffset {
			t.Errorf("%s: paged %v, takes offset %v, schema %s requires offset and pageSize %v", r.path, r.doc.paged, takesOffset, r.doc.resp, requiresOffset)
		}
		if !r.doc.paged && schema.Not == nil {
			t.Errorf("%s: schema %s of an unpaged collection does not rule out offset and pageSize", r.path, r.doc.resp)
		}
		responses, _ := json.Marshal(opDoc["responses"])
		if !strings.Contains(string(responses), `"400"`) {
			t.Errorf("%s: the 400 for an unknown filter or sort is not documented", r.path)
		}
	}
}
