package tracker

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/outbox"
)

// AddComment comments on a work package; the answer is the view its event
// was rendered from.
func (s *Service) AddComment(ctx context.Context, viewer auth.User, workPackageID int64, text string) (CommentView, error) {
	if _, err := s.access(ctx, viewer, workPackageID); err != nil {
		return CommentView{}, err
	}
	if strings.TrimSpace(text) == "" {
		return CommentView{}, domain.Invalid("comment", "Comment can't be blank.")
	}
	var errs domain.ValidationErrors
	if tooLong(&errs, "comment", "Comment", &text, MaxCommentLength); errs != nil {
		return CommentView{}, errs.Err()
	}
	var view CommentView
	err := s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		var version int
		q := "SELECT " + nextVersionSQL
		if s.st.Postgres() {
			// Another instance may comment on the work package at the same
			// time: its row lock orders the two, as SQLite's writer lock
			// does, and the version is read after it, by a statement that
			// sees the other's comment.
			if _, err := s.st.TxExec(ctx, tx, "SELECT 1 FROM work_packages WHERE id = ? FOR UPDATE", workPackageID); err != nil {
				return err
			}
			q = "SELECT " + pgNextVersionSQL
		}
		if err := tx.Tx.QueryRowContext(ctx, s.st.Rebind(q), workPackageID).Scan(&version); err != nil {
			return err
		}
		now := s.stamp()
		c := Comment{WorkPackageID: workPackageID, UserID: viewer.ID, Comment: text, Version: version, CreatedAt: now, UpdatedAt: now}
		if _, err := tx.NewInsert().Model(&c).Exec(ctx); err != nil {
			return err
		}
		var err error
		if view, err = s.fullComment(ctx, tx, c); err != nil {
			return err
		}
		return s.recordComment(ctx, tx, outbox.CommentCreated, view, viewer)
	})
	if err != nil {
		return CommentView{}, err
	}
	return view, nil
}

// LoadComment reads a comment with its author and work package through db.
func (s *Service) LoadComment(ctx context.Context, db bun.IDB, id int64) (CommentView, error) {
	var c Comment
	if id > JournalIDBase {
		var j Journal
		if err := db.NewSelect().Model(&j).Where("id = ?", id).Scan(ctx); err != nil {
			return CommentView{}, notFound(err)
		}
		c = j.asComment()
	} else if err := db.NewSelect().Model(&c).Where("id = ?", id).Scan(ctx); err != nil {
		return CommentView{}, notFound(err)
	}
	return s.fullComment(ctx, db, c)
}

// fullComment is the single representation's view of c: with its author
// and its work package's view, read through db.
func (s *Service) fullComment(ctx context.Context, db bun.IDB, c Comment) (CommentView, error) {
	views, err := s.commentViews(ctx, db, []Comment{c})
	if err != nil {
		return CommentView{}, err
	}
	v := views[0]
	wps, err := s.views(ctx, db, []WorkPackage{v.WorkPackage})
	if err != nil {
		return CommentView{}, err
	}
	v.Full, v.WorkPackageView = true, &wps[0]
	return v, nil
}

func (s *Service) commentViews(ctx context.Context, db bun.IDB, comments []Comment) ([]CommentView, error) {
	var userIDs []int64
	for _, c := range comments {
		userIDs = append(userIDs, c.UserID)
	}
	users, err := s.usersByID(ctx, db, userIDs)
	if err != nil {
		return nil, err
	}
	views := make([]CommentView, len(comments))
	wps := map[int64]WorkPackage{}
	for i, c := range comments {
		wp, ok := wps[c.WorkPackageID]
		if !ok {
			if err := db.NewSelect().Model(&wp).Where("id = ?", c.WorkPackageID).Scan(ctx); err != nil {
				return nil, notFound(err)
			}
			wps[c.WorkPackageID] = wp
		}
		views[i] = CommentView{Comment: c, User: users[c.UserID], WorkPackage: wp, ProjectID: wp.ProjectID}
	}
	return views, nil
}

