package httpapi

import (
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	"github.com/gofiber/fiber/v2"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/query"
	"github.com/hookpost/hookpost/backend/tracker"
)

// requireProject answers 404 for a sub-collection of a project that does not
// exist (or is not visible) before the body is looked at, as OpenProject does.
func (s *server) requireProject(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	_, err = s.Tracker.Project(c.UserContext(), currentUser(c), id)
	return err
}

// requireWorkPackage is requireProject for work packages.
func (s *server) requireWorkPackage(c *fiber.Ctx) (int64, error) {
	id, err := pathID(c, "id")
	if err != nil {
		return 0, err
	}
	return id, s.Tracker.CheckWorkPackage(c.UserContext(), currentUser(c), id)
}

func (s *server) listParams(c *fiber.Ctx) (tracker.ListParams, error) {
	page, err := query.ParsePage(c.Query("offset"), c.Query("pageSize"), s.Settings.Current().MaxPageSize)
	return tracker.ListParams{Page: page, Filters: c.Query("filters"), SortBy: c.Query("sortBy")}, err
}

func created(c *fiber.Ctx, v any) error {
	c.Status(fiber.StatusCreated)
	return c.JSON(v, hal.MediaType)
}

// collection renders a collection OpenProject does not page (statuses,
// types, priorities, a work package's activities and attachments): every
// element, total and count, no paging. offset and pageSize are ignored, as
// OpenProject ignores them there; filters or sortBy naming anything are a
// 400, since these collections take none.
func collection[T any](c *fiber.Ctx, path string, elems []T) error {
	if err := noFiltersOrSort(c); err != nil {
		return err
	}
	return c.JSON(hal.NewUnpagedCollection(path, elems), hal.MediaType)
}

// noFiltersOrSort refuses filters and sortBy on a collection that has none
// (an empty list, [], is no filter).
func noFiltersOrSort(c *fiber.Ctx) error {
	if _, err := query.Filters(c.Query("filters"), query.Spec{}, 0); err != nil {
		return err
	}
	_, err := query.SortBy(c.Query("sortBy"), query.Spec{}, "")
	return err
}

func mapSlice[A, B any](in []A, f func(A) B) []B {
	out := make([]B, len(in))
	for i, a := range in {
		out[i] = f(a)
	}
	return out
}

// halGet answers GET …/{id} with the resource viewer may see.
func halGet[V, R any](get func(context.Context, auth.User, int64) (V, error), render func(V, auth.User) R) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		v, err := get(c.UserContext(), currentUser(c), id)
		if err != nil {
			return err
		}
		return c.JSON(render(v, currentUser(c)), hal.MediaType)
	}
}

// halCreate answers POST on a collection: parse the HAL body, create, 201.
func halCreate[In, V, R any](parse func([]byte) (In, error), create func(context.Context, auth.User, In) (V, error), render func(V, auth.User) R) fiber.Handler {
	return func(c *fiber.Ctx) error {
		body, err := jsonBody(c)
		if err != nil {
			return err
		}
		in, err := parse(body)
		if err != nil {
			return err
		}
		v, err := create(c.UserContext(), currentUser(c), in)
		if err != nil {
			return err
		}
		return created(c, render(v, currentUser(c)))
	}
}

// halUpdate answers PATCH …/{id}: parse the HAL body, change, render.
func halUpdate[In, V, R any](parse func([]byte) (In, error), update func(context.Context, auth.User, int64, In) (V, error), render func(V, auth.User) R) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		body, err := jsonBody(c)
		if err != nil {
			return err
		}
		in, err := parse(body)
		if err != nil {
			return err
		}
		v, err := update(c.UserContext(), currentUser(c), id, in)
		if err != nil {
			return err
		}
		return c.JSON(render(v, currentUser(c)), hal.MediaType)
	}
}

// deleteByID answers DELETE …/{id} with 204.
func deleteByID(del func(context.Context, auth.User, int64) error) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		if err := del(c.UserContext(), currentUser(c), id); err != nil {
			return err
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
}

// embedded renders a work package with its linked resources.
func embedded(v tracker.WorkPackageView, viewer auth.User) hal.WorkPackageResource {
	return hal.WorkPackage(v, viewer, true)
}

// comment renders an activity for viewer.
func comment(c tracker.CommentView, viewer auth.User) hal.CommentResource {
	return hal.Activity(c, viewer)
}

// attachment loads an attachment's metadata.
func (s *server) attachment(ctx context.Context, viewer auth.User, id int64) (tracker.AttachmentView, error) {
	return s.Tracker.Attachment(ctx, viewer, id, false)
}

// Projects.

