// Schemas of the tracker resources and webhooks for the OpenAPI document.

package httpapi

import "github.com/hookpost/hookpost/backend/outbox"

func links(required ...string) obj {
	props := obj{}
	for _, name := range required {
		props[name] = obj{"oneOf": []obj{ref("Link"), {"type": "array", "items": ref("Link")}}}
	}
	return obj{"type": "object", "required": required, "properties": props, "additionalProperties": obj{
		"oneOf": []obj{ref("Link"), {"type": "array", "items": ref("Link")}}}}
}

func hrefLink(prefix string) obj {
	return obj{"type": "object", "properties": obj{"href": obj{"type": []string{"string", "null"}, "examples": []string{prefix + "1"}}}}
}

func trackerSchemas() obj {
	dateTime := obj{"type": "string", "format": "date-time"}
	date := obj{"type": []string{"string", "null"}, "format": "date"}
	duration := obj{"type": []string{"string", "null"}, "format": "duration", "examples": []string{"PT4H"}}
	formattable := ref("Formattable")
	return obj{
		"Formattable": obj{"type": "object", "required": []string{"format"}, "properties": obj{
			"format": obj{"enum": []string{"plain", "markdown", "custom"}}, "raw": obj{"type": "string"}, "html": obj{"type": "string", "readOnly": true}}},
		"FormattableWrite": obj{"type": "object", "required": []string{"raw"}, "properties": obj{"raw": obj{"type": "string"}}},
		"Status": obj{"type": "object", "required": []string{"_type", "id", "name", "_links"}, "properties": obj{
			"_type": obj{"const": "Status"}, "id": obj{"type": "integer"}, "name": obj{"type": "string"}, "isClosed": obj{"type": "boolean"},
			"color": obj{"type": []string{"string", "null"}}, "isDefault": obj{"type": "boolean"}, "isReadonly": obj{"type": "boolean"},
			"defaultDoneRatio": obj{"type": "integer"}, "position": obj{"type": "integer"}, "_links": links("self")}},
		"Type": obj{"type": "object", "required": []string{"_type", "id", "name", "_links"}, "properties": obj{
			"_type": obj{"const": "Type"}, "id": obj{"type": "integer"}, "name": obj{"type": "string"}, "color": obj{"type": []string{"string", "null"}},
			"position": obj{"type": "integer"}, "isDefault": obj{"type": "boolean"}, "isMilestone": obj{"type": "boolean"},
			"createdAt": dateTime, "updatedAt": dateTime, "_links": links("self")}},
		"Priority": obj{"type": "object", "required": []string{"_type", "id", "name", "_links"}, "properties": obj{
			"_type": obj{"const": "Priority"}, "id": obj{"type": "integer"}, "name": obj{"type": "string"}, "position": obj{"type": "integer"},
			"isDefault": obj{"type": "boolean"}, "isActive": obj{"type": "boolean"}, "_links": links("self")}},
		"StatusCollection":   collectionSchema("Status"),
		"TypeCollection":     collectionSchema("Type"),
		"PriorityCollection": collectionSchema("Priority"),
		"Project": obj{"type": "object", "required": []string{"_type", "id", "identifier", "name", "_links"}, "properties": obj{
			"_type": obj{"const": "Project"}, "id": obj{"type": "integer"}, "identifier": obj{"type": "string"}, "name": obj{"type": "string"},
			"active": obj{"type": "boolean"}, "public": obj{"type": "boolean"}, "description": formattable, "statusExplanation": formattable,
			"createdAt": dateTime, "updatedAt": dateTime, "_links": links("self")}},
		"ProjectCollection": collectionSchema("Project"),
		"ProjectWrite": obj{"type": "object", "properties": obj{
			"identifier": obj{"type": "string", "pattern": "^[a-z][a-z0-9_-]*$", "maxLength": 100}, "name": obj{"type": "string", "maxLength": 255},
			"description": ref("FormattableWrite"), "active": obj{"type": "boolean"}, "public": obj{"type": "boolean"},
			"createdAt": obj{"type": "string", "format": "date-time", "description": "On creation, by administrators, when writeReadonlyAttributes is on."},
			"_links":    obj{"type": "object", "properties": obj{"parent": hrefLink("/api/v3/projects/")}}}},
		"WorkPackage": obj{"type": "object", "required": []string{"_type", "id", "subject", "lockVersion", "_links"}, "properties": obj{
			"_type": obj{"const": "WorkPackage"}, "id": obj{"type": "integer"}, "lockVersion": obj{"type": "integer"},
			"subject": obj{"type": "string"}, "description": formattable, "scheduleManually": obj{"type": "boolean"},
			"startDate": date, "dueDate": date, "estimatedTime": duration, "spentTime": obj{"type": "string", "format": "duration"},
			"percentageDone": obj{"type": []string{"integer", "null"}, "minimum": 0, "maximum": 100},
			"createdAt":      dateTime, "updatedAt": dateTime,
			"_links": links("self", "schema", "ancestors", "author", "priority", "project", "status", "type"),
			"_embedded": obj{"type": "object", "properties": obj{"project": ref("Project"), "type": ref("Type"), "status": ref("Status"),
				"priority": ref("Priority"), "author": ref("User"), "assignee": ref("User")}}}},
		"WorkPackageCollection": collectionSchema("WorkPackage"),
		"WorkPackageWrite": obj{"type": "object", "properties": obj{
			"subject": obj{"type": "string", "maxLength": 255}, "description": ref("FormattableWrite"),
			"startDate": date, "dueDate": date, "estimatedTime": duration,
			"percentageDone": obj{"type": []string{"integer", "null"}, "minimum": 0, "maximum": 100},
			"lockVersion":    obj{"type": "integer", "description": "Required on PATCH: the lockVersion you read; 409 if it changed since."},
			"createdAt":      obj{"type": "string", "format": "date-time", "description": "On creation, by administrators, when writeReadonlyAttributes is on."},
			"_links": obj{"type": "object", "properties": obj{"project": hrefLink("/api/v3/projects/"), "type": hrefLink("/api/v3/types/"),
				"status": hrefLink("/api/v3/statuses/"), "priority": hrefLink("/api/v3/priorities/"), "assignee": hrefLink("/api/v3/users/"),
				"author": hrefLink("/api/v3/users/")}}}},
		"Activity": obj{"type": "object", "required": []string{"_type", "id", "comment", "_links"}, "properties": obj{
			"_type": obj{"const": "Activity::Comment"}, "id": obj{"type": "integer"}, "version": obj{"type": "integer"},
			"comment": formattable, "details": obj{"type": "array", "items": formattable}, "internal": obj{"type": "boolean"},
			"createdAt": dateTime, "updatedAt": dateTime, "_links": links("self", "workPackage", "user")}},
		"ActivityCollection": collectionSchema("Activity"),
		"CommentWrite":       obj{"type": "object", "required": []string{"comment"}, "properties": obj{"comment": ref("FormattableWrite")}},
		"TimeEntry": obj{"type": "object", "required": []string{"_type", "id", "hours", "spentOn", "_links"}, "properties": obj{
			"_type": obj{"const": "TimeEntry"}, "id": obj{"type": "integer"}, "comment": formattable,
			"spentOn": obj{"type": "string", "format": "date"}, "hours": obj{"type": "string", "format": "duration"}, "ongoing": obj{"type": "boolean"},
			"createdAt": dateTime, "updatedAt": dateTime, "_links": links("self", "project", "user", "activity", "entity")}},
		"TimeEntryCollection": collectionSchema("TimeEntry"),
		"TimeEntryWrite": obj{"type": "object", "properties": obj{
			"hours": obj{"type": "string", "format": "duration", "examples": []string{"PT1H30M"}}, "spentOn": obj{"type": "string", "format": "date"},
			"comment": ref("FormattableWrite"), "createdAt": obj{"type": "string", "format": "date-time"},
			"_links": obj{"type": "object", "properties": obj{"project": hrefLink("/api/v3/projects/"),
				"workPackage": hrefLink("/api/v3/work_packages/"), "user": hrefLink("/api/v3/users/")}}}},
		"Attachment": obj{"type": "object", "required": []string{"_type", "id", "fileName", "fileSize", "contentType", "digest", "_links"}, "properties": obj{
			"_type": obj{"const": "Attachment"}, "id": obj{"type": "integer"}, "fileName": obj{"type": "string"}, "fileSize": obj{"type": "integer"},
			"description": formattable, "status": obj{"type": "string"}, "contentType": obj{"type": "string"},
			"digest":    obj{"type": "object", "properties": obj{"algorithm": obj{"type": "string"}, "hash": obj{"type": "string"}}},
			"createdAt": dateTime, "_links": links("self", "container", "author", "downloadLocation")}},
		"AttachmentCollection": collectionSchema("Attachment"),
		"AttachmentUpload": obj{"type": "object", "required": []string{"file"}, "properties": obj{
			"metadata": obj{"type": "string", "description": `JSON: {"fileName": "report.pdf", "description": {"raw": "..."}}`},
			"file":     obj{"type": "string", "contentMediaType": "application/octet-stream", "description": "The file; at most 16 MiB."}}},
	}
}

