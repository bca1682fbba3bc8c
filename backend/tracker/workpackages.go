package tracker

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/outbox"
	"github.com/hookpost/hookpost/backend/query"
	"github.com/hookpost/hookpost/backend/store"
)

// WorkPackageInput is a work package create or update; nil fields were not sent.
type WorkPackageInput struct {
	Subject        *string
	Description    *string
	StartDate      Opt[string]
	DueDate        Opt[string]
	EstimatedHours Opt[float64]
	PercentageDone Opt[int]
	ProjectID      *int64
	TypeID         *int64
	StatusID       *int64
	PriorityID     *int64
	AssigneeID     Opt[int64]
	AuthorID       *int64
	CreatedAt      *time.Time
	LockVersion    *int
	// ReadOnly names properties the request tried to write that never are writable.
	ReadOnly []string
}

// WorkPackageFields are the work package collection's filters and sort keys,
// by their API names and OpenProject's own (status_id, ...).
var WorkPackageFields = query.Spec{
	"id":        {Column: "wp.id", Kind: query.ID},
	"project":   {Column: "wp.project_id", Kind: query.ID},
	"status":    {Column: "wp.status_id", Kind: query.ID, Closed: "SELECT id FROM statuses WHERE is_closed"},
	"type":      {Column: "wp.type_id", Kind: query.ID},
	"priority":  {Column: "wp.priority_id", Kind: query.ID},
	"author":    {Column: "wp.author_id", Kind: query.ID},
	"assignee":  {Column: "wp.assignee_id", Kind: query.ID, Nullable: true},
	"subject":   {Column: "wp.subject", Kind: query.Text},
	"startDate": {Column: "wp.start_date", Kind: query.Date, Nullable: true},
	"dueDate":   {Column: "wp.due_date", Kind: query.Date, Nullable: true},
	"createdAt": {Column: "wp.created_at", Kind: query.DateTime},
	"updatedAt": {Column: "wp.updated_at", Kind: query.DateTime},
}.With(map[string]string{"project_id": "project", "status_id": "status", "type_id": "type", "priority_id": "priority",
	"author_id": "author", "assignee_id": "assignee", "start_date": "startDate", "due_date": "dueDate",
	"created_at": "createdAt", "updated_at": "updatedAt"})

// DefaultWorkPackageFilters is OpenProject's filter for a work package
// collection requested without one: open work packages only. A client asks
// for all with filters=[].
const DefaultWorkPackageFilters = `[{"status_id":{"operator":"o","values":null}}]`

// ListWorkPackages returns one page of the work packages viewer may see;
// projectID limits it to one project when non-zero.
func (s *Service) ListWorkPackages(ctx context.Context, viewer auth.User, projectID int64, p ListParams) ([]WorkPackageView, int, error) {
	if projectID != 0 {
		if _, err := s.Project(ctx, viewer, projectID); err != nil {
			return nil, 0, err
		}
	}
	openOnly := strings.TrimSpace(p.Filters) == ""
	if openOnly {
		p.Filters = DefaultWorkPackageFilters
	}
	conds, order, err := s.listQuery(p, WorkPackageFields, viewer, "wp.id ASC")
	if err != nil {
		return nil, 0, err
	}
	if views, total, ok, err := s.indexPage(ctx, viewer, projectID, p); ok || err != nil {
		return views, total, err
	}
	base := func() *bun.SelectQuery {
		q := s.st.Read.NewSelect().TableExpr("work_packages AS wp")
		if projectID != 0 {
			q = q.Where("wp.project_id = ?", projectID)
		}
		return applyFilters(visibleProjects(q, viewer, "wp.project_id"), conds)
	}
	var total int
	switch {
	case openOnly:
		total, err = s.countOpenWorkPackages(ctx, viewer, projectID)
	case len(conds) == 0:
		total, err = s.countWorkPackages(ctx, viewer, projectID)
	default:
		total, err = s.count(ctx, base())
	}
	if err != nil || p.Page.Size == 0 {
		return []WorkPackageView{}, total, err
	}
	var rows []WorkPackage
	err = s.st.ReadScan(ctx, base().ColumnExpr("wp.*").OrderExpr(order).Offset(int64(p.Page.SQLOffset())).Limit(int64(p.Page.Size)), &rows)
	if err != nil {
		return nil, 0, err
	}
	views, err := s.views(ctx, s.st.Read, rows)
	return views, total, err
}

