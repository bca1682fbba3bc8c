package httpapi

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/hookpost/hookpost/backend/settings"
)

// op documents one route for the OpenAPI document.
type op struct {
	tag, summary string
	body         string // request schema name
	resp         string // response schema name
	status       int    // success status; 200 when zero
	errors       []int
	hal          bool // application/hal+json
	paged        bool // takes offset and pageSize
	filters      bool // takes filters and sortBy
	multipart    bool // body is multipart/form-data
	binary       bool // answers a file
	yaml         bool // answers YAML
	html         bool // answers an HTML page
	text         bool // answers plain text
	noAuth       bool
}

type obj = map[string]any

var pathParam = regexp.MustCompile(`:([a-zA-Z]+)`)

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

// buildOpenAPI renders the OpenAPI 3.1 document of routes as JSON and YAML.
func buildOpenAPI(routes []route, version string) ([]byte, []byte, error) {
	paths := obj{}
	for _, r := range routes {
		p := pathParam.ReplaceAllString(r.path, "{$1}")
		item, _ := paths[p].(obj)
		if item == nil {
			item = obj{}
			paths[p] = item
		}
		item[strings.ToLower(r.method)] = operation(r)
	}
	def := settings.Defaults()
	doc := obj{
		"openapi": "3.1.0",
		"info": obj{
			"title":       "Hookpost API",
			"version":     version,
			"description": "OpenProject-compatible APIv3 subset, plus Hookpost's sign-in, account and administration endpoints.",
			"license":     obj{"name": "Proprietary", "identifier": "LicenseRef-Hookpost"},
		},
		"servers": []obj{{"url": "/", "description": "This server"}},
		"tags": []obj{
			{"name": "Root", "description": "API root, this document and the docs page"},
			{"name": "Users", "description": "Users (OpenProject representation)"},
			{"name": "Projects", "description": "Projects"},
			{"name": "Work packages", "description": "Work packages; every change is recorded as an event"},
			{"name": "Comments", "description": "Comments on work packages (Activity::Comment)"},
			{"name": "Attachments", "description": "Files attached to work packages"},
			{"name": "Time entries", "description": "Logged time"},
			{"name": "Statuses, types, priorities", "description": "The values a work package links to"},
			{"name": "Sign-in", "description": "Browser sessions for the SPA"},
			{"name": "My account", "description": "The signed-in user's API tokens"},
			{"name": "Administration", "description": "API settings (administrators only)"},
			{"name": "Webhooks", "description": "Webhook definitions and the event catalogue (administrators only)"},
			{"name": "Operations", "description": "Health and readiness"},
		},
		"security": []obj{{"basicAuth": []string{}}, {"bearerAuth": []string{}}, {"session": []string{}}},
		"paths":    paths,
		"components": obj{
			"securitySchemes": obj{
				"basicAuth":  obj{"type": "http", "scheme": "basic", "description": "User name `apikey`, an API token as password."},
				"bearerAuth": obj{"type": "http", "scheme": "bearer", "description": "An API token."},
				"session":    obj{"type": "apiKey", "in": "cookie", "name": sessionCookie, "description": "The SPA's session; non-GET requests also need the `" + csrfHeader + "` header."},
			},
			"responses": errorResponses(),
			"schemas": obj{
				"Link": obj{"type": "object", "required": []string{"href"}, "properties": obj{
					"href": obj{"type": []string{"string", "null"}}, "title": obj{"type": "string"},
					"templated": obj{"type": "boolean"}, "method": obj{"type": "string"}}},
				"Error": obj{"type": "object", "required": []string{"_type", "errorIdentifier", "message"}, "properties": obj{
					"_type":           obj{"const": "Error"},
					"errorIdentifier": obj{"type": "string", "examples": []string{"urn:openproject-org:api:v3:errors:PropertyConstraintViolation"}},
					"message":         obj{"type": "string"},
					"_embedded": obj{"type": "object", "properties": obj{
						"details": obj{"type": "object", "properties": obj{"attribute": obj{"type": "string"}}},
						"errors":  obj{"type": "array", "items": ref("Error")}}}}},
				"Health":       obj{"type": "object", "properties": obj{"status": obj{"type": "string"}}},
				"LoginRequest": obj{"type": "object", "required": []string{"login", "password"}, "properties": obj{"login": obj{"type": "string"}, "password": obj{"type": "string", "format": "password"}}},
				"Session": obj{"type": "object", "properties": obj{
					"user": ref("User"), "csrfToken": obj{"type": "string", "description": "Send it as `" + csrfHeader + "` on non-GET requests."},
					"expiresAt": obj{"type": "string", "format": "date-time"}}},
				"User": obj{"type": "object", "required": []string{"_type", "id", "name", "_links"}, "properties": obj{
					"_type": obj{"const": "User"}, "id": obj{"type": "integer"}, "name": obj{"type": "string"},
					"login": obj{"type": "string"}, "firstName": obj{"type": "string"}, "lastName": obj{"type": "string"},
					"email": obj{"type": "string"}, "admin": obj{"type": "boolean"}, "avatar": obj{"type": []string{"string", "null"}},
					"status": obj{"type": "string"}, "language": obj{"type": "string"},
					"createdAt": obj{"type": "string", "format": "date-time"}, "updatedAt": obj{"type": "string", "format": "date-time"},
					"_links": obj{"type": "object", "additionalProperties": ref("Link")}}},
				"UserCollection": collectionSchema("User"),
				"CollectionLinks": obj{"type": "object", "required": []string{"self"}, "properties": obj{
					"self": ref("Link"), "jumpTo": ref("Link"), "changeSize": ref("Link"),
					"previousByOffset": ref("Link"), "nextByOffset": ref("Link")}},
				"Root": obj{"type": "object", "required": []string{"_type", "instanceName", "_links"}, "properties": obj{
					"_type": obj{"const": "Root"}, "instanceName": obj{"type": "string"}, "coreVersion": obj{"type": "string"},
					"_links": obj{"type": "object", "additionalProperties": ref("Link")}}},
				"Settings": obj{"type": "object", "properties": obj{
					"restApiEnabled":          obj{"type": "boolean", "default": def.RestAPIEnabled, "description": "Enable REST web service: when false, API tokens are refused (401) and cannot be created."},
					"maxPageSize":             obj{"type": "integer", "minimum": settings.MinPageSize, "maximum": settings.MaxPageSize, "default": def.MaxPageSize, "description": "Hard cap on pageSize of every collection."},
					"writeReadonlyAttributes": obj{"type": "boolean", "default": def.WriteReadonlyAttributes, "description": "Administrators may set createdAt (and author of work packages) on creation."},
					"docsEnabled":             obj{"type": "boolean", "default": def.DocsEnabled, "description": "Serve the interactive docs at /api/docs."},
					"corsEnabled":             obj{"type": "boolean", "default": def.CORSEnabled, "description": "Send CORS headers for the listed origins."},
					"corsOrigins":             obj{"type": "array", "items": obj{"type": "string", "examples": []string{"https://app.example.com:8443"}}, "default": def.CORSOrigins, "description": "Exact origins: scheme://host[:port]; no path, no wildcard."},
					"updatedAt":               obj{"type": "string", "format": "date-time", "readOnly": true}}},
				"SettingsPatch": obj{"type": "object", "additionalProperties": false, "description": "Any subset of the settings.", "properties": obj{
					"restApiEnabled": obj{"type": "boolean"}, "maxPageSize": obj{"type": "integer", "minimum": settings.MinPageSize, "maximum": settings.MaxPageSize},
					"writeReadonlyAttributes": obj{"type": "boolean"}, "docsEnabled": obj{"type": "boolean"},
					"corsEnabled": obj{"type": "boolean"}, "corsOrigins": obj{"type": "array", "items": obj{"type": "string"}}}},
				"Token": obj{"type": "object", "properties": obj{
					"id": obj{"type": "integer"}, "name": obj{"type": "string"}, "last4": obj{"type": "string"},
					"expiresAt": obj{"type": []string{"string", "null"}, "format": "date-time"}, "lastUsedAt": obj{"type": []string{"string", "null"}, "format": "date-time"},
					"createdAt": obj{"type": "string", "format": "date-time"}}},
				"TokenList": obj{"type": "object", "properties": obj{"tokens": obj{"type": "array", "items": ref("Token")}}},
				"NewToken": obj{"type": "object", "required": []string{"name"}, "properties": obj{
					"name": obj{"type": "string", "maxLength": 100}, "expiresAt": obj{"type": []string{"string", "null"}, "format": "date-time"}}},
				"CreatedToken": obj{"allOf": []obj{ref("Token"), {"type": "object", "properties": obj{"token": obj{"type": "string", "description": "The secret; shown only in this response."}}}}},
				"OpenAPI":      obj{"type": "object", "description": "An OpenAPI 3.1 document."},
			},
		},
	}
	schemas := doc["components"].(obj)["schemas"].(obj)
	for name, schema := range webhookSchemas() {
		schemas[name] = schema
	}
	for name, schema := range trackerSchemas() {
		schemas[name] = schema
	}
	js, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	y, err := yaml.JSONToYAML(js)
	return js, y, err
}

