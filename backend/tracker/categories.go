package tracker

import (
	"context"
	"strings"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/settings"
)

// ListCategories returns the categories of a project viewer may see, by name.
func (s *Service) ListCategories(ctx context.Context, viewer auth.User, projectID int64) ([]CategoryView, error) {
	if _, err := s.Project(ctx, viewer, projectID); err != nil {
		return nil, err
	}
	var cs []Category
	if err := s.st.Read.NewSelect().Model(&cs).Where("project_id = ?", projectID).OrderExpr("lower(name), id").Scan(ctx); err != nil {
		return nil, err
	}
	return s.categoryViews(ctx, s.st.Read, cs)
}

// Category returns a category of a project viewer may see.
func (s *Service) Category(ctx context.Context, viewer auth.User, id int64) (CategoryView, error) {
	var c Category
	if err := s.st.Read.NewSelect().Model(&c).Where("id = ?", id).Scan(ctx); err != nil {
		return CategoryView{}, notFound(err)
	}
	if _, err := s.Project(ctx, viewer, c.ProjectID); err != nil {
		return CategoryView{}, err
	}
	views, err := s.categoryViews(ctx, s.st.Read, []Category{c})
	if err != nil {
		return CategoryView{}, err
	}
	return views[0], nil
}

// CreateCategory adds a category to a project; like the rest of a project's
// settings, categories are written by administrators only.
func (s *Service) CreateCategory(ctx context.Context, viewer auth.User, projectID int64, name string, assigneeID *int64) (CategoryView, error) {
	if !viewer.Admin {
		return CategoryView{}, domain.ErrForbidden
	}
	if _, err := s.Project(ctx, viewer, projectID); err != nil {
		return CategoryView{}, err
	}
	name = strings.TrimSpace(name)
	var errs domain.ValidationErrors
	if name == "" {
		errs = append(errs, domain.Invalid("name", "Name can't be blank."))
	}
	tooLong(&errs, "name", "Name", &name, MaxNameLength)
	if err := errs.Err(); err != nil {
		return CategoryView{}, err
	}
	c := Category{ProjectID: projectID, Name: name, AssignedToID: assigneeID}
	err := s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(&c).Exec(ctx); err != nil {
			return err
		}
		return settings.Bump(ctx, tx, settings.CounterTracker) // no event: see DeleteAttachment
	})
	if err != nil {
		return CategoryView{}, err
	}
	return s.Category(ctx, viewer, c.ID)
}

func (s *Service) categoryViews(ctx context.Context, db bun.IDB, cs []Category) ([]CategoryView, error) {
	var userIDs []int64
	for _, c := range cs {
		if c.AssignedToID != nil {
			userIDs = append(userIDs, *c.AssignedToID)
		}
	}
	users, err := s.usersByID(ctx, db, userIDs)
	if err != nil {
		return nil, err
	}
	projects := map[int64]Project{}
	views := make([]CategoryView, len(cs))
	for i, c := range cs {
		p, ok := projects[c.ProjectID]
		if !ok {
			if p, err = s.LoadProject(ctx, db, c.ProjectID); err != nil {
				return nil, err
			}
			projects[c.ProjectID] = p
		}
		views[i] = CategoryView{Category: c, Project: p}
		if c.AssignedToID != nil {
			if u, ok := users[*c.AssignedToID]; ok {
				views[i].DefaultAssignee = &u
			}
		}
	}
	return views, nil
}

// categoriesOf loads the categories work packages link to, by id.
func (s *Service) categoriesOf(ctx context.Context, db bun.IDB, rows []WorkPackage) (map[int64]Category, error) {
	out := map[int64]Category{}
	var ids []int64
	for _, r := range rows {
		if r.CategoryID != nil {
			ids = append(ids, *r.CategoryID)
		}
	}
	if len(ids) == 0 {
		return out, nil
	}
	var cs []Category
	if err := s.scanIn(ctx, db, db.NewSelect().Model(&cs), "id", ids, &cs); err != nil {
		return nil, err
	}
	for _, c := range cs {
		out[c.ID] = c
	}
	return out, nil
}
