package tracker

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/domain"
)

// The rules of SPEC §3, in one place so that the HTTP API, the desktop
// bindings and the representations' action links agree:
//
//   - administrators may do everything;
//   - other users see public projects only (the rest is "not found", as
//     OpenProject hides what a user may not see) and create work packages,
//     comments and time entries there;
//   - they change or delete a work package, or attach files to it, only when
//     they authored it or are assigned to it (OpenProject asks for
//     edit_work_packages to attach files to an existing work package);
//   - they change or delete only their own time entries and attachments;
//   - deleting a work package deletes its time entries, so deleting one that
//     carries other users' time needs an administrator;
//   - projects are written by administrators only;
//   - a relation between two work packages (both visible) is created,
//     changed or deleted by whoever may change one of them;
//   - a comment is edited by its author or an administrator (OpenProject's
//     edit_own_work_package_notes and edit_work_package_notes).

// canSee reports whether viewer may see what project holds.
func canSee(viewer auth.User, project Project) bool { return viewer.Admin || project.Public }

// MayChangeWorkPackage reports whether viewer may change or delete wp, or
// attach files to it: an administrator, its author or its assignee.
func MayChangeWorkPackage(viewer auth.User, wp WorkPackage) bool {
	if viewer.Admin {
		return true
	}
	if viewer.ID == 0 {
		return false
	}
	return wp.AuthorID == viewer.ID || (wp.AssigneeID != nil && *wp.AssigneeID == viewer.ID)
}

// mayChangeWorkPackage is MayChangeWorkPackage as an error saying what to do;
// action completes "You are not allowed to ... work package N".
func mayChangeWorkPackage(viewer auth.User, wp WorkPackage, action string) error {
	if MayChangeWorkPackage(viewer, wp) {
		return nil
	}
	return fmt.Errorf("you are not allowed to %s work package %d: only its author, its assignee or an administrator may: %w",
		action, wp.ID, domain.ErrForbidden)
}

// othersTimeOn counts the time entries of users other than viewer on a work
// package, read through db (the delete's transaction, so that none is logged
// between the check and the delete).
func othersTimeOn(ctx context.Context, db bun.IDB, viewer auth.User, workPackageID int64) (int, error) {
	n, err := db.NewSelect().Table("time_entries").
		Where("work_package_id = ? AND user_id <> ?", workPackageID, viewer.ID).Count(ctx)
	return int(n), err
}

// mayDeleteWorkPackage adds to mayChangeWorkPackage that the delete must not
// take other users' time entries with it unless an administrator asks.
func mayDeleteWorkPackage(ctx context.Context, db bun.IDB, viewer auth.User, wp WorkPackage) error {
	if err := mayChangeWorkPackage(viewer, wp, "delete"); err != nil {
		return err
	}
	if viewer.Admin {
		return nil
	}
	n, err := othersTimeOn(ctx, db, viewer, wp.ID)
	if err != nil {
		return err
	}
	if n > 0 {
		entries := "time entries"
		if n == 1 {
			entries = "time entry"
		}
		return fmt.Errorf("you are not allowed to delete work package %d: it carries %d %s of other users, which the delete would remove; ask an administrator: %w",
			wp.ID, n, entries, domain.ErrForbidden)
	}
	return nil
}

// MayManageRelation reports whether viewer may create, change or delete a
// relation between from and to: an administrator, or whoever may change one
// of the two work packages.
func MayManageRelation(viewer auth.User, from, to WorkPackage) bool {
	return MayChangeWorkPackage(viewer, from) || MayChangeWorkPackage(viewer, to)
}

// MayEditComment reports whether viewer may edit a comment: its author or an
// administrator.
func MayEditComment(viewer auth.User, c Comment) bool {
	return viewer.Admin || (viewer.ID != 0 && c.UserID == viewer.ID)
}
