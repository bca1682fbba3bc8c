// Package tracker owns the OpenProject data that Hookpost serves and sends
// webhooks about: projects, work packages, their comments and attachments,
// time entries, and the statuses, types and priorities work packages use.
//
// Every write records its outbox event in the same transaction, one path
// from the HTTP handler to the receiver:
//
//  1. the handler (backend/httpapi) parses the request and calls the write,
//     say UpdateWorkPackage;
//  2. the write checks access from the read pool (one query), so that a
//     refused request never takes the writer;
//  3. inside the write transaction (store.Write) it reads the row, checks
//     and changes it, and reads what the changed row links to: the view;
//  4. Payloads (hal.EventPayloads) renders the view into the event, which
//     outbox.Record stores with a delivery per subscribed webhook;
//  5. after the commit, OnCommit (the dispatcher's Wake) sends the
//     deliveries (backend/dispatch), and the handler renders the same view
//     as the answer.
package tracker

import (
	"time"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/auth"
)

// Status is a work package status.
type Status struct {
	bun.BaseModel `bun:"table:statuses"`

	ID               int64   `bun:"id,pk"`
	Name             string  `bun:"name"`
	IsClosed         bool    `bun:"is_closed"`
	IsDefault        bool    `bun:"is_default"`
	IsReadonly       bool    `bun:"is_readonly"`
	Color            *string `bun:"color"`
	DefaultDoneRatio int     `bun:"default_done_ratio"`
	Position         int     `bun:"position"`
}

// Type is a work package type.
type Type struct {
	bun.BaseModel `bun:"table:types"`

	ID          int64     `bun:"id,pk"`
	Name        string    `bun:"name"`
	Color       *string   `bun:"color"`
	Position    int       `bun:"position"`
	IsDefault   bool      `bun:"is_default"`
	IsMilestone bool      `bun:"is_milestone"`
	CreatedAt   time.Time `bun:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at"`
}

// Priority is a work package priority.
type Priority struct {
	bun.BaseModel `bun:"table:priorities"`

	ID        int64   `bun:"id,pk"`
	Name      string  `bun:"name"`
	Color     *string `bun:"color"`
	Position  int     `bun:"position"`
	IsDefault bool    `bun:"is_default"`
	IsActive  bool    `bun:"is_active"`
}

// Project is a project.
type Project struct {
	bun.BaseModel `bun:"table:projects"`

	ID          int64     `bun:"id,pk,autoincrement"`
	Identifier  string    `bun:"identifier"`
	Name        string    `bun:"name"`
	Description string    `bun:"description"`
	Active      bool      `bun:"active"`
	Public      bool      `bun:"public"`
	ParentID    *int64    `bun:"parent_id"`
	CreatedAt   time.Time `bun:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at"`

	// Parent is loaded for rendering; nil without a parent.
	Parent *Project `bun:"-"`
	// Full marks a single representation, which embeds its parent.
	Full bool `bun:"-"`
}

// WorkPackage is a work package row.
type WorkPackage struct {
	bun.BaseModel `bun:"table:work_packages"`

	ID             int64     `bun:"id,pk,autoincrement"`
	ProjectID      int64     `bun:"project_id"`
	TypeID         int64     `bun:"type_id"`
	StatusID       int64     `bun:"status_id"`
	PriorityID     int64     `bun:"priority_id"`
	AuthorID       int64     `bun:"author_id"`
	AssigneeID     *int64    `bun:"assignee_id"`
	Subject        string    `bun:"subject"`
	Description    string    `bun:"description"`
	StartDate      *string   `bun:"start_date"`
	DueDate        *string   `bun:"due_date"`
	EstimatedHours *float64  `bun:"estimated_hours"`
	DoneRatio      *int      `bun:"done_ratio"`
	LockVersion    int       `bun:"lock_version"`
	CreatedAt      time.Time `bun:"created_at"`
	UpdatedAt      time.Time `bun:"updated_at"`
	CategoryID     *int64    `bun:"category_id"`
}

// WorkPackageView is a work package with what its representation links to
// and embeds.
type WorkPackageView struct {
	WorkPackage
	Project    Project
	Type       Type
	Status     Status
	Priority   Priority
	Author     auth.User
	Assignee   *auth.User
	SpentHours float64
	Category   *Category
}

// Comment is a comment on a work package (OpenProject's Activity::Comment),
// or a journal (Activity) read as one.
type Comment struct {
	bun.BaseModel `bun:"table:comments"`

	ID            int64     `bun:"id,pk,autoincrement"`
	WorkPackageID int64     `bun:"work_package_id"`
	UserID        int64     `bun:"user_id"`
	Comment       string    `bun:"comment"`
	Version       int       `bun:"version"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`

	// Details are a journal's changes as JSON (see Changes); a comment has
	// none.
	Details string `bun:"-"`
}

