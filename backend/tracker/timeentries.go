package tracker

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/outbox"
	"github.com/hookpost/hookpost/backend/query"
)

// MaxHoursPerEntry bounds one time entry.
const MaxHoursPerEntry = 1000

// TimeEntryInput is a time entry create or update; nil fields were not sent.
type TimeEntryInput struct {
	Hours         *float64
	SpentOn       *string
	Comment       *string
	ProjectID     *int64
	WorkPackageID Opt[int64]
	UserID        *int64
	// ActivityID is the time entry activity; on creation, none (or null)
	// takes the default activity, as OpenProject does.
	ActivityID Opt[int64]
	CreatedAt  *time.Time
	ReadOnly   []string
}

// TimeEntryFields are the time entry collection's filters and sort keys, by
// their API names and OpenProject's own (work_package, spent_on, ...).
var TimeEntryFields = query.Spec{
	"id":          {Column: "te.id", Kind: query.ID},
	"project":     {Column: "te.project_id", Kind: query.ID},
	"workPackage": {Column: "te.work_package_id", Kind: query.ID, Nullable: true},
	"user":        {Column: "te.user_id", Kind: query.ID},
	"spentOn":     {Column: "te.spent_on", Kind: query.Date},
	"createdAt":   {Column: "te.created_at", Kind: query.DateTime},
	"updatedAt":   {Column: "te.updated_at", Kind: query.DateTime},
	"activity":    {Column: "te.activity_id", Kind: query.ID, Nullable: true},
	"hours":       {Column: "te.hours", SortOnly: true},
}.With(map[string]string{"project_id": "project", "work_package": "workPackage", "work_package_id": "workPackage",
	"user_id": "user", "activity_id": "activity", "spent_on": "spentOn", "created_at": "createdAt", "updated_at": "updatedAt"})

// ListTimeEntries returns one page of the time entries viewer may see.
func (s *Service) ListTimeEntries(ctx context.Context, viewer auth.User, p ListParams) ([]TimeEntryView, int, error) {
	conds, order, err := s.listQuery(p, TimeEntryFields, viewer, "te.id ASC")
	if err != nil {
		return nil, 0, err
	}
	base := func() *bun.SelectQuery {
		q := s.st.Read.NewSelect().TableExpr("time_entries AS te")
		return applyFilters(visibleProjects(q, viewer, "te.project_id"), conds)
	}
	total, err := s.count(ctx, base())
	if err != nil || p.Page.Size == 0 {
		return []TimeEntryView{}, total, err
	}
	var rows []TimeEntry
	if err := base().ColumnExpr("te.*").OrderExpr(order).Offset(int64(p.Page.SQLOffset())).Limit(int64(p.Page.Size)).Scan(ctx, &rows); err != nil {
		return nil, 0, err
	}
	views, err := s.timeEntryViews(ctx, s.st.Read, rows)
	return views, total, err
}

func (s *Service) timeEntryViews(ctx context.Context, db bun.IDB, rows []TimeEntry) ([]TimeEntryView, error) {
	var userIDs []int64
	for _, r := range rows {
		userIDs = append(userIDs, r.UserID)
	}
	users, err := s.usersByID(ctx, db, userIDs)
	if err != nil {
		return nil, err
	}
	views := make([]TimeEntryView, len(rows))
	projects := map[int64]Project{}
	for i, r := range rows {
		p, ok := projects[r.ProjectID]
		if !ok {
			if p, err = s.LoadProject(ctx, db, r.ProjectID); err != nil {
				return nil, err
			}
			p.Full = false
			projects[r.ProjectID] = p
		}
		v := TimeEntryView{TimeEntry: r, Project: p, User: users[r.UserID]}
		if r.ActivityID != nil {
			if a, ok := s.activities[*r.ActivityID]; ok {
				v.Activity = &a
			}
		}
		if r.WorkPackageID != nil {
			var wp WorkPackage
			if err := db.NewSelect().Model(&wp).Where("id = ?", *r.WorkPackageID).Scan(ctx); err == nil {
				v.WorkPackage = &wp
			}
		}
		views[i] = v
	}
	return views, nil
}

// LoadTimeEntry reads a time entry through db, without visibility checks.
func (s *Service) LoadTimeEntry(ctx context.Context, db bun.IDB, id int64) (TimeEntryView, error) {
	var te TimeEntry
	if err := db.NewSelect().Model(&te).Where("id = ?", id).Scan(ctx); err != nil {
		return TimeEntryView{}, notFound(err)
	}
	return s.fullTimeEntry(ctx, db, te)
}

// fullTimeEntry is the single representation's view of te: with what it
// links to and its work package's view, read through db.
func (s *Service) fullTimeEntry(ctx context.Context, db bun.IDB, te TimeEntry) (TimeEntryView, error) {
	views, err := s.timeEntryViews(ctx, db, []TimeEntry{te})
	if err != nil {
		return TimeEntryView{}, err
	}
	v := views[0]
	v.Full = true
	if v.WorkPackage != nil {
		wps, err := s.views(ctx, db, []WorkPackage{*v.WorkPackage})
		if err != nil {
			return TimeEntryView{}, err
		}
		v.WorkPackageView = &wps[0]
	}
	return v, nil
}

