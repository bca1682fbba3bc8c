package tracker

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/outbox"
	"github.com/hookpost/hookpost/backend/query"
)

// Opt is a property a request may leave out, set, or set to null.
type Opt[T any] struct {
	Set   bool
	Value *T
}

// ProjectInput is a project create or update; nil fields were not sent.
type ProjectInput struct {
	Identifier  *string
	Name        *string
	Description *string
	Active      *bool
	Public      *bool
	Parent      Opt[int64]
	CreatedAt   *time.Time
	// ReadOnly names properties the request tried to write that never are writable.
	ReadOnly []string
}

// ProjectFields are the projects collection's filters and sort keys, by
// their API names and OpenProject's own (parent_id, name_and_identifier, ...).
var ProjectFields = query.Spec{
	"id":                  {Column: "p.id", Kind: query.ID},
	"identifier":          {Column: "p.identifier", Kind: query.Text},
	"name":                {Column: "p.name", Kind: query.Text},
	"name_and_identifier": {Column: "p.name", Also: "p.identifier", Kind: query.Text},
	"active":              {Column: "p.active", Kind: query.Bool},
	"public":              {Column: "p.public", Kind: query.Bool},
	"parent":              {Column: "p.parent_id", Kind: query.ID, Nullable: true},
	"createdAt":           {Column: "p.created_at", Kind: query.DateTime},
	"updatedAt":           {Column: "p.updated_at", Kind: query.DateTime},
}.With(map[string]string{"parent_id": "parent", "created_at": "createdAt", "updated_at": "updatedAt"})

var identifierPattern = regexp.MustCompile(IdentifierPattern)

// ListProjects returns one page of the projects viewer may see.
func (s *Service) ListProjects(ctx context.Context, viewer auth.User, p ListParams) ([]Project, int, error) {
	conds, order, err := s.listQuery(p, ProjectFields, viewer, "p.id ASC")
	if err != nil {
		return nil, 0, err
	}
	base := func() *bun.SelectQuery {
		q := s.st.Read.NewSelect().TableExpr("projects AS p")
		return applyFilters(visibleProjects(q, viewer, "p.id"), conds)
	}
	total, err := s.count(ctx, base())
	if err != nil || p.Page.Size == 0 {
		return []Project{}, total, err
	}
	projects := []Project{}
	err = base().ColumnExpr("p.*").OrderExpr(order).Offset(int64(p.Page.SQLOffset())).Limit(int64(p.Page.Size)).Scan(ctx, &projects)
	if err != nil {
		return nil, 0, err
	}
	return projects, total, s.loadParents(ctx, s.st.Read, projects)
}