// countWorkPackages is the unfiltered total, from the counts the triggers keep.
func (s *Service) countWorkPackages(ctx context.Context, viewer auth.User, projectID int64) (int, error) {
	q := s.st.Read.NewSelect().TableExpr("work_package_counts AS c").ColumnExpr("CAST(coalesce(sum(c.n), 0) AS INTEGER)")
	if projectID != 0 {
		q = q.Where("c.project_id = ?", projectID)
	}
	q = visibleProjects(q, viewer, "c.project_id")
	var n int
	err := q.Scan(ctx, &n)
	return n, err
}

// countOpenWorkPackages is the total of the default (open) collection: the
// unfiltered total the triggers keep, less the closed work packages, which
// the status index counts without reading the open ones.
func (s *Service) countOpenWorkPackages(ctx context.Context, viewer auth.User, projectID int64) (int, error) {
	all, err := s.countWorkPackages(ctx, viewer, projectID)
	if err != nil {
		return 0, err
	}
	var closed []int64
	for _, st := range s.Statuses() {
		if st.IsClosed {
			closed = append(closed, st.ID)
		}
	}
	if len(closed) == 0 {
		return all, nil
	}
	q := s.st.Read.NewSelect().TableExpr("work_packages AS wp").Where("wp.status_id IN (?)", bun.List(closed))
	if projectID != 0 {
		q = q.Where("wp.project_id = ?", projectID)
	}
	n, err := s.count(ctx, visibleProjects(q, viewer, "wp.project_id"))
	return all - n, err
}

// views loads what the rows link to, with the hours logged on each: one
// query per kind of linked resource, whatever the number of rows.
func (s *Service) views(ctx context.Context, db bun.IDB, rows []WorkPackage) ([]WorkPackageView, error) {
	projectIDs := map[int64]bool{}
	var userIDs []int64
	for _, r := range rows {
		projectIDs[r.ProjectID] = true
		userIDs = append(userIDs, r.AuthorID)
		if r.AssigneeID != nil {
			userIDs = append(userIDs, *r.AssigneeID)
		}
	}
	users, err := s.usersByID(ctx, db, userIDs)
	if err != nil {
		return nil, err
	}
	categories, err := s.categoriesOf(ctx, db, rows)
	if err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(projectIDs))
	for id := range projectIDs {
		ids = append(ids, id)
	}
	projects, err := s.projectsByID(ctx, db, ids)
	if err != nil {
		return nil, err
	}
	views := make([]WorkPackageView, len(rows))
	for i, r := range rows {
		v := WorkPackageView{WorkPackage: r, Project: projects[r.ProjectID], Type: s.types[r.TypeID],
			Status: s.statuses[r.StatusID], Priority: s.priorities[r.PriorityID], Author: users[r.AuthorID]}
		if r.AssigneeID != nil {
			if u, ok := users[*r.AssigneeID]; ok {
				v.Assignee = &u
			}
		}
		if r.CategoryID != nil {
			if c, ok := categories[*r.CategoryID]; ok {
				v.Category = &c
			}
		}
		views[i] = v
	}
	spent, err := s.spentHours(ctx, db, rows)
	if err != nil {
		return nil, err
	}
	for i := range views {
		views[i].SpentHours = spent[views[i].ID]
	}
	return views, nil
}

// spentRow is one work package's logged hours.
type spentRow struct {
	WorkPackageID int64   `bun:"work_package_id"`
	Hours         float64 `bun:"hours"`
}

