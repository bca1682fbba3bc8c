package httpapi

// requestExamples are the request bodies the docs page fills in for try-it,
// by request schema name. Examples generated from the schemas alone are of
// little use (a URL made from its pattern, "string" for a name, project 0);
// these are bodies a reader can send as they are to a server holding
// project, work package and webhook 1. TestRequestExamples sends them.
var requestExamples = map[string]any{
	"LoginRequest":   obj{"login": "admin", "password": "your password"},
	"NewToken":       obj{"name": "CI deploy"},
	"PasswordChange": obj{"currentPassword": "your current password", "newPassword": "a new passphrase of 10+ characters"},
	"SettingsPatch": obj{"maxPageSize": 500, "corsEnabled": true,
		"corsOrigins": []string{"https://app.example.com:8443"}},
	"WebhookCreate": obj{
		"name":        "Deploy bot",
		"url":         "https://hooks.example.com/openproject",
		"description": "Tells the deploy bot about new and changed work packages",
		"secret":      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
		"enabled":     true,
		"events":      []string{"work_package:created", "work_package:updated"},
		"allProjects": true,
		// A bot that mirrors work packages wants each one's changes in order.
		"ordered": true,
	},
	"WebhookPatch": obj{"events": []string{"work_package:created", "work_package_comment:comment"},
		"allProjects": false, "projectIds": []int{1}},
	"TestFire": obj{"event": "work_package:created"},
	"Replay":   obj{"since": "2026-11-01T00:00:00Z"},
	"ProjectCreate": obj{"identifier": "website", "name": "Website relaunch",
		"description": obj{"raw": "The new *website*, live in spring."}, "public": true},
	"ProjectPatch": obj{"name": "Website relaunch (phase 2)"},
	"WorkPackageCreate": obj{
		"subject":       "Write the release notes",
		"description":   obj{"raw": "Cover the **new API** and the upgrade steps."},
		"startDate":     "2026-12-01",
		"dueDate":       "2026-12-15",
		"estimatedTime": "PT6H",
		"_links": obj{
			"project":  obj{"href": "/api/v3/projects/1"},
			"type":     obj{"href": "/api/v3/types/1"},
			"priority": obj{"href": "/api/v3/priorities/2"},
		},
	},
	"WorkPackageCreateInProject": obj{
		"subject":     "Review the release notes",
		"description": obj{"raw": "Check the upgrade steps on a copy of production."},
		"_links":      obj{"type": obj{"href": "/api/v3/types/1"}},
	},
	"WorkPackagePatch": obj{"lockVersion": 0, "subject": "Write and publish the release notes",
		"percentageDone": 50},
	"CommentCreate": obj{"comment": obj{"raw": "Deployed to *staging*."}},
	"TimeEntryCreate": obj{"hours": "PT1H30M", "spentOn": "2026-11-28",
		"comment": obj{"raw": "Code review"},
		"_links":  obj{"workPackage": obj{"href": "/api/v3/work_packages/1"}}},
	"TimeEntryPatch": obj{"hours": "PT2H", "comment": obj{"raw": "Code review and fixes"},
		"_links": obj{"activity": obj{"href": "/api/v3/time_entries/activities/3"}}},
	"CommentPatch": obj{"comment": obj{"raw": "Deployed to *staging* and *production*."}},
	"RelationCreate": obj{"type": "follows", "lag": 2, "description": "Publish once the notes are written.",
		"_links": obj{"to": obj{"href": "/api/v3/work_packages/1"}}},
	"RelationPatch": obj{"description": "Publish once the notes are reviewed."},
}
