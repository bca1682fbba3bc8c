package httpapi

import (
	"math"

	"github.com/gofiber/fiber/v2"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/query"
	"github.com/hookpost/hookpost/backend/tracker"
)

// The resources clients read and write for everyday steps beside the main
// ones: a project's types and categories, the users work can be assigned
// to, relations between work packages.

func (s *server) projectTypes(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	types, err := s.Tracker.ProjectTypes(c.UserContext(), currentUser(c), id)
	if err != nil {
		return err
	}
	return collection(c, "/api/v3/projects/"+c.Params("id")+"/types", mapSlice(types, hal.Type))
}

func (s *server) projectCategories(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	viewer := currentUser(c)
	list, err := s.Tracker.ListCategories(c.UserContext(), viewer, id)
	if err != nil {
		return err
	}
	elems := mapSlice(list, func(v tracker.CategoryView) hal.CategoryResource { return hal.Category(v, viewer) })
	return collection(c, "/api/v3/projects/"+c.Params("id")+"/categories", elems)
}

func (s *server) availableAssignees(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	viewer := currentUser(c)
	users, err := s.Tracker.AvailableAssignees(c.UserContext(), viewer, id)
	if err != nil {
		return err
	}
	elems := mapSlice(users, func(u auth.User) hal.UserResource { return hal.User(u, viewer) })
	return collection(c, "/api/v3/projects/"+c.Params("id")+"/available_assignees", elems)
}

// listPrincipals is not cached: users change outside the tracker.
func (s *server) listPrincipals(c *fiber.Ctx) error {
	p, err := s.listParams(c)
	if err != nil {
		return err
	}
	viewer := currentUser(c)
	users, total, err := s.Tracker.ListPrincipals(c.UserContext(), viewer, p)
	if err != nil {
		return err
	}
	elems := mapSlice(users, func(u auth.User) hal.UserResource { return hal.User(u, viewer) })
	return s.hal(c, hal.NewCollection("/api/v3/principals", queryValues(c), p.Page, total, elems))
}

// embeddedRelation renders a relation with its work packages.
func embeddedRelation(v tracker.RelationView, viewer auth.User) hal.RelationResource {
	return hal.Relation(v, viewer, true)
}

func (s *server) listRelations(c *fiber.Ctx) error {
	p, err := s.listParams(c)
	if err != nil {
		return err
	}
	viewer := currentUser(c)
	return s.cachedHAL(c, func() (any, error) {
		list, total, err := s.Tracker.ListRelations(c.UserContext(), viewer, 0, p)
		if err != nil {
			return nil, err
		}
		elems := mapSlice(list, func(v tracker.RelationView) hal.RelationResource { return hal.Relation(v, viewer, false) })
		return hal.NewCollection("/api/v3/relations", queryValues(c), p.Page, total, elems), nil
	})
}

// listWorkPackageRelations answers every relation of a work package, as
// OpenProject does: the collection is not paged.
func (s *server) listWorkPackageRelations(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	viewer := currentUser(c)
	all := tracker.ListParams{Page: query.Page{Offset: 1, Size: math.MaxInt32}}
	list, _, err := s.Tracker.ListRelations(c.UserContext(), viewer, id, all)
	if err != nil {
		return err
	}
	elems := mapSlice(list, func(v tracker.RelationView) hal.RelationResource { return hal.Relation(v, viewer, false) })
	return collection(c, "/api/v3/work_packages/"+c.Params("id")+"/relations", elems)
}

func (s *server) createRelation(c *fiber.Ctx) error {
	id, err := s.requireWorkPackage(c)
	if err != nil {
		return err
	}
	body, err := jsonBody(c)
	if err != nil {
		return err
	}
	in, err := hal.ParseRelation(body)
	if err != nil {
		return err
	}
	v, err := s.Tracker.CreateRelation(c.UserContext(), currentUser(c), id, in)
	if err != nil {
		return err
	}
	return created(c, embeddedRelation(v, currentUser(c)))
}
