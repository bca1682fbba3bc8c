package httpapi

import (
	"encoding/json"
	"testing"

	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/tracker"
)

// FuzzAttachmentMetadata: a refused metadata part is one validation error
// naming metadata; an accepted one is a single JSON object whose fileName and
// contentType win over the file part's when they are set.
func FuzzAttachmentMetadata(f *testing.F) {
	for _, s := range []string{`{}`, `null`, `{"fileName":"a.png"}`, `{"fileName":"a.png","contentType":"image/png","description":{"raw":"*x*"}}`,
		`{"fileName":1}`, `{"description":"x"}`, `{"description":{"raw":null}}`, `{"other":1}`, `[]`, `"x"`, ``, `{}{}`, `{"fileName":"a"} x`,
		`{"fileName":"../../etc/passwd","contentType":"text/html; charset=\u0000"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		in := tracker.NewAttachment{FileName: "file.bin", ContentType: "application/octet-stream"}
		err := readAttachmentMetadata(data, &in)
		if err != nil {
			fe := domain.FieldErrors(err)
			if len(fe) != 1 || fe[0].Field != "metadata" {
				t.Fatalf("%q: refusal %v does not name metadata", data, err)
			}
			return
		}
		if !json.Valid(data) {
			t.Fatalf("%q accepted but not JSON", data)
		}
		var md struct{ FileName, ContentType string }
		_ = json.Unmarshal(data, &md)
		if md.FileName != "" && in.FileName != md.FileName || md.FileName == "" && in.FileName != "file.bin" ||
			md.ContentType != "" && in.ContentType != md.ContentType || md.ContentType == "" && in.ContentType != "application/octet-stream" {
			t.Fatalf("%q read as %+v", data, in)
		}
	})
}
