package httpapi

import (
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"
)

// Scenarios whose answers could differ between SQLite and PostgreSQL; like
// every test here they run on both (HOOKPOST_TEST_DATABASE_URL).

// TestSortingPutsEmptyValuesAsSQLiteDoes: work packages without a finish
// date come first going up and last going down, on both databases
// (PostgreSQL's default is the other way round).
func TestSortingPutsEmptyValuesAsSQLiteDoes(t *testing.T) {
	e := newEnv(t)
	admin := bearer(e.adminTok)
	if r := e.do("POST", "/api/v3/projects", `{"identifier":"demo","name":"Demo","public":true}`, admin); r.status != 201 {
		t.Fatalf("project: %d %s", r.status, r.body)
	}
	for _, wp := range []string{wpBody("Dated", `,"dueDate":"2026-12-24"`), wpBody("Open-ended", "")} {
		if r := e.do("POST", "/api/v3/work_packages", wp, admin); r.status != 201 {
			t.Fatalf("work package: %d %s", r.status, r.body)
		}
	}
	for dir, want := range map[string]string{"asc": "Open-ended,Dated", "desc": "Dated,Open-ended"} {
		r := e.do("GET", "/api/v3/work_packages?sortBy="+url.QueryEscape(`[["dueDate","`+dir+`"]]`), "", admin)
		if r.status != 200 {
			t.Fatalf("list: %d %s", r.status, r.body)
		}
		var list struct {
			Embedded struct {
				Elements []struct {
					Subject string `json:"subject"`
				} `json:"elements"`
			} `json:"_embedded"`
		}
		if err := json.Unmarshal([]byte(r.body), &list); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, el := range list.Embedded.Elements {
			got = append(got, el.Subject)
		}
		if strings.Join(got, ",") != want {
			t.Errorf("sorted by dueDate %s: %v, want %s", dir, got, want)
		}
	}
}

// TestInstancesCreatingProjectsAtOnce: two instances on one database derive
// identifiers for projects of the same name at the same time; each project
// gets its own identifier, and no request fails.
func TestInstancesCreatingProjectsAtOnce(t *testing.T) {
	a, b := newSharedEnvs(t)
	const perInstance = 6
	var wg sync.WaitGroup
	var mu sync.Mutex
	idents := map[string]bool{}
	for _, e := range []*env{a, b} {
		for range perInstance {
			wg.Go(func() {
				r := e.do("POST", "/api/v3/projects", `{"name":"Demo"}`, bearer(e.adminTok))
				if r.status != 201 {
					t.Errorf("create: %d %s", r.status, r.body)
					return
				}
				var p struct {
					Identifier string `json:"identifier"`
				}
				_ = json.Unmarshal([]byte(r.body), &p)
				mu.Lock()
				idents[p.Identifier] = true
				mu.Unlock()
			})
		}
	}
	wg.Wait()
	if len(idents) != 2*perInstance {
		t.Fatalf("%d distinct identifiers for %d projects: %v", len(idents), 2*perInstance, idents)
	}
}

// TestInstancesCommentingAtOnce: comments made through two instances on one
// work package at the same time each get a version of their own.
func TestInstancesCommentingAtOnce(t *testing.T) {
	a, b := newSharedEnvs(t)
	admin := bearer(a.adminTok)
	if r := a.do("POST", "/api/v3/projects", `{"identifier":"demo","name":"Demo","public":true}`, admin); r.status != 201 {
		t.Fatalf("project: %d %s", r.status, r.body)
	}
	if r := a.do("POST", "/api/v3/work_packages", wpBody("Talked about", ""), admin); r.status != 201 {
		t.Fatalf("work package: %d %s", r.status, r.body)
	}
	const perInstance = 6
	var wg sync.WaitGroup
	for _, e := range []*env{a, b} {
		for range perInstance {
			wg.Go(func() {
				if r := e.do("POST", "/api/v3/work_packages/1/activities", `{"comment":{"raw":"Hello"}}`, admin); r.status != 201 {
					t.Errorf("comment: %d %s", r.status, r.body)
				}
			})
		}
	}
	wg.Wait()
	var versions []int
	if err := a.store.Read.NewRaw("SELECT version FROM comments WHERE work_package_id = 1 ORDER BY version").Scan(t.Context(), &versions); err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, v := range versions {
		if seen[v] {
			t.Fatalf("comment versions %v: two comments share a version", versions)
		}
		seen[v] = true
	}
	if len(versions) != 2*perInstance {
		t.Fatalf("%d comments, want %d", len(versions), 2*perInstance)
	}
}
