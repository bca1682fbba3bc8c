package hal

import (
	"encoding/json"
	"net/url"
	"strings"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/tracker"
)

// OpenProject's forms and schemas. A schema states each property of a
// resource: its type, its name as a user reads it, whether it is required,
// has a default, is writable, its length bounds, and for links the values
// it may take (allowedValues). A form (POST …/form) answers the payload a
// write would store, the schema, and the write's validation errors, without
// writing. What a write accepts is stated once, in the field tables of the
// HAL body parser (input.go): the schemas read writability, requiredness and
// bounds from there, so a schema, a form and the write cannot disagree.

// FormResource is OpenProject's Form.
type FormResource struct {
	Type     string       `json:"_type"`
	Embedded FormEmbedded `json:"_embedded"`
	Links    Links        `json:"_links"`
}

// FormEmbedded is a form's payload, schema and validation errors (keyed by
// property; several errors on one property are one MultipleErrors).
type FormEmbedded struct {
	Payload          map[string]any           `json:"payload"`
	Schema           SchemaResource           `json:"schema"`
	ValidationErrors map[string]ErrorResource `json:"validationErrors"`
}

// SchemaResource is OpenProject's Schema: _type, _dependencies, _links and
// one PropertySchema per property.
type SchemaResource map[string]any

// PropertySchema is the schema of one property.
type PropertySchema struct {
	Type       string           `json:"type"`
	Name       string           `json:"name"`
	Required   bool             `json:"required"`
	HasDefault bool             `json:"hasDefault"`
	Writable   bool             `json:"writable"`
	MinLength  *int             `json:"minLength,omitempty"`
	MaxLength  *int             `json:"maxLength,omitempty"`
	Options    map[string]any   `json:"options"`
	Location   string           `json:"location,omitempty"`
	Links      map[string]any   `json:"_links,omitempty"`
	Embedded   map[string][]any `json:"_embedded,omitempty"`
}

// Allowed are the values a link property may take: listed (and embedded),
// or a collection to fetch them from.
type Allowed struct {
	Href   string
	Links  []*Link
	Values []any
}

// SchemaOptions are what a schema depends on beyond the field table.
type SchemaOptions struct {
	// Creating: the schema of a create (else of an update).
	Creating bool
	// Overrides: writeReadonlyAttributes lets this user set the
	// OverrideOnly properties now (tracker.Service.OverridesReadOnly).
	Overrides bool
	Self      string
	Allowed   map[string]Allowed
}

// attribute is one property of a resource as its schema names it.
type attribute struct {
	name, title, typ string
	hasDefault       bool
	// required: every such resource has it (id, status, ...), whatever a
	// write must send.
	required bool
	// fixed: never written, even though a body may carry it (lockVersion
	// is sent to be compared).
	fixed bool
}

func attr(name, title, typ string) attribute { return attribute{name: name, title: title, typ: typ} }
func (a attribute) always() attribute        { a.required = true; return a }
func (a attribute) defaulted() attribute     { a.hasDefault = true; return a }
func (a attribute) notWritten() attribute    { a.fixed = true; return a }

var projectAttributes = []attribute{
	attr("id", "ID", "Integer").always(),
	attr("identifier", "Identifier", "String").always().defaulted(),
	attr("name", "Name", "String").always(),
	attr("active", "Active", "Boolean").always().defaulted(),
	attr("public", "Public", "Boolean").defaulted(),
	attr("description", "Description", "Formattable"),
	attr("statusExplanation", "Status explanation", "Formattable"),
	attr("parent", "Subproject of", "Project"),
	attr("createdAt", "Created on", "DateTime").always(),
	attr("updatedAt", "Updated on", "DateTime").always(),
}

var workPackageAttributes = []attribute{
	attr("id", "ID", "Integer").always(),
	attr("lockVersion", "Lock version", "Integer").always().notWritten(),
	attr("subject", "Subject", "String").always(),
	attr("description", "Description", "Formattable"),
	attr("scheduleManually", "Manual scheduling", "Boolean").defaulted(),
	attr("startDate", "Start date", "Date"),
	attr("dueDate", "Finish date", "Date"),
	attr("estimatedTime", "Work", "Duration"),
	attr("spentTime", "Spent time", "Duration"),
	attr("percentageDone", "% Complete", "Integer"),
	attr("createdAt", "Created on", "DateTime").always(),
	attr("updatedAt", "Updated on", "DateTime").always(),
	attr("author", "Author", "User").always().defaulted(),
	attr("project", "Project", "Project").always(),
	attr("type", "Type", "Type").always().defaulted(),
	attr("status", "Status", "Status").always().defaulted(),
	attr("priority", "Priority", "Priority").always().defaulted(),
	attr("assignee", "Assignee", "User"),
	attr("responsible", "Accountable", "User"),
	attr("category", "Category", "Category"),
	attr("version", "Version", "Version"),
	attr("parent", "Parent", "WorkPackage"),
}

