package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"strings"
	"testing"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/tracker"
)

// text is a string of exactly n characters. Formattable texts are made of
// "é" (two bytes each), so that a bound counted in bytes instead of
// characters would refuse the text at its limit.
func text(n int, wide bool, seq int) string {
	prefix := fmt.Sprintf("t%d-", seq)
	fill := "a"
	if wide {
		fill = "é"
	}
	if n <= len(prefix) {
		return strings.Repeat(fill, n)
	}
	return prefix + strings.Repeat(fill, n-len(prefix))
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestTextBounds: every text a client writes is accepted at its limit and
// refused one character beyond it with a 422 naming the field and the limit.
func TestTextBounds(t *testing.T) {
	e := newEnv(t)
	e.seed()
	admin := bearer(e.adminTok)
	wp := `"_links":{"project":{"href":"/api/v3/projects/1"}}`
	cases := []struct {
		name, method, path string
		field              string
		limit              int
		wide               bool
		body               func(v string) string // the body with v in the field
		ok                 int
	}{
		{name: "project name", method: "POST", path: "/api/v3/projects", field: "name", limit: tracker.MaxNameLength, ok: 201,
			body: func(v string) string {
				return `{"identifier":"p` + strings.ToLower(v[:4]) + fmt.Sprint(len(v)) + `","name":` + jsonString(v) + `}`
			}},
		{name: "project identifier", method: "POST", path: "/api/v3/projects", field: "identifier", limit: tracker.MaxIdentifierLength, ok: 201,
			body: func(v string) string {
				return `{"name":"Long","identifier":"` + strings.ReplaceAll(strings.ToLower(v), "-", "_") + `"}`
			}},
		{name: "project description", method: "POST", path: "/api/v3/projects", field: "description", limit: tracker.MaxFormattableLength, wide: true, ok: 201,
			body: func(v string) string {
				return `{"name":"Described","identifier":"d` + fmt.Sprint(len(v)) + `","description":{"raw":` + jsonString(v) + `}}`
			}},
		{name: "project description on PATCH", method: "PATCH", path: "/api/v3/projects/2", field: "description", limit: tracker.MaxFormattableLength, wide: true, ok: 200,
			body: func(v string) string { return `{"description":{"raw":` + jsonString(v) + `}}` }},
		{name: "work package subject", method: "POST", path: "/api/v3/work_packages", field: "subject", limit: tracker.MaxNameLength, ok: 201,
			body: func(v string) string { return `{"subject":` + jsonString(v) + `,` + wp + `}` }},
		{name: "work package description", method: "POST", path: "/api/v3/work_packages", field: "description", limit: tracker.MaxFormattableLength, wide: true, ok: 201,
			body: func(v string) string {
				return `{"subject":"Long","description":{"raw":` + jsonString(v) + `},` + wp + `}`
			}},
		{name: "comment", method: "POST", path: "/api/v3/work_packages/1/activities", field: "comment", limit: tracker.MaxCommentLength, wide: true, ok: 201,
			body: func(v string) string { return `{"comment":{"raw":` + jsonString(v) + `}}` }},
		{name: "time entry comment", method: "POST", path: "/api/v3/time_entries", field: "comment", limit: tracker.MaxTimeEntryCommentLength, wide: true, ok: 201,
			body: func(v string) string {
				return `{"hours":"PT1H","spentOn":"2026-11-27","comment":{"raw":` + jsonString(v) + `},"_links":{"workPackage":{"href":"/api/v3/work_packages/1"}}}`
			}},
		{name: "webhook name", method: "POST", path: "/api/admin/webhooks", field: "name", limit: 255, ok: 201,
			body: func(v string) string { return `{"name":` + jsonString(v) + `,"url":"https://hooks.example.com/h"}` }},
		{name: "webhook url", method: "POST", path: "/api/admin/webhooks", field: "url", limit: 2048, ok: 201,
			body: func(v string) string {
				return `{"name":"u` + fmt.Sprint(len(v)) + `","url":"https://hooks.example.com/` + v[len("https://hooks.example.com/"):] + `"}`
			}},
		{name: "webhook description", method: "POST", path: "/api/admin/webhooks", field: "description", limit: 4096, wide: true, ok: 201,
			body: func(v string) string {
				return `{"name":"d` + fmt.Sprint(len(v)) + `","url":"https://hooks.example.com/h","description":` + jsonString(v) + `}`
			}},
		{name: "webhook secret", method: "POST", path: "/api/admin/webhooks", field: "secret", limit: 255, ok: 201,
			body: func(v string) string {
				return `{"name":"s` + fmt.Sprint(len(v)) + `","url":"https://hooks.example.com/h","secret":` + jsonString(v) + `}`
			}},
		{name: "webhook name on PATCH", method: "PATCH", path: "/api/admin/webhooks/1", field: "name", limit: 255, ok: 200,
			body: func(v string) string { return `{"name":` + jsonString(v) + `}` }},
		{name: "token name", method: "POST", path: "/api/account/tokens", field: "name", limit: 100, ok: 201,
			body: func(v string) string { return `{"name":` + jsonString(v) + `}` }},
		{name: "CORS origins count", method: "PATCH", path: "/api/admin/settings", field: "corsOrigins", limit: 100, ok: 200,
			body: func(v string) string {
				origins := make([]string, len(v))
				for i := range origins {
					origins[i] = fmt.Sprintf(`"https://app%d.example.com"`, i)
				}
				return `{"corsOrigins":[` + strings.Join(origins, ",") + `]}`
			}},
	}
	if r := e.do("POST", "/api/admin/webhooks", `{"name":"Seed","url":"https://hooks.example.com/h"}`, admin); r.status != 201 {
		t.Fatal(r.body)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			at := text(c.limit, c.wide, i)
			if r := e.do(c.method, c.path, c.body(at), admin); r.status != c.ok {
				t.Fatalf("%d characters (the limit): %d %.300s", c.limit, r.status, r.body)
			}
			r := e.do(c.method, c.path, c.body(text(c.limit+1, c.wide, i)), admin)
			wantBeyond(t, r, c.field, c.limit)
		})
	}

	t.Run("CORS origin length", func(t *testing.T) {
		// The longest origin there is: https:// + a 253-character host name + a port.
		host := strings.Repeat(strings.Repeat("a", 63)+".", 3) + strings.Repeat("b", 61)
		longest := "https://" + host + ":65535"
		if r := e.do("PATCH", "/api/admin/settings", `{"corsOrigins":["`+longest+`"]}`, admin); r.status != 200 {
			t.Fatalf("longest origin: %d %s", r.status, r.body)
		}
		r := e.do("PATCH", "/api/admin/settings", `{"corsOrigins":["https://ok.example.com","https://`+strings.Repeat("a", 293)+`"]}`, admin)
		wantBeyond(t, r, "corsOrigins", 300)
		if msg := r.json(t)["message"].(string); !strings.Contains(msg, "entry 2") {
			t.Errorf("message does not name the entry: %s", msg)
		}
	})

	for _, c := range []struct {
		field string
		limit int
		meta  func(v string) string
	}{
		{"fileName", tracker.MaxNameLength, func(v string) string { return `{"fileName":` + jsonString(v) + `}` }},
		{"description", tracker.MaxAttachmentDescriptionLength, func(v string) string {
			return `{"fileName":"a.txt","description":{"raw":` + jsonString(v) + `}}`
		}},
	} {
		t.Run("attachment "+c.field, func(t *testing.T) {
			if r := e.uploadMeta(1, c.meta(text(c.limit, true, 0))); r.status != 201 {
				t.Fatalf("at the limit: %d %s", r.status, r.body)
			}
			wantBeyond(t, e.uploadMeta(1, c.meta(text(c.limit+1, true, 0))), c.field, c.limit)
		})
	}
}

