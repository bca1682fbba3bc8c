package httpapi

import (
	"encoding/json"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/hookpost/hookpost/backend/query"
	"github.com/hookpost/hookpost/backend/tracker"
)

// op documents one route for the OpenAPI document.
type op struct {
	tag, summary string
	body         string // request schema name
	resp         string // response schema name
	status       int    // success status; 200 when zero
	errors       []int
	hal          bool       // application/hal+json
	paged        bool       // takes offset and pageSize
	filters      query.Spec // takes filters and sortBy over these fields
	multipart    bool       // body is multipart/form-data
	binary       bool       // answers a file
	yaml         bool       // answers YAML
	html         bool       // answers an HTML page
	text         bool       // answers plain text
	stream       bool       // answers server-sent events
	query        []obj      // query parameters
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
				"Health": obj{"type": "object", "properties": obj{"status": obj{"type": "string"}}},
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
				"CollectionLinks": obj{"type": "object", "required": []string{"self", "jumpTo", "changeSize"}, "properties": obj{
					"self": ref("Link"), "jumpTo": ref("Link"), "changeSize": ref("Link"),
					"previousByOffset": ref("Link"), "nextByOffset": ref("Link")}},
				"Root": obj{"type": "object", "required": []string{"_type", "instanceName", "_links"}, "properties": obj{
					"_type": obj{"const": "Root"}, "instanceName": obj{"type": "string"}, "coreVersion": obj{"type": "string"},
					"_links": obj{"type": "object", "additionalProperties": ref("Link")}}},
				"OpenAPI": obj{"type": "object", "description": "An OpenAPI 3.1 document."},
			},
		},
	}
	schemas := doc["components"].(obj)["schemas"].(obj)
	reflected, err := reflectedSchemas()
	if err != nil {
		return nil, nil, err
	}
	live, err := liveSchemas()
	if err != nil {
		return nil, nil, err
	}
	for _, group := range []obj{webhookSchemas(), trackerSchemas(), resourceSchemas(), halWriteSchemas(), formSchemas(), reflected, live} {
		for name, schema := range group {
			schemas[name] = schema
		}
	}
	js, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, nil, err
	}
	y, err := yaml.JSONToYAML(js)
	return js, y, err
}

// collectionSchema is a collection that pages (OpenProject's
// OffsetPaginatedCollection): offset, pageSize and the paging links.
func collectionSchema(elem string) obj {
	return obj{"type": "object", "required": []string{"_type", "total", "count", "pageSize", "offset", "_embedded", "_links"},
		"description": "Paged: offset is a 1-based page number, pageSize the elements per page (clamped to maxPageSize); " +
			"nextByOffset is there while elements follow.",
		"properties": obj{
			"_type": obj{"const": "Collection"}, "total": obj{"type": "integer", "minimum": 0}, "count": obj{"type": "integer", "minimum": 0},
			"pageSize": obj{"type": "integer", "minimum": 0}, "offset": obj{"type": "integer", "minimum": 1},
			"_embedded": obj{"type": "object", "required": []string{"elements"}, "properties": obj{"elements": obj{"type": "array", "items": ref(elem)}}},
			"_links":    ref("CollectionLinks")}}
}

// unpagedCollectionSchema is a collection OpenProject does not page
// (statuses, types, priorities, a work package's activities and
// attachments): every element at once, total equal to count, a self link.
func unpagedCollectionSchema(elem string) obj {
	return obj{"type": "object", "required": []string{"_type", "total", "count", "_embedded", "_links"},
		"description": "Not paged: every element at once (total equals count); offset and pageSize are ignored.",
		"not":         obj{"anyOf": []obj{{"required": []string{"pageSize"}}, {"required": []string{"offset"}}}},
		"properties": obj{
			"_type": obj{"const": "Collection"}, "total": obj{"type": "integer", "minimum": 0}, "count": obj{"type": "integer", "minimum": 0},
			"_embedded": obj{"type": "object", "required": []string{"elements"}, "properties": obj{"elements": obj{"type": "array", "items": ref(elem)}}},
			"_links": obj{"type": "object", "required": []string{"self"}, "properties": obj{"self": ref("Link")},
				"not": obj{"anyOf": []obj{{"required": []string{"nextByOffset"}}, {"required": []string{"jumpTo"}}}}}}}
}

var errorDescriptions = map[int]string{
	400: "Bad request: invalid query or body (InvalidQuery, InvalidRequestBody)",
	401: "Unauthenticated: missing, wrong, expired or revoked credentials",
	403: "MissingPermission",
	404: "NotFound",
	409: "UpdateConflict",
	413: "Request body too large",
	415: "TypeNotSupported: the body must be application/json",
	422: "PropertyConstraintViolation, PropertyFormatError, PropertyIsReadOnly, PropertyMissingError or MultipleErrors; _embedded.details.attribute names the property",
	429: "TooManyRequests: too many failed sign-ins; retry after Retry-After seconds",
	431: "RequestHeaderFieldsTooLarge: the request line or headers are too long (for filters, send fewer or shorter values)",
	500: "InternalServerError: the server log has the details",
	503: "Not ready",
}

