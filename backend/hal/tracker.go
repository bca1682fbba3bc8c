package hal

import (
	"encoding/json"
	"net/url"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/tracker"
)

// Links is a resource's _links, in the order they were added.
type Links map[string]any

// EventViewer is whom webhook payloads are rendered for: it sees every
// project, but no user's login or e-mail address.
var EventViewer = auth.User{Admin: false}

// StatusResource is a status.
type StatusResource struct {
	Type             string  `json:"_type"`
	ID               int64   `json:"id"`
	Name             string  `json:"name"`
	IsClosed         bool    `json:"isClosed"`
	Color            *string `json:"color"`
	IsDefault        bool    `json:"isDefault"`
	IsReadonly       bool    `json:"isReadonly"`
	DefaultDoneRatio int     `json:"defaultDoneRatio"`
	Position         int     `json:"position"`
	Links            Links   `json:"_links"`
}

// Status renders a status.
func Status(s tracker.Status) StatusResource {
	return StatusResource{Type: "Status", ID: s.ID, Name: s.Name, IsClosed: s.IsClosed, Color: s.Color, IsDefault: s.IsDefault,
		IsReadonly: s.IsReadonly, DefaultDoneRatio: s.DefaultDoneRatio, Position: s.Position,
		Links: Links{"self": Titled("/api/v3/statuses/"+itoa(s.ID), s.Name)}}
}

// TypeResource is a work package type.
type TypeResource struct {
	Type        string  `json:"_type"`
	ID          int64   `json:"id"`
	Name        string  `json:"name"`
	Color       *string `json:"color"`
	Position    int     `json:"position"`
	IsDefault   bool    `json:"isDefault"`
	IsMilestone bool    `json:"isMilestone"`
	CreatedAt   string  `json:"createdAt"`
	UpdatedAt   string  `json:"updatedAt"`
	Links       Links   `json:"_links"`
}

// Type renders a type.
func Type(t tracker.Type) TypeResource {
	return TypeResource{Type: "Type", ID: t.ID, Name: t.Name, Color: t.Color, Position: t.Position, IsDefault: t.IsDefault,
		IsMilestone: t.IsMilestone, CreatedAt: DateTime(t.CreatedAt), UpdatedAt: DateTime(t.UpdatedAt),
		Links: Links{"self": Titled("/api/v3/types/"+itoa(t.ID), t.Name)}}
}

// PriorityResource is a priority.
type PriorityResource struct {
	Type      string `json:"_type"`
	ID        int64  `json:"id"`
	Name      string `json:"name"`
	Position  int    `json:"position"`
	IsDefault bool   `json:"isDefault"`
	IsActive  bool   `json:"isActive"`
	Links     Links  `json:"_links"`
}

// Priority renders a priority.
func Priority(p tracker.Priority) PriorityResource {
	return PriorityResource{Type: "Priority", ID: p.ID, Name: p.Name, Position: p.Position, IsDefault: p.IsDefault, IsActive: p.IsActive,
		Links: Links{"self": Titled("/api/v3/priorities/"+itoa(p.ID), p.Name)}}
}

// ProjectResource is a project.
type ProjectResource struct {
	Type              string           `json:"_type"`
	ID                int64            `json:"id"`
	Identifier        string           `json:"identifier"`
	Name              string           `json:"name"`
	Active            bool             `json:"active"`
	Public            bool             `json:"public"`
	Description       Formattable      `json:"description"`
	StatusExplanation Formattable      `json:"statusExplanation"`
	CreatedAt         string           `json:"createdAt"`
	UpdatedAt         string           `json:"updatedAt"`
	Links             ProjectLinks     `json:"_links"`
	Embedded          *ProjectEmbedded `json:"_embedded,omitempty"`
}

// ProjectEmbedded is what a single project representation embeds.
type ProjectEmbedded struct {
	Parent *ProjectResource `json:"parent,omitempty"`
}

