// Package query turns OpenProject's collection query parameters, filters
// (JSON: [{"status":{"operator":"=","values":["1"]}}]) and sortBy
// ([["updatedAt","desc"]]), into SQL conditions and orderings over a
// whitelist of fields.
package query

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/domain"
)

// Kind is how a field's filter values are read.
type Kind int

// Field kinds.
const (
	ID       Kind = iota // integer ids; "me" means the current user
	Text                 // free text
	DateTime             // timestamps
	Date                 // calendar dates (YYYY-MM-DD)
	Bool                 // "t" / "f"
)

// Field is one filterable and sortable attribute.
type Field struct {
	Column   string // SQL column or expression
	Kind     Kind
	Nullable bool
	// Also is a second text column the filter matches as well (OpenProject's
	// name_and_identifier: the name or the identifier); sorting uses Column.
	Also string
	// Closed is SQL selecting the ids that count as closed: the field then
	// takes OpenProject's status operators o (open) and c (closed).
	Closed string
	// SortOnly fields sort but do not filter (time entries' hours).
	SortOnly bool
}

// Spec lists a collection's fields by their API names.
type Spec map[string]Field

// Condition is one SQL condition with its arguments.
type Condition struct {
	SQL  string
	Args []any
}

// relative are OpenProject's date operators that count days from today.
var relative = []string{"t", "w", "t-", ">t-", "<t-", "t+", ">t+", "<t+"}

var operators = map[Kind][]string{
	ID:       {"=", "!", "*", "!*"},
	Text:     {"~", "!~", "=", "!", "*", "!*"},
	DateTime: append([]string{">=", "<=", "=d", "<>d", "=", "*", "!*"}, relative...),
	Date:     append([]string{">=", "<=", "=d", "<>d", "=", "*", "!*"}, relative...),
	Bool:     {"="},
}

// accepted lists the operators f takes.
func (f Field) accepted() []string {
	ops := operators[f.Kind]
	if f.Closed != "" {
		ops = append([]string{"o", "c"}, ops...)
	}
	return ops
}

func invalid(field, format string, args ...any) *domain.ValidationError {
	return &domain.ValidationError{Field: field, Kind: domain.KindInvalidQuery, Message: fmt.Sprintf(format, args...)}
}

// With adds each alias (OpenProject's snake_case names, such as status_id
// beside status) as another name of the field it names.
func (s Spec) With(aliases map[string]string) Spec {
	for alias, name := range aliases {
		f, ok := s[name]
		if !ok {
			panic("query: alias " + alias + " names no field " + name)
		}
		s[alias] = f
	}
	return s
}

// FilterNames and SortNames list the names a collection accepts, sorted.
func (s Spec) FilterNames() []string { return s.list(false) }

// SortNames lists the names a collection sorts by, sorted.
func (s Spec) SortNames() []string { return s.list(true) }

