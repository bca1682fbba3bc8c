package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/tracker"
)

// Forms and schemas, as OpenProject serves them to clients that create and
// edit through them: POST …/form answers 200 with the payload the write
// would store, the schema, and the write's validation errors (an invalid
// body is not a 422 here), and writes nothing. A form reads its body with
// the write's own parser and validates it with the write's own rules (the
// tracker's Preview functions); a body that is not JSON, a resource that is
// not found and a missing permission answer as the write does.

// formInput reads a form's body with the write's parser. Properties of the
// wrong shape are validation errors of the form (the rest of the body is
// still read, for the payload).
func formInput[In any](c *fiber.Ctx, parse func([]byte) (In, error)) (In, domain.ValidationErrors, error) {
	var zero In
	body, err := jsonBody(c)
	if err != nil {
		return zero, nil, err
	}
	in, err := parse(body)
	if err == nil {
		return in, nil, nil
	}
	fields := domain.FieldErrors(err)
	if fields == nil {
		return zero, nil, err
	}
	return in, fields, nil
}

// formErrors are what the write would answer: the parser's errors when it
// refused the body (the write stops there), else the validation's.
func formErrors(parsed, validated domain.ValidationErrors) domain.ValidationErrors {
	if len(parsed) > 0 {
		return parsed
	}
	return validated
}

// projectOfPath sets the project of a work package created under
// /api/v3/projects/{id}: the body may leave it out or name that project.
func projectOfPath(id int64, in *tracker.WorkPackageInput) *domain.ValidationError {
	if in.ProjectID != nil && *in.ProjectID != id {
		return domain.Invalid("project", "The project link must be this project (/api/v3/projects/%d) or left out.", id)
	}
	in.ProjectID = &id
	return nil
}

// Projects.

func (s *server) projectSchema(c *fiber.Ctx) error {
	o := hal.SchemaOptions{Creating: true, Overrides: s.Tracker.OverridesReadOnly(currentUser(c), true)}
	return c.JSON(hal.ProjectSchema(o), hal.MediaType)
}

// projectForm answers POST /api/v3/projects/form and /api/v3/projects/{id}/form.
func (s *server) projectForm(c *fiber.Ctx) error {
	var id int64
	if c.Params("id") != "" {
		var err error
		if id, err = pathID(c, "id"); err != nil {
			return err
		}
	}
	in, parsed, err := formInput(c, hal.ParseProject)
	if err != nil {
		return err
	}
	viewer := currentUser(c)
	p, validated, err := s.Tracker.PreviewProject(c.UserContext(), viewer, id, in)
	if err != nil {
		return err
	}
	o := hal.SchemaOptions{Creating: id == 0, Overrides: s.Tracker.OverridesReadOnly(viewer, id == 0)}
	return c.JSON(hal.ProjectForm(p, viewer, formErrors(parsed, validated), o), hal.MediaType)
}

// Work packages.

// workPackageAllowed are the values a work package's links may take in a
// project (0: not known yet).
func (s *server) workPackageAllowed(projectID int64) map[string]hal.Allowed {
	var priorities []tracker.Priority
	for _, p := range s.Tracker.Priorities() {
		if p.IsActive {
			priorities = append(priorities, p)
		}
	}
	return hal.WorkPackageSchemaOptions(s.Tracker.Statuses(), s.Tracker.Types(), priorities, projectID)
}

// workPackageCreateForm answers POST /api/v3/work_packages/form and
// /api/v3/projects/{id}/work_packages/form.
func (s *server) workPackageCreateForm(c *fiber.Ctx) error {
	self, commit := "/api/v3/work_packages/form", "/api/v3/work_packages"
	var projectID int64
	if c.Params("id") != "" {
		if err := s.requireProject(c); err != nil {
			return err
		}
		projectID, _ = pathID(c, "id")
		commit = "/api/v3/projects/" + strconv.FormatInt(projectID, 10) + "/work_packages"
		self = commit + "/form"
	}
	in, parsed, err := formInput(c, hal.ParseWorkPackage)
	if err != nil {
		return err
	}
	if projectID != 0 {
		if e := projectOfPath(projectID, &in); e != nil {
			parsed = append(parsed, e)
		}
	}
	return s.workPackageForm(c, 0, in, parsed, self, commit)
}