// ProjectLinks are a project's links.
type ProjectLinks struct {
	Self                         *Link  `json:"self"`
	Update                       *Link  `json:"update,omitempty"`
	UpdateImmediately            *Link  `json:"updateImmediately,omitempty"`
	Delete                       *Link  `json:"delete,omitempty"`
	CreateWorkPackage            *Link  `json:"createWorkPackage"`
	CreateWorkPackageImmediately *Link  `json:"createWorkPackageImmediately"`
	Categories                   *Link  `json:"categories"`
	Types                        *Link  `json:"types"`
	Versions                     *Link  `json:"versions"`
	Memberships                  *Link  `json:"memberships"`
	WorkPackages                 *Link  `json:"workPackages"`
	Parent                       *Link  `json:"parent"`
	Status                       *Link  `json:"status"`
	Ancestors                    []Link `json:"ancestors"`
	Storages                     []Link `json:"storages"`
}

// Project renders a project for viewer.
func Project(p tracker.Project, viewer auth.User) ProjectResource {
	self := "/api/v3/projects/" + itoa(p.ID)
	r := ProjectResource{Type: "Project", ID: p.ID, Identifier: p.Identifier, Name: p.Name, Active: p.Active, Public: p.Public,
		Description: Markdown(p.Description), StatusExplanation: Markdown(""), CreatedAt: DateTime(p.CreatedAt), UpdatedAt: DateTime(p.UpdatedAt),
		Links: ProjectLinks{Self: Titled(self, p.Name), CreateWorkPackage: Action(self+"/work_packages/form", "post"),
			CreateWorkPackageImmediately: Action(self+"/work_packages", "post"), Categories: Href(self + "/categories"),
			Types: Href(self + "/types"), Versions: Null(), Memberships: Null(), WorkPackages: Href(self + "/work_packages"),
			Parent: Null(), Status: Null(), Ancestors: []Link{}, Storages: []Link{}}}
	if p.Parent != nil {
		r.Links.Parent = Titled("/api/v3/projects/"+itoa(p.Parent.ID), p.Parent.Name)
		r.Links.Ancestors = []Link{*r.Links.Parent}
	} else if p.ParentID != nil {
		// An embedded parent is loaded without its own parent's name.
		r.Links.Parent = Href("/api/v3/projects/" + itoa(*p.ParentID))
		r.Links.Ancestors = []Link{*r.Links.Parent}
	}
	if p.Full {
		r.Embedded = &ProjectEmbedded{}
		if p.Parent != nil {
			parent := Project(*p.Parent, viewer)
			r.Embedded.Parent = &parent
		}
	}
	if viewer.Admin {
		r.Links.Update = Action(self+"/form", "post")
		r.Links.UpdateImmediately = Action(self, "patch")
		r.Links.Delete = Action(self, "delete")
	}
	return r
}

// WorkPackageResource is a work package.
type WorkPackageResource struct {
	Type           string               `json:"_type"`
	ID             int64                `json:"id"`
	LockVersion    int                  `json:"lockVersion"`
	Subject        string               `json:"subject"`
	Description    Formattable          `json:"description"`
	ScheduleManual bool                 `json:"scheduleManually"`
	StartDate      *string              `json:"startDate"`
	DueDate        *string              `json:"dueDate"`
	EstimatedTime  *string              `json:"estimatedTime"`
	SpentTime      string               `json:"spentTime"`
	PercentageDone *int                 `json:"percentageDone"`
	CreatedAt      string               `json:"createdAt"`
	UpdatedAt      string               `json:"updatedAt"`
	Links          WorkPackageLinks     `json:"_links"`
	Embedded       *WorkPackageEmbedded `json:"_embedded,omitempty"`
}

// WorkPackageLinks are a work package's links (a struct, not a map: a list
// page renders hundreds of them).
type WorkPackageLinks struct {
	Self              *Link  `json:"self"`
	Schema            *Link  `json:"schema"`
	Update            *Link  `json:"update"`
	UpdateImmediately *Link  `json:"updateImmediately"`
	Delete            *Link  `json:"delete"`
	AddComment        *Link  `json:"addComment"`
	Activities        *Link  `json:"activities"`
	Attachments       *Link  `json:"attachments"`
	AddAttachment     *Link  `json:"addAttachment"`
	TimeEntries       *Link  `json:"timeEntries"`
	LogTime           *Link  `json:"logTime"`
	Project           *Link  `json:"project"`
	Type              *Link  `json:"type"`
	Status            *Link  `json:"status"`
	Priority          *Link  `json:"priority"`
	Author            *Link  `json:"author"`
	Assignee          *Link  `json:"assignee"`
	Responsible       *Link  `json:"responsible"`
	Parent            *Link  `json:"parent"`
	Version           *Link  `json:"version"`
	Category          *Link  `json:"category"`
	Ancestors         []Link `json:"ancestors"`
	Children          []Link `json:"children"`
	Relations         *Link  `json:"relations"`
	AddRelation       *Link  `json:"addRelation"`
}