// Comment returns a comment viewer may see.
func (s *Service) Comment(ctx context.Context, viewer auth.User, id int64) (CommentView, error) {
	c, err := s.LoadComment(ctx, s.st.Read, id)
	if err != nil {
		return c, err
	}
	if !canSee(viewer, c.WorkPackageView.Project) {
		return CommentView{}, domain.ErrNotFound
	}
	return c, nil
}

// ListComments returns a work package's activities: its journals (creation,
// changes) and comments, in version order.
func (s *Service) ListComments(ctx context.Context, viewer auth.User, workPackageID int64) ([]CommentView, error) {
	if _, err := s.WorkPackage(ctx, viewer, workPackageID); err != nil {
		return nil, err
	}
	var comments []Comment
	if err := s.st.Read.NewSelect().Model(&comments).Where("work_package_id = ?", workPackageID).Scan(ctx); err != nil {
		return nil, err
	}
	var journals []Journal
	if err := s.st.Read.NewSelect().Model(&journals).Where("work_package_id = ?", workPackageID).Scan(ctx); err != nil {
		return nil, err
	}
	for _, j := range journals {
		comments = append(comments, j.asComment())
	}
	slices.SortFunc(comments, func(a, b Comment) int { return cmp.Or(cmp.Compare(a.Version, b.Version), cmp.Compare(a.ID, b.ID)) })
	return s.commentViews(ctx, s.st.Read, comments)
}

// UpdateComment changes the text of a comment: its author's own, or any for
// an administrator. text nil means the request sent none. The answer is the
// view its event was rendered from.
func (s *Service) UpdateComment(ctx context.Context, viewer auth.User, id int64, text *string) (CommentView, error) {
	author, err := s.commentAuthor(ctx, viewer, id)
	if err != nil {
		return CommentView{}, err
	}
	if !MayEditComment(viewer, Comment{UserID: author}) {
		return CommentView{}, fmt.Errorf("you are not allowed to edit comment %d: only its author or an administrator may: %w", id, domain.ErrForbidden)
	}
	if text == nil || strings.TrimSpace(*text) == "" {
		return CommentView{}, domain.Invalid("comment", "Comment can't be blank.")
	}
	var errs domain.ValidationErrors
	if tooLong(&errs, "comment", "Comment", text, MaxCommentLength); errs != nil {
		return CommentView{}, errs.Err()
	}
	var view CommentView
	err = s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Table("comments").Set("comment = ?", *text).Set("updated_at = ?", s.stamp()).
			Where("id = ?", id).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.ErrNotFound
		}
		if view, err = s.LoadComment(ctx, tx, id); err != nil {
			return err
		}
		return s.recordComment(ctx, tx, outbox.CommentUpdated, view, viewer)
	})
	if err != nil {
		return CommentView{}, err
	}
	return view, nil
}

// commentAuthor returns the author of the activity id (a comment, or a
// journal above JournalIDBase) when viewer may see its work package: what
// UpdateComment checks before it takes the writer, read in one query.
func (s *Service) commentAuthor(ctx context.Context, viewer auth.User, id int64) (int64, error) {
	table := "comments"
	if id > JournalIDBase {
		table = "journals"
	}
	var rows []accessRow
	err := s.st.Read.NewSelect().TableExpr(table+" AS c").
		Join("JOIN work_packages AS wp ON wp.id = c.work_package_id").Join("JOIN projects AS p ON p.id = wp.project_id").
		ColumnExpr("wp.project_id, c.user_id AS author_id, p.public").Where("c.id = ?", id).Scan(ctx, &rows)
	if err != nil {
		return 0, err
	}
	if len(rows) == 0 || !canSee(viewer, Project{Public: rows[0].Public}) {
		return 0, domain.ErrNotFound
	}
	return rows[0].AuthorID, nil
}
