package httpapi

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestWebhookAdminAPI(t *testing.T) {
	e := newEnv(t)
	if r := e.do("POST", "/api/v3/projects", `{"identifier":"demo","name":"Demo"}`, bearer(e.adminTok)); r.status != 201 {
		t.Fatal(r.body)
	}
	good := `{"name":"CI","url":"https://hooks.example.com/op","description":"Build trigger","secret":"whsec_c2VjcmV0LWJ5dGVzLWhlcmU=","events":["work_package:created","work_package:updated"],"allProjects":false,"projectIds":[1]}`
	e.run(t, []scenario{
		{"catalogue", "GET", "/api/admin/events", "", "admin", nil, 200, []string{`"resource":"work_package"`, `"name":"work_package_comment:comment"`, `"payloadKey":"activity"`, `"name":"time_entry:deleted"`}, nil},
		{"create", "POST", "/api/admin/webhooks", good, "admin", nil, 201, []string{`"name":"CI"`, `"secretSet":true`, `"secretLast4":"cmU="`, `"events":["work_package:created","work_package:updated"]`, `"projectIds":[1]`, `"allProjects":false`, `"state":"enabled"`}, nil},
		{"the secret is never shown", "GET", "/api/admin/webhooks/1", "", "admin", nil, 200, []string{`"secretSet":true`}, nil},
		{"defaults: enabled, all projects, no secret", "POST", "/api/admin/webhooks", `{"name":"Second","url":"http://10.0.0.5:8080/hook"}`, "admin", nil, 201, []string{`"enabled":true`, `"allProjects":true`, `"secretSet":false`, `"events":[]`, `"ordered":false`}, nil},
		{"ordered", "POST", "/api/admin/webhooks", `{"name":"Ordered","url":"https://hooks.example.com/ordered","ordered":true}`, "admin", nil, 201, []string{`"name":"Ordered"`, `"ordered":true`}, nil},
		{"ordered is kept", "GET", "/api/admin/webhooks/3", "", "admin", nil, 200, []string{`"ordered":true`}, nil},
		{"ordered off", "PATCH", "/api/admin/webhooks/3", `{"ordered":false}`, "admin", nil, 200, []string{`"ordered":false`, `"name":"Ordered"`}, nil},
		{"ordered on", "PATCH", "/api/admin/webhooks/2", `{"ordered":true}`, "admin", nil, 200, []string{`"ordered":true`, `"name":"Second"`}, nil},
		{"ordered not a boolean", "PATCH", "/api/admin/webhooks/2", `{"ordered":"yes"}`, "admin", nil, 422, []string{`"attribute":"ordered"`}, nil},
		{"name taken ignoring case", "POST", "/api/admin/webhooks", `{"name":"ci","url":"https://x.example.com"}`, "admin", nil, 422, []string{`"attribute":"name"`, "already been taken"}, nil},
		{"name missing", "POST", "/api/admin/webhooks", `{"url":"https://x.example.com"}`, "admin", nil, 422, []string{`"attribute":"name"`}, nil},
		{"url missing", "POST", "/api/admin/webhooks", `{"name":"X"}`, "admin", nil, 422, []string{`"attribute":"url"`}, nil},
		{"url not http", "POST", "/api/admin/webhooks", `{"name":"X","url":"ftp://x.example.com"}`, "admin", nil, 422, []string{`"attribute":"url"`, "http"}, nil},
		{"url relative", "POST", "/api/admin/webhooks", `{"name":"X","url":"/hook"}`, "admin", nil, 422, []string{`"attribute":"url"`}, nil},
		{"url with credentials", "POST", "/api/admin/webhooks", `{"name":"X","url":"https://u:p@x.example.com"}`, "admin", nil, 422, []string{`"attribute":"url"`, "secret"}, nil},
		{"unknown event", "POST", "/api/admin/webhooks", `{"name":"X","url":"https://x.example.com","events":["work_package:exploded"]}`, "admin", nil, 422, []string{`"attribute":"events"`, "work_package:exploded"}, nil},
		{"unknown project", "POST", "/api/admin/webhooks", `{"name":"X","url":"https://x.example.com","projectIds":[42]}`, "admin", nil, 422, []string{`"attribute":"projectIds"`, "42"}, nil},
		{"several problems", "POST", "/api/admin/webhooks", `{"name":"","url":"nope","events":["x"]}`, "admin", nil, 422, []string{"MultipleErrors"}, nil},
		{"unknown property", "POST", "/api/admin/webhooks", `{"name":"X","url":"https://x.example.com","colour":"red"}`, "admin", nil, 422, []string{`"attribute":"colour"`}, nil},
		{"non-admin", "POST", "/api/admin/webhooks", good, "user", nil, 403, []string{"MissingPermission"}, nil},
		{"non-admin list", "GET", "/api/admin/webhooks", "", "user", nil, 403, nil, nil},
		{"list", "GET", "/api/admin/webhooks", "", "admin", nil, 200, []string{`"name":"CI"`, `"name":"Second"`, `"ordered":true`}, nil},
		{"disable", "PATCH", "/api/admin/webhooks/1", `{"enabled":false}`, "admin", nil, 200, []string{`"enabled":false`, `"state":"disabled"`, `"events":["work_package:created","work_package:updated"]`}, nil},
		{"rename to a taken name", "PATCH", "/api/admin/webhooks/2", `{"name":"CI"}`, "admin", nil, 422, []string{`"attribute":"name"`}, nil},
		{"keep own name in another case", "PATCH", "/api/admin/webhooks/1", `{"name":"ci"}`, "admin", nil, 200, []string{`"name":"ci"`}, nil},
		{"replace events, all projects", "PATCH", "/api/admin/webhooks/1", `{"events":["project:created"],"allProjects":true,"projectIds":[]}`, "admin", nil, 200, []string{`"events":["project:created"]`, `"projectIds":[]`}, nil},
		{"clear the secret", "PATCH", "/api/admin/webhooks/1", `{"secret":""}`, "admin", nil, 200, []string{`"secretSet":false`}, nil},
		{"unknown webhook", "PATCH", "/api/admin/webhooks/99", `{"enabled":true}`, "admin", nil, 404, nil, nil},
		{"delete", "DELETE", "/api/admin/webhooks/2", "", "admin", nil, 204, nil, nil},
		{"deleted", "GET", "/api/admin/webhooks/2", "", "admin", nil, 404, nil, nil},
	})
	r := e.do("GET", "/api/admin/webhooks/1", "", bearer(e.adminTok))
	if strings.Contains(r.body, "whsec_") || strings.Contains(r.body, `"secret"`) {
		t.Fatalf("a secret leaked: %s", r.body)
	}
}