// WorkPackageEmbedded are the resources a work package embeds.
type WorkPackageEmbedded struct {
	Project  ProjectResource  `json:"project"`
	Type     TypeResource     `json:"type"`
	Status   StatusResource   `json:"status"`
	Priority PriorityResource `json:"priority"`
	Author   UserResource     `json:"author"`
	Assignee *UserResource    `json:"assignee,omitempty"`
}

// WorkPackage renders a work package for viewer; embed adds the linked
// resources under _embedded, as OpenProject's single representation and
// webhook payloads have them.
func WorkPackage(v tracker.WorkPackageView, viewer auth.User, embed bool) WorkPackageResource {
	self := "/api/v3/work_packages/" + itoa(v.ID)
	r := WorkPackageResource{Type: "WorkPackage", ID: v.ID, LockVersion: v.LockVersion, Subject: v.Subject,
		Description: Markdown(v.Description), StartDate: v.StartDate, DueDate: v.DueDate, SpentTime: Hours(v.SpentHours),
		PercentageDone: v.DoneRatio, CreatedAt: DateTime(v.CreatedAt), UpdatedAt: DateTime(v.UpdatedAt)}
	if v.EstimatedHours != nil {
		est := Hours(*v.EstimatedHours)
		r.EstimatedTime = &est
	}
	assignee := Null()
	if v.Assignee != nil {
		assignee = Titled("/api/v3/users/"+itoa(v.Assignee.ID), v.Assignee.Name())
	}
	category := Null()
	if v.Category != nil {
		category = Titled("/api/v3/categories/"+itoa(v.Category.ID), v.Category.Name)
	}
	r.Links = WorkPackageLinks{
		Self:              Titled(self, v.Subject),
		Schema:            Href("/api/v3/work_packages/schemas/" + itoa(v.ProjectID) + "-" + itoa(v.TypeID)),
		Update:            Action(self+"/form", "post"),
		UpdateImmediately: Action(self, "patch"),
		Delete:            Action(self, "delete"),
		AddComment:        Action(self+"/activities", "post"),
		Activities:        Href(self + "/activities"),
		Attachments:       Href(self + "/attachments"),
		AddAttachment:     Action(self+"/attachments", "post"),
		TimeEntries:       Href("/api/v3/time_entries?filters=" + url.QueryEscape(`[{"workPackage":{"operator":"=","values":["`+itoa(v.ID)+`"]}}]`)),
		LogTime:           Action("/api/v3/time_entries", "post"),
		Project:           Titled("/api/v3/projects/"+itoa(v.ProjectID), v.Project.Name),
		Type:              Titled("/api/v3/types/"+itoa(v.TypeID), v.Type.Name),
		Status:            Titled("/api/v3/statuses/"+itoa(v.StatusID), v.Status.Name),
		Priority:          Titled("/api/v3/priorities/"+itoa(v.PriorityID), v.Priority.Name),
		Author:            Titled("/api/v3/users/"+itoa(v.AuthorID), v.Author.Name()),
		Assignee:          assignee,
		Responsible:       Null(),
		Parent:            Null(),
		Version:           Null(),
		Category:          category,
		Ancestors:         []Link{},
		Children:          []Link{},
		Relations:         Titled(self+"/relations", "Show relations"),
		AddRelation:       Action(self+"/relations", "post"),
	}
	if !tracker.MayChangeWorkPackage(viewer, v.WorkPackage) {
		// Every advertised link answers (SPEC §3): these would be a 403.
		r.Links.Update, r.Links.UpdateImmediately, r.Links.Delete, r.Links.AddAttachment = Null(), Null(), Null(), Null()
		// Relating it to one of their own work packages is still allowed;
		// the action is advertised only where it always answers.
		r.Links.AddRelation = Null()
	}
	if embed {
		project := v.Project
		project.Full = false // embedded resources embed nothing themselves
		e := &WorkPackageEmbedded{Project: Project(project, viewer), Type: Type(v.Type), Status: Status(v.Status),
			Priority: Priority(v.Priority), Author: User(v.Author, viewer)}
		if v.Assignee != nil {
			a := User(*v.Assignee, viewer)
			e.Assignee = &a
		}
		r.Embedded = e
	}
	return r
}

