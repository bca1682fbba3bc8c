package query_test

import (
	"errors"
	"math"
	"testing"

	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/query"
)

func TestParsePage(t *testing.T) {
	const maxSize = 100
	for _, tc := range []struct {
		offset, size string
		want         query.Page
	}{
		{"", "", query.Page{Offset: 1, Size: 20}},
		{"0", "", query.Page{Offset: 1, Size: 20}},
		{"-5", "", query.Page{Offset: 1, Size: 20}},
		{"abc", "", query.Page{Offset: 1, Size: 20}},
		{"3", "10", query.Page{Offset: 3, Size: 10}},
		{"2", "-1", query.Page{Offset: 2, Size: maxSize}},
		{"2", "0", query.Page{Offset: 2, Size: 0}},
		{"1", "101", query.Page{Offset: 1, Size: maxSize}},
		// Numbers beyond int: clamped like any other large number.
		{"1", "9223372036854775807", query.Page{Offset: 1, Size: maxSize}},
		{"1", "99999999999999999999", query.Page{Offset: 1, Size: maxSize}},
		// An offset far past the end is a page past the end, not page 1.
		{"9223372036854775807", "20", query.Page{Offset: math.MaxInt / 20, Size: 20}},
		{"99999999999999999999", "20", query.Page{Offset: math.MaxInt / 20, Size: 20}},
		{"9223372036854775807", "-1", query.Page{Offset: math.MaxInt / maxSize, Size: maxSize}},
		{"99999999999999999999", "0", query.Page{Offset: math.MaxInt, Size: 0}},
		{"-99999999999999999999", "20", query.Page{Offset: 1, Size: 20}},
	} {
		got, err := query.ParsePage(tc.offset, tc.size, maxSize)
		if err != nil || got != tc.want {
			t.Errorf("ParsePage(%q, %q) = %+v, %v; want %+v", tc.offset, tc.size, got, err, tc.want)
		}
		if got.SQLOffset() < 0 || (got.Size > 0 && got.Offset > math.MaxInt/got.Size) {
			t.Errorf("ParsePage(%q, %q): SQL offset %d overflows", tc.offset, tc.size, got.SQLOffset())
		}
	}
	for _, bad := range []string{"-2", "x", "1.5", "-99999999999999999999", " 1"} {
		_, err := query.ParsePage("1", bad, maxSize)
		var ve *domain.ValidationError
		if !errors.As(err, &ve) || ve.Field != "pageSize" || ve.Kind != domain.KindInvalidQuery {
			t.Errorf("pageSize %q: %v, want an InvalidQuery naming pageSize", bad, err)
		}
	}
}