// spentHours sums the hours logged on each of rows, in one aggregate query.
func (s *Service) spentHours(ctx context.Context, db bun.IDB, rows []WorkPackage) (map[int64]float64, error) {
	out := make(map[int64]float64, len(rows))
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var sums []spentRow
	// DOUBLE PRECISION, not REAL: a REAL is 4 bytes on PostgreSQL.
	q := db.NewSelect().Table("time_entries").ColumnExpr("work_package_id, CAST(sum(hours) AS DOUBLE PRECISION) AS hours").
		Group("work_package_id")
	if err := s.scanIn(ctx, db, q, "work_package_id", ids, &sums); err != nil {
		return nil, err
	}
	for _, x := range sums {
		out[x.WorkPackageID] = x.Hours
	}
	return out, nil
}

// LoadWorkPackage reads a work package with what it links to, through db,
// without visibility checks.
func (s *Service) LoadWorkPackage(ctx context.Context, db bun.IDB, id int64) (WorkPackageView, error) {
	var wp WorkPackage
	if err := db.NewSelect().Model(&wp).Where("id = ?", id).Scan(ctx); err != nil {
		return WorkPackageView{}, notFound(err)
	}
	views, err := s.views(ctx, db, []WorkPackage{wp})
	if err != nil {
		return WorkPackageView{}, err
	}
	return views[0], nil
}

// WorkPackage returns a work package viewer may see.
func (s *Service) WorkPackage(ctx context.Context, viewer auth.User, id int64) (WorkPackageView, error) {
	v, err := s.LoadWorkPackage(ctx, s.st.Read, id)
	if err != nil {
		return v, err
	}
	if !canSee(viewer, v.Project) {
		return WorkPackageView{}, domain.ErrNotFound
	}
	return v, nil
}

// accessRow is what access reads.
type accessRow struct {
	ProjectID  int64  `bun:"project_id"`
	AuthorID   int64  `bun:"author_id"`
	AssigneeID *int64 `bun:"assignee_id"`
	Public     bool   `bun:"public"`
}

// access reads, from the read pool, what a write's refusals need of work
// package id: its project's visibility and who may change it. A write checks
// it before it takes the writer, whose batch a failing write rolls back for
// every write in it (store.Write), and again inside, on what it changes. The
// work package comes back with its id, project, author and assignee only.
func (s *Service) access(ctx context.Context, viewer auth.User, id int64) (WorkPackage, error) {
	var rows []accessRow
	err := s.st.Read.NewSelect().TableExpr("work_packages AS wp").Join("JOIN projects AS p ON p.id = wp.project_id").
		ColumnExpr("wp.project_id, wp.author_id, wp.assignee_id, p.public").Where("wp.id = ?", id).Scan(ctx, &rows)
	if err != nil {
		return WorkPackage{}, err
	}
	if len(rows) == 0 || !canSee(viewer, Project{Public: rows[0].Public}) {
		return WorkPackage{}, domain.ErrNotFound
	}
	r := rows[0]
	return WorkPackage{ID: id, ProjectID: r.ProjectID, AuthorID: r.AuthorID, AssigneeID: r.AssigneeID}, nil
}

// CheckWorkPackage answers as WorkPackage does when viewer may not see work
// package id (domain.ErrNotFound), from one query, without loading it.
func (s *Service) CheckWorkPackage(ctx context.Context, viewer auth.User, id int64) error {
	_, err := s.access(ctx, viewer, id)
	return err
}

func validDate(field string, v Opt[string], errs *domain.ValidationErrors) {
	if v.Set && v.Value != nil {
		if _, err := time.Parse("2006-01-02", *v.Value); err != nil {
			*errs = append(*errs, &domain.ValidationError{Field: field, Kind: domain.KindFormat,
				Message: fmt.Sprintf("%s %q is not a date: use YYYY-MM-DD.", field, *v.Value)})
		}
	}
}

// refs are what validation loaded and a new work package's view reuses.
type refs struct {
	project *Project
	users   map[int64]auth.User
}

