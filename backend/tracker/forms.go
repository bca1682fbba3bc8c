package tracker

import (
	"context"
	"fmt"
	"time"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/domain"
)

// OpenProject's forms (POST …/form) answer what a create or an update would
// make of a body, and what it would refuse, without making it. The Preview
// functions below are those answers: each runs the same permission checks
// and the same validation as its write (the write's own functions, through
// the read pool), applies the body the way the write does, and writes
// nothing: no row, no event. A refusal of the body comes back as validation
// errors beside the would-be resource; what is no question of the body (not
// found, not allowed, a stale lockVersion) is the error the write answers.

// OverridesReadOnly reports whether viewer may set createdAt (and a work
// package's author) on this write: administrators, on creation, while the
// API setting writeReadonlyAttributes is on (SPEC §2).
func (s *Service) OverridesReadOnly(viewer auth.User, creating bool) bool {
	return creating && viewer.Admin && s.settings.Current().WriteReadonlyAttributes
}

// mayCreateProject: projects are created by administrators only.
func mayCreateProject(viewer auth.User) error {
	if !viewer.Admin {
		return fmt.Errorf("you are not allowed to create projects: only administrators may: %w", domain.ErrForbidden)
	}
	return nil
}

// mayChangeProject: projects are changed by administrators only.
func mayChangeProject(viewer auth.User, id int64) error {
	if !viewer.Admin {
		return fmt.Errorf("you are not allowed to change project %d: only administrators may: %w", id, domain.ErrForbidden)
	}
	return nil
}

// checkLockVersion is the optimistic lock of a work package update: sent is
// the body's lockVersion, current the stored one.
func checkLockVersion(sent *int, current int) error {
	if sent == nil {
		return domain.ValidationErrors{{Field: "lockVersion", Kind: domain.KindMissing,
			Message: "lockVersion is required: send the lockVersion of the work package you read."}}.Err()
	}
	if *sent != current {
		return fmt.Errorf("the work package was changed in the meantime (lockVersion is now %d): reload it and try again: %w", current, domain.ErrConflict)
	}
	return nil
}

// PreviewProject is the form of a project create (id 0) or update: the
// project the write would make, with its parent, and the write's validation
// errors. A create without an identifier shows the one it would derive.
func (s *Service) PreviewProject(ctx context.Context, viewer auth.User, id int64, in ProjectInput) (Project, domain.ValidationErrors, error) {
	creating := id == 0
	var p Project
	if creating {
		if err := mayCreateProject(viewer); err != nil {
			return Project{}, nil, err
		}
		now := s.stamp()
		p = Project{Active: true, CreatedAt: now, UpdatedAt: now}
		if err := s.withDerivedIdentifier(ctx, s.st.Read, &in); err != nil {
			return Project{}, nil, err
		}
	} else {
		if _, err := s.Project(ctx, viewer, id); err != nil {
			return Project{}, nil, err
		}
		if err := mayChangeProject(viewer, id); err != nil {
			return Project{}, nil, err
		}
		var err error
		if p, err = s.LoadProject(ctx, s.st.Read, id); err != nil {
			return Project{}, nil, err
		}
	}
	errs := s.validateProject(ctx, s.st.Read, viewer, id, in, creating)
	applyProject(&p, in)
	if creating && in.CreatedAt != nil {
		p.CreatedAt = in.CreatedAt.UTC().Truncate(time.Millisecond)
	}
	one := []Project{p}
	one[0].Parent = nil
	if err := s.loadParents(ctx, s.st.Read, one); err != nil {
		return Project{}, nil, err
	}
	return one[0], errs, nil
}

