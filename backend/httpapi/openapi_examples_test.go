package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// TestRequestExamples: every JSON request body in the served document has an
// example, it matches the body's schema, and sent as it is to its route it
// succeeds, so that a reader trying it from the docs page gets a 2xx.
func TestRequestExamples(t *testing.T) {
	e := newEnv(t)
	e.seed()
	doc := loadDoc(t, e)

	documented := map[string]bool{} // schema names of JSON request bodies
	for path, item := range doc.raw["paths"].(map[string]any) {
		for method, o := range item.(map[string]any) {
			body, _ := o.(map[string]any)["requestBody"].(map[string]any)
			content, _ := body["content"].(map[string]any)
			media, ok := content["application/json"].(map[string]any)
			if !ok {
				continue
			}
			what := strings.ToUpper(method) + " " + path
			name := strings.TrimPrefix(media["schema"].(map[string]any)["$ref"].(string), "#/components/schemas/")
			documented[name] = true
			example, ok := media["example"]
			if !ok {
				t.Errorf("%s: the request body has no example: add one for %s to requestExamples", what, name)
				continue
			}
			raw, _ := json.Marshal(example)
			ptr := "#/paths/" + strings.ReplaceAll(path, "/", "~1") + "/" + method + "/requestBody/content/application~1json/schema"
			if err := doc.valid(ptr, raw); err != nil {
				t.Errorf("%s: the example does not match %s:\n%v\n%s", what, name, err, raw)
			}
		}
	}
	for name := range requestExamples {
		if !documented[name] {
			t.Errorf("requestExamples has %s, which no route takes as its body", name)
		}
	}

	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(204) }))
	defer receiver.Close()
	admin := bearer(e.adminTok)
	example := func(name string) string {
		raw, err := json.Marshal(requestExamples[name])
		if err != nil {
			t.Fatal(err)
		}
		return string(raw)
	}
	// Their passwords are placeholders.
	sent := map[string]bool{"LoginRequest": true, "PasswordChange": true}
	send := func(method, target, name string) map[string]any {
		t.Helper()
		sent[name] = true
		r := e.do(method, target, example(name), admin, "Content-Type: application/json")
		if r.status/100 != 2 {
			t.Fatalf("%s %s with the %s example: %d %s", method, target, name, r.status, r.body)
		}
		var out map[string]any
		_ = json.Unmarshal([]byte(r.body), &out)
		return out
	}
	send("POST", "/api/account/tokens", "NewToken")
	send("PATCH", "/api/admin/settings", "SettingsPatch")
	hook := strconv.Itoa(int(send("POST", "/api/admin/webhooks", "WebhookCreate")["id"].(float64)))
	send("PATCH", "/api/admin/webhooks/"+hook, "WebhookPatch")
	// The example's host is not this machine's: deliver to a local receiver.
	if r := e.do("PATCH", "/api/admin/webhooks/"+hook, `{"url":"`+receiver.URL+`"}`, admin); r.status != 200 {
		t.Fatal(r.body)
	}
	send("POST", "/api/admin/webhooks/"+hook+"/test", "TestFire")
	send("POST", "/api/admin/webhooks/"+hook+"/replay", "Replay")
	send("POST", "/api/v3/projects", "ProjectCreate")
	send("PATCH", "/api/v3/projects/1", "ProjectPatch")
	wp := strconv.Itoa(int(send("POST", "/api/v3/work_packages", "WorkPackageCreate")["id"].(float64)))
	send("PATCH", "/api/v3/work_packages/"+wp, "WorkPackagePatch")
	send("POST", "/api/v3/projects/1/work_packages", "WorkPackageCreateInProject")
	send("POST", "/api/v3/work_packages/1/activities", "CommentCreate")
	entry := strconv.Itoa(int(send("POST", "/api/v3/time_entries", "TimeEntryCreate")["id"].(float64)))
	send("PATCH", "/api/v3/time_entries/"+entry, "TimeEntryPatch")
	send("PATCH", "/api/v3/activities/1", "CommentPatch")
	relation := strconv.Itoa(int(send("POST", "/api/v3/work_packages/"+wp+"/relations", "RelationCreate")["id"].(float64)))
	send("PATCH", "/api/v3/relations/"+relation, "RelationPatch")

	var unsent []string
	for name := range requestExamples {
		if !sent[name] {
			unsent = append(unsent, name)
		}
	}
	sort.Strings(unsent)
	if len(unsent) > 0 {
		t.Errorf("examples not sent by this test: %v", unsent)
	}
}
