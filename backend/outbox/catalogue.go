package outbox

// Event names (SPEC §5): OpenProject's set plus the deleted/updated events
// its users ask for.
const (
	ProjectCreated     = "project:created"
	ProjectUpdated     = "project:updated"
	ProjectDeleted     = "project:deleted"
	WorkPackageCreated = "work_package:created"
	WorkPackageUpdated = "work_package:updated"
	WorkPackageDeleted = "work_package:deleted"
	CommentCreated     = "work_package_comment:comment"
	CommentUpdated     = "work_package_comment:updated"
	TimeEntryCreated   = "time_entry:created"
	TimeEntryUpdated   = "time_entry:updated"
	TimeEntryDeleted   = "time_entry:deleted"
	AttachmentCreated  = "attachment:created"
	// OpenProject's webhooks send nothing about relations; these follow its
	// naming.
	RelationCreated = "relation:created"
	RelationUpdated = "relation:updated"
	RelationDeleted = "relation:deleted"
)

// Payload keys: the property of the webhook body that holds the resource.
const (
	KeyProject     = "project"
	KeyWorkPackage = "work_package"
	KeyActivity    = "activity"
	KeyTimeEntry   = "time_entry"
	KeyAttachment  = "attachment"
	KeyRelation    = "relation"
	// KeyActor renders the user who made a change (the body's "actor").
	KeyActor = "actor"
)

// EventDef is one event of the catalogue.
type EventDef struct {
	Name  string `json:"name"`
	Label string `json:"label"`
}

// ResourceDef groups the events of one resource, as OpenProject's webhook form does.
type ResourceDef struct {
	Resource   string     `json:"resource"`
	Label      string     `json:"label"`
	PayloadKey string     `json:"payloadKey"`
	Events     []EventDef `json:"events"`
}

// Catalogue is the event catalogue, in OpenProject's resource order; the
// admin API and the SPA read it from here.
var Catalogue = []ResourceDef{
	{"project", "Projects", KeyProject, []EventDef{{ProjectCreated, "Created"}, {ProjectUpdated, "Updated"}, {ProjectDeleted, "Deleted"}}},
	{"work_package", "Work packages", KeyWorkPackage, []EventDef{{WorkPackageCreated, "Created"}, {WorkPackageUpdated, "Updated"}, {WorkPackageDeleted, "Deleted"}}},
	{"work_package_comment", "Work package comments", KeyActivity, []EventDef{{CommentCreated, "Comment"}, {CommentUpdated, "Updated"}}},
	{"time_entry", "Time entries", KeyTimeEntry, []EventDef{{TimeEntryCreated, "Created"}, {TimeEntryUpdated, "Updated"}, {TimeEntryDeleted, "Deleted"}}},
	{"attachment", "Attachments", KeyAttachment, []EventDef{{AttachmentCreated, "Created"}}},
	{"relation", "Work package relations", KeyRelation, []EventDef{{RelationCreated, "Created"}, {RelationUpdated, "Updated"}, {RelationDeleted, "Deleted"}}},
}

// Known reports whether name is in the catalogue.
func Known(name string) bool {
	for _, r := range Catalogue {
		for _, e := range r.Events {
			if e.Name == name {
				return true
			}
		}
	}
	return false
}
