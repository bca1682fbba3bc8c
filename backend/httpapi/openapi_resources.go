// Schemas of the everyday resources beside the main ones, for the OpenAPI
// document: time entry activities, categories, relations.

package httpapi

import "github.com/hookpost/hookpost/backend/tracker"

func resourceSchemas() obj {
	return obj{
		"TimeEntriesActivity": obj{"type": "object", "required": []string{"_type", "id", "name", "position", "default", "_embedded", "_links"}, "properties": obj{
			"_type": obj{"const": "TimeEntriesActivity"}, "id": obj{"type": "integer", "minimum": 1}, "name": obj{"type": "string"},
			"position": obj{"type": "integer"}, "default": obj{"type": "boolean"},
			"_embedded": obj{"type": "object", "required": []string{"projects"}, "properties": obj{
				"projects": obj{"type": "array", "items": ref("Project")}}},
			"_links": links("self", "projects")}},
		"Category": obj{"type": "object", "required": []string{"_type", "id", "name", "_links"}, "properties": obj{
			"_type": obj{"const": "Category"}, "id": obj{"type": "integer", "minimum": 1}, "name": obj{"type": "string"},
			"_links": links("self", "project")}},
		"CategoryCollection": unpagedCollectionSchema("Category"),
		"Relation": obj{"type": "object", "required": []string{"_type", "id", "name", "type", "reverseType", "_links"}, "properties": obj{
			"_type": obj{"const": "Relation"}, "id": obj{"type": "integer", "minimum": 1}, "name": obj{"type": "string"},
			"type": obj{"enum": tracker.RelationTypes}, "reverseType": obj{"enum": tracker.RelationTypes},
			"lag":         obj{"type": []string{"integer", "null"}, "minimum": 0, "maximum": tracker.MaxRelationLag},
			"description": obj{"type": []string{"string", "null"}},
			"_embedded":   obj{"type": "object", "properties": obj{"from": ref("WorkPackage"), "to": ref("WorkPackage")}},
			"_links":      links("self", "from", "to")}},
		"RelationCollection": collectionSchema("Relation"),
		// A work package's relations and a project's assignees are not
		// paged, as in OpenProject.
		"WorkPackageRelationCollection": unpagedCollectionSchema("Relation"),
		"AssigneeCollection":            unpagedCollectionSchema("User"),
	}
}