// TimeEntry returns a time entry viewer may see.
func (s *Service) TimeEntry(ctx context.Context, viewer auth.User, id int64) (TimeEntryView, error) {
	v, err := s.LoadTimeEntry(ctx, s.st.Read, id)
	if err != nil {
		return v, err
	}
	if !canSee(viewer, v.Project) {
		return TimeEntryView{}, domain.ErrNotFound
	}
	return v, nil
}

func (s *Service) validateTimeEntry(ctx context.Context, db bun.IDB, viewer auth.User, te *TimeEntry, in TimeEntryInput, creating bool) domain.ValidationErrors {
	errs := in.boundErrors()
	for _, f := range in.ReadOnly {
		errs = append(errs, domain.ReadOnly(f))
	}
	if in.CreatedAt != nil && !s.OverridesReadOnly(viewer, creating) {
		errs = append(errs, domain.ReadOnly("createdAt"))
	}
	if in.UserID != nil && *in.UserID != viewer.ID && !viewer.Admin {
		errs = append(errs, domain.Invalid("user", "Only administrators may log time for other users."))
	} else if in.UserID != nil {
		if n, err := db.NewSelect().Table("users").Where("id = ? AND status = 'active'", *in.UserID).Count(ctx); err != nil || n == 0 {
			errs = append(errs, domain.Invalid("user", "User %d does not exist.", *in.UserID))
		}
	}
	if creating && in.Hours == nil {
		errs = append(errs, domain.Invalid("hours", "Hours can't be blank."))
	}
	if in.Hours != nil && (*in.Hours <= 0 || *in.Hours > MaxHoursPerEntry) {
		errs = append(errs, domain.Invalid("hours", "Hours must be more than 0 and at most %d (an ISO 8601 duration such as PT4H).", MaxHoursPerEntry))
	}
	if creating && in.SpentOn == nil {
		errs = append(errs, domain.Invalid("spentOn", "Date can't be blank."))
	}
	if in.SpentOn != nil {
		validDate("spentOn", Opt[string]{Set: true, Value: in.SpentOn}, &errs)
	}
	if in.ActivityID.Set && in.ActivityID.Value != nil {
		if a, ok := s.activities[*in.ActivityID.Value]; !ok || !a.Active {
			errs = append(errs, domain.Invalid("activity", "Time entry activity %d does not exist.", *in.ActivityID.Value))
		}
	}
	projectID := te.ProjectID
	badWorkPackage := false
	if in.WorkPackageID.Set && in.WorkPackageID.Value != nil {
		var wp WorkPackage
		err := db.NewSelect().Model(&wp).Where("id = ?", *in.WorkPackageID.Value).Scan(ctx)
		if err == nil {
			// Time is logged only on work packages the user can see; one
			// in a hidden project does not exist for them.
			var p Project
			if p, err = s.LoadProject(ctx, db, wp.ProjectID); err == nil && !canSee(viewer, p) {
				err = domain.ErrNotFound
			}
		}
		if err != nil {
			errs = append(errs, domain.Invalid("workPackage", "Work package %d does not exist.", *in.WorkPackageID.Value))
			badWorkPackage = true
		} else {
			if in.ProjectID != nil && *in.ProjectID != wp.ProjectID {
				errs = append(errs, domain.Invalid("project", "The work package belongs to another project."))
			}
			projectID = wp.ProjectID
			te.ProjectID = wp.ProjectID
		}
	}
	if in.ProjectID != nil {
		projectID = *in.ProjectID
	}
	// A work package that does not exist leaves the project unknown; its own
	// error says enough.
	if projectID == 0 && creating && !badWorkPackage {
		errs = append(errs, domain.Invalid("project", "Project can't be blank: link a project or a work package."))
	} else if projectID != 0 {
		if p, err := s.LoadProject(ctx, db, projectID); err != nil || !canSee(viewer, p) {
			errs = append(errs, domain.Invalid("project", "Project %d does not exist.", projectID))
		}
	}
	return errs
}

func applyTimeEntry(te *TimeEntry, in TimeEntryInput) {
	if in.Hours != nil {
		te.Hours = *in.Hours
	}
	if in.SpentOn != nil {
		te.SpentOn = *in.SpentOn
	}
	if in.Comment != nil {
		te.Comment = *in.Comment
	}
	if in.ProjectID != nil {
		te.ProjectID = *in.ProjectID
	}
	if in.WorkPackageID.Set {
		te.WorkPackageID = in.WorkPackageID.Value
	}
	if in.UserID != nil {
		te.UserID = *in.UserID
	}
	if in.ActivityID.Set {
		te.ActivityID = in.ActivityID.Value
	}
}

