package httpapi

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

// A write answers with the view it built inside its transaction (the one
// its event was rendered from): that answer is what a GET right after it
// gives, for a user who is neither an administrator nor alone on the work
// package (an assignee, logged time, comments).
func TestWritesAnswerAsGetDoes(t *testing.T) {
	e := newEnv(t)
	if r := e.do("POST", "/api/v3/projects", `{"identifier":"demo","name":"Demo","public":true}`, bearer(e.adminTok)); r.status != 201 {
		t.Fatal(r.body)
	}
	sam, _ := e.newUser("sam", false)
	as := bearer(e.userTok) // jane
	created := func(method, target, body string, status int) map[string]any {
		t.Helper()
		r := e.do(method, target, body, as)
		if r.status != status {
			t.Fatalf("%s %s: %d %s", method, target, r.status, r.body)
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(r.body), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	sameAsGet := func(name string, answer map[string]any, target string) {
		t.Helper()
		got := created("GET", target, "", 200)
		if !reflect.DeepEqual(answer, got) {
			a, _ := json.Marshal(answer)
			g, _ := json.Marshal(got)
			t.Errorf("%s answered\n%s\nGET %s gives\n%s", name, a, target, g)
		}
	}
	wp := created("POST", "/api/v3/work_packages",
		fmt.Sprintf(`{"subject":"Answered","_links":{"project":{"href":"/api/v3/projects/1"},"assignee":{"href":"/api/v3/users/%d"}}}`, sam.ID), 201)
	wpURL := fmt.Sprintf("/api/v3/work_packages/%v", wp["id"])
	te := created("POST", "/api/v3/time_entries", fmt.Sprintf(`{"hours":"PT1H30M","spentOn":"2026-11-27","_links":{"workPackage":{"href":"%s"}}}`, wpURL), 201)
	teURL := fmt.Sprintf("/api/v3/time_entries/%v", te["id"])
	sameAsGet("time entry POST", te, teURL)

	patched := created("PATCH", wpURL, `{"lockVersion":0,"subject":"Answered again","estimatedTime":"PT3H","_links":{"status":{"href":"/api/v3/statuses/7"}}}`, 200)
	if patched["spentTime"] != "PT1H30M" || patched["lockVersion"] != float64(1) {
		t.Errorf("PATCH answered spent time %v, lock version %v", patched["spentTime"], patched["lockVersion"])
	}
	sameAsGet("work package PATCH", patched, wpURL)

	comment := created("POST", wpURL+"/activities", `{"comment":{"raw":"First"}}`, 201)
	commentURL := fmt.Sprintf("/api/v3/activities/%v", comment["id"])
	sameAsGet("comment POST", comment, commentURL)
	sameAsGet("comment PATCH", created("PATCH", commentURL, `{"comment":{"raw":"First, edited"}}`, 200), commentURL)
	sameAsGet("time entry PATCH", created("PATCH", teURL, `{"hours":"PT2H","comment":{"raw":"More"}}`, 200), teURL)
}