func (s Spec) list(sorting bool) []string {
	names := make([]string, 0, len(s))
	for n, f := range s {
		if sorting || !f.SortOnly {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// offer says what a refusal offers instead.
func offer(names []string) string {
	if len(names) == 0 {
		return "none (this collection takes no filters and no sortBy)"
	}
	return strings.Join(names, ", ")
}

// Filters parses the filters parameter with the current time; viewerID
// replaces the value "me". Collections read through FiltersAt with their
// service's clock.
func Filters(raw string, spec Spec, viewerID int64) ([]Condition, error) {
	return FiltersAt(raw, spec, viewerID, time.Now())
}

// filter is one entry of the filters list. values may be null (OpenProject's
// own default filter sends "values": null) and hold strings or numbers.
type filter struct {
	Operator string            `json:"operator"`
	Values   []json.RawMessage `json:"values"`
}

// FiltersAt parses the filters parameter; now is the moment the relative
// date operators (t, w, t-, >t-, ...) count from, and viewerID replaces the
// value "me".
func FiltersAt(raw string, spec Spec, viewerID int64, now time.Time) ([]Condition, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	var list []map[string]filter
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return nil, invalid("filters", `filters must be a JSON list such as [{"status":{"operator":"=","values":["1"]}}]: %v.`, err)
	}
	var conds []Condition
	for _, entry := range list {
		for name, f := range entry {
			field, ok := spec[name]
			if !ok || field.SortOnly {
				attr := name
				if attr == "" { // an error names the property it is about
					attr = "filters"
				}
				return nil, invalid(attr, "Filter %q does not exist; accepted filters: %s.", name, offer(spec.FilterNames()))
			}
			values, err := filterValues(name, f.Values)
			if err != nil {
				return nil, err
			}
			c, err := condition(name, field, f.Operator, values, viewerID, now)
			if err != nil {
				return nil, err
			}
			conds = append(conds, c)
		}
	}
	return conds, nil
}

// filterValues reads values given as strings or as numbers (clients send
// ids as either), and booleans as OpenProject's "t" and "f".
func filterValues(name string, raw []json.RawMessage) ([]string, error) {
	values := make([]string, 0, len(raw))
	for _, r := range raw {
		var v any
		d := json.NewDecoder(strings.NewReader(string(r)))
		d.UseNumber()
		if err := d.Decode(&v); err != nil {
			return nil, invalid(name, "Filter %q: values must be strings or numbers.", name)
		}
		switch x := v.(type) {
		case string:
			if domain.HasNUL(x) { // no database compares text holding NUL
				return nil, invalid(name, "Filter %q: values must not contain NUL characters (\\u0000).", name)
			}
			values = append(values, x)
		case json.Number:
			values = append(values, x.String())
		case bool:
			values = append(values, map[bool]string{true: "t", false: "f"}[x])
		default:
			return nil, invalid(name, "Filter %q: values must be strings or numbers, not %s.", name, strings.TrimSpace(string(r)))
		}
	}
	return values, nil
}

func condition(name string, f Field, op string, values []string, viewerID int64, now time.Time) (Condition, error) {
	ops := f.accepted()
	known := false
	for _, o := range ops {
		known = known || o == op
	}
	if !known {
		return Condition{}, invalid(name, "Filter %q does not accept the operator %q; accepted: %s.", name, op, strings.Join(ops, " "))
	}
	switch op {
	case "*":
		return Condition{SQL: f.Column + " IS NOT NULL"}, nil
	case "!*":
		return Condition{SQL: f.Column + " IS NULL"}, nil
	case "o":
		return Condition{SQL: f.Column + " NOT IN (" + f.Closed + ")"}, nil
	case "c":
		return Condition{SQL: f.Column + " IN (" + f.Closed + ")"}, nil
	case "t", "w", "t-", ">t-", "<t-", "t+", ">t+", "<t+":
		return relativeDates(name, f, op, values, now)
	case "<>d":
		return between(name, f, values)
	case "=d":
		if len(values) != 1 {
			return Condition{}, invalid(name, "Filter %q with operator =d needs one date.", name)
		}
		v, err := parseValue(name, f.Kind, values[0], viewerID)
		if err != nil {
			return Condition{}, err
		}
		if t, ok := v.(time.Time); ok {
			// OpenProject's "on": the 24 hours from the given moment.
			return Condition{SQL: f.Column + " >= ? AND " + f.Column + " <= ?", Args: []any{t, t.Add(24 * time.Hour)}}, nil
		}
		return Condition{SQL: f.Column + " = ?", Args: []any{v}}, nil
	}
	if len(values) == 0 {
		return Condition{}, invalid(name, "Filter %q needs at least one value.", name)
	}
	args := make([]any, len(values))
	for i, v := range values {
		a, err := parseValue(name, f.Kind, v, viewerID)
		if err != nil {
			return Condition{}, err
		}
		args[i] = a
	}
	switch op {
	case "=", "!":
		if f.Kind == Text {
			return textCondition(f, op, args), nil
		}
		if f.Kind == DateTime && op == "=" {
			day := args[0].(time.Time)
			return Condition{SQL: f.Column + " >= ? AND " + f.Column + " < ?", Args: []any{day, day.Add(24 * time.Hour)}}, nil
		}
		if op == "!" {
			if f.Nullable {
				return Condition{SQL: "(" + f.Column + " IS NULL OR " + f.Column + " NOT IN (?))", Args: []any{bun.List(args)}}, nil
			}
			return Condition{SQL: f.Column + " NOT IN (?)", Args: []any{bun.List(args)}}, nil
		}
		return Condition{SQL: f.Column + " IN (?)", Args: []any{bun.List(args)}}, nil
	case "~", "!~":
		return textCondition(f, op, args), nil
	case ">=":
		return Condition{SQL: f.Column + " >= ?", Args: args[:1]}, nil
	case "<=":
		if t, ok := args[0].(time.Time); ok && f.Kind == DateTime && t.Equal(t.Truncate(24*time.Hour)) && len(values[0]) == 10 {
			// A date as upper bound includes that whole day.
			return Condition{SQL: f.Column + " < ?", Args: []any{t.Add(24 * time.Hour)}}, nil
		}
		return Condition{SQL: f.Column + " <= ?", Args: args[:1]}, nil
	}
	return Condition{}, invalid(name, "Filter %q: unsupported operator %q.", name, op)
}

// textCondition matches a text field, and its Also column when it has one:
// = and ~ hold when either column matches, ! and !~ when neither does.
func textCondition(f Field, op string, args []any) Condition {
	one := func(col string) Condition {
		switch op {
		case "=", "!":
			// Text equality ignores case, as OpenProject's does.
			c := Condition{SQL: "lower(" + col + ") IN (?)", Args: []any{bun.List(lowerAll(args))}}
			if op == "!" {
				c.SQL = "lower(" + col + ") NOT IN (?)"
			}
			return c
		}
		clauses := make([]string, len(args))
		likeArgs := make([]any, len(args))
		for i, a := range args {
			clauses[i] = "lower(" + col + ") LIKE ? ESCAPE '\\'"
			likeArgs[i] = "%" + escapeLike(strings.ToLower(a.(string))) + "%"
		}
		sql := "(" + strings.Join(clauses, " OR ") + ")"
		if op == "!~" {
			sql = "NOT " + sql
		}
		return Condition{SQL: sql, Args: likeArgs}
	}
	c := one(f.Column)
	if f.Also == "" {
		return c
	}
	also := one(f.Also)
	join := " OR "
	if op == "!" || op == "!~" {
		join = " AND "
	}
	return Condition{SQL: "(" + c.SQL + join + also.SQL + ")", Args: append(c.Args, also.Args...)}
}

// maxDays bounds the day counts of the relative operators (about 2,700
// years), so that no date computed from them leaves the calendar.
const maxDays = 1_000_000

// relativeDates applies OpenProject's relative date operators. Days are
// calendar days in UTC (OpenProject's Date.today on a server in UTC), and a
// range of days runs from the first day's start to the last day's end:
//
//	t     today                      t-  n   the day n days ago
//	>t-   n  from n days ago to today <t- n   up to and including n days ago
//	t+ n  the day in n days          <t+ n   from today to n days ahead
//	>t+ n from n days ahead on       w       this week (below)
func relativeDates(name string, f Field, op string, values []string, now time.Time) (Condition, error) {
	today := civil(now)
	if op == "t" {
		return dayRange(f, &today, &today), nil
	}
	if op == "w" {
		// OpenProject's "this week": BETWEEN Monday 00:00 and the next
		// Monday 00:00, both ends included (so on a date column the next
		// Monday too).
		monday := today.AddDate(0, 0, -((int(today.Weekday()) + 6) % 7))
		next := monday.AddDate(0, 0, 7)
		if f.Kind == DateTime {
			return Condition{SQL: f.Column + " >= ? AND " + f.Column + " <= ?", Args: []any{monday, next}}, nil
		}
		return Condition{SQL: f.Column + " >= ? AND " + f.Column + " <= ?", Args: []any{monday.Format(time.DateOnly), next.Format(time.DateOnly)}}, nil
	}
	if len(values) != 1 {
		return Condition{}, invalid(name, "Filter %q with operator %s needs one value: a number of days.", name, op)
	}
	n, err := strconv.Atoi(strings.TrimSpace(values[0]))
	if err != nil || n < -maxDays || n > maxDays {
		return Condition{}, invalid(name, "Filter %q with operator %s takes a whole number of days, not %q.", name, op, values[0])
	}
	day := func(d int) *time.Time { t := today.AddDate(0, 0, d); return &t }
	switch op {
	case "t-":
		return dayRange(f, day(-n), day(-n)), nil
	case ">t-":
		return dayRange(f, day(-n), day(0)), nil
	case "<t-":
		return dayRange(f, nil, day(-n)), nil
	case "t+":
		return dayRange(f, day(n), day(n)), nil
	case "<t+":
		return dayRange(f, day(0), day(n)), nil
	default: // ">t+"
		return dayRange(f, day(n), nil), nil
	}
}

// between is <>d: from and to, either of which may be empty for an open end.
func between(name string, f Field, values []string) (Condition, error) {
	if len(values) != 2 {
		return Condition{}, invalid(name, "Filter %q with operator <>d needs two values: from and to (either may be \"\" for an open end).", name)
	}
	from, to := strings.TrimSpace(values[0]), strings.TrimSpace(values[1])
	if from == "" && to == "" {
		return Condition{}, invalid(name, "Filter %q with operator <>d needs a from or a to date.", name)
	}
	var clauses []string
	var args []any
	if from != "" {
		v, err := parseValue(name, f.Kind, from, 0)
		if err != nil {
			return Condition{}, err
		}
		clauses, args = append(clauses, f.Column+" >= ?"), append(args, v)
	}
	if to != "" {
		v, err := parseValue(name, f.Kind, to, 0)
		if err != nil {
			return Condition{}, err
		}
		if t, ok := v.(time.Time); ok && len(to) == 10 {
			// A date as upper bound includes that whole day.
			clauses, args = append(clauses, f.Column+" < ?"), append(args, t.Add(24*time.Hour))
		} else {
			clauses, args = append(clauses, f.Column+" <= ?"), append(args, v)
		}
	}
	return Condition{SQL: strings.Join(clauses, " AND "), Args: args}, nil
}

// dayRange selects from the start of day from to the end of day to (UTC);
// nil leaves that end open.
func dayRange(f Field, from, to *time.Time) Condition {
	var clauses []string
	var args []any
	if from != nil {
		clauses = append(clauses, f.Column+" >= ?")
		if f.Kind == DateTime {
			args = append(args, *from)
		} else {
			args = append(args, from.Format(time.DateOnly))
		}
	}
	if to != nil {
		if f.Kind == DateTime {
			clauses, args = append(clauses, f.Column+" < ?"), append(args, to.AddDate(0, 0, 1))
		} else {
			clauses, args = append(clauses, f.Column+" <= ?"), append(args, to.Format(time.DateOnly))
		}
	}
	return Condition{SQL: strings.Join(clauses, " AND "), Args: args}
}

// civil is the UTC calendar day of t, at midnight.
func civil(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

func parseValue(name string, k Kind, v string, viewerID int64) (any, error) {
	switch k {
	case ID:
		if v == "me" {
			return viewerID, nil
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, invalid(name, "Filter %q takes ids (or \"me\"), not %q.", name, v)
		}
		return n, nil
	case DateTime:
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02"} {
			if t, err := time.Parse(layout, v); err == nil {
				return t.UTC(), nil
			}
		}
		return nil, invalid(name, "Filter %q takes ISO 8601 dates or times (2026-11-28 or 2026-11-28T12:00:00Z), not %q.", name, v)
	case Date:
		if _, err := time.Parse("2006-01-02", v); err != nil {
			return nil, invalid(name, "Filter %q takes dates such as 2026-11-28, not %q.", name, v)
		}
		return v, nil
	case Bool:
		switch v {
		case "t", "true":
			return true, nil
		case "f", "false":
			return false, nil
		}
		return nil, invalid(name, "Filter %q takes \"t\" or \"f\", not %q.", name, v)
	}
	return v, nil
}

// SortBy parses the sortBy parameter into an ORDER BY list; id breaks ties.
func SortBy(raw string, spec Spec, fallback string) ([]string, error) {
	if strings.TrimSpace(raw) == "" {
		return []string{fallback}, nil
	}
	var pairs [][]string
	if err := json.Unmarshal([]byte(raw), &pairs); err != nil {
		return nil, invalid("sortBy", `sortBy must be a JSON list such as [["updatedAt","desc"]]: %v.`, err)
	}
	var order []string
	hasID := false
	for _, p := range pairs {
		if len(p) != 2 {
			return nil, invalid("sortBy", "sortBy takes pairs of [field, direction].")
		}
		f, ok := spec[p[0]]
		if !ok {
			return nil, invalid("sortBy", "Cannot sort by %q; accepted: %s.", p[0], offer(spec.SortNames()))
		}
		dir := strings.ToUpper(p[1])
		if dir != "ASC" && dir != "DESC" {
			return nil, invalid("sortBy", "Sort direction %q is not accepted: use asc or desc.", p[1])
		}
		col := f.Column
		if f.Kind == Text {
			col = "lower(" + col + ")" // as people read names, not by code point
		}
		order = append(order, col+" "+dir+nullsOrder(f, dir))
		hasID = hasID || p[0] == "id"
	}
	if !hasID {
		order = append(order, fallback)
	}
	return order, nil
}

// nullsOrder spells out where a nullable column's NULLs sort: first going
// up, last going down, as SQLite sorts them; PostgreSQL would put them the
// other way round.
func nullsOrder(f Field, dir string) string {
	switch {
	case !f.Nullable:
		return ""
	case dir == "ASC":
		return " NULLS FIRST"
	default:
		return " NULLS LAST"
	}
}

func lowerAll(args []any) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = strings.ToLower(a.(string))
	}
	return out
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