// CommentResource is OpenProject's Activity: a journal of a work package,
// Activity::Comment when it carries a comment.
type CommentResource struct {
	Type      string           `json:"_type"`
	ID        int64            `json:"id"`
	Version   int              `json:"version"`
	Comment   Formattable      `json:"comment"`
	Details   []Formattable    `json:"details"`
	Internal  bool             `json:"internal"`
	CreatedAt string           `json:"createdAt"`
	UpdatedAt string           `json:"updatedAt"`
	Links     Links            `json:"_links"`
	Embedded  *CommentEmbedded `json:"_embedded,omitempty"`
}

// CommentEmbedded is what a single activity embeds.
type CommentEmbedded struct {
	WorkPackage WorkPackageResource `json:"workPackage"`
}

// Comment renders an activity as webhook payloads see it (EventViewer).
func Comment(c tracker.CommentView) CommentResource { return Activity(c, EventViewer) }

// Activity renders an activity for viewer.
func Activity(c tracker.CommentView, viewer auth.User) CommentResource {
	r := CommentResource{Type: "Activity::Comment", ID: c.ID, Version: c.Version, Comment: Markdown(c.Comment.Comment),
		Details: JournalDetails(c.Changes()), CreatedAt: DateTime(c.CreatedAt), UpdatedAt: DateTime(c.UpdatedAt),
		Links: Links{
			"self":        Href("/api/v3/activities/" + itoa(c.ID)),
			"workPackage": Titled("/api/v3/work_packages/"+itoa(c.WorkPackageID), c.WorkPackage.Subject),
			"user":        Titled("/api/v3/users/"+itoa(c.UserID), c.User.Name()),
		}}
	if c.Comment.Comment == "" {
		r.Type = "Activity"
	}
	// A comment (not a journal) offers OpenProject's update link to those who
	// may edit it: its author or an administrator.
	if c.ID <= tracker.JournalIDBase && tracker.MayEditComment(viewer, c.Comment) {
		r.Links["update"] = Action("/api/v3/activities/"+itoa(c.ID), "patch")
	}
	if c.Full && c.WorkPackageView != nil {
		r.Embedded = &CommentEmbedded{WorkPackage: WorkPackage(*c.WorkPackageView, viewer, false)}
	}
	return r
}

// TimeEntryResource is a time entry.
type TimeEntryResource struct {
	Type      string             `json:"_type"`
	ID        int64              `json:"id"`
	Comment   Formattable        `json:"comment"`
	SpentOn   string             `json:"spentOn"`
	Hours     string             `json:"hours"`
	Ongoing   bool               `json:"ongoing"`
	CreatedAt string             `json:"createdAt"`
	UpdatedAt string             `json:"updatedAt"`
	Links     Links              `json:"_links"`
	Embedded  *TimeEntryEmbedded `json:"_embedded,omitempty"`
}

// TimeEntryEmbedded is what a single time entry embeds.
type TimeEntryEmbedded struct {
	Project     ProjectResource      `json:"project"`
	WorkPackage *WorkPackageResource `json:"workPackage,omitempty"`
	User        UserResource         `json:"user"`
}

// TimeEntry renders a time entry for viewer.
func TimeEntry(t tracker.TimeEntryView, viewer auth.User) TimeEntryResource {
	self := "/api/v3/time_entries/" + itoa(t.ID)
	wp, entity := Null(), Titled("/api/v3/projects/"+itoa(t.ProjectID), t.Project.Name)
	if t.WorkPackage != nil {
		wp = Titled("/api/v3/work_packages/"+itoa(t.WorkPackage.ID), t.WorkPackage.Subject)
		entity = wp
	}
	activity := Null()
	if t.Activity != nil {
		activity = Titled(activitiesHref+itoa(t.Activity.ID), t.Activity.Name)
	}
	links := Links{
		"self": Href(self), "project": Titled("/api/v3/projects/"+itoa(t.ProjectID), t.Project.Name),
		"workPackage": wp, "entity": entity, "user": Titled("/api/v3/users/"+itoa(t.UserID), t.User.Name()),
		"activity": activity, "schema": Href("/api/v3/time_entries/schema"),
	}
	if viewer.Admin || viewer.ID == t.UserID {
		links["updateImmediately"] = Action(self, "patch")
		links["delete"] = Action(self, "delete")
	}
	r := TimeEntryResource{Type: "TimeEntry", ID: t.ID, Comment: Markdown(t.Comment), SpentOn: t.SpentOn, Hours: Hours(t.Hours),
		CreatedAt: DateTime(t.CreatedAt), UpdatedAt: DateTime(t.UpdatedAt), Links: links}
	if t.Full {
		project := t.Project
		project.Full = false
		r.Embedded = &TimeEntryEmbedded{Project: Project(project, viewer), User: User(t.User, viewer)}
		if t.WorkPackageView != nil {
			wp := WorkPackage(*t.WorkPackageView, viewer, false)
			r.Embedded.WorkPackage = &wp
		}
	}
	return r
}