// PreviewWorkPackage is the form of a work package create (id 0) or update:
// the work package the write would make and the write's validation errors.
// An update form needs the lockVersion the update needs.
func (s *Service) PreviewWorkPackage(ctx context.Context, viewer auth.User, id int64, in WorkPackageInput) (WorkPackageView, domain.ValidationErrors, error) {
	creating := id == 0
	var wp WorkPackage
	var errs domain.ValidationErrors
	if creating {
		now := s.stamp()
		wp = WorkPackage{TypeID: s.defaults.typ, StatusID: s.defaults.status, PriorityID: s.defaults.priority,
			AuthorID: viewer.ID, CreatedAt: now, UpdatedAt: now}
	} else {
		v, err := s.WorkPackage(ctx, viewer, id)
		if err != nil {
			return WorkPackageView{}, nil, err
		}
		if err := mayChangeWorkPackage(viewer, v.WorkPackage, "change"); err != nil {
			return WorkPackageView{}, nil, err
		}
		wp = v.WorkPackage
		if err := checkLockVersion(in.LockVersion, wp.LockVersion); err != nil {
			fields := domain.FieldErrors(err)
			if fields == nil {
				return WorkPackageView{}, nil, err
			}
			errs = append(errs, fields...)
		}
	}
	verrs, _ := s.validateWorkPackage(ctx, s.st.Read, viewer, &wp, in, creating)
	errs = append(errs, verrs...)
	applyWorkPackage(&wp, in)
	if creating && in.AuthorID != nil {
		wp.AuthorID = *in.AuthorID
	}
	if creating && in.CreatedAt != nil {
		wp.CreatedAt = in.CreatedAt.UTC().Truncate(time.Millisecond)
	}
	views, err := s.views(ctx, s.st.Read, []WorkPackage{wp})
	if err != nil {
		return WorkPackageView{}, nil, err
	}
	v := views[0]
	if !canSee(viewer, v.Project) {
		// A project the user may not see is "not found" in the errors; its
		// name is not shown either.
		v.Project = Project{ID: wp.ProjectID}
	}
	if wp.AssigneeID != nil && v.Assignee == nil {
		// The payload shows the link that was sent, without a title.
		v.Assignee = &auth.User{ID: *wp.AssigneeID}
	}
	return v, errs, nil
}

// PreviewTimeEntry is the form of a time entry create (id 0) or update: the
// time entry the write would make and the write's validation errors.
func (s *Service) PreviewTimeEntry(ctx context.Context, viewer auth.User, id int64, in TimeEntryInput) (TimeEntryView, domain.ValidationErrors, error) {
	creating := id == 0
	var te TimeEntry
	if creating {
		now := s.stamp()
		te = TimeEntry{UserID: viewer.ID, CreatedAt: now, UpdatedAt: now}
	} else {
		v, err := s.ownTimeEntry(ctx, viewer, id, "change")
		if err != nil {
			return TimeEntryView{}, nil, err
		}
		te = v.TimeEntry
	}
	errs := s.validateTimeEntry(ctx, s.st.Read, viewer, &te, in, creating)
	applyTimeEntry(&te, in)
	if creating && in.CreatedAt != nil {
		te.CreatedAt = in.CreatedAt.UTC().Truncate(time.Millisecond)
	}
	v := TimeEntryView{TimeEntry: te, Project: Project{ID: te.ProjectID}}
	if p, err := s.LoadProject(ctx, s.st.Read, te.ProjectID); err == nil && canSee(viewer, p) {
		v.Project = p
		if te.WorkPackageID != nil {
			var wps []WorkPackage
			err := s.st.Read.NewSelect().Model(&wps).Where("id = ? AND project_id = ?", *te.WorkPackageID, p.ID).Scan(ctx)
			if err != nil {
				return TimeEntryView{}, nil, err
			}
			if len(wps) == 1 {
				v.WorkPackage = &wps[0]
			}
		}
	}
	if te.WorkPackageID != nil && v.WorkPackage == nil {
		// The payload shows the link that was sent, without a title.
		v.WorkPackage = &WorkPackage{ID: *te.WorkPackageID}
	}
	users, err := s.usersByID(ctx, s.st.Read, []int64{te.UserID})
	if err != nil {
		return TimeEntryView{}, nil, err
	}
	v.User = users[te.UserID]
	return v, errs, nil
}