// errorStatuses are the error statuses r can answer: those that follow from
// the route's facts (who may call it, whether it names a resource, takes a
// body or a query), so that they cannot be forgotten, and those only its
// handler knows (r.doc.errors: 403 for permissions, 409, 429, 503).
func errorStatuses(r route) []int {
	set := map[int]bool{500: true}
	for _, code := range r.doc.errors {
		set[code] = true
	}
	if r.access != public {
		set[401] = true
	}
	if r.access == adminOnly {
		set[403] = true
	}
	if strings.Contains(r.path, ":id") {
		set[404] = true
	}
	if r.doc.body != "" {
		set[400], set[413], set[415], set[422] = true, true, true, true
	}
	if r.doc.paged || r.doc.filters != nil {
		// A query long enough to pass the server's header limit is refused
		// before routing.
		set[400], set[431] = true, true
	}
	if strings.HasSuffix(r.doc.resp, "Collection") {
		// Every collection refuses a filter or sort it does not know.
		set[400] = true
	}
	codes := make([]int, 0, len(set))
	for code := range set {
		codes = append(codes, code)
	}
	sort.Ints(codes)
	return codes
}

// filterParams states filters and sortBy as the JSON they are, over the
// collection's own fields; def, when not empty, is the filter that applies
// when the request has none.
func filterParams(spec query.Spec, def string) []obj {
	filterNames, sortNames := spec.FilterNames(), spec.SortNames()
	filter := obj{"type": "object", "minProperties": 1, "propertyNames": obj{"enum": filterNames},
		"additionalProperties": obj{"type": "object", "required": []string{"operator"}, "properties": obj{
			"operator": obj{"type": "string", "examples": []string{"=", "!", "~", "!~", "*", "!*", ">=", "<=", "o", "c", "=d", "<>d", "t", "w", ">t-", "<t-", "t-", "t+", ">t+", "<t+"}},
			"values":   obj{"type": []string{"array", "null"}, "items": obj{"type": []string{"string", "number"}}}}}}
	sortPair := obj{"type": "array", "minItems": 2, "maxItems": 2,
		"prefixItems": []obj{{"enum": sortNames}, {"enum": []string{"asc", "desc"}}}}
	filters := obj{"type": "array", "items": filter}
	description := "OpenProject's JSON filters: a list of {name: {operator, values}}, all of which must hold; values are strings or numbers. " +
		"Status filters take o (open) and c (closed); date filters =d, <>d (either end may be \"\"), and the relative t (today), w (this week, from Monday), " +
		"t-, >t-, <t-, t+, >t+, <t+ with a number of days, in UTC days. " +
		"A filter or operator the collection does not know is a 400 InvalidQuery naming it."
	if def != "" {
		var v any
		if err := json.Unmarshal([]byte(def), &v); err != nil {
			panic("openapi: default filters " + def + ": " + err.Error())
		}
		filters["default"] = v
		description += " Without filters, " + def + " applies (OpenProject's default); send [] for no filter."
	}
	return []obj{
		{"name": "filters", "in": "query", "description": description,
			"content": obj{"application/json": obj{"schema": filters,
				"example": []obj{{"status": obj{"operator": "=", "values": []string{"1"}}}}}}},
		{"name": "sortBy", "in": "query",
			"description": "A JSON list of [field, \"asc\" or \"desc\"] pairs, the first one sorting first.",
			"content": obj{"application/json": obj{"schema": obj{"type": "array", "items": sortPair},
				"example": [][]string{{"updatedAt", "desc"}}}}},
	}
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
		params = append(params, pathParamDoc(r.path, m[1]))
	}
	if d.paged {
		params = append(params,
			obj{"name": "offset", "in": "query", "description": "1-based page number", "schema": obj{"type": "integer", "minimum": 1, "default": 1}},
			obj{"name": "pageSize", "in": "query", "description": "Elements per page; -1 for the maximum, 0 for the total only; clamped to maxPageSize", "schema": obj{"type": "integer", "minimum": -1}})
	}
	if d.filters != nil {
		def := ""
		if d.resp == "WorkPackageCollection" {
			def = tracker.DefaultWorkPackageFilters
		}
		params = append(params, filterParams(d.filters, def)...)
	}
	params = append(params, d.query...)
	if params != nil {
		o["parameters"] = params
	}
	if d.body != "" {
		ct := "application/json"
		if d.multipart {
			ct = "multipart/form-data"
		}
		media := obj{"schema": ref(d.body)}
		if example, ok := requestExamples[d.body]; ok {
			media["example"] = example
		}
		o["requestBody"] = obj{"required": true, "content": obj{ct: media}}
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
	case d.stream:
		success["content"] = obj{"text/event-stream": obj{"schema": obj{"type": "string"}}}
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
	for _, code := range errorStatuses(r) {
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