var timeEntryAttributes = []attribute{
	attr("id", "ID", "Integer").always(),
	attr("spentOn", "Date", "Date").always(),
	attr("hours", "Hours", "Duration").always(),
	attr("comment", "Comment", "Formattable"),
	attr("ongoing", "Ongoing", "Boolean").defaulted(),
	attr("user", "User", "User").always().defaulted(),
	attr("workPackage", "Work package", "WorkPackage"),
	attr("project", "Project", "Project"),
	attr("activity", "Activity", "TimeEntriesActivity"),
	attr("createdAt", "Created on", "DateTime").always(),
	attr("updatedAt", "Updated on", "DateTime").always(),
}

// kindTypes are OpenProject's schema types of the field kinds.
var kindTypes = map[FieldKind]string{KindString: "String", KindFormattable: "Formattable", KindBoolean: "Boolean",
	KindInteger: "Integer", KindDate: "Date", KindDateTime: "DateTime", KindDuration: "Duration"}

// linkType is the resource type a link property points to, from its target
// ("/api/v3/work_packages/" is WorkPackage).
func linkType(href string) string {
	seg := strings.TrimSuffix(href, "/")
	seg = seg[strings.LastIndex(seg, "/")+1:]
	switch {
	case seg == "activity" || seg == "activities":
		return "TimeEntriesActivity"
	case strings.HasSuffix(seg, "ies"):
		seg = strings.TrimSuffix(seg, "ies") + "y"
	case strings.HasSuffix(seg, "ses"):
		seg = strings.TrimSuffix(seg, "es")
	default:
		seg = strings.TrimSuffix(seg, "s")
	}
	var b strings.Builder
	for _, part := range strings.Split(seg, "_") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}

// writable reports whether a body may set f in this schema's write.
func (o SchemaOptions) writable(f FieldSpec) bool {
	return !f.ReadOnly && (!f.OverrideOnly || o.Overrides)
}

func buildSchema(attrs []attribute, table []FieldSpec, o SchemaOptions) SchemaResource {
	specs := map[string]FieldSpec{}
	for _, f := range table {
		specs[f.Name] = f
	}
	out := SchemaResource{"_type": "Schema", "_dependencies": []string{}, "_links": Links{"self": Href(o.Self)}}
	for _, a := range attrs {
		f, ok := specs[a.name]
		out[a.name] = o.property(a, f, ok)
	}
	// A property the table reads that the list above does not name yet is
	// stated from the table alone.
	for _, f := range table {
		if _, listed := out[f.Name]; listed || f.ReadOnly {
			continue
		}
		a := attribute{name: f.Name, title: f.Name, typ: kindTypes[f.Kind]}
		if f.Kind == KindLink {
			a.typ = linkType(f.Href)
		}
		out[f.Name] = o.property(a, f, true)
	}
	return out
}

func (o SchemaOptions) property(a attribute, f FieldSpec, inTable bool) PropertySchema {
	p := PropertySchema{Type: a.typ, Name: a.title, HasDefault: a.hasDefault, Options: map[string]any{},
		Writable: inTable && !a.fixed && o.writable(f)}
	p.Required = a.required || inTable && (o.Creating && f.CreateRequired || !o.Creating && f.UpdateRequired)
	if f.MaxLength > 0 {
		n := f.MaxLength
		p.MaxLength = &n
	}
	if f.Kind == KindString && f.Pattern != "" {
		// Every pattern of a text asks for one character at least.
		one := 1
		p.MinLength = &one
	}
	if f.Kind == KindLink || !inTable && isResourceType(a.typ) {
		p.Location = "_links"
		p.Links = map[string]any{}
	}
	if allowed, ok := o.Allowed[a.name]; ok && p.Writable {
		if p.Links == nil {
			p.Links = map[string]any{}
		}
		if allowed.Href != "" {
			p.Links["allowedValues"] = Href(allowed.Href)
		} else {
			p.Links["allowedValues"] = allowed.Links
			p.Embedded = map[string][]any{"allowedValues": allowed.Values}
		}
	}
	return p
}

// isResourceType reports whether a schema type is a linked resource (its
// name starts with a capital and is none of the value types).
func isResourceType(typ string) bool {
	switch typ {
	case "Integer", "String", "Formattable", "Boolean", "Date", "DateTime", "Duration":
		return false
	}
	return typ != ""
}