func wantBeyond(t *testing.T, r resp, field string, limit int) {
	t.Helper()
	if r.status != 422 || errorID(t, r) != "PropertyConstraintViolation" {
		t.Fatalf("%d characters (one beyond): %d %.300s", limit+1, r.status, r.body)
	}
	body := r.json(t)
	attr, _ := body["_embedded"].(map[string]any)["details"].(map[string]any)["attribute"].(string)
	msg, _ := body["message"].(string)
	if attr != field || !strings.Contains(msg, fmt.Sprintf("(maximum is %d", limit)) {
		t.Errorf("error names %q with %q; want %s and its limit %d", attr, msg, field, limit)
	}
}

func (e *env) uploadMeta(wp int, metadata string) resp {
	e.t.Helper()
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	_ = w.WriteField("metadata", metadata)
	fw, _ := w.CreateFormFile("file", "upload.txt")
	_, _ = fw.Write([]byte("hello"))
	_ = w.Close()
	return e.do("POST", "/api/v3/work_packages/"+itoa(int64(wp))+"/attachments", buf.String(), bearer(e.adminTok), "Content-Type: "+w.FormDataContentType())
}

// TestUserBounds: users are created by `hookpost user create`, which calls the
// auth service; its bounds are OpenProject's (user_create_model).
func TestUserBounds(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	base := func() auth.NewUser {
		return auth.NewUser{Login: "u", Password: "correct horse battery", FirstName: "A", LastName: "B", Email: "a@example.com"}
	}
	for i, c := range []struct {
		field string
		limit int
		set   func(u *auth.NewUser, v string)
	}{
		{"login", 256, func(u *auth.NewUser, v string) { u.Login = v }},
		{"firstName", 30, func(u *auth.NewUser, v string) { u.FirstName = v }},
		{"lastName", 30, func(u *auth.NewUser, v string) { u.LastName = v }},
		{"email", 60, func(u *auth.NewUser, v string) { u.Email = v[:len(v)-len("@example.com")] + "@example.com" }},
		{"password", 1024, func(u *auth.NewUser, v string) { u.Password = v }},
	} {
		t.Run(c.field, func(t *testing.T) {
			u := base()
			c.set(&u, text(c.limit, false, i))
			if c.field != "login" {
				u.Login = "user" + c.field
			}
			if _, err := e.auth.CreateUser(ctx, u); err != nil {
				t.Fatalf("at the limit: %v", err)
			}
			u = base()
			c.set(&u, text(c.limit+1, false, i))
			_, err := e.auth.CreateUser(ctx, u)
			r := e.errorResponse(err)
			wantBeyond(t, r, c.field, c.limit)
		})
	}
}

// errorResponse is the response the API gives for err.
func (e *env) errorResponse(err error) resp {
	status, body, _ := hal.Error(err)
	b, _ := json.Marshal(body)
	return resp{status: status, body: string(b)}
}

// An identifier within the character limit but over it in bytes is still
// checked against the identifier rules.
func TestMultiByteIdentifierIsChecked(t *testing.T) {
	e := newEnv(t)
	ident := "ab" + strings.Repeat("é", 60) // 62 characters, 122 bytes
	r := e.do("POST", "/api/v3/projects", `{"name":"Wide","identifier":"`+ident+`"}`, bearer(e.adminTok), "Content-Type: application/json")
	if r.status != 422 || !strings.Contains(r.body, `"attribute":"identifier"`) {
		t.Fatalf("identifier of 62 two-byte characters: %d %s", r.status, r.body)
	}
}