func webhookSchemas() obj {
	eventNames := []string{}
	for _, r := range outbox.Catalogue {
		for _, e := range r.Events {
			eventNames = append(eventNames, e.Name)
		}
	}
	return obj{
		"Webhook": obj{"type": "object", "properties": obj{
			"id": obj{"type": "integer"}, "name": obj{"type": "string"}, "url": obj{"type": "string", "format": "uri"},
			"description": obj{"type": "string"}, "secretSet": obj{"type": "boolean"}, "secretLast4": obj{"type": "string"},
			"rotatingUntil": obj{"type": []string{"string", "null"}, "format": "date-time", "description": "While the replaced secret still signs too."},
			"enabled":       obj{"type": "boolean"}, "events": obj{"type": "array", "items": obj{"enum": eventNames}},
			"allProjects": obj{"type": "boolean"}, "projectIds": obj{"type": "array", "items": obj{"type": "integer"}},
			"createdAt": obj{"type": "string", "format": "date-time"}, "updatedAt": obj{"type": "string", "format": "date-time"},
			"status": obj{"type": "object", "properties": obj{"state": obj{"enum": []string{"enabled", "disabled"}}, "reason": obj{"type": "string"}}}}},
		"Replay":       obj{"type": "object", "required": []string{"since"}, "properties": obj{"since": obj{"type": "string", "format": "date-time"}}},
		"Queued":       obj{"type": "object", "properties": obj{"queued": obj{"type": "integer"}}},
		"TestFire":     obj{"type": "object", "required": []string{"event"}, "properties": obj{"event": obj{"enum": eventNames}}},
		"DeliveryList": obj{"type": "object", "properties": obj{"deliveries": obj{"type": "array", "items": ref("Delivery")}}},
		"Delivery": obj{"type": "object", "properties": obj{
			"id": obj{"type": "integer"}, "deliveryId": obj{"type": "integer"}, "webhookId": obj{"type": "integer"}, "attempt": obj{"type": "integer"},
			"event": obj{"type": "string"}, "url": obj{"type": "string"},
			"requestHeaders": obj{"type": "object", "additionalProperties": obj{"type": "string"}}, "requestBody": obj{"type": "string"},
			"responseCode":    obj{"type": "integer", "description": "-1 when there was no response"},
			"responseHeaders": obj{"type": "object", "additionalProperties": obj{"type": "string"}}, "responseBody": obj{"type": "string", "description": "At most 64 KiB"},
			"error": obj{"type": "string"}, "durationMs": obj{"type": "number"}, "nextRetryAt": obj{"type": []string{"string", "null"}, "format": "date-time"},
			"test": obj{"type": "boolean"}, "createdAt": obj{"type": "string", "format": "date-time"}}},
		"WebhookList": obj{"type": "object", "properties": obj{"webhooks": obj{"type": "array", "items": ref("Webhook")}}},
		"WebhookWrite": obj{"type": "object", "additionalProperties": false, "properties": obj{
			"name":        obj{"type": "string", "maxLength": 255, "description": "Required; unique ignoring case."},
			"url":         obj{"type": "string", "format": "uri", "description": "Required; absolute http(s) URL."},
			"description": obj{"type": "string"}, "secret": obj{"type": "string", "maxLength": 255, "description": "Write-only."},
			"enabled": obj{"type": "boolean", "default": true}, "events": obj{"type": "array", "items": obj{"enum": eventNames}},
			"allProjects": obj{"type": "boolean", "default": true}, "projectIds": obj{"type": "array", "items": obj{"type": "integer"}}}},
		"EventCatalogue": obj{"type": "object", "properties": obj{"resources": obj{"type": "array", "items": obj{"type": "object", "properties": obj{
			"resource": obj{"type": "string"}, "label": obj{"type": "string"}, "payloadKey": obj{"type": "string"},
			"events": obj{"type": "array", "items": obj{"type": "object", "properties": obj{"name": obj{"type": "string"}, "label": obj{"type": "string"}}}}}}}}},
	}
}