// NewForm renders a form: the payload, the schema, the validation errors,
// and its links; commit (the write, with its method) only when the body is
// valid, as OpenProject does.
func NewForm(payload map[string]any, schema SchemaResource, errs domain.ValidationErrors, self, commit, commitMethod string) FormResource {
	f := FormResource{Type: "Form", Embedded: FormEmbedded{Payload: payload, Schema: schema, ValidationErrors: validationErrors(errs)},
		Links: Links{"self": Action(self, "post"), "validate": Action(self, "post")}}
	if len(errs) == 0 {
		f.Links["commit"] = Action(commit, commitMethod)
	}
	return f
}

// validationErrors are a form's errors by property, each as the error body
// the write would answer for it.
func validationErrors(errs domain.ValidationErrors) map[string]ErrorResource {
	byField := map[string]domain.ValidationErrors{}
	var order []string
	for _, e := range errs {
		if _, ok := byField[e.Field]; !ok {
			order = append(order, e.Field)
		}
		byField[e.Field] = append(byField[e.Field], e)
	}
	out := make(map[string]ErrorResource, len(order))
	for _, field := range order {
		_, body, _ := Error(byField[field].Err())
		out[field] = body
	}
	return out
}

// payload is what a form shows as its payload: the rendered resource's
// properties and links that the table's write may set (and lockVersion on
// an update, which it must send).
func payload(resource any, table []FieldSpec, o SchemaOptions) map[string]any {
	raw, err := Marshal(resource)
	if err != nil {
		return map[string]any{}
	}
	var props, rendered map[string]json.RawMessage
	_ = json.Unmarshal(raw, &props)
	_ = json.Unmarshal(props["_links"], &rendered)
	out, links := map[string]any{}, map[string]any{}
	for _, f := range table {
		if !o.writable(f) && !(f.UpdateRequired && !o.Creating) {
			continue
		}
		if f.Kind == KindLink {
			var l Link
			if err := json.Unmarshal(rendered[f.Name], &l); err != nil {
				continue
			}
			if l.Href != nil && strings.HasSuffix(*l.Href, "/0") {
				l = Link{}
			}
			links[f.Name] = &Link{Href: l.Href, Title: l.Title}
			continue
		}
		if v, ok := props[f.Name]; ok {
			out[f.Name] = v
		}
	}
	out["_links"] = links
	return out
}

// WorkPackageSchemaOptions builds the options of a work package schema in a
// project: the statuses, types and priorities embedded, the projects and
// assignees by link.
func WorkPackageSchemaOptions(statuses []tracker.Status, types []tracker.Type, priorities []tracker.Priority, projectID int64) map[string]Allowed {
	allowed := map[string]Allowed{
		"status":   listed(statuses, Status, func(s tracker.Status) *Link { return Titled("/api/v3/statuses/"+itoa(s.ID), s.Name) }),
		"type":     listed(types, Type, func(t tracker.Type) *Link { return Titled("/api/v3/types/"+itoa(t.ID), t.Name) }),
		"priority": listed(priorities, Priority, func(p tracker.Priority) *Link { return Titled("/api/v3/priorities/"+itoa(p.ID), p.Name) }),
		"project":  {Href: ActiveProjectsHref},
	}
	if projectID != 0 {
		allowed["assignee"] = Allowed{Href: "/api/v3/projects/" + itoa(projectID) + "/available_assignees"}
	}
	return allowed
}

// PreviewMarkupHref renders Markdown as a formattable's html.
const PreviewMarkupHref = "/api/v3/render/markdown"

// ActiveProjectsHref lists the projects work packages and time may be added to.
var ActiveProjectsHref = "/api/v3/projects?filters=" + url.QueryEscape(`[{"active":{"operator":"=","values":["t"]}}]`)

func listed[T, R any](values []T, render func(T) R, link func(T) *Link) Allowed {
	a := Allowed{Links: make([]*Link, len(values)), Values: make([]any, len(values))}
	for i, v := range values {
		a.Links[i], a.Values[i] = link(v), render(v)
	}
	return a
}

// WorkPackageSchema is the schema of work packages of a type in a project
// (GET /api/v3/work_packages/schemas/{project}-{type}, and a form's schema).
func WorkPackageSchema(projectID, typeID int64, o SchemaOptions) SchemaResource {
	if o.Self == "" {
		o.Self = "/api/v3/work_packages/schemas/" + itoa(projectID) + "-" + itoa(typeID)
	}
	return buildSchema(workPackageAttributes, workPackageForm.specs(), o)
}