func TestTestFire(t *testing.T) {
	e := newEnv(t)
	var got []*http.Request
	var bodies []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got, bodies = append(got, r), append(bodies, string(b))
		w.WriteHeader(202)
		_, _ = w.Write([]byte("thanks"))
	}))
	defer srv.Close()
	if r := e.do("POST", "/api/v3/projects", `{"identifier":"demo","name":"Demo"}`, bearer(e.adminTok)); r.status != 201 {
		t.Fatal(r.body)
	}
	if r := e.do("POST", "/api/v3/work_packages", wpBody("Real one", ""), bearer(e.adminTok)); r.status != 201 {
		t.Fatal(r.body)
	}
	e.run(t, []scenario{
		{"disabled webhook", "POST", "/api/admin/webhooks", `{"name":"T","url":"` + srv.URL + `/hook","secret":"s3cret","enabled":false}`, "admin", nil, 201, nil, nil},
		{"test-fire", "POST", "/api/admin/webhooks/1/test", `{"event":"work_package:updated"}`, "admin", nil, 200,
			[]string{`"responseCode":202`, `"responseBody":"thanks"`, `"test":true`, `"X-Op-Signature":"sha1=`, `"Webhook-Signature":"v1,`, `"event":"work_package:updated"`}, nil},
		{"sample of a kind with no resource yet", "POST", "/api/admin/webhooks/1/test", `{"event":"time_entry:created"}`, "admin", nil, 200, []string{`"responseCode":202`, `placeholder`}, nil},
		{"event not in the catalogue", "POST", "/api/admin/webhooks/1/test", `{"event":"nope"}`, "admin", nil, 422, []string{`"attribute":"event"`}, nil},
		{"unknown webhook", "POST", "/api/admin/webhooks/9/test", `{"event":"work_package:updated"}`, "admin", nil, 404, nil, nil},
		{"non-admin", "POST", "/api/admin/webhooks/1/test", `{"event":"work_package:updated"}`, "user", nil, 403, nil, nil},
		{"logged as tests", "GET", "/api/admin/webhooks/1/deliveries", "", "admin", nil, 200, []string{`"test":true`, `"event":"time_entry:created"`}, nil},
	})
	if len(got) != 2 || !strings.Contains(bodies[0], `"subject":"Real one"`) || !strings.Contains(bodies[0], `"action":"work_package:updated"`) {
		t.Fatalf("receiver got %d requests: %v", len(got), bodies)
	}
	if got[0].Header.Get("X-Hookpost-Event") != "work_package:updated" {
		t.Errorf("event header %q", got[0].Header.Get("X-Hookpost-Event"))
	}
}

