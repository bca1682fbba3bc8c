package tracker

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/outbox"
	"github.com/hookpost/hookpost/backend/settings"
)

// MaxAttachmentSize is the largest file an attachment may hold.
const MaxAttachmentSize = 16 << 20

// ErrTooLarge is an upload over MaxAttachmentSize.
var ErrTooLarge = &domain.RequestError{Status: 413, Identifier: "PropertyConstraintViolation",
	Message: fmt.Sprintf("The file is too large: attachments may hold at most %d MiB.", MaxAttachmentSize>>20)}

// NewAttachment is an upload.
type NewAttachment struct {
	FileName    string
	ContentType string
	Description string
	Content     []byte
}

// MayAttach reports, as the error AddAttachment would give, whether viewer
// may attach files to the work package: the HTTP shell asks before it reads
// an upload of up to 16 MiB.
func (s *Service) MayAttach(ctx context.Context, viewer auth.User, workPackageID int64) error {
	wp, err := s.access(ctx, viewer, workPackageID)
	if err != nil {
		return err
	}
	return mayChangeWorkPackage(viewer, wp, "attach files to")
}

// AddAttachment attaches a file to a work package (one its author or
// assignee may change, or any for an administrator).
func (s *Service) AddAttachment(ctx context.Context, viewer auth.User, workPackageID int64, in NewAttachment) (AttachmentView, error) {
	if err := s.MayAttach(ctx, viewer, workPackageID); err != nil {
		return AttachmentView{}, err
	}
	if len(in.Content) > MaxAttachmentSize {
		return AttachmentView{}, ErrTooLarge
	}
	name := filepath.Base(strings.ReplaceAll(in.FileName, `\`, "/"))
	errs := NewAttachment{FileName: name, Description: in.Description}.boundErrors()
	if name == "" || name == "." || name == "/" {
		errs = append(errs, domain.Invalid("fileName", "File name can't be blank."))
	}
	if err := errs.Err(); err != nil {
		return AttachmentView{}, err
	}
	ctype := in.ContentType
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	sum := md5.Sum(in.Content)
	var view AttachmentView
	err := s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		a := Attachment{WorkPackageID: workPackageID, AuthorID: viewer.ID, FileName: name, FileSize: int64(len(in.Content)),
			ContentType: ctype, Description: in.Description, DigestMD5: hex.EncodeToString(sum[:]), Content: in.Content, CreatedAt: s.stamp()}
		if _, err := tx.NewInsert().Model(&a).Exec(ctx); err != nil {
			return err
		}
		a.Content = nil // the representation is the metadata
		var err error
		if view, err = s.fullAttachment(ctx, tx, a); err != nil {
			return err
		}
		return s.recordAttachment(ctx, tx, outbox.AttachmentCreated, view, viewer)
	})
	if err != nil {
		return AttachmentView{}, err
	}
	return view, nil
}

// LoadAttachment reads an attachment through db; content includes the file.
func (s *Service) LoadAttachment(ctx context.Context, db bun.IDB, id int64, content bool) (AttachmentView, error) {
	var a Attachment
	q := db.NewSelect().Model(&a).Where("id = ?", id)
	if !content {
		q = q.ExcludeColumn("content")
	}
	if err := q.Scan(ctx); err != nil {
		return AttachmentView{}, notFound(err)
	}
	if !content {
		return s.fullAttachment(ctx, db, a)
	}
	// A download renders nothing.
	views, err := s.attachmentViews(ctx, db, []Attachment{a})
	if err != nil {
		return AttachmentView{}, err
	}
	return views[0], nil
}

// fullAttachment is the metadata's single representation's view of a: with
// its author and its container's view, read through db.
func (s *Service) fullAttachment(ctx context.Context, db bun.IDB, a Attachment) (AttachmentView, error) {
	views, err := s.attachmentViews(ctx, db, []Attachment{a})
	if err != nil {
		return AttachmentView{}, err
	}
	v := views[0]
	wps, err := s.views(ctx, db, []WorkPackage{v.WorkPackage})
	if err != nil {
		return AttachmentView{}, err
	}
	v.Full, v.WorkPackageView = true, &wps[0]
	return v, nil
}

func (s *Service) attachmentViews(ctx context.Context, db bun.IDB, rows []Attachment) ([]AttachmentView, error) {
	var userIDs []int64
	for _, r := range rows {
		userIDs = append(userIDs, r.AuthorID)
	}
	users, err := s.usersByID(ctx, db, userIDs)
	if err != nil {
		return nil, err
	}
	views := make([]AttachmentView, len(rows))
	wps := map[int64]WorkPackage{}
	for i, r := range rows {
		wp, ok := wps[r.WorkPackageID]
		if !ok {
			if err := db.NewSelect().Model(&wp).Where("id = ?", r.WorkPackageID).Scan(ctx); err != nil {
				return nil, notFound(err)
			}
			wps[r.WorkPackageID] = wp
		}
		views[i] = AttachmentView{Attachment: r, Author: users[r.AuthorID], WorkPackage: wp, ProjectID: wp.ProjectID}
	}
	return views, nil
}

// Attachment returns an attachment viewer may see; content includes the file.
func (s *Service) Attachment(ctx context.Context, viewer auth.User, id int64, content bool) (AttachmentView, error) {
	a, err := s.LoadAttachment(ctx, s.st.Read, id, content)
	if err != nil {
		return a, err
	}
	if _, err := s.WorkPackage(ctx, viewer, a.WorkPackageID); err != nil {
		return AttachmentView{}, err
	}
	return a, nil
}

// ListAttachments returns a work package's attachments.
func (s *Service) ListAttachments(ctx context.Context, viewer auth.User, workPackageID int64) ([]AttachmentView, error) {
	if _, err := s.WorkPackage(ctx, viewer, workPackageID); err != nil {
		return nil, err
	}
	var rows []Attachment
	if err := s.st.Read.NewSelect().Model(&rows).ExcludeColumn("content").Where("work_package_id = ?", workPackageID).Order("id").Scan(ctx); err != nil {
		return nil, err
	}
	return s.attachmentViews(ctx, s.st.Read, rows)
}

// DeleteAttachment removes an attachment (its author's own, or any for an administrator).
func (s *Service) DeleteAttachment(ctx context.Context, viewer auth.User, id int64) error {
	a, err := s.Attachment(ctx, viewer, id, false)
	if err != nil {
		return err
	}
	if a.AuthorID != viewer.ID && !viewer.Admin {
		return fmt.Errorf("you are not allowed to delete attachment %d: only the user who uploaded it, or an administrator, may: %w", id, domain.ErrForbidden)
	}
	return s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewDelete().Model((*Attachment)(nil)).Where("id = ?", id).Exec(ctx); err != nil {
			return err
		}
		// No event announces it: other processes learn of it by the counter.
		return settings.Bump(ctx, tx, settings.CounterTracker)
	})
}