func (s *Service) validateWorkPackage(ctx context.Context, db bun.IDB, viewer auth.User, wp *WorkPackage, in WorkPackageInput, creating bool) (domain.ValidationErrors, refs) {
	errs := in.boundErrors()
	loaded := refs{users: map[int64]auth.User{}}
	for _, f := range in.ReadOnly {
		errs = append(errs, domain.ReadOnly(f))
	}
	overrides := s.OverridesReadOnly(viewer, creating)
	if in.CreatedAt != nil && !overrides {
		errs = append(errs, domain.ReadOnly("createdAt"))
	}
	if in.AuthorID != nil && !overrides {
		errs = append(errs, domain.ReadOnly("author"))
	}
	if in.Subject != nil || creating {
		subject := ""
		if in.Subject != nil {
			subject = strings.TrimSpace(*in.Subject)
		}
		if subject == "" {
			errs = append(errs, domain.Invalid("subject", "Subject can't be blank."))
		}
	}
	validDate("startDate", in.StartDate, &errs)
	validDate("dueDate", in.DueDate, &errs)
	if in.EstimatedHours.Set && in.EstimatedHours.Value != nil && *in.EstimatedHours.Value < 0 {
		errs = append(errs, domain.Invalid("estimatedTime", "Estimated time must not be negative."))
	}
	if in.PercentageDone.Set && in.PercentageDone.Value != nil && (*in.PercentageDone.Value < 0 || *in.PercentageDone.Value > 100) {
		errs = append(errs, domain.Invalid("percentageDone", "%% Complete must be between 0 and 100."))
	}
	if in.TypeID != nil {
		if _, ok := s.types[*in.TypeID]; !ok {
			errs = append(errs, domain.Invalid("type", "Type %d does not exist.", *in.TypeID))
		}
	}
	if in.StatusID != nil {
		if _, ok := s.statuses[*in.StatusID]; !ok {
			errs = append(errs, domain.Invalid("status", "Status %d does not exist.", *in.StatusID))
		}
	}
	if in.PriorityID != nil {
		if _, ok := s.priorities[*in.PriorityID]; !ok {
			errs = append(errs, domain.Invalid("priority", "Priority %d does not exist.", *in.PriorityID))
		}
	}
	if in.ProjectID != nil || creating {
		if in.ProjectID == nil {
			errs = append(errs, domain.Invalid("project", "Project can't be blank."))
		} else if p, err := s.LoadProject(ctx, db, *in.ProjectID); err != nil || !canSee(viewer, p) {
			errs = append(errs, domain.Invalid("project", "Project %d does not exist.", *in.ProjectID))
		} else if !p.Active {
			errs = append(errs, domain.Invalid("project", "Project %q is archived: work packages cannot be added to it.", p.Name))
		} else {
			loaded.project = &p
		}
	}
	for field, id := range map[string]*int64{"assignee": in.AssigneeID.Value, "author": in.AuthorID} {
		if id == nil {
			continue
		}
		var u auth.User
		if err := db.NewSelect().Model(&u).Where("id = ?", *id).Scan(ctx); err != nil {
			errs = append(errs, domain.Invalid(field, "User %d does not exist.", *id))
		} else if u.Status != "active" {
			errs = append(errs, domain.Invalid(field, "User %q is locked.", u.Login))
		} else {
			loaded.users[u.ID] = u
		}
	}
	start, due := wp.StartDate, wp.DueDate
	if in.StartDate.Set {
		start = in.StartDate.Value
	}
	if in.DueDate.Set {
		due = in.DueDate.Value
	}
	if start != nil && due != nil && *due < *start && len(errs) == 0 {
		errs = append(errs, domain.Invalid("dueDate", "Finish date must be on or after the start date %s.", *start))
	}
	return errs, loaded
}