func TestRedeliverReplayAndMetrics(t *testing.T) {
	e := newEnv(t)
	var ids []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ids = append(ids, r.Header.Get("webhook-id"))
		w.WriteHeader(404) // final: not retried
	}))
	defer srv.Close()
	e.run(t, []scenario{
		{"project", "POST", "/api/v3/projects", `{"identifier":"demo","name":"Demo"}`, "admin", nil, 201, nil, []string{"project:created"}},
		{"webhook", "POST", "/api/admin/webhooks", `{"name":"R","url":"` + srv.URL + `","events":["work_package:created"]}`, "admin", nil, 201, nil, nil},
		{"change", "POST", "/api/v3/work_packages", wpBody("Once", ""), "admin", nil, 201, nil, []string{"work_package:created"}},
	})
	ctx := context.Background()
	dispatchAll := func() {
		t.Helper()
		if _, err := e.dispatch.DispatchDue(ctx); err != nil {
			t.Fatal(err)
		}
		e.dispatch.Wait()
	}
	dispatchAll()
	dispatchAll()
	if len(ids) != 1 {
		t.Fatalf("a 404 was retried: %v", ids)
	}
	e.run(t, []scenario{
		{"replay needs since", "POST", "/api/admin/webhooks/1/replay", `{}`, "admin", nil, 422, []string{`"attribute":"since"`}, nil},
		{"replay", "POST", "/api/admin/webhooks/1/replay", `{"since":"2000-01-01T00:00:00Z"}`, "admin", nil, 202, []string{`"queued":1`}, nil},
	})
	dispatchAll()
	e.run(t, []scenario{
		{"redeliver", "POST", "/api/admin/deliveries/1/redeliver", "", "admin", nil, 202, nil, nil},
		{"redeliver unknown", "POST", "/api/admin/deliveries/99/redeliver", "", "admin", nil, 404, nil, nil},
	})
	dispatchAll()
	if len(ids) != 3 || ids[0] != ids[1] || ids[1] != ids[2] {
		t.Fatalf("replay and redelivery must reuse the webhook-id: %v", ids)
	}
	m := e.do("GET", "/metrics", "", bearer(e.adminTok))
	for _, want := range []string{`hookpost_webhook_deliveries_total{outcome="failed"} 3`, `hookpost_webhook_failures_total{webhook_id="1"} 3`,
		"hookpost_webhook_queue_depth 0", `hookpost_webhook_delivery_duration_seconds_count 3`, `hookpost_http_requests_total{method="POST",status="201"}`} {
		if !strings.Contains(m.body, want) {
			t.Errorf("/metrics lacks %s:\n%s", want, m.body)
		}
	}
}
