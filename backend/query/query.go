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
}

// Spec lists a collection's fields by their API names.
type Spec map[string]Field

// Condition is one SQL condition with its arguments.
type Condition struct {
	SQL  string
	Args []any
}

var operators = map[Kind][]string{
	ID:       {"=", "!", "*", "!*"},
	Text:     {"~", "!~", "=", "!", "*", "!*"},
	DateTime: {">=", "<=", "<>d", "=", "*", "!*"},
	Date:     {">=", "<=", "<>d", "=", "*", "!*"},
	Bool:     {"="},
}

func invalid(field, format string, args ...any) *domain.ValidationError {
	return &domain.ValidationError{Field: field, Kind: domain.KindInvalidQuery, Message: fmt.Sprintf(format, args...)}
}

func (s Spec) names() string {
	names := make([]string, 0, len(s))
	for n := range s {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// Filters parses the filters parameter. viewerID replaces the value "me".
func Filters(raw string, spec Spec, viewerID int64) ([]Condition, error) {
	if strings.TrimSpace(raw) == "" {
		return nil, nil
	}
	var list []map[string]struct {
		Operator string   `json:"operator"`
		Values   []string `json:"values"`
	}
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return nil, invalid("filters", `filters must be a JSON list such as [{"status":{"operator":"=","values":["1"]}}]: %v.`, err)
	}
	var conds []Condition
	for _, entry := range list {
		for name, f := range entry {
			field, ok := spec[name]
			if !ok {
				attr := name
				if attr == "" { // an error names the property it is about
					attr = "filters"
				}
				return nil, invalid(attr, "Filter %q does not exist; accepted filters: %s.", name, spec.names())
			}
			for _, v := range f.Values {
				if domain.HasNUL(v) { // no database compares text holding NUL
					return nil, invalid(name, "Filter %q: values must not contain NUL characters (\\u0000).", name)
				}
			}
			c, err := condition(name, field, f.Operator, f.Values, viewerID)
			if err != nil {
				return nil, err
			}
			conds = append(conds, c)
		}
	}
	return conds, nil
}

func condition(name string, f Field, op string, values []string, viewerID int64) (Condition, error) {
	known := false
	for _, o := range operators[f.Kind] {
		known = known || o == op
	}
	if !known {
		return Condition{}, invalid(name, "Filter %q does not accept the operator %q; accepted: %s.", name, op, strings.Join(operators[f.Kind], " "))
	}
	switch op {
	case "*":
		return Condition{SQL: f.Column + " IS NOT NULL"}, nil
	case "!*":
		return Condition{SQL: f.Column + " IS NULL"}, nil
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
			// Text equality ignores case, as OpenProject's does.
			c := Condition{SQL: "lower(" + f.Column + ") IN (?)", Args: []any{bun.List(lowerAll(args))}}
			if op == "!" {
				c.SQL = "lower(" + f.Column + ") NOT IN (?)"
			}
			return c, nil
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
		clauses := make([]string, len(args))
		likeArgs := make([]any, len(args))
		for i, a := range args {
			clauses[i] = "lower(" + f.Column + ") LIKE ? ESCAPE '\\'"
			likeArgs[i] = "%" + escapeLike(strings.ToLower(a.(string))) + "%"
		}
		sql := "(" + strings.Join(clauses, " OR ") + ")"
		if op == "!~" {
			sql = "NOT " + sql
		}
		return Condition{SQL: sql, Args: likeArgs}, nil
	case ">=":
		return Condition{SQL: f.Column + " >= ?", Args: args[:1]}, nil
	case "<=":
		if t, ok := args[0].(time.Time); ok && f.Kind == DateTime && t.Equal(t.Truncate(24*time.Hour)) && len(values[0]) == 10 {
			// A date as upper bound includes that whole day.
			return Condition{SQL: f.Column + " < ?", Args: []any{t.Add(24 * time.Hour)}}, nil
		}
		return Condition{SQL: f.Column + " <= ?", Args: args[:1]}, nil
	case "<>d":
		if len(args) != 2 {
			return Condition{}, invalid(name, "Filter %q with operator <>d needs two values: from and to.", name)
		}
		to := args[1]
		if t, ok := to.(time.Time); ok && len(values[1]) == 10 {
			return Condition{SQL: f.Column + " >= ? AND " + f.Column + " < ?", Args: []any{args[0], t.Add(24 * time.Hour)}}, nil
		}
		return Condition{SQL: f.Column + " >= ? AND " + f.Column + " <= ?", Args: []any{args[0], to}}, nil
	}
	return Condition{}, invalid(name, "Filter %q: unsupported operator %q.", name, op)
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
			return nil, invalid("sortBy", "Cannot sort by %q; accepted: %s.", p[0], spec.names())
		}
		dir := strings.ToUpper(p[1])
		if dir != "ASC" && dir != "DESC" {
			return nil, invalid("sortBy", "Sort direction %q is not accepted: use asc or desc.", p[1])
		}
		col := f.Column
		if f.Kind == Text {
			col = "lower(" + col + ")" // as people read names, not by code point
		}
		order = append(order, col+" "+dir)
		hasID = hasID || p[0] == "id"
	}
	if !hasID {
		order = append(order, fallback)
	}
	return order, nil
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