func collectionSchema(elem string) obj {
	return obj{"type": "object", "required": []string{"_type", "total", "count", "_links"}, "properties": obj{
		"_type": obj{"const": "Collection"}, "total": obj{"type": "integer", "minimum": 0}, "count": obj{"type": "integer", "minimum": 0},
		"pageSize": obj{"type": "integer"}, "offset": obj{"type": "integer"},
		"_embedded": obj{"type": "object", "properties": obj{"elements": obj{"type": "array", "items": ref(elem)}}},
		"_links":    ref("CollectionLinks")}}
}

var errorDescriptions = map[int]string{
	400: "Bad request: invalid query or body (InvalidQuery, InvalidRequestBody)",
	401: "Unauthenticated: missing, wrong, expired or revoked credentials",
	403: "MissingPermission",
	404: "NotFound",
	409: "UpdateConflict",
	413: "Request body too large",
	415: "TypeNotSupported: the body must be application/json",
	422: "PropertyConstraintViolation, PropertyFormatError, PropertyIsReadOnly or MultipleErrors",
	429: "TooManyRequests: too many failed sign-ins; retry after Retry-After seconds",
	503: "Not ready",
}

func errorResponses() obj {
	out := obj{}
	for code, desc := range errorDescriptions {
		content := obj{"application/json": obj{"schema": ref("Error")}, "application/hal+json": obj{"schema": ref("Error")}}
		if code == 503 {
			content = obj{"application/json": obj{"schema": ref("Health")}}
		}
		r := obj{"description": desc, "content": content}
		if code == 401 {
			r["headers"] = obj{"WWW-Authenticate": obj{"schema": obj{"type": "string"}, "description": `Basic realm="` + realm + `"`}}
		}
		if code == 429 {
			r["headers"] = obj{"Retry-After": obj{"schema": obj{"type": "integer"}, "description": "Seconds until the next attempt may succeed"}}
		}
		out["E"+strconv.Itoa(code)] = r
	}
	return out
}

