// Schemas of the tracker resources and webhooks for the OpenAPI document.

package httpapi

import (
	"fmt"

	"github.com/hookpost/hookpost/backend/outbox"
	"github.com/hookpost/hookpost/backend/tracker"
)

func links(required ...string) obj {
	props := obj{}
	for _, name := range required {
		props[name] = obj{"oneOf": []obj{ref("Link"), {"type": "array", "items": ref("Link")}}}
	}
	return obj{"type": "object", "required": required, "properties": props, "additionalProperties": obj{
		"oneOf": []obj{ref("Link"), {"type": "array", "items": ref("Link")}}}}
}

func trackerSchemas() obj {
	dateTime := obj{"type": "string", "format": "date-time"}
	date := obj{"type": []string{"string", "null"}, "format": "date"}
	duration := obj{"type": []string{"string", "null"}, "format": "duration", "examples": []string{"PT4H"}}
	formattable := ref("Formattable")
	return obj{
		"Formattable": obj{"type": "object", "required": []string{"format"}, "properties": obj{
			"format": obj{"enum": []string{"plain", "markdown", "custom"}}, "raw": obj{"type": "string"}, "html": obj{"type": "string", "readOnly": true}}},
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
		"StatusCollection":   unpagedCollectionSchema("Status"),
		"TypeCollection":     unpagedCollectionSchema("Type"),
		"PriorityCollection": unpagedCollectionSchema("Priority"),
		"Project": obj{"type": "object", "required": []string{"_type", "id", "identifier", "name", "_links"}, "properties": obj{
			"_type": obj{"const": "Project"}, "id": obj{"type": "integer"}, "identifier": obj{"type": "string"}, "name": obj{"type": "string"},
			"active": obj{"type": "boolean"}, "public": obj{"type": "boolean"}, "description": formattable, "statusExplanation": formattable,
			"createdAt": dateTime, "updatedAt": dateTime, "_links": links("self"),
			"_embedded": obj{"type": "object", "description": "Single representations and webhook payloads only", "properties": obj{"parent": ref("Project")}}}},
		"ProjectCollection": collectionSchema("Project"),
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
		"Activity": obj{"type": "object", "required": []string{"_type", "id", "comment", "_links"}, "properties": obj{
			"_type": obj{"enum": []string{"Activity", "Activity::Comment"}, "description": "Activity::Comment when it carries a comment; Activity for a creation or change journal"},
			"id":    obj{"type": "integer"}, "version": obj{"type": "integer"},
			"comment": formattable, "details": obj{"type": "array", "items": formattable}, "internal": obj{"type": "boolean"},
			"createdAt": dateTime, "updatedAt": dateTime, "_links": links("self", "workPackage", "user"),
			"_embedded": obj{"type": "object", "description": "Single representations and webhook payloads only", "properties": obj{"workPackage": ref("WorkPackage")}}}},
		"ActivityCollection": unpagedCollectionSchema("Activity"),
		"TimeEntry": obj{"type": "object", "required": []string{"_type", "id", "hours", "spentOn", "_links"}, "properties": obj{
			"_type": obj{"const": "TimeEntry"}, "id": obj{"type": "integer"}, "comment": formattable,
			"spentOn": obj{"type": "string", "format": "date"}, "hours": obj{"type": "string", "format": "duration"}, "ongoing": obj{"type": "boolean"},
			"createdAt": dateTime, "updatedAt": dateTime, "_links": links("self", "project", "user", "activity", "entity"),
			"_embedded": obj{"type": "object", "description": "Single representations and webhook payloads only", "properties": obj{
				"project": ref("Project"), "workPackage": ref("WorkPackage"), "user": ref("User")}}}},
		"TimeEntryCollection": collectionSchema("TimeEntry"),
		"Attachment": obj{"type": "object", "required": []string{"_type", "id", "fileName", "fileSize", "contentType", "digest", "_links"}, "properties": obj{
			"_type": obj{"const": "Attachment"}, "id": obj{"type": "integer"}, "fileName": obj{"type": "string"}, "fileSize": obj{"type": "integer"},
			"description": formattable, "status": obj{"type": "string"}, "contentType": obj{"type": "string"},
			"digest":    obj{"type": "object", "properties": obj{"algorithm": obj{"type": "string"}, "hash": obj{"type": "string"}}},
			"createdAt": dateTime, "_links": links("self", "container", "author", "downloadLocation"),
			"_embedded": obj{"type": "object", "description": "Single representations and webhook payloads only", "properties": obj{
				"container": ref("WorkPackage"), "author": ref("User")}}}},
		"AttachmentCollection": unpagedCollectionSchema("Attachment"),
		"AttachmentUpload": obj{"type": "object", "required": []string{"file"}, "properties": obj{
			"metadata": obj{"type": "string", "contentMediaType": "application/json", "contentSchema": obj{
				"type": "object", "additionalProperties": false, "properties": obj{
					"fileName":    obj{"type": "string", "minLength": 1, "maxLength": tracker.MaxNameLength, "description": "Defaults to the file part's name."},
					"contentType": obj{"type": "string", "description": "Detected from the content when left out."},
					"description": obj{"type": "object", "properties": obj{"raw": obj{"type": "string", "maxLength": tracker.MaxAttachmentDescriptionLength}}}}},
				"description": `JSON: {"fileName": "report.pdf", "description": {"raw": "..."}}`},
			"file": obj{"type": "string", "contentMediaType": "application/octet-stream",
				"description": fmt.Sprintf("The file; at most %d MiB.", tracker.MaxAttachmentSize>>20)}}},
	}
}

// eventNames are the catalogue's events, in its order.
func eventNames() []string {
	names := []string{}
	for _, r := range outbox.Catalogue {
		for _, e := range r.Events {
			names = append(names, e.Name)
		}
	}
	return names
}

func webhookSchemas() obj {
	return obj{
		"Queued":       obj{"type": "object", "properties": obj{"queued": obj{"type": "integer"}}},
		"DeliveryList": obj{"type": "object", "properties": obj{"deliveries": obj{"type": "array", "items": ref("Delivery")}}},
		"WebhookList":  obj{"type": "object", "properties": obj{"webhooks": obj{"type": "array", "items": ref("Webhook")}}},
		"EventCatalogue": obj{"type": "object", "properties": obj{"resources": obj{"type": "array", "items": obj{"type": "object", "properties": obj{
			"resource": obj{"type": "string"}, "label": obj{"type": "string"}, "payloadKey": obj{"type": "string"},
			"events": obj{"type": "array", "items": obj{"type": "object", "properties": obj{"name": obj{"type": "string"}, "label": obj{"type": "string"}}}}}}}}},
	}
}