// workPackageUpdateForm answers POST /api/v3/work_packages/{id}/form.
func (s *server) workPackageUpdateForm(c *fiber.Ctx) error {
	id, err := s.requireWorkPackage(c)
	if err != nil {
		return err
	}
	in, parsed, err := formInput(c, hal.ParseWorkPackage)
	if err != nil {
		return err
	}
	self := "/api/v3/work_packages/" + strconv.FormatInt(id, 10)
	return s.workPackageForm(c, id, in, parsed, self+"/form", self)
}

func (s *server) workPackageForm(c *fiber.Ctx, id int64, in tracker.WorkPackageInput, parsed domain.ValidationErrors, self, commit string) error {
	viewer := currentUser(c)
	v, validated, err := s.Tracker.PreviewWorkPackage(c.UserContext(), viewer, id, in)
	if err != nil {
		return err
	}
	errs := formErrors(parsed, validated)
	project := v.ProjectID
	if errs.Has("project") {
		project = 0
	}
	o := hal.SchemaOptions{Creating: id == 0, Overrides: s.Tracker.OverridesReadOnly(viewer, id == 0)}
	return c.JSON(hal.WorkPackageForm(v, viewer, errs, o, s.workPackageAllowed(project), self, commit), hal.MediaType)
}

// workPackageSchema is the schema of a type's work packages in a project
// viewer may see; anything else is not found.
func (s *server) workPackageSchema(ctx context.Context, viewer auth.User, schemaID string) (hal.SchemaResource, error) {
	p, t, ok := strings.Cut(schemaID, "-")
	projectID, err1 := strconv.ParseInt(p, 10, 64)
	typeID, err2 := strconv.ParseInt(t, 10, 64)
	if !ok || err1 != nil || err2 != nil {
		return nil, domain.ErrNotFound
	}
	if _, err := s.Tracker.Project(ctx, viewer, projectID); err != nil {
		return nil, err
	}
	if _, err := s.Tracker.Type(typeID); err != nil {
		return nil, err
	}
	o := hal.SchemaOptions{Creating: true, Overrides: s.Tracker.OverridesReadOnly(viewer, true), Allowed: s.workPackageAllowed(projectID)}
	return hal.WorkPackageSchema(projectID, typeID, o), nil
}

// getWorkPackageSchema answers GET /api/v3/work_packages/schemas/{project}-{type}.
func (s *server) getWorkPackageSchema(c *fiber.Ctx) error {
	schema, err := s.workPackageSchema(c.UserContext(), currentUser(c), c.Params("identifier"))
	if err != nil {
		return err
	}
	return c.JSON(schema, hal.MediaType)
}