func (s *server) listProjects(c *fiber.Ctx) error {
	p, err := s.listParams(c)
	if err != nil {
		return err
	}
	viewer := currentUser(c)
	return s.cachedHAL(c, func() (any, error) {
		projects, total, err := s.Tracker.ListProjects(c.UserContext(), viewer, p)
		if err != nil {
			return nil, err
		}
		elems := mapSlice(projects, func(x tracker.Project) hal.ProjectResource { return hal.Project(x, viewer) })
		return hal.NewCollection("/api/v3/projects", queryValues(c), p.Page, total, elems), nil
	})
}

// Work packages.

func (s *server) listWorkPackages(c *fiber.Ctx) error {
	var projectID int64
	base := "/api/v3/work_packages"
	if c.Params("id") != "" {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		projectID, base = id, "/api/v3/projects/"+c.Params("id")+"/work_packages"
	}
	p, err := s.listParams(c)
	if err != nil {
		return err
	}
	viewer := currentUser(c)
	return s.cachedHAL(c, func() (any, error) {
		wps, total, err := s.Tracker.ListWorkPackages(c.UserContext(), viewer, projectID, p)
		if err != nil {
			return nil, err
		}
		elems := mapSlice(wps, func(v tracker.WorkPackageView) hal.WorkPackageResource { return hal.WorkPackage(v, viewer, false) })
		return hal.NewCollection(base, queryValues(c), p.Page, total, elems), nil
	})
}

func (s *server) getWorkPackage(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	return s.cachedHAL(c, func() (any, error) {
		v, err := s.Tracker.WorkPackage(c.UserContext(), currentUser(c), id)
		if err != nil {
			return nil, err
		}
		return hal.WorkPackage(v, currentUser(c), true), nil
	})
}

func (s *server) createWorkPackage(c *fiber.Ctx) error {
	if c.Params("id") != "" {
		if err := s.requireProject(c); err != nil {
			return err
		}
	}
	body, err := jsonBody(c)
	if err != nil {
		return err
	}
	in, err := hal.ParseWorkPackage(body)
	if err != nil {
		return err
	}
	if c.Params("id") != "" {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		if e := projectOfPath(id, &in); e != nil {
			return e
		}
	}
	v, err := s.Tracker.CreateWorkPackage(c.UserContext(), currentUser(c), in)
	if err != nil {
		return err
	}
	return created(c, hal.WorkPackage(v, currentUser(c), true))
}

// Comments.

func (s *server) listActivities(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	comments, err := s.Tracker.ListComments(c.UserContext(), currentUser(c), id)
	if err != nil {
		return err
	}
	return collection(c, "/api/v3/work_packages/"+c.Params("id")+"/activities", mapSlice(comments, func(x tracker.CommentView) hal.CommentResource { return hal.Activity(x, currentUser(c)) }))
}

func (s *server) addComment(c *fiber.Ctx) error {
	id, err := s.requireWorkPackage(c)
	if err != nil {
		return err
	}
	body, err := jsonBody(c)
	if err != nil {
		return err
	}
	text, err := hal.ParseComment(body)
	if err != nil {
		return err
	}
	cm, err := s.Tracker.AddComment(c.UserContext(), currentUser(c), id, text)
	if err != nil {
		return err
	}
	return created(c, hal.Activity(cm, currentUser(c)))
}

// Time entries.

func (s *server) listTimeEntries(c *fiber.Ctx) error {
	p, err := s.listParams(c)
	if err != nil {
		return err
	}
	viewer := currentUser(c)
	return s.cachedHAL(c, func() (any, error) {
		entries, total, err := s.Tracker.ListTimeEntries(c.UserContext(), viewer, p)
		if err != nil {
			return nil, err
		}
		elems := mapSlice(entries, func(t tracker.TimeEntryView) hal.TimeEntryResource { return hal.TimeEntry(t, viewer) })
		return hal.NewCollection("/api/v3/time_entries", queryValues(c), p.Page, total, elems), nil
	})
}

// Attachments.

func (s *server) listAttachments(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	viewer := currentUser(c)
	list, err := s.Tracker.ListAttachments(c.UserContext(), viewer, id)
	if err != nil {
		return err
	}
	elems := mapSlice(list, func(a tracker.AttachmentView) hal.AttachmentResource { return hal.Attachment(a, viewer) })
	return collection(c, "/api/v3/work_packages/"+c.Params("id")+"/attachments", elems)
}

// maxMetadataPart bounds the JSON "metadata" part of an upload.
const maxMetadataPart = 64 << 10