// CreateTimeEntry logs time; the answer is the view its event was rendered
// from.
func (s *Service) CreateTimeEntry(ctx context.Context, viewer auth.User, in TimeEntryInput) (TimeEntryView, error) {
	var view TimeEntryView
	err := s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		now := s.stamp()
		te := TimeEntry{UserID: viewer.ID, CreatedAt: now, UpdatedAt: now}
		if err := s.validateTimeEntry(ctx, tx, viewer, &te, in, true).Err(); err != nil {
			return err
		}
		applyTimeEntry(&te, in)
		if te.ActivityID == nil && s.defaults.activity != 0 {
			te.ActivityID = &s.defaults.activity
		}
		if in.CreatedAt != nil {
			te.CreatedAt = in.CreatedAt.UTC().Truncate(time.Millisecond)
		}
		if _, err := tx.NewInsert().Model(&te).Exec(ctx); err != nil {
			return err
		}
		var err error
		if view, err = s.fullTimeEntry(ctx, tx, te); err != nil {
			return err
		}
		return s.recordTimeEntry(ctx, tx, outbox.TimeEntryCreated, view, viewer)
	})
	if err != nil {
		return TimeEntryView{}, err
	}
	return view, nil
}

// ownTimeEntry returns a time entry viewer may change or delete (action).
func (s *Service) ownTimeEntry(ctx context.Context, viewer auth.User, id int64, action string) (TimeEntryView, error) {
	v, err := s.TimeEntry(ctx, viewer, id)
	if err != nil {
		return v, err
	}
	if v.UserID != viewer.ID && !viewer.Admin {
		return v, fmt.Errorf("you are not allowed to %s time entry %d: only the user who logged it, or an administrator, may: %w", action, id, domain.ErrForbidden)
	}
	return v, nil
}

// mayChangeTimeEntry is ownTimeEntry before a write takes the writer: the
// same refusals, from one query; it returns the entry's project.
func (s *Service) mayChangeTimeEntry(ctx context.Context, viewer auth.User, id int64, action string) (int64, error) {
	var rows []accessRow
	err := s.st.Read.NewSelect().TableExpr("time_entries AS te").Join("JOIN projects AS p ON p.id = te.project_id").
		ColumnExpr("te.project_id, te.user_id AS author_id, p.public").Where("te.id = ?", id).Scan(ctx, &rows)
	if err != nil {
		return 0, err
	}
	if len(rows) == 0 || !canSee(viewer, Project{Public: rows[0].Public}) {
		return 0, domain.ErrNotFound
	}
	if rows[0].AuthorID != viewer.ID && !viewer.Admin {
		return 0, fmt.Errorf("you are not allowed to %s time entry %d: only the user who logged it, or an administrator, may: %w", action, id, domain.ErrForbidden)
	}
	return rows[0].ProjectID, nil
}

// UpdateTimeEntry changes a time entry (its user's own, or any for an
// administrator); the answer is the view its event was rendered from.
func (s *Service) UpdateTimeEntry(ctx context.Context, viewer auth.User, id int64, in TimeEntryInput) (TimeEntryView, error) {
	if _, err := s.mayChangeTimeEntry(ctx, viewer, id, "change"); err != nil {
		return TimeEntryView{}, err
	}
	var view TimeEntryView
	err := s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		var te TimeEntry
		if err := tx.NewSelect().Model(&te).Where("id = ?", id).Scan(ctx); err != nil {
			return notFound(err)
		}
		if err := s.validateTimeEntry(ctx, tx, viewer, &te, in, false).Err(); err != nil {
			return err
		}
		applyTimeEntry(&te, in)
		te.UpdatedAt = s.stamp()
		if _, err := tx.NewUpdate().Model(&te).WherePK().Exec(ctx); err != nil {
			return err
		}
		var err error
		if view, err = s.fullTimeEntry(ctx, tx, te); err != nil {
			return err
		}
		return s.recordTimeEntry(ctx, tx, outbox.TimeEntryUpdated, view, viewer)
	})
	if err != nil {
		return TimeEntryView{}, err
	}
	return view, nil
}

// DeleteTimeEntry removes a time entry; its event carries the last representation.
func (s *Service) DeleteTimeEntry(ctx context.Context, viewer auth.User, id int64) error {
	projectID, err := s.mayChangeTimeEntry(ctx, viewer, id, "delete")
	if err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		v, err := s.LoadTimeEntry(ctx, tx, id)
		if err != nil {
			return err
		}
		payload, err := s.payloads.TimeEntry(v)
		if err != nil {
			return fmt.Errorf("render time entry %d for its event: %w", id, err)
		}
		if _, err := tx.NewDelete().Model((*TimeEntry)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
			return err
		}
		return s.recordPayload(ctx, tx, outbox.TimeEntryDeleted, outbox.KeyTimeEntry, id, projectID, viewer, payload)
	})
}
