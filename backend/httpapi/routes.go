package httpapi

import (
	"github.com/gofiber/fiber/v2"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/dispatch"
	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/tracker"
)

// route is one entry of the route table; doc feeds the OpenAPI document.
// The error statuses that follow from a route's access, path, body and query
// are added by errorStatuses; doc.errors lists only those its handler alone
// knows about.
type route struct {
	method  string
	path    string
	access  access
	handler fiber.Handler
	doc     op
}

// routes is Hookpost's one route table.
func (s *server) routes() []route {
	return []route{
		{"GET", "/healthz", public, s.healthz, op{tag: "Operations", summary: "Process is up", resp: "Health", noAuth: true}},
		{"GET", "/metrics", public, s.metricsHandler, op{tag: "Operations", summary: "Prometheus metrics: requests, deliveries by outcome, delivery latency, queue depth, failures per webhook (Bearer --metrics-token, or an administrator's API token)", text: true, errors: []int{401}}},
		{"GET", "/readyz", public, s.readyz, op{tag: "Operations", summary: "Database reachable and migrated", resp: "Health", errors: []int{503}, noAuth: true}},

		{"POST", "/api/auth/login", public, s.login, op{tag: "Sign-in", summary: "Sign in with login and password; sets the session cookie", body: "LoginRequest", resp: "Session", errors: []int{401, 429}, noAuth: true}},
		{"POST", "/api/auth/logout", public, s.logout, op{tag: "Sign-in", summary: "Sign out: closes the session", status: 204, noAuth: true}},
		{"GET", "/api/auth/session", public, s.currentSession, op{tag: "Sign-in", summary: "The signed-in browser session and its CSRF token", resp: "Session", errors: []int{401}}},

		{"GET", "/api/account/tokens", signedIn, s.listTokens, op{tag: "My account", summary: "List my API tokens", resp: "TokenList"}},
		{"POST", "/api/account/tokens", signedIn, s.createToken, op{tag: "My account", summary: "Create an API token (its secret is shown once)", body: "NewToken", resp: "CreatedToken", status: 201, errors: []int{403}}},
		{"DELETE", "/api/account/tokens/:id", signedIn, s.revokeToken, op{tag: "My account", summary: "Revoke an API token", status: 204}},
		{"PATCH", "/api/account/password", signedIn, s.changePassword, op{tag: "My account", summary: "Change my password (at least 10 characters); ends my other sessions, keeps this one", body: "PasswordChange", status: 204, errors: []int{429}}},

		{"GET", "/api/admin/settings", adminOnly, s.getSettings, op{tag: "Administration", summary: "API settings", resp: "Settings"}},
		{"PATCH", "/api/admin/settings", adminOnly, s.patchSettings, op{tag: "Administration", summary: "Change API settings (applies to the next request)", body: "SettingsPatch", resp: "Settings"}},

		{"GET", "/api/admin/events", adminOnly, s.eventCatalogue, op{tag: "Webhooks", summary: "The event catalogue, grouped by resource", resp: "EventCatalogue"}},
		{"GET", "/api/admin/webhooks", adminOnly, s.listWebhooks, op{tag: "Webhooks", summary: "List webhooks", resp: "WebhookList"}},
		{"POST", "/api/admin/webhooks", adminOnly, s.createWebhook, op{tag: "Webhooks", summary: "Create a webhook", body: "WebhookCreate", resp: "Webhook", status: 201}},
		{"GET", "/api/admin/webhooks/:id", adminOnly, s.getWebhook, op{tag: "Webhooks", summary: "A webhook (the secret shows only as secretSet and its last 4 characters)", resp: "Webhook"}},
		{"PATCH", "/api/admin/webhooks/:id", adminOnly, s.updateWebhook, op{tag: "Webhooks", summary: "Change a webhook", body: "WebhookPatch", resp: "Webhook"}},
		{"POST", "/api/admin/webhooks/:id/test", adminOnly, s.testWebhook, op{tag: "Webhooks", summary: "Send one signed sample delivery of an event now (even to a disabled webhook) and answer the attempt", body: "TestFire", resp: "Delivery"}},
		{"POST", "/api/admin/webhooks/:id/replay", adminOnly, s.replay, op{tag: "Webhooks", summary: "Send again every failed delivery since a time", body: "Replay", resp: "Queued", status: 202}},
		{"POST", "/api/admin/deliveries/:id/redeliver", adminOnly, s.redeliver, op{tag: "Webhooks", summary: "Send a delivery again now (same webhook-id)", resp: "Queued", status: 202}},
		{"GET", "/api/admin/webhooks/:id/deliveries", adminOnly, s.listDeliveries, op{tag: "Webhooks", summary: "Recent delivery attempts, newest first, of one outcome and one event when asked (paged with limit and before)", resp: "DeliveryList", errors: []int{422},
			query: []obj{
				{"name": "limit", "in": "query", "description": "At most this many attempts", "schema": obj{"type": "integer", "minimum": 1, "maximum": 100, "default": 25}},
				{"name": "before", "in": "query", "description": "Only attempts older than this attempt id: the last id of the previous page", "schema": obj{"type": "integer", "minimum": 1}},
				{"name": "outcome", "in": "query", "description": "Only attempts with this outcome (as the stream's delivery events name them); another value is a 422 naming outcome", "schema": obj{"type": "string", "enum": dispatch.Outcomes}},
				{"name": "event", "in": "query", "description": "Only attempts of this event (a name from GET /api/admin/events); another value is a 422 naming event", "schema": obj{"type": "string", "examples": []string{"work_package:created"}}},
			}}},
		{"GET", "/api/admin/webhooks/:id/stats", adminOnly, s.webhookStats, op{tag: "Webhooks", summary: "Attempts per time bucket since a time (default 24 hours ago; about 60 buckets): counts by outcome and latency p50/p95/p99, for the chart; tests left out", resp: "DeliveryStats", errors: []int{400, 422},
			query: []obj{{"name": "since", "in": "query", "description": "RFC 3339 start of the span; default 24 hours ago", "schema": obj{"type": "string", "format": "date-time"}}}}},
		{"GET", "/api/admin/deliveries", adminOnly, s.findDelivery, op{tag: "Webhooks", summary: "The delivery a receiver logged, by its webhook-id header, with its attempts", resp: "DeliveryDetail", errors: []int{400, 404, 422},
			query: []obj{{"name": "messageId", "in": "query", "required": true, "description": "The webhook-id header of the request: msg_<event>_<webhook>, or msg_test_<delivery>", "schema": obj{"type": "string", "maxLength": 64, "examples": []string{"msg_123_4"}}}}}},
		{"GET", "/api/admin/deliveries/:id", adminOnly, s.getDelivery, op{tag: "Webhooks", summary: "A delivery with its attempts, newest first", resp: "DeliveryDetail"}},
		{"GET", "/api/admin/stream", adminOnly, s.stream, op{tag: "Webhooks", summary: "Live updates as server-sent events: delivery (an attempt was recorded: LiveDelivery), webhook (created, updated, disabled, deleted: LiveWebhook), settings (Settings), resync (events were missed: read the state again); a comment every 15 s. Events of this process only", stream: true}},
		{"DELETE", "/api/admin/webhooks/:id", adminOnly, s.deleteWebhook, op{tag: "Webhooks", summary: "Delete a webhook", status: 204}},

		{"GET", "/api/v3", signedIn, s.root, op{tag: "Root", summary: "API root", resp: "Root", hal: true}},
		{"GET", "/api/v3/users", adminOnly, s.listUsers, op{tag: "Users", summary: "List users (administrators only)", resp: "UserCollection", hal: true, paged: true, filters: auth.UserFields}},
		{"GET", "/api/v3/users/me", signedIn, s.me, op{tag: "Users", summary: "The current user", resp: "User", hal: true}},
		{"GET", "/api/v3/users/:id", signedIn, s.user, op{tag: "Users", summary: "A user", resp: "User", hal: true}},

		{"GET", "/api/v3/projects", signedIn, s.listProjects, op{tag: "Projects", summary: "List projects", resp: "ProjectCollection", hal: true, paged: true, filters: tracker.ProjectFields}},
		{"POST", "/api/v3/projects", signedIn, halCreate(hal.ParseProject, s.Tracker.CreateProject, hal.Project), op{tag: "Projects", summary: "Create a project (administrators)", body: "ProjectCreate", resp: "Project", status: 201, errors: []int{403}, hal: true}},
		// Forms and schemas (before /api/v3/projects/:id, /api/v3/work_packages/:id
		// and /api/v3/time_entries/:id, which would take their last segment).
		// A form answers 200 with the write's validation errors and writes nothing.
		{"GET", "/api/v3/projects/schema", signedIn, s.projectSchema, op{tag: "Projects", summary: "The schema of projects: each property's type, name, whether it is required, has a default, is writable, its bounds and allowed values", resp: "Schema", hal: true}},
		{"POST", "/api/v3/projects/form", signedIn, s.projectForm, op{tag: "Projects", summary: "Validate a project create without creating (administrators): the payload with the identifier it would derive, the schema, the validation errors", body: "ProjectCreate", resp: "Form", errors: []int{403}, hal: true}},
		{"POST", "/api/v3/projects/:id/form", signedIn, s.projectForm, op{tag: "Projects", summary: "Validate a project update without changing it (administrators)", body: "ProjectPatch", resp: "Form", errors: []int{403}, hal: true}},
		{"POST", "/api/v3/projects/:id/work_packages/form", signedIn, s.workPackageCreateForm, op{tag: "Work packages", summary: "Validate a work package create in a project without creating", body: "WorkPackageCreateInProject", resp: "Form", hal: true}},
		{"POST", "/api/v3/work_packages/form", signedIn, s.workPackageCreateForm, op{tag: "Work packages", summary: "Validate a work package create without creating: payload, schema with allowed values, validation errors", body: "WorkPackageCreate", resp: "Form", hal: true}},
		{"POST", "/api/v3/work_packages/:id/form", signedIn, s.workPackageUpdateForm, op{tag: "Work packages", summary: "Validate a work package update without changing it (its author, its assignee or an administrator; send its lockVersion)", body: "WorkPackagePatch", resp: "Form", errors: []int{403, 409}, hal: true}},
		{"GET", "/api/v3/work_packages/schemas", signedIn, s.listWorkPackageSchemas, op{tag: "Work packages", summary: "Work package schemas by id: filters=[{\"id\":{\"operator\":\"=\",\"values\":[\"1-1\"]}}] (required; ids are <project id>-<type id>)", resp: "SchemaCollection", errors: []int{400, 431}, hal: true,
			query: []obj{{"name": "filters", "in": "query", "required": true, "description": "An id filter: schema ids <project id>-<type id>", "schema": obj{"type": "string", "examples": []string{`[{"id":{"operator":"=","values":["1-1"]}}]`}}}}}},
		{"GET", "/api/v3/work_packages/schemas/:identifier", signedIn, s.getWorkPackageSchema, op{tag: "Work packages", summary: "The schema of a type's work packages in a project, with the values their links may take", resp: "Schema", hal: true}},
		{"GET", "/api/v3/time_entries/schema", signedIn, s.timeEntrySchema, op{tag: "Time entries", summary: "The schema of time entries", resp: "Schema", hal: true}},
		{"POST", "/api/v3/time_entries/form", signedIn, s.timeEntryForm, op{tag: "Time entries", summary: "Validate a time entry without logging it", body: "TimeEntryCreate", resp: "Form", hal: true}},
		{"POST", "/api/v3/render/markdown", signedIn, s.renderMarkdown, op{tag: "Root", summary: "Render a Markdown text (the body, as text/plain) as the html of a formattable text: the previewMarkup of work package forms", html: true, errors: []int{400, 413}}},
		{"POST", "/api/v3/time_entries/:id/form", signedIn, s.timeEntryForm, op{tag: "Time entries", summary: "Validate a time entry update without changing it (its user or an administrator)", body: "TimeEntryPatch", resp: "Form", errors: []int{403}, hal: true}},

		{"GET", "/api/v3/projects/:id", signedIn, halGet(s.Tracker.Project, hal.Project), op{tag: "Projects", summary: "A project", resp: "Project", hal: true}},
		{"PATCH", "/api/v3/projects/:id", signedIn, halUpdate(hal.ParseProject, s.Tracker.UpdateProject, hal.Project), op{tag: "Projects", summary: "Change a project (administrators)", body: "ProjectPatch", resp: "Project", errors: []int{403}, hal: true}},
		{"DELETE", "/api/v3/projects/:id", signedIn, deleteByID(s.Tracker.DeleteProject), op{tag: "Projects", summary: "Delete a project with its work packages (administrators)", status: 204, errors: []int{403, 422}}},
		{"GET", "/api/v3/projects/:id/work_packages", signedIn, s.listWorkPackages, op{tag: "Work packages", summary: "List a project's work packages", resp: "WorkPackageCollection", hal: true, paged: true, filters: tracker.WorkPackageFields}},
		{"POST", "/api/v3/projects/:id/work_packages", signedIn, s.createWorkPackage, op{tag: "Work packages", summary: "Create a work package in a project", body: "WorkPackageCreateInProject", resp: "WorkPackage", status: 201, hal: true}},

		{"GET", "/api/v3/work_packages", signedIn, s.listWorkPackages, op{tag: "Work packages", summary: "List work packages", resp: "WorkPackageCollection", hal: true, paged: true, filters: tracker.WorkPackageFields}},
		{"POST", "/api/v3/work_packages", signedIn, s.createWorkPackage, op{tag: "Work packages", summary: "Create a work package", body: "WorkPackageCreate", resp: "WorkPackage", status: 201, hal: true}},
		{"GET", "/api/v3/work_packages/:id", signedIn, s.getWorkPackage, op{tag: "Work packages", summary: "A work package, with its linked resources embedded", resp: "WorkPackage", hal: true}},
		{"PATCH", "/api/v3/work_packages/:id", signedIn, halUpdate(hal.ParseWorkPackage, s.Tracker.UpdateWorkPackage, embedded), op{tag: "Work packages", summary: "Change a work package (its author, its assignee or an administrator; send its lockVersion)", body: "WorkPackagePatch", resp: "WorkPackage", errors: []int{403, 409}, hal: true}},
		{"DELETE", "/api/v3/work_packages/:id", signedIn, deleteByID(s.Tracker.DeleteWorkPackage), op{tag: "Work packages", summary: "Delete a work package with its comments, attachments and time entries (its author or assignee; an administrator when it carries other users' time)", status: 204, errors: []int{403}}},
		{"GET", "/api/v3/work_packages/:id/activities", signedIn, s.listActivities, op{tag: "Comments", summary: "A work package's comments", resp: "ActivityCollection", hal: true}},
		{"POST", "/api/v3/work_packages/:id/activities", signedIn, s.addComment, op{tag: "Comments", summary: "Comment on a work package", body: "CommentCreate", resp: "Activity", status: 201, hal: true}},
		{"GET", "/api/v3/activities/:id", signedIn, halGet(s.Tracker.Comment, comment), op{tag: "Comments", summary: "A comment", resp: "Activity", hal: true}},
		{"GET", "/api/v3/work_packages/:id/attachments", signedIn, s.listAttachments, op{tag: "Attachments", summary: "A work package's attachments", resp: "AttachmentCollection", hal: true}},
		{"POST", "/api/v3/work_packages/:id/attachments", signedIn, s.addAttachment, op{tag: "Attachments", summary: "Attach a file (multipart: metadata and file; the work package's author, its assignee or an administrator)", body: "AttachmentUpload", multipart: true, resp: "Attachment", status: 201, errors: []int{403}, hal: true}},
		{"GET", "/api/v3/attachments/:id", signedIn, halGet(s.attachment, hal.Attachment), op{tag: "Attachments", summary: "An attachment's metadata", resp: "Attachment", hal: true}},
		{"GET", "/api/v3/attachments/:id/content", signedIn, s.attachmentContent, op{tag: "Attachments", summary: "Download an attachment's file", binary: true}},
		{"DELETE", "/api/v3/attachments/:id", signedIn, deleteByID(s.Tracker.DeleteAttachment), op{tag: "Attachments", summary: "Delete an attachment (its author or an administrator)", status: 204, errors: []int{403}}},

		{"GET", "/api/v3/time_entries", signedIn, s.listTimeEntries, op{tag: "Time entries", summary: "List time entries", resp: "TimeEntryCollection", hal: true, paged: true, filters: tracker.TimeEntryFields}},
		{"POST", "/api/v3/time_entries", signedIn, halCreate(hal.ParseTimeEntry, s.Tracker.CreateTimeEntry, hal.TimeEntry), op{tag: "Time entries", summary: "Log time", body: "TimeEntryCreate", resp: "TimeEntry", status: 201, hal: true}},
		{"GET", "/api/v3/time_entries/:id", signedIn, halGet(s.Tracker.TimeEntry, hal.TimeEntry), op{tag: "Time entries", summary: "A time entry", resp: "TimeEntry", hal: true}},
		{"PATCH", "/api/v3/time_entries/:id", signedIn, halUpdate(hal.ParseTimeEntry, s.Tracker.UpdateTimeEntry, hal.TimeEntry), op{tag: "Time entries", summary: "Change a time entry (its user or an administrator)", body: "TimeEntryPatch", resp: "TimeEntry", errors: []int{403}, hal: true}},
		{"DELETE", "/api/v3/time_entries/:id", signedIn, deleteByID(s.Tracker.DeleteTimeEntry), op{tag: "Time entries", summary: "Delete a time entry (its user or an administrator)", status: 204, errors: []int{403}}},

		{"GET", "/api/v3/time_entries/activities/:id", signedIn, halGet(s.Tracker.TimeEntryActivity, hal.TimeEntryActivity), op{tag: "Time entries", summary: "A time entry activity (Management, Specification, Development, Testing, Support, Other) with the projects it is active in", resp: "TimeEntriesActivity", hal: true}},
		{"GET", "/api/v3/time_entries/activity/:id", signedIn, halGet(s.Tracker.TimeEntryActivity, hal.TimeEntryActivity), op{tag: "Time entries", summary: "A time entry activity, at the path OpenProject's documentation names (its links use /api/v3/time_entries/activities/{id})", resp: "TimeEntriesActivity", hal: true}},
		{"GET", "/api/v3/projects/:id/types", signedIn, s.projectTypes, op{tag: "Statuses, types, priorities", summary: "The types available in a project: every type", resp: "TypeCollection", hal: true}},
		{"GET", "/api/v3/projects/:id/categories", signedIn, s.projectCategories, op{tag: "Projects", summary: "A project's work package categories", resp: "CategoryCollection", hal: true}},
		{"GET", "/api/v3/categories/:id", signedIn, halGet(s.Tracker.Category, hal.Category), op{tag: "Projects", summary: "A work package category", resp: "Category", hal: true}},
		{"GET", "/api/v3/projects/:id/available_assignees", signedIn, s.availableAssignees, op{tag: "Users", summary: "The users work packages of a project can be assigned to: the active users", resp: "AssigneeCollection", hal: true}},
		{"GET", "/api/v3/principals", signedIn, s.listPrincipals, op{tag: "Users", summary: "List principals (Hookpost's are its users; every active user is a member of every project). Filters: id, type, name, any_name_attribute, status (1 active, 3 locked), member (project ids)", resp: "UserCollection", hal: true, paged: true, filters: tracker.PrincipalFields()}},
		{"POST", "/api/v3/work_packages/:id/relations", signedIn, s.createRelation, op{tag: "Work packages", summary: "Relate a work package to another (the author or assignee of one of them, or an administrator); 409 when they are already related", body: "RelationCreate", resp: "Relation", status: 201, errors: []int{403, 409}, hal: true}},
		{"GET", "/api/v3/work_packages/:id/relations", signedIn, s.listWorkPackageRelations, op{tag: "Work packages", summary: "A work package's relations", resp: "WorkPackageRelationCollection", hal: true}},
		{"GET", "/api/v3/relations", signedIn, s.listRelations, op{tag: "Work packages", summary: "List relations between work packages you can see. Filters: id, from, to, involved, type", resp: "RelationCollection", hal: true, paged: true, filters: tracker.RelationFilters()}},
		{"GET", "/api/v3/relations/:id", signedIn, halGet(s.Tracker.Relation, embeddedRelation), op{tag: "Work packages", summary: "A relation, with its work packages embedded", resp: "Relation", hal: true}},
		{"PATCH", "/api/v3/relations/:id", signedIn, halUpdate(hal.ParseRelation, s.Tracker.UpdateRelation, embeddedRelation), op{tag: "Work packages", summary: "Change a relation's type, description or lag (its work packages never change)", body: "RelationPatch", resp: "Relation", errors: []int{403}, hal: true}},
		{"DELETE", "/api/v3/relations/:id", signedIn, deleteByID(s.Tracker.DeleteRelation), op{tag: "Work packages", summary: "Delete a relation", status: 204, errors: []int{403}}},
		{"PATCH", "/api/v3/activities/:id", signedIn, halUpdate(hal.ParseCommentPatch, s.Tracker.UpdateComment, comment), op{tag: "Comments", summary: "Edit a comment (its author or an administrator)", body: "CommentPatch", resp: "Activity", errors: []int{403}, hal: true}},

		{"GET", "/api/v3/statuses", signedIn, s.listStatuses, op{tag: "Statuses, types, priorities", summary: "List statuses", resp: "StatusCollection", hal: true}},
		{"GET", "/api/v3/statuses/:id", signedIn, enumHandler(s.Tracker.Status, hal.Status), op{tag: "Statuses, types, priorities", summary: "A status", resp: "Status", hal: true}},
		{"GET", "/api/v3/types", signedIn, s.listTypes, op{tag: "Statuses, types, priorities", summary: "List types", resp: "TypeCollection", hal: true}},
		{"GET", "/api/v3/types/:id", signedIn, enumHandler(s.Tracker.Type, hal.Type), op{tag: "Statuses, types, priorities", summary: "A type", resp: "Type", hal: true}},
		{"GET", "/api/v3/priorities", signedIn, s.listPriorities, op{tag: "Statuses, types, priorities", summary: "List priorities", resp: "PriorityCollection", hal: true}},
		{"GET", "/api/v3/priorities/:id", signedIn, enumHandler(s.Tracker.Priority, hal.Priority), op{tag: "Statuses, types, priorities", summary: "A priority", resp: "Priority", hal: true}},

		{"GET", "/api/v3/openapi.json", public, s.openAPI, op{tag: "Root", summary: "This OpenAPI document (JSON)", resp: "OpenAPI", noAuth: true}},
		{"GET", "/api/v3/spec.json", public, s.openAPI, op{tag: "Root", summary: "This OpenAPI document (JSON)", resp: "OpenAPI", noAuth: true}},
		{"GET", "/api/v3/spec.yml", public, s.openAPIYAMLHandler, op{tag: "Root", summary: "This OpenAPI document (YAML)", resp: "OpenAPI", yaml: true, noAuth: true}},
		{"GET", "/api/docs", public, s.docs, op{tag: "Root", summary: "Interactive API documentation (when enabled in the API settings)", html: true, errors: []int{404}, noAuth: true}},
	}
}
