package httpapi

import (
	"bytes"
	"encoding/base64"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// send is e.do over the network; body may be any reader (a reader that is
// not a bytes.Reader or strings.Reader goes out chunked).
func send(t *testing.T, client *http.Client, method, url string, body io.Reader, headers ...string) resp {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ": ")
		req.Header.Set(k, v)
	}
	res, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{status: res.StatusCode, header: res.Header, body: string(b)}
}

// jsonOf returns a JSON object of about n bytes.
func jsonOf(n int) string {
	return `{"name":"` + strings.Repeat("x", n) + `"}`
}

func TestBodyLimitsAnswer413InTheErrorFormat(t *testing.T) {
	e := newEnv(t)
	base := e.listen()
	client := &http.Client{}
	admin := bearer(e.adminTok)
	ctJSON := "Content-Type: application/json"
	cases := []struct {
		name, method, path string
		body               io.Reader
		contentType        string
	}{
		{"JSON over 1 MiB", "POST", "/api/v3/projects", strings.NewReader(jsonOf(1<<20 + 1)), ctHAL},
		{"JSON over the former 32 MiB server limit", "POST", "/api/v3/projects", strings.NewReader(jsonOf(40 << 20)), ctHAL},
		{"chunked JSON without a length", "PATCH", "/api/v3/projects/1", io.MultiReader(strings.NewReader(jsonOf(2 << 20))), ctHAL},
		{"admin JSON", "PATCH", "/api/admin/settings", strings.NewReader(jsonOf(2 << 20)), ctJSON},
		{"upload over the attachment limit", "POST", "/api/v3/work_packages/1/attachments", bytes.NewReader(make([]byte, 20<<20)), "Content-Type: multipart/form-data; boundary=x"},
	}
	e.seed()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := send(t, client, c.method, base+c.path, c.body, admin, c.contentType)
			if r.status != 413 || errorID(t, r) != "RequestTooLarge" || r.json(t)["_type"] != "Error" {
				t.Fatalf("want 413 RequestTooLarge, got %d %.300s", r.status, r.body)
			}
			// The connection stays usable after a refused body.
			if r := send(t, client, "GET", base+"/api/v3/projects/1", nil, admin); r.status != 200 {
				t.Fatalf("next request: %d %.300s", r.status, r.body)
			}
		})
	}
	// A body at the limit is read.
	r := send(t, client, "PATCH", base+"/api/v3/projects/1", strings.NewReader(`{"name":"Renamed"}`+strings.Repeat(" ", 1<<20-18)), admin, ctHAL)
	if r.status != 200 || !strings.Contains(r.body, `"name":"Renamed"`) {
		t.Fatalf("body of exactly 1 MiB: %d %.300s", r.status, r.body)
	}
}

const ctHAL = "Content-Type: application/hal+json"

// TestMultipartIsReadOnlyAfterAuthentication: an anonymous multipart body is
// never parsed nor stored: with no writable temporary directory, a 30 MB
// upload and a malformed one are both a plain 401.
func TestMultipartIsReadOnlyAfterAuthentication(t *testing.T) {
	e := newEnv(t)
	e.seed()
	base := e.listen()
	client := &http.Client{}
	t.Setenv("TMPDIR", filepath.Join(t.TempDir(), "absent"))

	var big bytes.Buffer
	w := multipart.NewWriter(&big)
	fw, _ := w.CreateFormFile("file", "big.bin")
	_, _ = fw.Write(make([]byte, 30<<20))
	_ = w.Close()
	malformed := "--x\r\nno header colon\r\n\r\n--x--\r\n"
	for _, path := range []string{"/api/v3/projects", "/api/v3/work_packages/1/attachments", "/api/v3/no_such_route"} {
		r := send(t, client, "POST", base+path, bytes.NewReader(big.Bytes()), "Content-Type: "+w.FormDataContentType())
		if r.status != 401 || errorID(t, r) != "Unauthenticated" {
			t.Errorf("30 MB anonymous upload to %s: want 401, got %d %.300s", path, r.status, r.body)
		}
		r = send(t, client, "POST", base+path, strings.NewReader(malformed), "Content-Type: multipart/form-data; boundary=x")
		if r.status != 401 || errorID(t, r) != "Unauthenticated" {
			t.Errorf("malformed anonymous multipart to %s: want 401, got %d %.300s", path, r.status, r.body)
		}
	}
	if _, err := os.Stat(os.TempDir()); !os.IsNotExist(err) {
		t.Fatalf("temporary directory was created: %v", err)
	}
	// Signed in, the same upload is too large and the malformed one a 400.
	r := send(t, client, "POST", base+"/api/v3/work_packages/1/attachments", bytes.NewReader(big.Bytes()), bearer(e.adminTok), "Content-Type: "+w.FormDataContentType())
	if r.status != 413 {
		t.Errorf("30 MB upload: want 413, got %d %.300s", r.status, r.body)
	}
	r = send(t, client, "POST", base+"/api/v3/work_packages/1/attachments", strings.NewReader(malformed), bearer(e.adminTok), "Content-Type: multipart/form-data; boundary=x")
	if r.status != 400 || errorID(t, r) != "InvalidRequestBody" {
		t.Errorf("malformed upload: want 400, got %d %.300s", r.status, r.body)
	}
	r = send(t, client, "POST", base+"/api/v3/projects", strings.NewReader(malformed), bearer(e.adminTok), "Content-Type: multipart/form-data; boundary=x")
	if r.status != 415 {
		t.Errorf("multipart to a JSON route: want 415, got %d %.300s", r.status, r.body)
	}
}