// Journal records a work package's creation or a change to it, with the
// changed attributes (Details, JSON). Its id is above JournalIDBase, so it
// never meets a comment's at /api/v3/activities/{id}; journals and comments
// of a work package share one version sequence.
type Journal struct {
	bun.BaseModel `bun:"table:journals"`

	ID            int64     `bun:"id,pk,autoincrement"`
	WorkPackageID int64     `bun:"work_package_id"`
	UserID        int64     `bun:"user_id"`
	Version       int       `bun:"version"`
	Details       string    `bun:"details"`
	CreatedAt     time.Time `bun:"created_at"`
}

// JournalIDBase is where journal ids start (the migration seeds it).
const JournalIDBase = 1_000_000_000

// CommentView is a comment with its author and work package.
type CommentView struct {
	Comment
	User        auth.User
	WorkPackage WorkPackage
	ProjectID   int64
	// Full is set on single loads, whose representation embeds the work
	// package (WorkPackageView); lists leave both unset.
	Full            bool
	WorkPackageView *WorkPackageView
}

// TimeEntry is logged time.
type TimeEntry struct {
	bun.BaseModel `bun:"table:time_entries"`

	ID            int64     `bun:"id,pk,autoincrement"`
	ProjectID     int64     `bun:"project_id"`
	WorkPackageID *int64    `bun:"work_package_id"`
	UserID        int64     `bun:"user_id"`
	Hours         float64   `bun:"hours"`
	SpentOn       string    `bun:"spent_on"`
	Comment       string    `bun:"comment"`
	CreatedAt     time.Time `bun:"created_at"`
	UpdatedAt     time.Time `bun:"updated_at"`
	ActivityID    *int64    `bun:"activity_id"`
}

// TimeEntryView is a time entry with what it links to.
type TimeEntryView struct {
	TimeEntry
	Project     Project
	WorkPackage *WorkPackage
	User        auth.User
	// Full is set on single loads, whose representation embeds what it
	// links to (WorkPackageView when there is a work package).
	Full            bool
	WorkPackageView *WorkPackageView
	Activity        *TimeEntryActivity
}

// TimeEntryActivity classifies logged time (OpenProject's
// TimeEntryActivity: Management, Development, ...).
type TimeEntryActivity struct {
	bun.BaseModel `bun:"table:time_entry_activities"`

	ID        int64  `bun:"id,pk"`
	Name      string `bun:"name"`
	Position  int    `bun:"position"`
	IsDefault bool   `bun:"is_default"`
	Active    bool   `bun:"active"`
}

// Attachment is a file attached to a work package.
type Attachment struct {
	bun.BaseModel `bun:"table:attachments"`

	ID            int64     `bun:"id,pk,autoincrement"`
	WorkPackageID int64     `bun:"work_package_id"`
	AuthorID      int64     `bun:"author_id"`
	FileName      string    `bun:"file_name"`
	FileSize      int64     `bun:"file_size"`
	ContentType   string    `bun:"content_type"`
	Description   string    `bun:"description"`
	DigestMD5     string    `bun:"digest_md5"`
	Content       []byte    `bun:"content"`
	CreatedAt     time.Time `bun:"created_at"`
}

// AttachmentView is an attachment with its author and container.
type AttachmentView struct {
	Attachment
	Author      auth.User
	WorkPackage WorkPackage
	ProjectID   int64
	// Full is set on single loads, whose representation embeds the
	// container (WorkPackageView).
	Full            bool
	WorkPackageView *WorkPackageView
}

// Category is a project's work package category (OpenProject's Category).
type Category struct {
	bun.BaseModel `bun:"table:categories"`

	ID           int64  `bun:"id,pk,autoincrement"`
	ProjectID    int64  `bun:"project_id"`
	Name         string `bun:"name"`
	AssignedToID *int64 `bun:"assigned_to_id"`
}

// CategoryView is a category with its project and default assignee.
type CategoryView struct {
	Category
	Project         Project
	DefaultAssignee *auth.User
}

// Relation relates two work packages (OpenProject's Relation), stored with
// its canonical type: see RelationTypes.
type Relation struct {
	bun.BaseModel `bun:"table:relations"`

	ID          int64     `bun:"id,pk,autoincrement"`
	FromID      int64     `bun:"from_id"`
	ToID        int64     `bun:"to_id"`
	Type        string    `bun:"relation_type"`
	Lag         *int      `bun:"lag"`
	Description *string   `bun:"description"`
	CreatedAt   time.Time `bun:"created_at"`
	UpdatedAt   time.Time `bun:"updated_at"`
}

// RelationView is a relation with its two work packages.
type RelationView struct {
	Relation
	From WorkPackageView
	To   WorkPackageView
}
