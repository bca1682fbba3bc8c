package httpapi

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/tracker"
)

func ids(t *testing.T, r resp) string {
	t.Helper()
	var c struct {
		Total    int `json:"total"`
		Embedded struct {
			Elements []struct {
				ID int64 `json:"id"`
			} `json:"elements"`
		} `json:"_embedded"`
	}
	if err := json.Unmarshal([]byte(r.body), &c); err != nil {
		t.Fatalf("%v: %s", err, r.body)
	}
	var out []string
	for _, el := range c.Embedded.Elements {
		out = append(out, itoa(el.ID))
	}
	return fmt.Sprintf("%d:%s", c.Total, strings.Join(out, ","))
}

func TestWorkPackageFiltersSortAndPages(t *testing.T) {
	e := newEnv(t)
	admin := bearer(e.adminTok)
	for _, body := range []string{`{"identifier":"a","name":"A","public":true}`, `{"identifier":"b","name":"B","public":true}`} {
		if r := e.do("POST", "/api/v3/projects", body, admin); r.status != 201 {
			t.Fatal(r.body)
		}
	}
	// Five work packages, one day apart: 1..3 in project 1, 4..5 in project 2.
	wps := []string{
		`{"subject":"Alpha bug","_links":{"project":{"href":"/api/v3/projects/1"},"type":{"href":"/api/v3/types/7"}}}`,
		`{"subject":"beta feature","_links":{"project":{"href":"/api/v3/projects/1"},"status":{"href":"/api/v3/statuses/7"},"assignee":{"href":"/api/v3/users/2"}}}`,
		`{"subject":"Gamma","_links":{"project":{"href":"/api/v3/projects/1"},"status":{"href":"/api/v3/statuses/12"},"assignee":{"href":"/api/v3/users/1"}}}`,
		`{"subject":"delta BUG","_links":{"project":{"href":"/api/v3/projects/2"},"type":{"href":"/api/v3/types/7"}}}`,
		`{"subject":"Epsilon","_links":{"project":{"href":"/api/v3/projects/2"},"status":{"href":"/api/v3/statuses/7"}}}`,
	}
	start := e.clock.t
	for i, body := range wps {
		e.clock.t = start.Add(time.Duration(i) * 24 * time.Hour)
		tok := admin
		if i%2 == 1 {
			tok = bearer(e.userTok)
		}
		if r := e.do("POST", "/api/v3/work_packages", body, tok); r.status != 201 {
			t.Fatal(r.body)
		}
	}
	day := func(i int) string { return start.Add(time.Duration(i) * 24 * time.Hour).Format("2006-01-02") }
	f := func(filters string) string { return "/api/v3/work_packages?filters=" + url.QueryEscape(filters) }
	cases := []struct {
		name, url, want string
	}{
		{"all", "/api/v3/work_packages", "5:1,2,3,4,5"},
		{"project =", f(`[{"project":{"operator":"=","values":["2"]}}]`), "2:4,5"},
		{"project via its collection", "/api/v3/projects/1/work_packages", "3:1,2,3"},
		{"status =", f(`[{"status":{"operator":"=","values":["7"]}}]`), "2:2,5"},
		{"status = several", f(`[{"status":{"operator":"=","values":["7","12"]}}]`), "3:2,3,5"},
		{"status !", f(`[{"status":{"operator":"!","values":["1"]}}]`), "3:2,3,5"},
		{"type =", f(`[{"type":{"operator":"=","values":["7"]}}]`), "2:1,4"},
		{"type !", f(`[{"type":{"operator":"!","values":["7"]}}]`), "3:2,3,5"},
		{"author = me", f(`[{"author":{"operator":"=","values":["me"]}}]`), "3:1,3,5"},
		{"author !", f(`[{"author":{"operator":"!","values":["1"]}}]`), "2:2,4"},
		{"assignee =", f(`[{"assignee":{"operator":"=","values":["2"]}}]`), "1:2"},
		{"assignee ! keeps the unassigned", f(`[{"assignee":{"operator":"!","values":["2"]}}]`), "4:1,3,4,5"},
		{"assignee none", f(`[{"assignee":{"operator":"!*","values":[]}}]`), "3:1,4,5"},
		{"assignee any", f(`[{"assignee":{"operator":"*","values":[]}}]`), "2:2,3"},
		{"subject ~ ignores case", f(`[{"subject":{"operator":"~","values":["bug"]}}]`), "2:1,4"},
		{"subject !~", f(`[{"subject":{"operator":"!~","values":["bug"]}}]`), "3:2,3,5"},
		{"subject ~ escapes wildcards", f(`[{"subject":{"operator":"~","values":["%"]}}]`), "0:"},
		{"createdAt >=", f(`[{"createdAt":{"operator":">=","values":["` + day(3) + `"]}}]`), "2:4,5"},
		{"createdAt <= includes the day", f(`[{"createdAt":{"operator":"<=","values":["` + day(1) + `"]}}]`), "2:1,2"},
		{"updatedAt between", f(`[{"updatedAt":{"operator":"<>d","values":["` + day(1) + `","` + day(2) + `"]}}]`), "2:2,3"},
		{"updatedAt >= a time", f(`[{"updatedAt":{"operator":">=","values":["` + start.Add(36*time.Hour).Format(time.RFC3339) + `"]}}]`), "3:3,4,5"},
		{"combined", f(`[{"project":{"operator":"=","values":["1"]}},{"status":{"operator":"!","values":["1"]}}]`), "2:2,3"},
		{"sort by subject desc", "/api/v3/work_packages?sortBy=" + url.QueryEscape(`[["subject","desc"]]`), "5:3,5,4,2,1"},
		{"sort by status then id desc", "/api/v3/work_packages?sortBy=" + url.QueryEscape(`[["status","desc"],["id","desc"]]`), "5:3,5,2,4,1"},
		{"sort by updatedAt desc", "/api/v3/work_packages?sortBy=" + url.QueryEscape(`[["updatedAt","desc"]]`), "5:5,4,3,2,1"},
		{"page 2 of 2", "/api/v3/work_packages?pageSize=2&offset=2", "5:3,4"},
		{"last page", "/api/v3/work_packages?pageSize=2&offset=3", "5:5"},
		{"page past the end", "/api/v3/work_packages?pageSize=2&offset=4", "5:"},
		{"total only", "/api/v3/work_packages?pageSize=0", "5:"},
		{"maximum", "/api/v3/work_packages?pageSize=-1", "5:1,2,3,4,5"},
		{"user sees public projects only", "", ""},
	}
	for _, tc := range cases {
		if tc.url == "" {
			continue
		}
		t.Run(tc.name, func(t *testing.T) {
			// These cases are about all work packages: without filters the
			// collection would answer the open ones only (see
			// TestOpenProjectQueryLanguage).
			target := tc.url
			if !strings.Contains(target, "filters=") {
				target += map[bool]string{true: "&", false: "?"}[strings.Contains(target, "?")] + "filters=%5B%5D"
			}
			r := e.do("GET", target, "", admin)
			if r.status != 200 {
				t.Fatalf("%d %s", r.status, r.body)
			}
			if got := ids(t, r); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	t.Run("clamped to maxPageSize", func(t *testing.T) {
		e.patchSettings(`{"maxPageSize":2}`)
		defer e.patchSettings(`{"maxPageSize":1000}`)
		r := e.do("GET", "/api/v3/work_packages?filters=%5B%5D&pageSize=50", "", admin)
		if got := ids(t, r); got != "5:1,2" || !strings.Contains(r.body, `"pageSize":2`) || !strings.Contains(r.body, `"nextByOffset"`) {
			t.Errorf("clamp: %s %s", got, r.body)
		}
	})
	t.Run("totals follow writes", func(t *testing.T) {
		before := ids(t, e.do("GET", "/api/v3/work_packages?filters=%5B%5D&pageSize=0", "", admin))
		if r := e.do("POST", "/api/v3/work_packages", wpBody("Zeta", ""), admin); r.status != 201 {
			t.Fatal(r.body)
		}
		after := ids(t, e.do("GET", "/api/v3/work_packages?filters=%5B%5D&pageSize=0", "", admin))
		if before != "5:" || after != "6:" {
			t.Errorf("total before %s, after %s", before, after)
		}
	})
	for _, bad := range []struct{ name, url, frag string }{
		{"unknown filter", f(`[{"colour":{"operator":"=","values":["1"]}}]`), `"attribute":"colour"`},
		{"operator the filter lacks", f(`[{"status":{"operator":"~","values":["1"]}}]`), `"attribute":"status"`},
		{"value of the wrong kind", f(`[{"status":{"operator":"=","values":["open"]}}]`), `"attribute":"status"`},
		{"bad date", f(`[{"createdAt":{"operator":">=","values":["yesterday"]}}]`), `"attribute":"createdAt"`},
		{"between with one value", f(`[{"createdAt":{"operator":"<>d","values":["2026-01-01"]}}]`), `"attribute":"createdAt"`},
		{"no values", f(`[{"status":{"operator":"=","values":[]}}]`), `"attribute":"status"`},
		{"filters not JSON", "/api/v3/work_packages?filters=status%3D1", `"attribute":"filters"`},
		{"unknown sort key", "/api/v3/work_packages?sortBy=" + url.QueryEscape(`[["colour","asc"]]`), `"attribute":"sortBy"`},
		{"bad sort direction", "/api/v3/work_packages?sortBy=" + url.QueryEscape(`[["id","up"]]`), `"attribute":"sortBy"`},
	} {
		t.Run(bad.name, func(t *testing.T) {
			r := e.do("GET", bad.url, "", admin)
			if r.status != 400 || errorID(t, r) != "InvalidQuery" || !strings.Contains(r.body, bad.frag) {
				t.Errorf("%d %s", r.status, r.body)
			}
		})
	}
}

// TestOutboxRollback: when anything in a write's transaction fails after the
// row was written, neither the change nor its event survives.
func TestOutboxRollback(t *testing.T) {
	e := newEnv(t)
	if r := e.do("POST", "/api/v3/projects", `{"identifier":"demo","name":"Demo"}`, bearer(e.adminTok)); r.status != 201 {
		t.Fatal(r.body)
	}
	broken, err := tracker.New(context.Background(), tracker.Deps{Store: e.store, Settings: e.settings, Now: e.clock.now,
		Payloads: brokenWorkPackages{hal.EventPayloads}})
	if err != nil {
		t.Fatal(err)
	}
	before := e.lastEventID()
	pid := int64(1)
	subject := "Never"
	if _, err := broken.CreateWorkPackage(context.Background(), e.admin, tracker.WorkPackageInput{Subject: &subject, ProjectID: &pid}); err == nil {
		t.Fatal("create succeeded although its event could not be recorded")
	}
	var n int
	if err := e.store.Read.NewRaw("SELECT count(*) FROM work_packages").Scan(context.Background(), &n); err != nil || n != 0 {
		t.Fatalf("the work package survived the rollback: %d rows, %v", n, err)
	}
	if e.lastEventID() != before {
		t.Fatal("an event was recorded for a rolled-back change")
	}
}

// brokenWorkPackages renders every payload but a work package's.
type brokenWorkPackages struct{ tracker.Payloads }

func (brokenWorkPackages) WorkPackage(tracker.WorkPackageView) (json.RawMessage, error) {
	return nil, fmt.Errorf("renderer down")
}
