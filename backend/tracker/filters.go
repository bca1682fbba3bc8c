package tracker

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/query"
)

// namedFilter is one entry of a filters parameter.
type namedFilter struct {
	Name     string
	Operator string
	Values   []string
}

// splitFilters takes the filters named in special out of a filters
// parameter, for conditions a column comparison cannot state (a work
// package at either end of a relation, a project's members), and returns
// the rest for query.Filters. Values are read as OpenProject clients send
// them: strings, numbers, or a single value instead of a list. A parameter
// that is not a list of filters is returned as it is, for query.Filters to
// refuse in its words.
func splitFilters(raw string, special ...string) (string, []namedFilter) {
	if strings.TrimSpace(raw) == "" {
		return raw, nil
	}
	var list []map[string]struct {
		Operator string          `json:"operator"`
		Values   json.RawMessage `json:"values"`
	}
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return raw, nil
	}
	type entry struct {
		Operator string   `json:"operator"`
		Values   []string `json:"values"`
	}
	var rest []map[string]entry
	var picked []namedFilter
	for _, m := range list {
		kept := map[string]entry{}
		for name, f := range m {
			values, ok := filterValues(f.Values)
			if !ok {
				return raw, nil
			}
			isSpecial := false
			for _, s := range special {
				isSpecial = isSpecial || s == name
			}
			if isSpecial {
				picked = append(picked, namedFilter{Name: name, Operator: f.Operator, Values: values})
			} else {
				kept[name] = entry{f.Operator, values}
			}
		}
		if len(kept) > 0 {
			rest = append(rest, kept)
		}
	}
	if rest == nil {
		return "", picked
	}
	out, err := json.Marshal(rest)
	if err != nil {
		return raw, nil
	}
	return string(out), picked
}

// filterValues reads a filter's values: a list or one value, of strings,
// numbers or booleans.
func filterValues(raw json.RawMessage) ([]string, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return nil, true
	}
	// Numbers keep their text: an id above 2^53 would change as a float64.
	var one any
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&one); err != nil || dec.More() {
		return nil, false
	}
	list, isList := one.([]any)
	if !isList {
		list = []any{one}
	}
	out := make([]string, len(list))
	for i, v := range list {
		switch x := v.(type) {
		case string:
			out[i] = x
		case json.Number:
			out[i] = x.String()
			if _, err := strconv.ParseInt(out[i], 10, 64); err != nil { // 1.0, 1e2: as before
				f, err := x.Float64()
				if err != nil { // beyond a float64 (1e400), refused as before
					return nil, false
				}
				out[i] = strconv.FormatFloat(f, 'f', -1, 64)
			}
		case bool:
			out[i] = strconv.FormatBool(x)
		default:
			return nil, false
		}
	}
	return out, true
}

// filterIDs reads a special filter's values as ids.
func filterIDs(f namedFilter) ([]int64, error) {
	if len(f.Values) == 0 {
		return nil, invalidFilter(f.Name, "Filter %q needs at least one value.", f.Name)
	}
	ids := make([]int64, len(f.Values))
	for i, v := range f.Values {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return nil, invalidFilter(f.Name, "Filter %q takes ids, not %q.", f.Name, v)
		}
		ids[i] = id
	}
	return ids, nil
}

func invalidFilter(field, format string, args ...any) error {
	return &domain.ValidationError{Field: field, Kind: domain.KindInvalidQuery, Message: fmt.Sprintf(format, args...)}
}

// specialQuery parses a collection's filters and sortBy where the filters
// named in special are stated by the caller (splitFilters): every filter
// name is accepted by the filters and named in their errors, sortBy takes
// spec's fields only.
func specialQuery(p ListParams, spec query.Spec, viewer auth.User, fallback string, special ...string) ([]query.Condition, string, []namedFilter, error) {
	rest, picked := splitFilters(p.Filters, special...)
	filterSpec := query.Spec{}
	for k, v := range spec {
		filterSpec[k] = v
	}
	for _, name := range special {
		filterSpec[name] = query.Field{Column: "NULL", Kind: query.ID} // never compared: picked out above
	}
	conds, err := query.Filters(rest, filterSpec, viewer.ID)
	if err != nil {
		return nil, "", nil, err
	}
	order, err := query.SortBy(p.SortBy, spec, fallback)
	if err != nil {
		return nil, "", nil, err
	}
	return conds, strings.Join(order, ", "), picked, nil
}
