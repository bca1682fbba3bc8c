package hal

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/domain"
)

func FuzzParseHours(f *testing.F) {
	for _, s := range []string{"PT4H", "PT1H30M", "P1DT18H", "PT0S", "P1W", "PT0.5H", "P2DT3H4M5S", "PT15M",
		"", "P", "PT", "PT4", "4h", "P1.5D", "PT0.0001S", "P99999999999999999999W", "PT1e3H", "-PT1H", "P0D", "PT36H",
		"P" + string(make([]byte, 400)) + "W"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		h, err := ParseHours(s)
		if err != nil {
			return
		}
		if math.IsNaN(h) || math.IsInf(h, 0) || h < 0 || h > MaxHours {
			t.Fatalf("ParseHours(%q) = %v: not a finite duration within bounds", s, h)
		}
		// parse → format → parse: the canonical form reads back to the same
		// duration (to the second) and formats to itself.
		iso := Hours(h)
		back, err := ParseHours(iso)
		if err != nil {
			t.Fatalf("Hours(%v) = %q, which ParseHours refuses: %v", h, iso, err)
		}
		if math.Abs(back-h) > 0.5/3600+1e-9*h {
			t.Fatalf("%q → %v h → %q → %v h", s, h, iso, back)
		}
		if again := Hours(back); again != iso {
			t.Fatalf("%q formats as %q, then as %q", s, iso, again)
		}
	})
}

func FuzzHours(f *testing.F) {
	for _, h := range []float64{0, 1, 1.5, 42, 0.25, 24, 1e-9, 1000, 1e6, MaxHours, -1, math.Inf(1), math.NaN()} {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, h float64) {
		iso := Hours(h)
		back, err := ParseHours(iso)
		if err != nil {
			t.Fatalf("Hours(%v) = %q, which ParseHours refuses: %v", h, iso, err)
		}
		if h >= 0 && h <= MaxHours && math.Abs(back-h) > 0.5/3600+1e-9*h {
			t.Fatalf("Hours(%v) = %q reads back as %v", h, iso, back)
		}
	})
}

// bodyError checks that a refused body is a 400 about the body as a whole or
// validation errors that each name a property.
func bodyError(t *testing.T, data []byte, err error) {
	t.Helper()
	var re *domain.RequestError
	if errors.As(err, &re) {
		if re.Status != 400 || re.Identifier != "InvalidRequestBody" {
			t.Fatalf("%q: request error %+v", data, re)
		}
		return
	}
	fields := domain.FieldErrors(err)
	if len(fields) == 0 {
		t.Fatalf("%q: refusal %T %v is not a typed domain error", data, err, err)
	}
	for _, fe := range fields {
		if fe.Field == "" || fe.Message == "" || fe.Kind == "" {
			t.Fatalf("%q: field error %+v names no property", data, fe)
		}
	}
}

func FuzzHALBodies(f *testing.F) {
	for _, s := range []string{
		`{}`, `null`, `[]`, `"x"`, `{"_links":null}`, `{"_links":[]}`, `{"_links":{"project":{"href":"/api/v3/projects/1"}}}`,
		`{"subject":"Ship it","description":{"raw":"*a*"},"startDate":"2026-11-28","dueDate":null,"estimatedTime":"PT4H","percentageDone":50,"lockVersion":0,
		  "_links":{"project":{"href":"/api/v3/projects/1"},"type":{"href":"/api/v3/types/1"},"status":{"href":null},"assignee":{"href":"/api/v3/users/x"}}}`,
		`{"identifier":"demo","name":"Demo","active":true,"public":false,"createdAt":"2026-11-28T12:00:00Z","_links":{"parent":{"href":"/api/v3/projects/0"}}}`,
		`{"hours":"PT1H","spentOn":"2026-11-28","comment":{"raw":"x"},"_links":{"workPackage":{"href":"/api/v3/work_packages/1"}}}`,
		`{"comment":{"raw":null}}`, `{"comment":null}`, `{"subject":1,"estimatedTime":4,"percentageDone":"x","lockVersion":1e99}`,
		`{"createdAt":"2026-13-40T25:00:00Z","updatedAt":"x","spentTime":"PT1H"}`, `{"a":1}{"b":2}`, `{"subject":"\u0000"}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if _, err := ParseProject(data); err != nil {
			bodyError(t, data, err)
		}
		if _, err := ParseWorkPackage(data); err != nil {
			bodyError(t, data, err)
		}
		if _, err := ParseTimeEntry(data); err != nil {
			bodyError(t, data, err)
		}
		if _, err := ParseRelation(data); err != nil {
			bodyError(t, data, err)
		}
		text, err := ParseComment(data)
		if err != nil {
			bodyError(t, data, err)
			return
		}
		// An accepted comment is what the body's comment.raw says.
		var c struct {
			Comment *struct{ Raw *string } `json:"comment"`
		}
		if json.Unmarshal(data, &c) == nil && c.Comment != nil && c.Comment.Raw != nil && *c.Comment.Raw != text {
			t.Fatalf("%q: comment %q, body says %q", data, text, *c.Comment.Raw)
		}
	})
}

// FuzzDateTime: an accepted createdAt is an instant that formats and parses
// back to itself.
func FuzzDateTime(f *testing.F) {
	for _, s := range []string{"2026-11-28T12:00:00Z", "2026-11-28T12:00:00.123456789+14:00", "2026-11-28", "0000-01-01T00:00:00Z",
		"9999-12-31T23:59:59.999999999-23:59", "2026-02-30T00:00:00Z", "2026-11-28T24:00:00Z", "2026-11-28t12:00:00z", "", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		data, _ := json.Marshal(map[string]string{"createdAt": s})
		in, err := ParseProject(data)
		if err != nil {
			bodyError(t, data, err)
			if fe := domain.FieldErrors(err); len(fe) != 1 || fe[0].Field != "createdAt" {
				t.Fatalf("%q: refusal %v, want one naming createdAt", s, err)
			}
			return
		}
		if in.CreatedAt == nil {
			t.Fatalf("%q accepted but not read", s)
		}
		back, err := time.Parse(time.RFC3339Nano, in.CreatedAt.Format(time.RFC3339Nano))
		if err != nil || !back.Equal(*in.CreatedAt) {
			t.Fatalf("%q → %v → %v, %v", s, in.CreatedAt, back, err)
		}
	})
}
