package hal

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/tracker"
)

// body is a HAL request body split into its properties and its _links.
type body struct {
	props map[string]json.RawMessage
	links map[string]json.RawMessage
	errs  domain.ValidationErrors
}

func parseBody(data []byte) (*body, error) {
	b := &body{}
	if err := json.Unmarshal(data, &b.props); err != nil || b.props == nil {
		return nil, &domain.RequestError{Status: 400, Identifier: "InvalidRequestBody", Message: "The request body must be a JSON object."}
	}
	if raw, ok := b.props["_links"]; ok {
		if err := json.Unmarshal(raw, &b.links); err != nil {
			return nil, &domain.RequestError{Status: 400, Identifier: "InvalidRequestBody", Message: "_links must be an object of links."}
		}
	}
	return b, nil
}

func (b *body) formatError(field, want string) {
	b.errs = append(b.errs, &domain.ValidationError{Field: field, Kind: domain.KindFormat, Message: fmt.Sprintf("%s must be %s.", field, want)})
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

func (b *body) str(name string) *string {
	raw, ok := b.props[name]
	if !ok {
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil || isNull(raw) {
		b.formatError(name, "a string")
		return nil
	}
	return &s
}

func (b *body) boolean(name string) *bool {
	raw, ok := b.props[name]
	if !ok {
		return nil
	}
	var v bool
	if err := json.Unmarshal(raw, &v); err != nil || isNull(raw) {
		b.formatError(name, "true or false")
		return nil
	}
	return &v
}

func (b *body) integer(name string) *int {
	raw, ok := b.props[name]
	if !ok {
		return nil
	}
	var v int
	if err := json.Unmarshal(raw, &v); err != nil || isNull(raw) {
		b.formatError(name, "a whole number")
		return nil
	}
	return &v
}

// formattable reads a Formattable ({"raw": "..."}).
func (b *body) formattable(name string) *string {
	raw, ok := b.props[name]
	if !ok {
		return nil
	}
	if isNull(raw) {
		empty := ""
		return &empty
	}
	var f struct {
		Raw *string `json:"raw"`
	}
	if err := json.Unmarshal(raw, &f); err != nil || f.Raw == nil {
		b.formatError(name, `a formattable text such as {"raw": "Some *markdown*"}`)
		return nil
	}
	return f.Raw
}

func (b *body) optDate(name string) tracker.Opt[string] {
	raw, ok := b.props[name]
	if !ok {
		return tracker.Opt[string]{}
	}
	if isNull(raw) {
		return tracker.Opt[string]{Set: true}
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		b.formatError(name, "a date such as 2026-11-28, or null")
		return tracker.Opt[string]{}
	}
	return tracker.Opt[string]{Set: true, Value: &s}
}

func (b *body) optInt(name string) tracker.Opt[int] {
	raw, ok := b.props[name]
	if !ok {
		return tracker.Opt[int]{}
	}
	if isNull(raw) {
		return tracker.Opt[int]{Set: true}
	}
	var v int
	if err := json.Unmarshal(raw, &v); err != nil {
		b.formatError(name, "a whole number, or null")
		return tracker.Opt[int]{}
	}
	return tracker.Opt[int]{Set: true, Value: &v}
}

func (b *body) optDuration(name string, nullable bool) tracker.Opt[float64] {
	raw, ok := b.props[name]
	if !ok {
		return tracker.Opt[float64]{}
	}
	if isNull(raw) && nullable {
		return tracker.Opt[float64]{Set: true}
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		b.formatError(name, "an ISO 8601 duration such as PT4H")
		return tracker.Opt[float64]{}
	}
	h, err := ParseHours(s)
	if err != nil {
		b.errs = append(b.errs, &domain.ValidationError{Field: name, Kind: domain.KindFormat, Message: name + ": " + err.Error() + "."})
		return tracker.Opt[float64]{}
	}
	return tracker.Opt[float64]{Set: true, Value: &h}
}

func (b *body) dateTime(name string) *time.Time {
	raw, ok := b.props[name]
	if !ok {
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		b.formatError(name, "an ISO 8601 date-time such as 2026-11-28T12:00:00Z")
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		b.formatError(name, "an ISO 8601 date-time such as 2026-11-28T12:00:00Z")
		return nil
	}
	return &t
}

// link reads _links.<name>.href as the id of a resource under prefix
// ("/api/v3/statuses/"). href null clears the link.
func (b *body) link(name, prefix string) tracker.Opt[int64] {
	raw, ok := b.links[name]
	if !ok {
		return tracker.Opt[int64]{}
	}
	var l struct {
		Href *string `json:"href"`
	}
	if err := json.Unmarshal(raw, &l); err != nil {
		b.formatError(name, `a link such as {"href": "`+prefix+`1"}`)
		return tracker.Opt[int64]{}
	}
	if l.Href == nil {
		return tracker.Opt[int64]{Set: true}
	}
	rest, ok := strings.CutPrefix(*l.Href, prefix)
	id, err := strconv.ParseInt(rest, 10, 64)
	if !ok || err != nil || id < 1 {
		b.errs = append(b.errs, &domain.ValidationError{Field: name, Kind: "ResourceTypeMismatch",
			Message: fmt.Sprintf("The link %s must point to %s{id}, not %q.", name, prefix, *l.Href)})
		return tracker.Opt[int64]{}
	}
	return tracker.Opt[int64]{Set: true, Value: &id}
}

func (b *body) readOnly(names ...string) []string {
	var out []string
	for _, n := range names {
		if _, ok := b.props[n]; ok {
			out = append(out, n)
		}
	}
	return out
}

func required(field string, o tracker.Opt[int64], errs *domain.ValidationErrors) *int64 {
	if o.Set && o.Value == nil {
		*errs = append(*errs, domain.Invalid(field, "%s can't be empty.", field))
	}
	return o.Value
}

// ParseProject reads a project create or update body.
func ParseProject(data []byte) (tracker.ProjectInput, error) {
	b, err := parseBody(data)
	if err != nil {
		return tracker.ProjectInput{}, err
	}
	in := tracker.ProjectInput{
		Identifier: b.str("identifier"), Name: b.str("name"), Description: b.formattable("description"),
		Active: b.boolean("active"), Public: b.boolean("public"), Parent: b.link("parent", "/api/v3/projects/"),
		CreatedAt: b.dateTime("createdAt"), ReadOnly: b.readOnly("updatedAt"),
	}
	return in, b.errs.Err()
}

// ParseWorkPackage reads a work package create or update body.
func ParseWorkPackage(data []byte) (tracker.WorkPackageInput, error) {
	b, err := parseBody(data)
	if err != nil {
		return tracker.WorkPackageInput{}, err
	}
	in := tracker.WorkPackageInput{
		Subject: b.str("subject"), Description: b.formattable("description"),
		StartDate: b.optDate("startDate"), DueDate: b.optDate("dueDate"),
		EstimatedHours: b.optDuration("estimatedTime", true), PercentageDone: b.optInt("percentageDone"),
		AssigneeID: b.link("assignee", "/api/v3/users/"), CreatedAt: b.dateTime("createdAt"),
		LockVersion: b.integer("lockVersion"), ReadOnly: b.readOnly("updatedAt", "spentTime", "derivedStartDate", "derivedDueDate", "derivedEstimatedTime", "derivedPercentageDone"),
	}
	in.ProjectID = required("project", b.link("project", "/api/v3/projects/"), &b.errs)
	in.TypeID = required("type", b.link("type", "/api/v3/types/"), &b.errs)
	in.StatusID = required("status", b.link("status", "/api/v3/statuses/"), &b.errs)
	in.PriorityID = required("priority", b.link("priority", "/api/v3/priorities/"), &b.errs)
	in.AuthorID = required("author", b.link("author", "/api/v3/users/"), &b.errs)
	return in, b.errs.Err()
}

// ParseTimeEntry reads a time entry create or update body.
func ParseTimeEntry(data []byte) (tracker.TimeEntryInput, error) {
	b, err := parseBody(data)
	if err != nil {
		return tracker.TimeEntryInput{}, err
	}
	in := tracker.TimeEntryInput{Comment: b.formattable("comment"), CreatedAt: b.dateTime("createdAt"),
		WorkPackageID: b.link("workPackage", "/api/v3/work_packages/"), ReadOnly: b.readOnly("updatedAt")}
	if d := b.optDuration("hours", false); d.Set {
		in.Hours = d.Value
	}
	if raw, ok := b.props["spentOn"]; ok {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			b.formatError("spentOn", "a date such as 2026-11-28")
		} else {
			in.SpentOn = &s
		}
	}
	in.ProjectID = required("project", b.link("project", "/api/v3/projects/"), &b.errs)
	in.UserID = required("user", b.link("user", "/api/v3/users/"), &b.errs)
	return in, b.errs.Err()
}

// ParseComment reads a comment body: {"comment": {"raw": "..."}}.
func ParseComment(data []byte) (string, error) {
	b, err := parseBody(data)
	if err != nil {
		return "", err
	}
	text := b.formattable("comment")
	if err := b.errs.Err(); err != nil {
		return "", err
	}
	if text == nil {
		return "", domain.Invalid("comment", "Comment can't be blank.")
	}
	return *text, nil
}
