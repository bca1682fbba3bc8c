package hal

import (
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// MaxHours is the longest duration read or rendered (about 114,000 years):
// far beyond any estimate, and small enough that its seconds are exact in a
// float64 and fit an int64.
const MaxHours = 1e9

// Hours renders a number of hours as an ISO 8601 duration, as OpenProject
// does: 4 → "PT4H", 1.5 → "PT1H30M", 42 → "P1DT18H". Validation keeps
// stored durations within 0…MaxHours; anything else (negative, NaN,
// infinite) is clamped so that the output is always a valid duration.
func Hours(h float64) string {
	if !(h > 0) { // NaN too
		h = 0
	}
	h = min(h, MaxHours)
	total := int64(math.Round(h * 3600))
	if total == 0 {
		return "PT0S"
	}
	days := total / 86400
	total -= days * 86400
	hours, minutes, seconds := total/3600, total%3600/60, total%60
	var b strings.Builder
	b.WriteString("P")
	if days > 0 {
		b.WriteString(strconv.FormatInt(days, 10) + "D")
	}
	if hours+minutes+seconds > 0 {
		b.WriteString("T")
		if hours > 0 {
			b.WriteString(strconv.FormatInt(hours, 10) + "H")
		}
		if minutes > 0 {
			b.WriteString(strconv.FormatInt(minutes, 10) + "M")
		}
		if seconds > 0 {
			b.WriteString(strconv.FormatInt(seconds, 10) + "S")
		}
	}
	return b.String()
}

var durationPattern = regexp.MustCompile(`^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$`)

// ParseHours reads an ISO 8601 duration ("PT4H", "P1DT2H30M") as hours, at
// most MaxHours.
func ParseHours(s string) (float64, error) {
	m := durationPattern.FindStringSubmatch(s)
	if m == nil || s == "P" || strings.HasSuffix(s, "T") {
		return 0, fmt.Errorf("%q is not an ISO 8601 duration such as PT4H or P1DT2H30M", s)
	}
	var hours float64
	for i, factor := range []float64{0, 7 * 24, 24, 1, 1.0 / 60, 1.0 / 3600} {
		if i == 0 || m[i] == "" {
			continue
		}
		v, err := strconv.ParseFloat(m[i], 64)
		if err != nil { // out of range: the digits are all valid
			v = math.Inf(1)
		}
		hours += v * factor
	}
	if hours > MaxHours {
		return 0, fmt.Errorf("%q is longer than the longest duration accepted (%s)", s, Hours(MaxHours))
	}
	return hours, nil
}