func applyWorkPackage(wp *WorkPackage, in WorkPackageInput) {
	if in.Subject != nil {
		wp.Subject = strings.TrimSpace(*in.Subject)
	}
	if in.Description != nil {
		wp.Description = *in.Description
	}
	if in.StartDate.Set {
		wp.StartDate = in.StartDate.Value
	}
	if in.DueDate.Set {
		wp.DueDate = in.DueDate.Value
	}
	if in.EstimatedHours.Set {
		wp.EstimatedHours = in.EstimatedHours.Value
	}
	if in.PercentageDone.Set {
		wp.DoneRatio = in.PercentageDone.Value
	}
	if in.ProjectID != nil {
		wp.ProjectID = *in.ProjectID
	}
	if in.TypeID != nil {
		wp.TypeID = *in.TypeID
	}
	if in.StatusID != nil {
		wp.StatusID = *in.StatusID
	}
	if in.PriorityID != nil {
		wp.PriorityID = *in.PriorityID
	}
	if in.AssigneeID.Set {
		wp.AssigneeID = in.AssigneeID.Value
	}
}

const insertWorkPackageSQL = `INSERT INTO work_packages (project_id, type_id, status_id, priority_id, author_id,
	assignee_id, subject, description, start_date, due_date, estimated_hours, done_ratio, lock_version, created_at, updated_at)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?)`

// CreateWorkPackage adds a work package.
func (s *Service) CreateWorkPackage(ctx context.Context, viewer auth.User, in WorkPackageInput) (WorkPackageView, error) {
	var view WorkPackageView
	now := s.stamp()
	wp := WorkPackage{TypeID: s.defaults.typ, StatusID: s.defaults.status, PriorityID: s.defaults.priority,
		AuthorID: viewer.ID, CreatedAt: now, UpdatedAt: now}
	// Validation reads through the read pool, beside the single writer;
	// the foreign keys still guard the insert against a project or user
	// deleted in between.
	errs, loaded := s.validateWorkPackage(ctx, s.st.Read, viewer, &wp, in, true)
	if err := errs.Err(); err != nil {
		return WorkPackageView{}, err
	}
	applyWorkPackage(&wp, in)
	if in.AuthorID != nil {
		wp.AuthorID = *in.AuthorID
	}
	if in.CreatedAt != nil {
		wp.CreatedAt = in.CreatedAt.UTC().Truncate(time.Millisecond)
	}
	err := s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		// A prepared insert: creating work packages is the hot write path.
		var err error
		wp.ID, err = s.st.TxInsert(ctx, tx, insertWorkPackageSQL,
			wp.ProjectID, wp.TypeID, wp.StatusID, wp.PriorityID, wp.AuthorID, wp.AssigneeID, wp.Subject, wp.Description,
			wp.StartDate, wp.DueDate, wp.EstimatedHours, wp.DoneRatio, store.Timestamp(wp.CreatedAt), store.Timestamp(wp.UpdatedAt))
		if err != nil {
			return err
		}
		s.noteWorkPackage(ctx, wp)
		known := names{projects: map[int64]string{wp.ProjectID: loaded.project.Name}, users: map[int64]auth.User{viewer.ID: viewer}}
		for id, u := range loaded.users {
			known.users[id] = u
		}
		if err := s.journal(ctx, tx, wp.ID, wp.AuthorID, s.workPackageChanges(WorkPackage{}, wp, known), store.Timestamp(wp.CreatedAt)); err != nil {
			return err
		}
		// Everything the representation needs was loaded by the validation.
		view = WorkPackageView{WorkPackage: wp, Project: *loaded.project, Type: s.types[wp.TypeID], Status: s.statuses[wp.StatusID],
			Priority: s.priorities[wp.PriorityID], Author: viewer}
		if wp.AuthorID != viewer.ID {
			view.Author = loaded.users[wp.AuthorID]
		}
		if wp.AssigneeID != nil {
			u := loaded.users[*wp.AssigneeID]
			view.Assignee = &u
		}
		return s.recordWorkPackage(ctx, tx, outbox.WorkPackageCreated, view, viewer)
	})
	if err != nil {
		return WorkPackageView{}, err
	}
	return view, nil
}

