package query_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/query"
)

// TestRelativeDateBounds pins the bounds of OpenProject's relative date
// operators, in UTC days from the clock: a timestamp range runs from the
// first day's 00:00 to before the day after the last; a date range names its
// days; "this week" is Monday 00:00 to the next Monday 00:00, both included.
func TestRelativeDateBounds(t *testing.T) {
	spec := query.Spec{
		"at":  {Column: "t.at", Kind: query.DateTime},
		"day": {Column: "t.day", Kind: query.Date},
	}
	saturday := time.Date(2026, 11, 28, 23, 59, 0, 0, time.FixedZone("UTC-5", -5*3600)) // Sunday 04:59 UTC
	sunday := time.Date(2026, 11, 29, 23, 59, 59, 0, time.UTC)
	monday := time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		now     time.Time
		filters string
		want    string
	}{
		{"today on a timestamp", sunday, `[{"at":{"operator":"t"}}]`, "t.at >= ? AND t.at < ? [2026-11-29 00:00 2026-11-30 00:00]"},
		{"today is the UTC day", saturday, `[{"day":{"operator":"t"}}]`, "t.day >= ? AND t.day <= ? [2026-11-29 2026-11-29]"},
		{"this week on Sunday", sunday, `[{"day":{"operator":"w"}}]`, "t.day >= ? AND t.day <= ? [2026-11-23 2026-11-30]"},
		{"this week on Monday", monday, `[{"at":{"operator":"w"}}]`, "t.at >= ? AND t.at <= ? [2026-11-30 00:00 2026-12-07 00:00]"},
		{"less than 2 days ago", sunday, `[{"at":{"operator":">t-","values":["2"]}}]`, "t.at >= ? AND t.at < ? [2026-11-27 00:00 2026-11-30 00:00]"},
		{"more than 2 days ago", sunday, `[{"day":{"operator":"<t-","values":[2]}}]`, "t.day <= ? [2026-11-27]"},
		{"2 days ago", sunday, `[{"day":{"operator":"t-","values":["2"]}}]`, "t.day >= ? AND t.day <= ? [2026-11-27 2026-11-27]"},
		{"in 3 days", sunday, `[{"day":{"operator":"t+","values":["3"]}}]`, "t.day >= ? AND t.day <= ? [2026-12-02 2026-12-02]"},
		{"in less than 3 days", sunday, `[{"at":{"operator":"<t+","values":["3"]}}]`, "t.at >= ? AND t.at < ? [2026-11-29 00:00 2026-12-03 00:00]"},
		{"in more than 3 days", sunday, `[{"at":{"operator":">t+","values":["3"]}}]`, "t.at >= ? [2026-12-02 00:00]"},
		{"between, open end", sunday, `[{"day":{"operator":"<>d","values":["2026-01-01",""]}}]`, "t.day >= ? [2026-01-01]"},
		{"between, open start, whole last day", sunday, `[{"at":{"operator":"<>d","values":["","2026-01-01"]}}]`, "t.at < ? [2026-01-02 00:00]"},
		{"on a day", sunday, `[{"at":{"operator":"=d","values":["2026-01-01"]}}]`, "t.at >= ? AND t.at <= ? [2026-01-01 00:00 2026-01-02 00:00]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			conds, err := query.FiltersAt(tc.filters, spec, 1, tc.now)
			if err != nil || len(conds) != 1 {
				t.Fatalf("%v %v", conds, err)
			}
			args := make([]string, len(conds[0].Args))
			for i, a := range conds[0].Args {
				switch v := a.(type) {
				case time.Time:
					if v.Location() != time.UTC {
						t.Errorf("bound %v is not in UTC", v)
					}
					args[i] = v.Format("2006-01-02 15:04")
				default:
					args[i] = fmt.Sprint(v)
				}
			}
			if got := fmt.Sprintf("%s %v", conds[0].SQL, args); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}
