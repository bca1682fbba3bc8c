package httpapi

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/outbox"
)

// Every event of the catalogue, caused through the API, reaches a webhook
// for all projects and one for a selected project, each delivery signed both
// ways: checked here the way a receiver would, from its secret alone.
func TestEveryEventIsDeliveredSigned(t *testing.T) {
	e := newEnv(t)
	type got struct {
		header http.Header
		body   []byte
	}
	var mu sync.Mutex
	received := map[string][]got{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		received[r.URL.Path] = append(received[r.URL.Path], got{r.Header.Clone(), body})
		mu.Unlock()
	}))
	defer srv.Close()

	var all []string
	for _, r := range outbox.Catalogue {
		for _, ev := range r.Events {
			all = append(all, ev.Name)
		}
	}
	events, _ := json.Marshal(all)
	secrets := map[string]string{"/all": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "/selected": "a plain secret"}
	e.run(t, []scenario{
		{"project", "POST", "/api/v3/projects", `{"identifier":"demo","name":"Demo","public":true}`, "admin", nil, 201, nil, []string{outbox.ProjectCreated}},
		{"other project", "POST", "/api/v3/projects", `{"identifier":"other","name":"Other"}`, "admin", nil, 201, nil, []string{outbox.ProjectCreated}},
		{"all projects", "POST", "/api/admin/webhooks", `{"name":"All","url":"` + srv.URL + `/all","secret":"` + secrets["/all"] + `","events":` + string(events) + `}`, "admin", nil, 201, nil, nil},
		{"selected", "POST", "/api/admin/webhooks", `{"name":"Selected","url":"` + srv.URL + `/selected","secret":"` + secrets["/selected"] + `","events":` + string(events) + `,"allProjects":false,"projectIds":[1]}`, "admin", nil, 201, nil, nil},
		{"project:created", "POST", "/api/v3/projects", `{"identifier":"third","name":"Third"}`, "admin", nil, 201, nil, []string{outbox.ProjectCreated}},
		{"project:updated", "PATCH", "/api/v3/projects/1", `{"name":"Demo project"}`, "admin", nil, 200, nil, []string{outbox.ProjectUpdated}},
		{"work_package:created", "POST", "/api/v3/work_packages", wpBody("Ship it", ""), "admin", nil, 201, nil, []string{outbox.WorkPackageCreated}},
		{"elsewhere", "POST", "/api/v3/work_packages", `{"subject":"Not selected","_links":{"project":{"href":"/api/v3/projects/2"}}}`, "admin", nil, 201, nil, []string{outbox.WorkPackageCreated}},
		{"work_package:updated", "PATCH", "/api/v3/work_packages/1", `{"subject":"Shipped","lockVersion":0}`, "admin", nil, 200, nil, []string{outbox.WorkPackageUpdated}},
		{"comment", "POST", "/api/v3/work_packages/1/activities", `{"comment":{"raw":"Done"}}`, "admin", nil, 201, nil, []string{outbox.CommentCreated}},
		{"work_package_comment:updated", "PATCH", "/api/v3/activities/1", `{"comment":{"raw":"Done!"}}`, "admin", nil, 200, nil, []string{outbox.CommentUpdated}},
		{"relation:created", "POST", "/api/v3/work_packages/1/relations", `{"type":"relates","_links":{"to":{"href":"/api/v3/work_packages/2"}}}`, "admin", nil, 201, nil, []string{outbox.RelationCreated}},
		{"relation:updated", "PATCH", "/api/v3/relations/1", `{"description":"Same release"}`, "admin", nil, 200, nil, []string{outbox.RelationUpdated}},
		{"relation:deleted", "DELETE", "/api/v3/relations/1", "", "admin", nil, 204, nil, []string{outbox.RelationDeleted}},
		{"time_entry:created", "POST", "/api/v3/time_entries", `{"hours":"PT1H","spentOn":"2026-11-27","_links":{"workPackage":{"href":"/api/v3/work_packages/1"}}}`, "admin", nil, 201, nil, []string{outbox.TimeEntryCreated}},
		{"time_entry:updated", "PATCH", "/api/v3/time_entries/1", `{"hours":"PT2H"}`, "admin", nil, 200, nil, []string{outbox.TimeEntryUpdated}},
		{"time_entry:deleted", "DELETE", "/api/v3/time_entries/1", "", "admin", nil, 204, nil, []string{outbox.TimeEntryDeleted}},
	})
	if r := e.upload(1, "notes.txt", []byte("hello"), e.adminTok); r.status != 201 {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	e.run(t, []scenario{
		{"work_package:deleted", "DELETE", "/api/v3/work_packages/1", "", "admin", nil, 204, nil, []string{outbox.WorkPackageDeleted}},
		{"project:deleted", "DELETE", "/api/v3/projects/1", "", "admin", nil, 204, nil, []string{outbox.ProjectDeleted}},
	})
	for range 3 {
		if _, err := e.dispatch.DispatchDue(t.Context()); err != nil {
			t.Fatal(err)
		}
		e.dispatch.Wait()
	}

	keyOf := map[string]string{}
	for _, r := range outbox.Catalogue {
		for _, ev := range r.Events {
			keyOf[ev.Name] = r.PayloadKey
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for path, secret := range secrets {
		var names []string
		for _, g := range received[path] {
			name := g.header.Get("X-Hookpost-Event")
			names = append(names, name)
			verifySignatures(t, path+" "+name, g.header, g.body, secret, e.clock.now())
			var body map[string]json.RawMessage
			if err := json.Unmarshal(g.body, &body); err != nil {
				t.Fatalf("%s %s: body is not JSON: %s", path, name, g.body)
			}
			if string(body["action"]) != strconv.Quote(name) || body[keyOf[name]] == nil || !strings.Contains(string(body["actor"]), `"Admin Doe"`) {
				t.Errorf("%s %s: body %s", path, name, g.body)
			}
		}
		slices.Sort(names)
		want := slices.Clone(all)
		if path == "/all" {
			want = append(want, outbox.WorkPackageCreated) // the one in the other project too
		}
		slices.Sort(want)
		if !slices.Equal(names, want) {
			t.Errorf("%s received %v, want %v", path, names, want)
		}
	}
}

// verifySignatures checks X-OP-Signature and the Standard Webhooks headers.
func verifySignatures(t *testing.T, what string, h http.Header, body []byte, secret string, now time.Time) {
	t.Helper()
	m := hmac.New(sha1.New, []byte(secret))
	m.Write(body)
	if got, want := h.Get("X-OP-Signature"), "sha1="+hex.EncodeToString(m.Sum(nil)); got != want {
		t.Errorf("%s: X-OP-Signature %q, want %q", what, got, want)
	}
	key := []byte(secret)
	if rest, ok := strings.CutPrefix(secret, "whsec_"); ok {
		key, _ = base64.StdEncoding.DecodeString(rest)
	}
	id, ts := h.Get("webhook-id"), h.Get("webhook-timestamp")
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(id + "." + ts + "." + string(body)))
	if want := "v1," + base64.StdEncoding.EncodeToString(mac.Sum(nil)); h.Get("webhook-signature") != want || !strings.HasPrefix(id, "msg_") {
		t.Errorf("%s: webhook-signature %q, want %q (id %q)", what, h.Get("webhook-signature"), want, id)
	}
	if sec, err := strconv.ParseInt(ts, 10, 64); err != nil || time.Unix(sec, 0).Sub(now).Abs() > 5*time.Minute {
		t.Errorf("%s: webhook-timestamp %q is not the time of the attempt", what, ts)
	}
}