// TestMethodsAPathDoesNotHave: 405 with Allow, in the API's error format;
// unknown paths stay 404; an anonymous client gets no further than 401.
func TestMethodsAPathDoesNotHave(t *testing.T) {
	e := newEnv(t)
	e.seed()
	admin := bearer(e.adminTok)
	cases := []struct {
		method, path string
		headers      []string
		status       int
		id, allow    string
	}{
		{"PUT", "/api/v3/projects", []string{admin}, 405, "MethodNotAllowed", "GET, HEAD, POST"},
		{"TRACE", "/api/v3/projects/1", []string{admin}, 405, "MethodNotAllowed", "GET, HEAD, PATCH, DELETE"},
		{"PUT", "/api/v3/projects/1/", []string{admin}, 405, "MethodNotAllowed", "GET, HEAD, PATCH, DELETE"},
		{"DELETE", "/api/admin/settings", []string{admin}, 405, "MethodNotAllowed", "GET, HEAD, PATCH"},
		{"GET", "/api/auth/login", nil, 405, "MethodNotAllowed", "POST"},
		{"PUT", "/healthz", nil, 405, "MethodNotAllowed", "GET, HEAD"},
		{"PUT", "/api/v3/projects", nil, 401, "Unauthenticated", ""},
		{"PUT", "/api/v3/no_such_route", []string{admin}, 404, "NotFound", ""},
		{"GET", "/api/v3/no_such_route", nil, 401, "Unauthenticated", ""},
		{"POST", "/no_such_page", nil, 404, "NotFound", ""},
	}
	for _, c := range cases {
		r := e.do(c.method, c.path, "", c.headers...)
		if r.status != c.status || errorID(t, r) != c.id || r.header.Get("Allow") != c.allow {
			t.Errorf("%s %s: want %d %s Allow %q, got %d Allow %q %s", c.method, c.path, c.status, c.id, c.allow, r.status, r.header.Get("Allow"), r.body)
		}
	}
	if r := e.do("HEAD", "/api/v3/projects", "", admin); r.status != 200 {
		t.Errorf("HEAD on a GET route: %d", r.status)
	}
	// Headers over fasthttp's read buffer: 431 in the error format.
	base := e.listen()
	r := send(t, &http.Client{}, "GET", base+"/api/v3/projects", nil, admin, "X-Padding: "+strings.Repeat("p", 8<<10))
	if r.status != 431 || errorID(t, r) != "RequestHeaderFieldsTooLarge" {
		t.Errorf("large headers: want 431 RequestHeaderFieldsTooLarge, got %d %s", r.status, r.body)
	}
}

const testMetricsToken = "metrics-0123456789abcdef"

// TestMetricsNeedTheMetricsTokenOrAnAdministrator (SPEC §8).
func TestMetricsNeedTheMetricsTokenOrAnAdministrator(t *testing.T) {
	e := newEnv(t)
	cookie, _ := e.login("admin")
	for _, c := range []struct {
		name    string
		headers []string
		status  int
	}{
		{"anonymous", nil, 401},
		{"wrong token", []string{bearer("metrics-0123456789abcdeX")}, 401},
		{"a user's API token", []string{bearer(e.userTok)}, 401},
		{"an administrator's session cookie", []string{"Cookie: " + cookie}, 401},
		{"metrics token", []string{bearer(testMetricsToken)}, 200},
		{"an administrator's API token", []string{bearer(e.adminTok)}, 200},
		{"an administrator's API token as Basic", []string{"Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("apikey:"+e.adminTok))}, 200},
	} {
		r := e.do("GET", "/metrics", "", c.headers...)
		if r.status != c.status {
			t.Errorf("%s: want %d, got %d %.200s", c.name, c.status, r.status, r.body)
			continue
		}
		if c.status == 401 && (errorID(t, r) != "Unauthenticated" || r.header.Get("WWW-Authenticate") == "") {
			t.Errorf("%s: 401 without the error body or challenge: %v %s", c.name, r.header, r.body)
		}
		if c.status == 200 && (!strings.Contains(r.body, "hookpost_http_requests_total") || !strings.Contains(r.body, "\ngo_memstats_heap_alloc_bytes ")) {
			t.Errorf("%s: no metrics in %.200s", c.name, r.body)
		}
	}
}