func (s *Service) loadParents(ctx context.Context, db bun.IDB, projects []Project) error {
	var ids []int64
	for _, p := range projects {
		if p.ParentID != nil {
			ids = append(ids, *p.ParentID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var parents []Project
	if err := db.NewSelect().Model(&parents).Where("id IN (?)", bun.List(ids)).Scan(ctx); err != nil {
		return err
	}
	byID := map[int64]*Project{}
	for i := range parents {
		byID[parents[i].ID] = &parents[i]
	}
	for i := range projects {
		if projects[i].ParentID != nil {
			projects[i].Parent = byID[*projects[i].ParentID]
		}
	}
	return nil
}

// LoadProject reads a project (with its parent) through db, without visibility checks.
func (s *Service) LoadProject(ctx context.Context, db bun.IDB, id int64) (Project, error) {
	cached := db == bun.IDB(s.st.Read)
	gen := s.projectGen.Load()
	if cached {
		if p, ok := s.fullProjects.get(gen, id); ok {
			return p, nil
		}
	}
	p, err := s.loadProject(ctx, db, id)
	if cached && err == nil {
		s.fullProjects.put(gen, &s.projectGen, p)
	}
	return p, err
}

// loadProject is LoadProject without the cache.
func (s *Service) loadProject(ctx context.Context, db bun.IDB, id int64) (Project, error) {
	var ps []Project
	if err := s.scan(ctx, db, db.NewSelect().Model(&ps).Where("id = ?", id), &ps); err != nil {
		return Project{}, err
	}
	if len(ps) == 0 {
		return Project{}, domain.ErrNotFound
	}
	err := s.loadParents(ctx, db, ps)
	ps[0].Full = true
	return ps[0], err
}

// Project returns a project viewer may see.
func (s *Service) Project(ctx context.Context, viewer auth.User, id int64) (Project, error) {
	p, err := s.LoadProject(ctx, s.st.Read, id)
	if err != nil {
		return p, err
	}
	if !canSee(viewer, p) {
		return Project{}, domain.ErrNotFound
	}
	return p, nil
}

func (s *Service) validateProject(ctx context.Context, db bun.IDB, viewer auth.User, id int64, in ProjectInput, creating bool) domain.ValidationErrors {
	errs := in.boundErrors()
	for _, f := range in.ReadOnly {
		errs = append(errs, domain.ReadOnly(f))
	}
	if in.CreatedAt != nil && !s.OverridesReadOnly(viewer, creating) {
		errs = append(errs, domain.ReadOnly("createdAt"))
	}
	if creating && in.Name == nil {
		errs = append(errs, domain.Invalid("name", "Name can't be blank."))
	}
	if in.Name != nil {
		if strings.TrimSpace(*in.Name) == "" {
			errs = append(errs, domain.Invalid("name", "Name can't be blank."))
		}
	}
	// A create without an identifier gets one derived from its name
	// (CreateProject); without a name there is nothing to derive it from,
	// and the name's error says so.
	if in.Identifier != nil {
		ident := *in.Identifier
		switch {
		case ident == "":
			errs = append(errs, domain.Invalid("identifier", "Identifier can't be blank."))
		case errs.Has("identifier"):
			// boundErrors said so; a pattern or uniqueness check would add nothing.
		case !identifierPattern.MatchString(ident):
			errs = append(errs, domain.Invalid("identifier", "Identifier %q is invalid: use lower-case letters, digits, '-' and '_', starting with a letter.", ident))
		default:
			n, err := db.NewSelect().Table("projects").Where("identifier = ? AND id <> ?", ident, id).Count(ctx)
			if err == nil && n > 0 {
				errs = append(errs, domain.Invalid("identifier", "Identifier %q has already been taken.", ident))
			}
		}
	}
	if in.Parent.Set && in.Parent.Value != nil {
		parent := *in.Parent.Value
		if parent == id {
			errs = append(errs, domain.Invalid("parent", "A project cannot be its own parent."))
		} else if n, err := db.NewSelect().Table("projects").Where("id = ?", parent).Count(ctx); err != nil || n == 0 {
			errs = append(errs, domain.Invalid("parent", "Parent project %d does not exist.", parent))
		} else if id != 0 && s.isDescendant(ctx, db, parent, id) {
			errs = append(errs, domain.Invalid("parent", "A project cannot be moved below one of its own subprojects."))
		}
	}
	return errs
}

// isDescendant reports whether candidate lies below ancestor.
func (s *Service) isDescendant(ctx context.Context, db bun.IDB, candidate, ancestor int64) bool {
	for cur, depth := candidate, 0; depth < 100; depth++ {
		var parent *int64
		if err := db.NewSelect().Table("projects").Column("parent_id").Where("id = ?", cur).Scan(ctx, &parent); err != nil || parent == nil {
			return false
		}
		if *parent == ancestor {
			return true
		}
		cur = *parent
	}
	return false
}

// CreateProject adds a project (administrators only).
func (s *Service) CreateProject(ctx context.Context, viewer auth.User, in ProjectInput) (Project, error) {
	if err := mayCreateProject(viewer); err != nil {
		return Project{}, err
	}
	var p Project
	err := s.writeProject(ctx, func(ctx context.Context, tx bun.Tx) error {
		// A write may run again (store.Write): each run derives the
		// identifier afresh, from what is committed by then, and no other
		// instance creates a project meanwhile.
		in := in
		if err := s.st.Serialize(ctx, tx, "project identifiers"); err != nil {
			return err
		}
		if err := s.withDerivedIdentifier(ctx, tx, &in); err != nil {
			return err
		}
		if err := s.validateProject(ctx, tx, viewer, 0, in, true).Err(); err != nil {
			return err
		}
		now := s.stamp()
		p = Project{Identifier: *in.Identifier, Name: strings.TrimSpace(*in.Name), Active: true, CreatedAt: now, UpdatedAt: now}
		applyProject(&p, in)
		if in.CreatedAt != nil {
			p.CreatedAt = in.CreatedAt.UTC().Truncate(time.Millisecond)
		}
		if _, err := tx.NewInsert().Model(&p).Exec(ctx); err != nil {
			return err
		}
		var err error
		if p, err = s.LoadProject(ctx, tx, p.ID); err != nil {
			return err
		}
		return s.recordProject(ctx, tx, outbox.ProjectCreated, p, viewer)
	})
	if err != nil {
		return Project{}, err
	}
	return p, nil
}

func applyProject(p *Project, in ProjectInput) {
	if in.Identifier != nil {
		p.Identifier = *in.Identifier
	}
	if in.Name != nil {
		p.Name = strings.TrimSpace(*in.Name)
	}
	if in.Description != nil {
		p.Description = *in.Description
	}
	if in.Active != nil {
		p.Active = *in.Active
	}
	if in.Public != nil {
		p.Public = *in.Public
	}
	if in.Parent.Set {
		p.ParentID = in.Parent.Value
	}
}

// UpdateProject changes a project (administrators only).
func (s *Service) UpdateProject(ctx context.Context, viewer auth.User, id int64, in ProjectInput) (Project, error) {
	if _, err := s.Project(ctx, viewer, id); err != nil {
		return Project{}, err
	}
	if err := mayChangeProject(viewer, id); err != nil {
		return Project{}, err
	}
	var view Project
	err := s.writeProject(ctx, func(ctx context.Context, tx bun.Tx) error {
		p, err := s.LoadProject(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := s.validateProject(ctx, tx, viewer, id, in, false).Err(); err != nil {
			return err
		}
		applyProject(&p, in)
		p.UpdatedAt = s.stamp()
		if _, err := tx.NewUpdate().Model(&p).WherePK().Exec(ctx); err != nil {
			return err
		}
		// Read again: a new parent is shown by its name.
		if view, err = s.LoadProject(ctx, tx, id); err != nil {
			return err
		}
		return s.recordProject(ctx, tx, outbox.ProjectUpdated, view, viewer)
	})
	if err != nil {
		return Project{}, err
	}
	return view, nil
}

// DeleteProject removes a project with its work packages and time entries
// (administrators only; not while it has subprojects).
func (s *Service) DeleteProject(ctx context.Context, viewer auth.User, id int64) error {
	if _, err := s.Project(ctx, viewer, id); err != nil {
		return err
	}
	if !viewer.Admin {
		return fmt.Errorf("you are not allowed to delete project %d: only administrators may: %w", id, domain.ErrForbidden)
	}
	return s.writeProject(ctx, func(ctx context.Context, tx bun.Tx) error {
		n, err := tx.NewSelect().Table("projects").Where("parent_id = ?", id).Count(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return domain.Invalid("children", "The project has %d subprojects: delete or move them first.", n)
		}
		if err := s.recordWorkPackagesDeleted(ctx, tx, id, viewer); err != nil {
			return err
		}
		p, err := s.LoadProject(ctx, tx, id)
		if err != nil {
			return err
		}
		payload, err := s.payloads.Project(p)
		if err != nil {
			return fmt.Errorf("render project %d for its event: %w", id, err)
		}
		// Recorded before the delete: the webhooks selecting this project
		// (whose selection the delete removes) hear of it too.
		if err := s.recordPayload(ctx, tx, outbox.ProjectDeleted, outbox.KeyProject, id, id, viewer, payload); err != nil {
			return err
		}
		if _, err = tx.NewDelete().Model((*Project)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
			return err
		}
		s.noteProjectDeleted(ctx, id)
		return nil
	})
}

// deletedBatch is how many work packages of a deleted project are loaded and
// rendered at a time.
const deletedBatch = 200

// recordWorkPackagesDeleted records work_package:deleted, with the last
// representation, for every work package of a project being deleted, before
// the cascade removes them. Each batch costs a few reads and two multi-row
// inserts, whatever its size.
func (s *Service) recordWorkPackagesDeleted(ctx context.Context, tx bun.Tx, projectID int64, viewer auth.User) error {
	actorJSON, err := s.payloads.Actor(viewer)
	if err != nil {
		return fmt.Errorf("render the actor of a project delete: %w", err)
	}
	now := s.stamp()
	pid, aid := projectID, viewer.ID
	for after := int64(0); ; {
		var rows []WorkPackage
		if err := tx.NewSelect().Model(&rows).Where("project_id = ? AND id > ?", projectID, after).
			Order("id").Limit(deletedBatch).Scan(ctx); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		views, err := s.views(ctx, tx, rows)
		if err != nil {
			return err
		}
		events := make([]*outbox.Event, len(views))
		for i := range views {
			payload, err := s.payloads.WorkPackage(views[i])
			if err != nil {
				return fmt.Errorf("render work package %d for its event: %w", views[i].ID, err)
			}
			events[i] = &outbox.Event{Name: outbox.WorkPackageDeleted, ResourceKey: outbox.KeyWorkPackage, ResourceID: views[i].ID,
				ProjectID: &pid, ActorID: &aid, Payload: payload, Actor: actorJSON, CreatedAt: now}
		}
		if err := outbox.RecordMany(ctx, s.st, tx, events); err != nil {
			return err
		}
		after = rows[len(rows)-1].ID
	}
}

// publicSet keeps the ids of the public projects under a project
// generation, as projectCache keeps rows: a non-administrator's page counts
// within them, and reading thousands of ids for every page cost more than
// the page.
type publicSet struct {
	mu  sync.Mutex
	gen int64
	ids map[int64]bool // not changed once kept
}

// publicProjects is the set of the public projects' ids; callers must not
// change it.
func (s *Service) publicProjects(ctx context.Context) (map[int64]bool, error) {
	gen := s.projectGen.Load()
	s.public.mu.Lock()
	ids := s.public.ids
	if s.public.gen != gen {
		ids = nil
	}
	s.public.mu.Unlock()
	if ids != nil {
		return ids, nil
	}
	var public []int64
	if err := s.st.ReadScan(ctx, s.st.Read.NewSelect().Table("projects").Column("id").Where("public"), &public); err != nil {
		return nil, err
	}
	ids = setOf(public)
	s.public.mu.Lock()
	defer s.public.mu.Unlock()
	// Kept only if no project write came since the read began (see
	// projectCache.put).
	if s.projectGen.Load() == gen {
		s.public.gen, s.public.ids = gen, ids
	}
	return ids, nil
}

// projectCache keeps project rows read through the read pool until the
// next project write of this process or the next write of another
// (Service.projectGen, which Invalidate moves too).
type projectCache struct {
	mu   sync.Mutex
	gen  int64
	byID map[int64]Project
}

func (c *projectCache) get(gen, id int64) (Project, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen {
		return Project{}, false
	}
	p, ok := c.byID[id]
	return p, ok
}

// put keeps p, read under gen, unless a project write came since (a row
// read before a write's commit must not outlive it: the write moves the
// generation after its commit, before it answers).
func (c *projectCache) put(gen int64, current *atomic.Int64, p Project) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if current.Load() != gen {
		return
	}
	if c.gen != gen || c.byID == nil || len(c.byID) >= maxCachedProjects {
		c.gen, c.byID = gen, map[int64]Project{}
	}
	c.byID[p.ID] = p
}
