package httpapi

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
)

// The delivery log is filtered by outcome and event in the query: a page
// holds only matching attempts, paging with before keeps the filter (and
// skips the attempts that do not match), and an unknown outcome or event
// is a 422 naming the parameter, not an empty list.
func TestDeliveriesFilter(t *testing.T) {
	e, _ := newLiveEnv(t)
	admin := bearer(e.adminTok)
	// The receiver answers by project: ok-* 200, bad-* 400 (failed, not
	// retried), busy-* 503 (retried later).
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		switch {
		case strings.Contains(string(body), `"bad-`):
			w.WriteHeader(400) // not 410, which would disable the webhook mid-round
		case strings.Contains(string(body), `"busy-`):
			w.WriteHeader(503)
		}
	}))
	defer receiver.Close()
	if r := e.do("POST", "/api/admin/webhooks", `{"name":"F","url":"`+receiver.URL+`","events":["project:created","project:updated"]}`, admin); r.status != 201 {
		t.Fatal(r.body)
	}
	for _, id := range []string{"ok-1", "bad-1", "ok-2", "busy-1", "ok-3"} {
		if r := e.do("POST", "/api/v3/projects", `{"identifier":"`+id+`","name":"`+id+`"}`, admin); r.status != 201 {
			t.Fatal(r.body)
		}
	}
	// ok-1 is project 1: renamed, it is delivered as project:updated.
	if r := e.do("PATCH", "/api/v3/projects/1", `{"name":"ok-1 renamed"}`, admin); r.status != 200 {
		t.Fatal(r.body)
	}
	// A round takes as many as the webhook has room for; the clock stands
	// still, so the 503 is not retried.
	for range 3 {
		if _, err := e.dispatch.DispatchDue(t.Context()); err != nil {
			t.Fatal(err)
		}
		e.dispatch.Wait()
	}

	type attempt struct {
		ID           int64
		Event        string
		ResponseCode int
		NextRetryAt  *string
	}
	list := func(query string) []attempt {
		t.Helper()
		r := e.do("GET", "/api/admin/webhooks/1/deliveries"+query, "", admin)
		if r.status != 200 {
			t.Fatalf("%s: %d %s", query, r.status, r.body)
		}
		var got struct{ Deliveries []attempt }
		if err := json.Unmarshal([]byte(r.body), &got); err != nil {
			t.Fatal(err)
		}
		return got.Deliveries
	}
	codes := func(as []attempt) (out []int) {
		for _, a := range as {
			out = append(out, a.ResponseCode)
		}
		return out
	}
	if all := list(""); len(all) != 6 {
		t.Fatalf("all attempts: %+v", all)
	}
	for _, c := range []struct {
		query string
		codes []int // newest first
	}{
		{"?outcome=succeeded", []int{200, 200, 200, 200}},
		{"?outcome=failed", []int{400}},
		{"?outcome=retrying", []int{503}},
		{"?event=project:updated", []int{200}},
		{"?event=project:created&outcome=succeeded", []int{200, 200, 200}},
		{"?event=project:updated&outcome=failed", nil},
		{"?outcome=succeeded&limit=2", []int{200, 200}},
	} {
		got := list(c.query)
		if !slices.Equal(codes(got), c.codes) {
			t.Errorf("%s: codes %v, want %v", c.query, codes(got), c.codes)
		}
		for _, a := range got {
			if strings.Contains(c.query, "event=project:updated") && a.Event != "project:updated" {
				t.Errorf("%s: event %s", c.query, a.Event)
			}
			if strings.Contains(c.query, "outcome=retrying") != (a.NextRetryAt != nil) {
				t.Errorf("%s: %+v", c.query, a)
			}
		}
	}

	// Paging through successes one at a time passes over the 400 and the
	// 503 between them and ends after the fourth.
	var paged []int64
	before := ""
	for range 10 {
		page := list("?outcome=succeeded&limit=1" + before)
		if len(page) == 0 {
			break
		}
		paged = append(paged, page[0].ID)
		before = "&before=" + itoa(page[0].ID)
	}
	var want []int64
	for _, a := range list("") {
		if a.ResponseCode == 200 {
			want = append(want, a.ID)
		}
	}
	if !slices.Equal(paged, want) {
		t.Errorf("paged successes %v, want %v", paged, want)
	}

	for _, c := range []struct{ query, field string }{
		{"?outcome=success", "outcome"},
		{"?outcome=SUCCEEDED", "outcome"},
		{"?event=project:archived", "event"},
		{"?event=" + strings.Repeat("x", 300), "event"},
	} {
		r := e.do("GET", "/api/admin/webhooks/1/deliveries"+c.query, "", admin)
		if r.status != 422 || !strings.Contains(r.body, `"attribute":"`+c.field+`"`) {
			t.Errorf("%s: %d %s", c.query, r.status, r.body)
		}
	}
	if r := e.do("GET", "/api/admin/webhooks/99/deliveries?outcome=failed", "", admin); r.status != 404 {
		t.Errorf("missing webhook: %d %s", r.status, r.body)
	}
}