func operation(r route) obj {
	d := r.doc
	o := obj{"tags": []string{d.tag}, "summary": d.summary,
		"operationId": strings.ToLower(r.method) + operationName(r.path)}
	if d.noAuth {
		o["security"] = []obj{}
	}
	var params []obj
	for _, m := range pathParam.FindAllStringSubmatch(r.path, -1) {
		params = append(params, obj{"name": m[1], "in": "path", "required": true, "schema": obj{"type": "integer", "minimum": 1}})
	}
	if d.paged {
		params = append(params,
			obj{"name": "offset", "in": "query", "description": "1-based page number", "schema": obj{"type": "integer", "minimum": 1, "default": 1}},
			obj{"name": "pageSize", "in": "query", "description": "Elements per page; -1 for the maximum, 0 for the total only; clamped to maxPageSize", "schema": obj{"type": "integer", "minimum": -1}})
	}
	if d.filters {
		params = append(params,
			obj{"name": "filters", "in": "query", "description": `OpenProject JSON filters, e.g. [{"status":{"operator":"=","values":["1"]}}]; operators =, !, ~, !~, >=, <=, <>d, *, !*`, "schema": obj{"type": "string"}},
			obj{"name": "sortBy", "in": "query", "description": `JSON list of [field, "asc"|"desc"] pairs, e.g. [["updatedAt","desc"]]`, "schema": obj{"type": "string"}})
	}
	if params != nil {
		o["parameters"] = params
	}
	if d.body != "" {
		ct := "application/json"
		if d.multipart {
			ct = "multipart/form-data"
		}
		o["requestBody"] = obj{"required": true, "content": obj{ct: obj{"schema": ref(d.body)}}}
	}
	status := d.status
	if status == 0 {
		status = 200
	}
	success := obj{"description": d.summary}
	switch {
	case d.html:
		success["content"] = obj{"text/html": obj{"schema": obj{"type": "string"}}}
	case d.text:
		success["content"] = obj{"text/plain": obj{"schema": obj{"type": "string"}}}
	case d.binary:
		success["content"] = obj{"application/octet-stream": obj{"schema": obj{"type": "string", "contentMediaType": "application/octet-stream"}}}
	case d.yaml:
		success["content"] = obj{"text/vnd.yaml": obj{"schema": obj{"type": "string"}}}
	case d.resp != "":
		ct := "application/json"
		if d.hal {
			ct = "application/hal+json"
		}
		success["content"] = obj{ct: obj{"schema": ref(d.resp)}}
	}
	responses := obj{strconv.Itoa(status): success}
	for _, code := range d.errors {
		responses[strconv.Itoa(code)] = obj{"$ref": "#/components/responses/E" + strconv.Itoa(code)}
	}
	o["responses"] = responses
	return o
}

func operationName(path string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(path, func(r rune) bool { return r == '/' || r == '.' || r == '_' || r == ':' }) {
		if part == "api" {
			continue
		}
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}