// UpdateWorkPackage changes a work package (its author's, its assignee's,
// or any for an administrator); in.LockVersion must match the stored one
// (optimistic locking, as OpenProject does). The answer is the view its
// event was rendered from.
func (s *Service) UpdateWorkPackage(ctx context.Context, viewer auth.User, id int64, in WorkPackageInput) (WorkPackageView, error) {
	// Refused before the writer is taken; checked again inside it, on the
	// row the update starts from, in case the assignee changed meanwhile.
	seen, err := s.access(ctx, viewer, id)
	if err != nil {
		return WorkPackageView{}, err
	}
	if err := mayChangeWorkPackage(viewer, seen, "change"); err != nil {
		return WorkPackageView{}, err
	}
	var view WorkPackageView
	err = s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		var wp WorkPackage
		if err := tx.NewSelect().Model(&wp).Where("id = ?", id).Scan(ctx); err != nil {
			return notFound(err)
		}
		if err := mayChangeWorkPackage(viewer, wp, "change"); err != nil {
			return err
		}
		if err := checkLockVersion(in.LockVersion, wp.LockVersion); err != nil {
			return err
		}
		errs, loaded := s.validateWorkPackage(ctx, tx, viewer, &wp, in, false)
		if errs.Err() != nil {
			return errs.Err()
		}
		before := wp
		applyWorkPackage(&wp, in)
		wp.UpdatedAt = s.stamp()
		wp.LockVersion++
		// The lock_version condition makes the check and the write one step.
		res, err := tx.NewUpdate().Model(&wp).
			Column("project_id", "type_id", "status_id", "priority_id", "assignee_id", "subject", "description",
				"start_date", "due_date", "estimated_hours", "done_ratio", "lock_version", "updated_at").
			Where("id = ? AND lock_version = ?", id, *in.LockVersion).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.ErrConflict
		}
		s.noteWorkPackage(ctx, wp)
		// The validation loaded the new project and assignee: the journal
		// reads names only for what it did not.
		known := names{projects: map[int64]string{}, users: loaded.users}
		if loaded.project != nil {
			known.projects[loaded.project.ID] = loaded.project.Name
		}
		n, err := s.journalNames(ctx, tx, before, wp, known)
		if err != nil {
			return err
		}
		if err := s.journal(ctx, tx, wp.ID, viewer.ID, s.workPackageChanges(before, wp, n), store.Timestamp(wp.UpdatedAt)); err != nil {
			return err
		}
		// The row as written, with what it links to: the event's payload
		// and the answer.
		views, err := s.views(ctx, tx, []WorkPackage{wp})
		if err != nil {
			return err
		}
		view = views[0]
		return s.recordWorkPackage(ctx, tx, outbox.WorkPackageUpdated, view, viewer)
	})
	if err != nil {
		return WorkPackageView{}, err
	}
	return view, nil
}

// DeleteWorkPackage removes a work package with its comments, attachments
// and time entries; its event carries the last representation. Its author or
// assignee may delete it unless it carries other users' time entries, which
// only an administrator may delete with it.
func (s *Service) DeleteWorkPackage(ctx context.Context, viewer auth.User, id int64) error {
	seen, err := s.access(ctx, viewer, id)
	if err != nil {
		return err
	}
	if err := mayChangeWorkPackage(viewer, seen, "delete"); err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		// Checked inside the writer: no time entry can be logged on the
		// work package between this check and the delete.
		v, err := s.LoadWorkPackage(ctx, tx, id)
		if err != nil {
			return err
		}
		if err := mayDeleteWorkPackage(ctx, tx, viewer, v.WorkPackage); err != nil {
			return err
		}
		payload, err := s.payloads.WorkPackage(v)
		if err != nil {
			return fmt.Errorf("render work package %d for its event: %w", id, err)
		}
		res, err := tx.NewDelete().Model((*WorkPackage)(nil)).Where("id = ?", id).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.ErrNotFound
		}
		s.noteWorkPackageDeleted(ctx, id)
		return s.recordPayload(ctx, tx, outbox.WorkPackageDeleted, outbox.KeyWorkPackage, id, seen.ProjectID, viewer, payload)
	})
}
