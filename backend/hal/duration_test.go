package hal

import (
	"math"
	"strings"
	"testing"
)

func TestHours(t *testing.T) {
	for _, tc := range []struct {
		h    float64
		iso  string
		back float64
	}{
		{4, "PT4H", 4}, {1.5, "PT1H30M", 1.5}, {42, "P1DT18H", 42}, {0, "PT0S", 0}, {0.25, "PT15M", 0.25}, {24, "P1D", 24},
	} {
		if got := Hours(tc.h); got != tc.iso {
			t.Errorf("Hours(%v) = %q, want %q", tc.h, got, tc.iso)
		}
		if got, err := ParseHours(tc.iso); err != nil || got != tc.back {
			t.Errorf("ParseHours(%q) = %v, %v", tc.iso, got, err)
		}
	}
	for _, s := range []string{"P1W", "PT0.5H", "P2DT3H4M5S"} {
		if _, err := ParseHours(s); err != nil {
			t.Errorf("ParseHours(%q): %v", s, err)
		}
	}
	for _, bad := range []string{"", "P", "PT", "4h", "PT4", "1H", "PTH"} {
		if _, err := ParseHours(bad); err == nil {
			t.Errorf("ParseHours(%q) accepted", bad)
		}
	}
}

// Durations too long for an int64 of seconds are refused, and rendering never
// produces something ParseHours refuses.
func TestHoursBounds(t *testing.T) {
	for _, bad := range []string{"P99999999999999999999W", "PT" + strings.Repeat("9", 400) + "H", "P1000000000DT1H"} {
		if h, err := ParseHours(bad); err == nil {
			t.Errorf("ParseHours(%q) = %v, want an error", bad, h)
		}
	}
	if h, err := ParseHours("P5952380W"); err != nil || h != 5952380*7*24 {
		t.Errorf("a long but valid duration: %v %v", h, err)
	}
	for h, want := range map[float64]string{-1: "PT0S", math.NaN(): "PT0S", math.Inf(1): "P41666666DT16H"} {
		if got := Hours(h); got != want {
			t.Errorf("Hours(%v) = %q, want %q", h, got, want)
		}
	}
}