// ProjectSchema is the schema of projects (GET /api/v3/projects/schema).
func ProjectSchema(o SchemaOptions) SchemaResource {
	o.Self = "/api/v3/projects/schema"
	if o.Allowed == nil {
		o.Allowed = map[string]Allowed{"parent": {Href: "/api/v3/projects"}}
	}
	return buildSchema(projectAttributes, projectForm.specs(), o)
}

// TimeEntrySchema is the schema of time entries (GET /api/v3/time_entries/schema).
func TimeEntrySchema(viewer auth.User, o SchemaOptions) SchemaResource {
	o.Self = "/api/v3/time_entries/schema"
	if o.Allowed == nil {
		o.Allowed = TimeEntryAllowed(viewer, nil)
	}
	return buildSchema(timeEntryAttributes, timeEntryForm.specs(), o)
}

// TimeEntryAllowed are the values a time entry's links may take for viewer:
// active projects, any work package it can see, the users it may log time
// for (itself; any user for an administrator) and the activities.
func TimeEntryAllowed(viewer auth.User, activities []tracker.TimeEntryActivity) map[string]Allowed {
	users := Allowed{Href: "/api/v3/users"}
	if !viewer.Admin {
		users = Allowed{Links: []*Link{Titled(usersHref+itoa(viewer.ID), viewer.Name())}, Values: []any{User(viewer, viewer)}}
	}
	allowed := map[string]Allowed{
		"project":     {Href: ActiveProjectsHref},
		"workPackage": {Href: "/api/v3/work_packages?filters=" + url.QueryEscape("[]")},
		"user":        users,
	}
	if len(activities) > 0 {
		allowed["activity"] = listed(activities,
			func(a tracker.TimeEntryActivity) TimeEntryActivityResource {
				return TimeEntryActivity(tracker.TimeEntryActivityView{TimeEntryActivity: a}, viewer)
			},
			func(a tracker.TimeEntryActivity) *Link { return Titled(activitiesHref+itoa(a.ID), a.Name) })
	}
	return allowed
}

// ProjectForm renders the form of a project create (self
// /api/v3/projects/form) or update.
func ProjectForm(p tracker.Project, viewer auth.User, errs domain.ValidationErrors, o SchemaOptions) FormResource {
	self, commit, method := "/api/v3/projects/form", "/api/v3/projects", "post"
	if !o.Creating {
		commit, method = "/api/v3/projects/"+itoa(p.ID), "patch"
		self = commit + "/form"
	}
	return NewForm(payload(Project(p, viewer), projectForm.specs(), o), ProjectSchema(o), errs, self, commit, method)
}

// WorkPackageForm renders the form of a work package create (self is the
// form's own path, commit where the body goes) or update.
func WorkPackageForm(v tracker.WorkPackageView, viewer auth.User, errs domain.ValidationErrors, o SchemaOptions, allowed map[string]Allowed, self, commit string) FormResource {
	o.Allowed = allowed
	method := "post"
	if !o.Creating {
		method = "patch"
	}
	f := NewForm(payload(WorkPackage(v, viewer, false), workPackageForm.specs(), o),
		WorkPackageSchema(v.ProjectID, v.TypeID, o), errs, self, commit, method)
	f.Links["previewMarkup"] = Action(PreviewMarkupHref, "post")
	return f
}

// TimeEntryForm renders the form of a time entry create or update.
func TimeEntryForm(t tracker.TimeEntryView, viewer auth.User, errs domain.ValidationErrors, o SchemaOptions) FormResource {
	self, commit, method := "/api/v3/time_entries/form", "/api/v3/time_entries", "post"
	if !o.Creating {
		commit, method = "/api/v3/time_entries/"+itoa(t.ID), "patch"
		self = commit + "/form"
	}
	return NewForm(payload(TimeEntry(t, viewer), timeEntryForm.specs(), o), TimeEntrySchema(viewer, o), errs, self, commit, method)
}

// SchemaCollection is a list of schemas (GET /api/v3/work_packages/schemas),
// which OpenProject does not page.
type SchemaCollection struct {
	Type     string `json:"_type"`
	Total    int    `json:"total"`
	Count    int    `json:"count"`
	Embedded struct {
		Elements []SchemaResource `json:"elements"`
	} `json:"_embedded"`
	Links Links `json:"_links"`
}

// NewSchemaCollection renders schemas as a collection whose self link is self.
func NewSchemaCollection(self string, schemas []SchemaResource) SchemaCollection {
	if schemas == nil {
		schemas = []SchemaResource{}
	}
	c := SchemaCollection{Type: "Collection", Total: len(schemas), Count: len(schemas), Links: Links{"self": Href(self)}}
	c.Embedded.Elements = schemas
	return c
}