// AttachmentResource is an attachment's metadata.
type AttachmentResource struct {
	Type        string      `json:"_type"`
	ID          int64       `json:"id"`
	FileName    string      `json:"fileName"`
	FileSize    int64       `json:"fileSize"`
	Description Formattable `json:"description"`
	Status      string      `json:"status"`
	ContentType string      `json:"contentType"`
	Digest      struct {
		Algorithm string `json:"algorithm"`
		Hash      string `json:"hash"`
	} `json:"digest"`
	CreatedAt string              `json:"createdAt"`
	Links     Links               `json:"_links"`
	Embedded  *AttachmentEmbedded `json:"_embedded,omitempty"`
}

// AttachmentEmbedded is what a single attachment embeds.
type AttachmentEmbedded struct {
	Container WorkPackageResource `json:"container"`
	Author    UserResource        `json:"author"`
}

// Attachment renders an attachment for viewer.
func Attachment(a tracker.AttachmentView, viewer auth.User) AttachmentResource {
	self := "/api/v3/attachments/" + itoa(a.ID)
	r := AttachmentResource{Type: "Attachment", ID: a.ID, FileName: a.FileName, FileSize: a.FileSize, Description: Markdown(a.Description),
		Status: "uploaded", ContentType: a.ContentType, CreatedAt: DateTime(a.CreatedAt),
		Links: Links{"self": Titled(self, a.FileName), "container": Titled("/api/v3/work_packages/"+itoa(a.WorkPackageID), a.WorkPackage.Subject),
			"author": Titled("/api/v3/users/"+itoa(a.AuthorID), a.Author.Name()), "downloadLocation": Href(self + "/content")}}
	r.Description.Format = "plain"
	r.Digest.Algorithm, r.Digest.Hash = "md5", a.DigestMD5
	if viewer.Admin || viewer.ID == a.AuthorID {
		r.Links["delete"] = Action(self, "delete")
	}
	if a.Full && a.WorkPackageView != nil {
		r.Embedded = &AttachmentEmbedded{Container: WorkPackage(*a.WorkPackageView, viewer, false), Author: User(a.Author, viewer)}
	}
	return r
}

// EventPayloads renders webhook payloads: each resource as GET answers it,
// with _embedded links, rendered for EventViewer, from the view the tracker
// loaded inside the change's transaction.
var EventPayloads tracker.Payloads = eventPayloads{}

type eventPayloads struct{}

func (eventPayloads) WorkPackage(v tracker.WorkPackageView) (json.RawMessage, error) {
	return Marshal(WorkPackage(v, EventViewer, true))
}

func (eventPayloads) Project(p tracker.Project) (json.RawMessage, error) {
	return Marshal(Project(p, EventViewer))
}

func (eventPayloads) Comment(c tracker.CommentView) (json.RawMessage, error) {
	return Marshal(Activity(c, EventViewer))
}

func (eventPayloads) TimeEntry(t tracker.TimeEntryView) (json.RawMessage, error) {
	return Marshal(TimeEntry(t, EventViewer))
}

func (eventPayloads) Attachment(a tracker.AttachmentView) (json.RawMessage, error) {
	return Marshal(Attachment(a, EventViewer))
}

func (eventPayloads) Relation(r tracker.RelationView) (json.RawMessage, error) {
	return Marshal(Relation(r, EventViewer, true))
}

func (eventPayloads) Actor(u auth.User) (json.RawMessage, error) { return Marshal(Actor(u)) }
