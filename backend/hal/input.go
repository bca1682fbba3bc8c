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
	if domain.HasNUL(s) {
		b.formatError(name, "text without NUL characters (\\u0000)")
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
	if domain.HasNUL(*f.Raw) {
		b.formatError(name, "text without NUL characters (\\u0000)")
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

// FieldKind is the JSON shape of a property of a HAL write body.
type FieldKind string

// Field kinds.
const (
	KindString      FieldKind = "string"
	KindFormattable FieldKind = "formattable" // {"raw": "..."}; null clears it
	KindBoolean     FieldKind = "boolean"
	KindInteger     FieldKind = "integer"
	KindDate        FieldKind = "date"      // "2026-11-28"
	KindDateTime    FieldKind = "date-time" // RFC 3339
	KindDuration    FieldKind = "duration"  // ISO 8601, "PT4H"
	KindLink        FieldKind = "link"      // _links.<name>.href
)

// FieldSpec is what one property of a HAL write body is: the parser reads the
// body by it and the OpenAPI document states it, so the two cannot differ.
// Texts' bounds are the tracker's constants, which its validation reads.
type FieldSpec struct {
	Name string
	Kind FieldKind
	// Href is a link's target prefix ("/api/v3/projects/").
	Href string
	// MaxLength bounds a string or a formattable's raw text, in characters.
	MaxLength int
	Pattern   string
	// Enum lists the values a string may take.
	Enum []string
	// Minimum and Maximum bound an integer when Bounded.
	Bounded          bool
	Minimum, Maximum int
	// Nullable: null is accepted (it clears the value).
	Nullable bool
	// ReadOnly: never writable; sending it is a 422 PropertyIsReadOnly.
	ReadOnly bool
	// OverrideOnly: read-only but for what the API setting
	// writeReadonlyAttributes lets administrators set on creation.
	OverrideOnly bool
	// CreateRequired and UpdateRequired: the write is refused without it.
	CreateRequired, UpdateRequired bool
	Description                    string
}

// field is a FieldSpec with how it is read into In.
type field[In any] struct {
	FieldSpec
	read func(b *body, in *In)
}

func (f field[In]) describe(d string) field[In] { f.Description = d; return f }
func (f field[In]) onCreate() field[In]         { f.CreateRequired = true; return f }
func (f field[In]) onUpdate() field[In]         { f.UpdateRequired = true; return f }
func (f field[In]) pattern(p string) field[In]  { f.Pattern = p; return f }
func (f field[In]) overrideOnly() field[In] {
	f.OverrideOnly, f.Description = true, writeReadonlyNote
	return f
}
func (f field[In]) between(min, max int) field[In] {
	f.Bounded, f.Minimum, f.Maximum = true, min, max
	return f
}
func (f field[In]) maxLength(n int) field[In] { f.MaxLength = n; return f }
func (f field[In]) oneOf(values ...string) field[In] {
	f.Enum = values
	return f
}
func spec(name string, kind FieldKind) FieldSpec { return FieldSpec{Name: name, Kind: kind} }
func nullable(name string, kind FieldKind) FieldSpec {
	return FieldSpec{Name: name, Kind: kind, Nullable: true}
}
func linkSpec(name, href string, null bool) FieldSpec {
	return FieldSpec{Name: name, Kind: KindLink, Href: href, Nullable: null}
}

func str[In any](name string, set func(*In, *string)) field[In] {
	return field[In]{spec(name, KindString), func(b *body, in *In) {
		if v := b.str(name); v != nil {
			set(in, v)
		}
	}}
}

// optStr reads a string that null clears.
func optStr[In any](name string, set func(*In, tracker.Opt[string])) field[In] {
	return field[In]{nullable(name, KindString), func(b *body, in *In) {
		raw, ok := b.props[name]
		if !ok {
			return
		}
		if isNull(raw) {
			set(in, tracker.Opt[string]{Set: true})
		} else if v := b.str(name); v != nil {
			set(in, tracker.Opt[string]{Set: true, Value: v})
		}
	}}
}

func formattable[In any](name string, set func(*In, *string)) field[In] {
	return field[In]{nullable(name, KindFormattable), func(b *body, in *In) {
		if v := b.formattable(name); v != nil {
			set(in, v)
		}
	}}
}

func boolean[In any](name string, set func(*In, *bool)) field[In] {
	return field[In]{spec(name, KindBoolean), func(b *body, in *In) {
		if v := b.boolean(name); v != nil {
			set(in, v)
		}
	}}
}

func integer[In any](name string, set func(*In, *int)) field[In] {
	return field[In]{spec(name, KindInteger), func(b *body, in *In) {
		if v := b.integer(name); v != nil {
			set(in, v)
		}
	}}
}

func optInteger[In any](name string, set func(*In, tracker.Opt[int])) field[In] {
	return field[In]{nullable(name, KindInteger), func(b *body, in *In) { set(in, b.optInt(name)) }}
}

func optDate[In any](name string, set func(*In, tracker.Opt[string])) field[In] {
	return field[In]{nullable(name, KindDate), func(b *body, in *In) { set(in, b.optDate(name)) }}
}

func date[In any](name string, set func(*In, *string)) field[In] {
	return field[In]{spec(name, KindDate), func(b *body, in *In) {
		if d := b.optDate(name); d.Set && d.Value == nil {
			b.formatError(name, "a date such as 2026-11-28")
		} else if d.Set {
			set(in, d.Value)
		}
	}}
}

func dateTime[In any](name string, set func(*In, *time.Time)) field[In] {
	return field[In]{spec(name, KindDateTime), func(b *body, in *In) {
		if v := b.dateTime(name); v != nil {
			set(in, v)
		}
	}}
}

func duration[In any](name string, null bool, set func(*In, tracker.Opt[float64])) field[In] {
	s := spec(name, KindDuration)
	s.Nullable = null
	return field[In]{s, func(b *body, in *In) { set(in, b.optDuration(name, null)) }}
}

// link reads _links.<name>; a link that is not nullable cannot be cleared.
func link[In any](name, href string, null bool, set func(*In, tracker.Opt[int64])) field[In] {
	return field[In]{linkSpec(name, href, null), func(b *body, in *In) {
		o := b.link(name, href)
		if o.Set && o.Value == nil && !null {
			b.errs = append(b.errs, domain.Invalid(name, "%s can't be empty.", name))
			return
		}
		set(in, o)
	}}
}

// readOnly lists properties a representation shows but no write may set.
func readOnly[In any](list func(*In) *[]string, names ...string) []field[In] {
	out := make([]field[In], len(names))
	for i, name := range names {
		s := spec(name, KindString)
		s.ReadOnly = true
		out[i] = field[In]{s, func(b *body, in *In) {
			if _, ok := b.props[name]; ok {
				*list(in) = append(*list(in), name)
			}
		}}
	}
	return out
}

// form is the field table of one HAL write body.
type form[In any] []field[In]

func (f form[In]) parse(data []byte) (In, error) {
	var in In
	b, err := parseBody(data)
	if err != nil {
		return in, err
	}
	for _, fd := range f {
		fd.read(b, &in)
	}
	return in, b.errs.Err()
}

func (f form[In]) specs() []FieldSpec {
	out := make([]FieldSpec, len(f))
	for i, fd := range f {
		out[i] = fd.FieldSpec
	}
	return out
}

func fields[In any](groups ...[]field[In]) form[In] {
	var out form[In]
	for _, g := range groups {
		out = append(out, g...)
	}
	return out
}

func one[In any](f ...field[In]) []field[In] { return f }

// NotBlank is the pattern of a text that must hold more than white space.
const NotBlank = `\S`

const (
	writeReadonlyNote = "On creation, by administrators, while the API setting writeReadonlyAttributes is on; otherwise 422 PropertyIsReadOnly."
	projectsHref      = "/api/v3/projects/"
	usersHref         = "/api/v3/users/"
)

type (
	projectIn   = tracker.ProjectInput
	workIn      = tracker.WorkPackageInput
	timeIn      = tracker.TimeEntryInput
	relationIn  = tracker.RelationInput
	commentBody struct{ Comment *string }
)

var projectForm = fields(one(
	str("identifier", func(in *projectIn, v *string) { in.Identifier = v }).
		maxLength(tracker.MaxIdentifierLength).pattern(tracker.IdentifierPattern).
		describe("Lower-case letters, digits, '-' and '_', starting with a letter; unique. Left out (or empty) on creation, "+
			"it is derived from the name as OpenProject does: \"R&D Café 2027\" becomes r-and-d-cafe-2027, "+
			"and r-and-d-cafe-2027-1, -2, ... when taken."),
	str("name", func(in *projectIn, v *string) { in.Name = v }).onCreate().maxLength(tracker.MaxNameLength).pattern(NotBlank),
	formattable("description", func(in *projectIn, v *string) { in.Description = v }).maxLength(tracker.MaxFormattableLength),
	boolean("active", func(in *projectIn, v *bool) { in.Active = v }),
	boolean("public", func(in *projectIn, v *bool) { in.Public = v }),
	dateTime("createdAt", func(in *projectIn, v *time.Time) { in.CreatedAt = v }).overrideOnly(),
	link("parent", projectsHref, true, func(in *projectIn, v tracker.Opt[int64]) { in.Parent = v }),
), readOnly(func(in *projectIn) *[]string { return &in.ReadOnly }, "updatedAt"))

var workPackageForm = fields(one(
	str("subject", func(in *workIn, v *string) { in.Subject = v }).onCreate().maxLength(tracker.MaxNameLength).pattern(NotBlank),
	formattable("description", func(in *workIn, v *string) { in.Description = v }).maxLength(tracker.MaxFormattableLength),
	optDate("startDate", func(in *workIn, v tracker.Opt[string]) { in.StartDate = v }),
	optDate("dueDate", func(in *workIn, v tracker.Opt[string]) { in.DueDate = v }).describe("On or after startDate."),
	duration("estimatedTime", true, func(in *workIn, v tracker.Opt[float64]) { in.EstimatedHours = v }),
	optInteger("percentageDone", func(in *workIn, v tracker.Opt[int]) { in.PercentageDone = v }).between(0, 100),
	dateTime("createdAt", func(in *workIn, v *time.Time) { in.CreatedAt = v }).overrideOnly(),
	integer("lockVersion", func(in *workIn, v *int) { in.LockVersion = v }).onUpdate().
		describe("Required on PATCH: the lockVersion you read; 409 UpdateConflict when it changed since."),
	link("project", projectsHref, false, func(in *workIn, v tracker.Opt[int64]) { in.ProjectID = v.Value }).onCreate().
		describe("Required on POST /api/v3/work_packages; an active project."),
	link("type", "/api/v3/types/", false, func(in *workIn, v tracker.Opt[int64]) { in.TypeID = v.Value }),
	link("status", "/api/v3/statuses/", false, func(in *workIn, v tracker.Opt[int64]) { in.StatusID = v.Value }),
	link("priority", "/api/v3/priorities/", false, func(in *workIn, v tracker.Opt[int64]) { in.PriorityID = v.Value }),
	link("assignee", usersHref, true, func(in *workIn, v tracker.Opt[int64]) { in.AssigneeID = v }),
	link("author", usersHref, false, func(in *workIn, v tracker.Opt[int64]) { in.AuthorID = v.Value }).overrideOnly(),
), readOnly(func(in *workIn) *[]string { return &in.ReadOnly },
	"updatedAt", "spentTime", "derivedStartDate", "derivedDueDate", "derivedEstimatedTime", "derivedPercentageDone"))

var timeEntryForm = fields(one(
	duration("hours", false, func(in *timeIn, v tracker.Opt[float64]) {
		if v.Set {
			in.Hours = v.Value
		}
	}).onCreate().describe(fmt.Sprintf("More than 0 and at most %d hours.", tracker.MaxHoursPerEntry)),
	date("spentOn", func(in *timeIn, v *string) { in.SpentOn = v }).onCreate(),
	formattable("comment", func(in *timeIn, v *string) { in.Comment = v }).maxLength(tracker.MaxTimeEntryCommentLength),
	dateTime("createdAt", func(in *timeIn, v *time.Time) { in.CreatedAt = v }).overrideOnly(),
	link("workPackage", "/api/v3/work_packages/", true, func(in *timeIn, v tracker.Opt[int64]) { in.WorkPackageID = v }).
		describe("On create, a project or a work package (whose project is taken) is required."),
	link("project", projectsHref, false, func(in *timeIn, v tracker.Opt[int64]) { in.ProjectID = v.Value }),
	link("user", usersHref, false, func(in *timeIn, v tracker.Opt[int64]) { in.UserID = v.Value }).
		describe("Yourself; administrators may log time for other users."),
	activityLink(func(in *timeIn, v tracker.Opt[int64]) { in.ActivityID = v }).
		describe("On create, left out or null: the default activity (Management). /api/v3/time_entries/activity/{id} is read too."),
), readOnly(func(in *timeIn) *[]string { return &in.ReadOnly }, "updatedAt"))

// activitiesHref is where time entry activities are: OpenProject links them
// there, while its documentation names /api/v3/time_entries/activity/{id};
// both answer, and a write may link either.
const activitiesHref = "/api/v3/time_entries/activities/"

const activityDocHref = "/api/v3/time_entries/activity/"

// activityLink reads _links.activity under either of its paths.
func activityLink(set func(*timeIn, tracker.Opt[int64])) field[timeIn] {
	f := link("activity", activitiesHref, true, set)
	read := f.read
	f.read = func(b *body, in *timeIn) {
		var l struct {
			Href *string `json:"href"`
		}
		if raw, ok := b.links["activity"]; ok && json.Unmarshal(raw, &l) == nil && l.Href != nil {
			if rest, ok := strings.CutPrefix(*l.Href, activityDocHref); ok {
				b.links["activity"], _ = json.Marshal(map[string]string{"href": activitiesHref + rest})
			}
		}
		read(b, in)
	}
	return f
}

var commentForm = fields(one(
	formattable("comment", func(in *commentBody, v *string) { in.Comment = v }).onCreate().onUpdate().maxLength(tracker.MaxCommentLength).
		describe("On PATCH /api/v3/activities/{id}: the new text; only its author or an administrator may edit a comment."),
))

const workPackagesHref = "/api/v3/work_packages/"

var relationForm = fields(one(
	str("type", func(in *relationIn, v *string) { in.Type = v }).onCreate().oneOf(tracker.RelationTypes...).
		describe("As read from the work package it is created on; follows, duplicated, blocked, partof and required are stored as their reverse (\"A follows B\" reads back as \"B precedes A\")."),
	optStr("description", func(in *relationIn, v tracker.Opt[string]) { in.Description = v }).maxLength(tracker.MaxRelationDescriptionLength),
	optInteger("lag", func(in *relationIn, v tracker.Opt[int]) { in.Lag = v }).between(0, tracker.MaxRelationLag).
		describe("Days between the end of the preceding work package and the start of the following one; precedes and follows only (0 when left out)."),
	link("to", workPackagesHref, false, func(in *relationIn, v tracker.Opt[int64]) { in.ToID = v.Value }).onCreate().
		describe("The other work package, visible to you, not this one and not already related to it; on creation only (422 PropertyIsReadOnly on PATCH)."),
	link("from", workPackagesHref, false, func(in *relationIn, v tracker.Opt[int64]) { in.FromID = v.Value }).
		describe("On creation, this work package or left out; never changed (422 PropertyIsReadOnly on PATCH)."),
))

// Form is a HAL write body's field table as the OpenAPI document reads it.
type Form struct {
	Name   string
	Fields []FieldSpec
	// Update: the body is also sent on PATCH.
	Update bool
}

// Forms are the field tables of every HAL write body.
func Forms() []Form {
	return []Form{
		{"Project", projectForm.specs(), true},
		{"WorkPackage", workPackageForm.specs(), true},
		{"TimeEntry", timeEntryForm.specs(), true},
		{"Comment", commentForm.specs(), true},
		{"Relation", relationForm.specs(), true},
	}
}

// ParseProject reads a project create or update body.
func ParseProject(data []byte) (tracker.ProjectInput, error) { return projectForm.parse(data) }

// ParseWorkPackage reads a work package create or update body.
func ParseWorkPackage(data []byte) (tracker.WorkPackageInput, error) {
	return workPackageForm.parse(data)
}

// ParseTimeEntry reads a time entry create or update body.
func ParseTimeEntry(data []byte) (tracker.TimeEntryInput, error) { return timeEntryForm.parse(data) }

// ParseCommentPatch reads a comment edit: {"comment": {"raw": "..."}}; nil
// when it holds no comment (the service says so once it knows the comment
// exists and may be edited).
func ParseCommentPatch(data []byte) (*string, error) {
	in, err := commentForm.parse(data)
	return in.Comment, err
}

// ParseRelation reads a relation create or update body.
func ParseRelation(data []byte) (tracker.RelationInput, error) { return relationForm.parse(data) }

// ParseComment reads a comment body: {"comment": {"raw": "..."}}.
func ParseComment(data []byte) (string, error) {
	in, err := commentForm.parse(data)
	if err != nil {
		return "", err
	}
	if in.Comment == nil {
		return "", domain.Invalid("comment", "Comment can't be blank.")
	}
	return *in.Comment, nil
}