// listWorkPackageSchemas answers GET /api/v3/work_packages/schemas, which
// OpenProject answers only with an id filter:
// filters=[{"id":{"operator":"=","values":["1-1","2-3"]}}]. Schemas of
// projects the user cannot see, or of unknown types, are left out.
func (s *server) listWorkPackageSchemas(c *fiber.Ctx) error {
	raw := c.Query("filters")
	ids, err := schemaIDFilter(raw)
	if err != nil {
		return err
	}
	viewer := currentUser(c)
	schemas := []hal.SchemaResource{}
	for _, id := range ids {
		schema, err := s.workPackageSchema(c.UserContext(), viewer, id)
		if errors.Is(err, domain.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		schemas = append(schemas, schema)
	}
	return c.JSON(hal.NewSchemaCollection("/api/v3/work_packages/schemas?filters="+url.QueryEscape(raw), schemas), hal.MediaType)
}

// schemaIDFilter reads the schema ids of an id filter; any other filter or
// operator is a 400 naming it.
func schemaIDFilter(raw string) ([]string, error) {
	invalid := func(msg string) error {
		return &domain.ValidationError{Field: "filters", Kind: domain.KindInvalidQuery, Message: msg}
	}
	example := ` Send [{"id":{"operator":"=","values":["1-1"]}}]: schema ids are <project id>-<type id>.`
	if raw == "" {
		return nil, invalid("Work package schemas are listed by id only: filters is required." + example)
	}
	var filters []map[string]struct {
		Operator string `json:"operator"`
		Values   []any  `json:"values"`
	}
	if err := json.Unmarshal([]byte(raw), &filters); err != nil {
		return nil, invalid("filters is not a JSON list of filters." + example)
	}
	var ids []string
	for _, f := range filters {
		for name, cond := range f {
			if name != "id" {
				return nil, invalid("Work package schemas have no filter " + strconv.Quote(name) + "." + example)
			}
			if cond.Operator != "=" {
				return nil, invalid("The id filter of work package schemas takes the operator \"=\" only, not " + strconv.Quote(cond.Operator) + ".")
			}
			for _, v := range cond.Values {
				id, ok := v.(string)
				if !ok {
					return nil, invalid("The values of the id filter are schema ids such as \"1-1\" (strings)." + example)
				}
				ids = append(ids, id)
			}
		}
	}
	return ids, nil
}

// renderMarkdown answers POST /api/v3/render/markdown, which OpenProject's
// work package forms link as previewMarkup: the body is Markdown (sent as
// text/plain), the answer the html a formattable text of it shows.
func (s *server) renderMarkdown(c *fiber.Ctx) error {
	body, err := readBody(c, maxJSONBody)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	return c.SendString(hal.Markdown(string(body)).HTML)
}

// Time entries.

func (s *server) timeEntrySchema(c *fiber.Ctx) error {
	viewer := currentUser(c)
	o := hal.SchemaOptions{Creating: true, Overrides: s.Tracker.OverridesReadOnly(viewer, true),
		Allowed: hal.TimeEntryAllowed(viewer, s.Tracker.TimeEntryActivities())}
	return c.JSON(hal.TimeEntrySchema(viewer, o), hal.MediaType)
}

// timeEntryForm answers POST /api/v3/time_entries/form and
// /api/v3/time_entries/{id}/form.
func (s *server) timeEntryForm(c *fiber.Ctx) error {
	var id int64
	if c.Params("id") != "" {
		var err error
		if id, err = pathID(c, "id"); err != nil {
			return err
		}
	}
	in, parsed, err := formInput(c, hal.ParseTimeEntry)
	if err != nil {
		return err
	}
	viewer := currentUser(c)
	t, validated, err := s.Tracker.PreviewTimeEntry(c.UserContext(), viewer, id, in)
	if err != nil {
		return err
	}
	o := hal.SchemaOptions{Creating: id == 0, Overrides: s.Tracker.OverridesReadOnly(viewer, id == 0),
		Allowed: hal.TimeEntryAllowed(viewer, s.Tracker.TimeEntryActivities())}
	return c.JSON(hal.TimeEntryForm(t, viewer, formErrors(parsed, validated), o), hal.MediaType)
}

// formSchemas are the OpenAPI schemas of forms and schemas.
func formSchemas() obj {
	return obj{
		"Form": obj{"type": "object", "required": []string{"_type", "_embedded", "_links"},
			"description": "OpenProject's Form: what the write would store (payload), the schema, and the write's validation errors by property (empty when the body is valid; the commit link is there only then). Nothing is written.",
			"properties": obj{
				"_type": obj{"const": "Form"},
				"_embedded": obj{"type": "object", "required": []string{"payload", "schema", "validationErrors"}, "properties": obj{
					"payload":          obj{"type": "object"},
					"schema":           ref("Schema"),
					"validationErrors": obj{"type": "object", "additionalProperties": ref("Error")}}},
				"_links": links("self", "validate")}},
		"Schema": obj{"type": "object", "required": []string{"_type", "_links"},
			"description": "OpenProject's Schema: one property schema per property of the resource.",
			"properties": obj{
				"_type":         obj{"const": "Schema"},
				"_dependencies": obj{"type": "array"},
				"_links":        links("self")},
			"additionalProperties": ref("SchemaProperty")},
		"SchemaProperty": obj{"type": "object", "required": []string{"type", "name", "required", "hasDefault", "writable"}, "properties": obj{
			"type": obj{"type": "string"}, "name": obj{"type": "string"}, "required": obj{"type": "boolean"},
			"hasDefault": obj{"type": "boolean"}, "writable": obj{"type": "boolean"},
			"minLength": obj{"type": "integer"}, "maxLength": obj{"type": "integer"},
			"options": obj{"type": "object"}, "location": obj{"type": "string"},
			"_links":    obj{"type": "object", "properties": obj{"allowedValues": obj{"oneOf": []obj{ref("Link"), {"type": "array", "items": ref("Link")}}}}},
			"_embedded": obj{"type": "object", "properties": obj{"allowedValues": obj{"type": "array"}}}}},
		"SchemaCollection": unpagedCollectionSchema("Schema"),
	}
}
