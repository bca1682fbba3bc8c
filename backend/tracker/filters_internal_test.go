package tracker

import (
	"encoding/json"
	"slices"
	"testing"
)

func TestFilterValuesKeepNumbersExact(t *testing.T) {
	for _, c := range []struct {
		raw  string
		want []string
	}{
		{`["9007199254740993", 9007199254740993]`, []string{"9007199254740993", "9007199254740993"}},
		{`[1.0, 1e2, 2.5]`, []string{"1", "100", "2.5"}},
		{`7`, []string{"7"}},
		{`[true, "o"]`, []string{"true", "o"}},
		{`null`, nil},
	} {
		got, ok := filterValues(json.RawMessage(c.raw))
		if !ok || !slices.Equal(got, c.want) {
			t.Errorf("%s: got %q %v, want %q", c.raw, got, ok, c.want)
		}
	}
	for _, bad := range []string{`[{"a":1}]`, `[1] [2]`, `[1`, `1e400`, `[-1e400]`} {
		if got, ok := filterValues(json.RawMessage(bad)); ok {
			t.Errorf("%s: accepted as %q", bad, got)
		}
	}
}