// addAttachment takes OpenProject's multipart upload: a "metadata" part
// ({"fileName": ..., "description": {"raw": ...}}) and a "file" part. The
// body is read here, after authentication, part by part into memory and
// never beyond maxUploadBody; no temporary file is written.
func (s *server) addAttachment(c *fiber.Ctx) error {
	id, err := s.requireWorkPackage(c)
	if err != nil {
		return err
	}
	mt, params, _ := mime.ParseMediaType(c.Get(fiber.HeaderContentType))
	if mt != "multipart/form-data" || params["boundary"] == "" {
		return &domain.RequestError{Status: fiber.StatusUnsupportedMediaType, Identifier: "TypeNotSupported",
			Message: "Attachments are uploaded as multipart/form-data with a \"metadata\" and a \"file\" part."}
	}
	// A user who may not attach is told so before the upload is read.
	if err := s.Tracker.MayAttach(c.UserContext(), currentUser(c), id); err != nil {
		return err
	}
	body, err := bodyReader(c, maxUploadBody)
	if err != nil {
		return err
	}
	up, err := readUpload(multipart.NewReader(body, params["boundary"]))
	if err != nil {
		return err
	}
	in := tracker.NewAttachment{FileName: up.fileName, ContentType: up.contentType, Content: up.content}
	if up.metadata != nil {
		if err := readAttachmentMetadata(up.metadata, &in); err != nil {
			return err
		}
	}
	if in.ContentType == "" || in.ContentType == "application/octet-stream" {
		in.ContentType = http.DetectContentType(in.Content)
	}
	a, err := s.Tracker.AddAttachment(c.UserContext(), currentUser(c), id, in)
	if err != nil {
		return err
	}
	return created(c, hal.Attachment(a, currentUser(c)))
}

// upload is what readUpload found in a multipart body.
type upload struct {
	metadata              []byte
	fileName, contentType string
	content               []byte
	files                 int
}

// readUpload reads the parts of an attachment upload: one "file" part of at
// most tracker.MaxAttachmentSize bytes and an optional "metadata" part; other
// parts are skipped.
func readUpload(mr *multipart.Reader) (upload, error) {
	var up upload
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return up, multipartError(err)
		}
		switch part.FormName() {
		case "metadata":
			if up.metadata, err = io.ReadAll(io.LimitReader(part, maxMetadataPart+1)); err != nil {
				return up, multipartError(err)
			}
			if len(up.metadata) > maxMetadataPart {
				return up, domain.Invalid("metadata", "The metadata part may hold at most %d KiB.", maxMetadataPart>>10)
			}
		case "file":
			up.files++
			if up.files > 1 {
				return up, domain.Invalid("file", "Exactly one \"file\" part is required.")
			}
			up.fileName, up.contentType = part.FileName(), part.Header.Get(fiber.HeaderContentType)
			if up.content, err = io.ReadAll(io.LimitReader(part, tracker.MaxAttachmentSize+1)); err != nil {
				return up, multipartError(err)
			}
			if len(up.content) > tracker.MaxAttachmentSize {
				return up, tracker.ErrTooLarge
			}
		}
		if _, err := io.Copy(io.Discard, part); err != nil {
			return up, multipartError(err)
		}
	}
	if up.files != 1 {
		return up, domain.Invalid("file", "Exactly one \"file\" part is required.")
	}
	return up, nil
}

// multipartError keeps a 413 from the body limit and makes anything else a 400.
func multipartError(err error) error {
	var re *domain.RequestError
	if errors.As(err, &re) {
		return err
	}
	return &domain.RequestError{Status: fiber.StatusBadRequest, Identifier: "InvalidRequestBody", Message: "The multipart body could not be read: " + err.Error() + "."}
}

func (s *server) attachmentContent(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	a, err := s.Tracker.Attachment(c.UserContext(), currentUser(c), id, true)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, a.ContentType)
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": a.FileName}))
	c.Set("Content-Security-Policy", "sandbox")
	return c.Send(a.Content)
}

// Statuses, types, priorities.

func (s *server) listStatuses(c *fiber.Ctx) error {
	return collection(c, "/api/v3/statuses", mapSlice(s.Tracker.Statuses(), hal.Status))
}

func (s *server) listTypes(c *fiber.Ctx) error {
	return collection(c, "/api/v3/types", mapSlice(s.Tracker.Types(), hal.Type))
}

func (s *server) listPriorities(c *fiber.Ctx) error {
	return collection(c, "/api/v3/priorities", mapSlice(s.Tracker.Priorities(), hal.Priority))
}

func enumHandler[T, R any](get func(int64) (T, error), render func(T) R) fiber.Handler {
	return func(c *fiber.Ctx) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		v, err := get(id)
		if err != nil {
			return err
		}
		return c.JSON(render(v), hal.MediaType)
	}
}
