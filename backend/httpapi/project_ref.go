package httpapi

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hookpost/hookpost/backend/tracker"
)

// Projects are named in paths by id or identifier, as OpenProject allows:
// /api/v3/projects/42 and /api/v3/projects/website are the same project, and
// so are /api/v3/projects/42/work_packages and
// /api/v3/projects/website/work_packages. Every route under projectRoute
// takes either: New puts resolveProject in front of its handler, which finds
// the project's id once, and pathID(c, "id") answers that id, so a handler
// never parses the reference itself.

// projectRoute is the path every project route starts with.
const projectRoute = "/api/v3/projects/:id"

// projectIDKey holds the resolved project id in the request's locals.
const projectIDKey = "hookpost.projectID"

// namesProject reports whether a route's :id is a project reference.
func namesProject(path string) bool {
	return path == projectRoute || strings.HasPrefix(path, projectRoute+"/")
}

// routeHandlers are the handlers New registers for r: its access guard, the
// project resolver on project routes, then its own handler.
func (s *server) routeHandlers(r route) []fiber.Handler {
	if namesProject(r.path) {
		return []fiber.Handler{s.guard(r.access), s.resolveProject, r.handler}
	}
	return []fiber.Handler{s.guard(r.access), r.handler}
}

// resolveProject turns the :id of a project route, an id or an identifier,
// into the project's id for pathID; an identifier of no project the user
// may see is a 404, as an unknown id is.
func (s *server) resolveProject(c *fiber.Ctx) error {
	id, err := s.Tracker.ProjectRef(c.UserContext(), currentUser(c), c.Params("id"))
	if err != nil {
		return err
	}
	c.Locals(projectIDKey, id)
	return c.Next()
}

// resolvedProject is the id resolveProject found, if it ran.
func resolvedProject(c *fiber.Ctx, name string) (int64, bool) {
	if name != "id" {
		return 0, false
	}
	id, ok := c.Locals(projectIDKey).(int64)
	return id, ok
}

// projectRefParam documents the :id of project routes, once for all of them.
func projectRefParam() obj {
	return obj{"name": "id", "in": "path", "required": true,
		"description": "The project's id, or its identifier (as OpenProject accepts both): /api/v3/projects/1 and /api/v3/projects/website name the same project.",
		"schema": obj{"oneOf": []obj{
			{"type": "integer", "minimum": 1},
			{"type": "string", "pattern": tracker.IdentifierPattern, "maxLength": tracker.MaxIdentifierLength},
		}},
		"examples": obj{"id": obj{"value": 1}, "identifier": obj{"value": "website"}}}
}

// pathParamDoc documents a path parameter of a route.
func pathParamDoc(path, name string) obj {
	if name == "id" && namesProject(path) {
		return projectRefParam()
	}
	if name == "identifier" && strings.HasPrefix(path, "/api/v3/work_packages/schemas/") {
		return obj{"name": name, "in": "path", "required": true,
			"description": "The schema's id: <project id>-<type id>, as a work package's schema link names it.",
			"schema":      obj{"type": "string", "pattern": `^[0-9]+-[0-9]+$`, "examples": []string{"1-1"}}}
	}
	return obj{"name": name, "in": "path", "required": true, "schema": obj{"type": "integer", "minimum": 1}}
}
