// The OpenAPI document's schemas of JSON bodies, reflected from the Go types
// the handlers decode and encode: their json tags, and the validate tags the
// services check (domain.Validate). A bound changed in a tag changes the
// document; a tag the reflector does not know fails the build of the document
// (and with it every test), so the two cannot drift apart.

package httpapi

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/dispatch"
	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/settings"
	"github.com/hookpost/hookpost/backend/webhooks"
)

// reflectOpts say what a type's tags cannot.
type reflectOpts struct {
	// strict: the body is decoded with decodeStrict, which refuses unknown
	// properties (additionalProperties: false).
	strict bool
	// response: the schema describes what the server sends; nil pointers,
	// slices and maps are sent as null, and every field is present.
	response bool
	// required names properties required by a rule of the service rather
	// than a tag (a webhook's name and url on create).
	required []string
	// refine is merged into a property's schema: facts held in Go values
	// rather than tags (the event catalogue, the CORS origin pattern).
	refine map[string]obj
	// description describes the schema.
	description string
}

var timeType = reflect.TypeOf(time.Time{})

// notBlank is the pattern of a text that must not be blank.
const notBlank = hal.NotBlank

// reflectSchema is the JSON Schema of the struct type of v.
func reflectSchema(v any, o reflectOpts) (obj, error) {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	props, required := obj{}, []string{}
	if err := reflectFields(t, o, props, &required); err != nil {
		return nil, fmt.Errorf("%s: %w", t, err)
	}
	for _, name := range o.required {
		if _, ok := props[name]; !ok {
			return nil, fmt.Errorf("%s: required property %q is not a field", t, name)
		}
		required = appendUnique(required, name)
	}
	for name, extra := range o.refine {
		p, ok := props[name].(obj)
		if !ok {
			return nil, fmt.Errorf("%s: refined property %q is not a field", t, name)
		}
		merge(p, extra)
	}
	s := obj{"type": "object", "properties": props}
	if len(required) > 0 {
		s["required"] = required
	}
	if o.strict {
		s["additionalProperties"] = false
	}
	if o.description != "" {
		s["description"] = o.description
	}
	return s, nil
}

// merge sets extra's keys in s, merging nested schemas.
func merge(s, extra obj) {
	for k, v := range extra {
		if sub, ok := s[k].(obj); ok {
			if add, ok := v.(obj); ok {
				merge(sub, add)
				continue
			}
		}
		s[k] = v
	}
}

func appendUnique(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

func reflectFields(t reflect.Type, o reflectOpts, props obj, required *[]string) error {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		if f.Anonymous && name == "" {
			// Embedded structs are flattened, as encoding/json does.
			et := f.Type
			if et.Kind() == reflect.Pointer {
				et = et.Elem()
			}
			if et.Kind() == reflect.Struct {
				if err := reflectFields(et, o, props, required); err != nil {
					return err
				}
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		s, err := typeSchema(f.Type, o.response)
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		req, err := applyRules(s, f.Type, f.Tag.Get("validate"))
		if err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		if d := f.Tag.Get("doc"); d != "" {
			s["description"] = d
		}
		if !o.response && f.Type.Kind() == reflect.Pointer && !req && !contains(o.required, name) {
			// A pointer that may be left out may also be null: it reads as left out.
			nullable(s)
		}
		props[name] = s
		omitted := strings.Contains(opts, "omitempty") || strings.Contains(opts, "omitzero")
		if req || o.response && !omitted {
			*required = appendUnique(*required, name)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func nullable(s obj) {
	switch t := s["type"].(type) {
	case string:
		s["type"] = []string{t, "null"}
	case nil:
		if _, ok := s["$ref"]; !ok {
			return
		}
		s["oneOf"] = []obj{{"$ref": s["$ref"]}, {"type": "null"}}
		delete(s, "$ref")
	}
}

func typeSchema(t reflect.Type, response bool) (obj, error) {
	if t == timeType {
		return obj{"type": "string", "format": "date-time"}, nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		s, err := typeSchema(t.Elem(), response)
		if err == nil && response {
			nullable(s)
		}
		return s, err
	case reflect.String:
		return obj{"type": "string"}, nil
	case reflect.Bool:
		return obj{"type": "boolean"}, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return obj{"type": "integer"}, nil
	case reflect.Float32, reflect.Float64:
		return obj{"type": "number"}, nil
	case reflect.Slice, reflect.Array:
		items, err := typeSchema(t.Elem(), response)
		s := obj{"type": "array", "items": items}
		if response && t.Kind() == reflect.Slice {
			nullable(s)
		}
		return s, err
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			return nil, fmt.Errorf("map key %s is not a string", t.Key())
		}
		values, err := typeSchema(t.Elem(), response)
		s := obj{"type": "object", "additionalProperties": values}
		if response {
			nullable(s)
		}
		return s, err
	case reflect.Struct:
		return reflectSchema(reflect.New(t).Interface(), reflectOpts{response: response})
	}
	return nil, fmt.Errorf("type %s has no JSON Schema here", t)
}

// applyRules states a validate tag (go-playground/validator syntax, as
// domain.Validate checks it) in s; it reports whether the field is required.
// Rules after "dive" apply to a list's items.
func applyRules(s obj, t reflect.Type, tag string) (required bool, err error) {
	if tag == "" {
		return false, nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	target := s
	for _, rule := range strings.Split(tag, ",") {
		name, param, _ := strings.Cut(rule, "=")
		kind := t.Kind()
		if t == timeType {
			kind = reflect.Struct
		}
		switch name {
		case "omitnil", "omitempty":
		case "required":
			if target == nil {
				return false, fmt.Errorf("required after dive")
			}
			required = true
			if kind == reflect.String {
				target["minLength"] = 1
			}
		case "dive":
			items, ok := target["items"].(obj)
			if !ok || (kind != reflect.Slice && kind != reflect.Array) {
				return false, fmt.Errorf("dive on %s", t)
			}
			target, t = items, t.Elem()
		case "min", "max":
			n, err := strconv.Atoi(param)
			if err != nil {
				return false, fmt.Errorf("%s=%q is not a whole number", name, param)
			}
			key := map[reflect.Kind]string{reflect.String: "Length", reflect.Slice: "Items", reflect.Array: "Items", reflect.Map: "Properties"}[kind]
			switch {
			case key != "":
				target[name+key] = n
			case kind >= reflect.Int && kind <= reflect.Float64:
				target[map[string]string{"min": "minimum", "max": "maximum"}[name]] = n
			default:
				return false, fmt.Errorf("%s on %s", name, t)
			}
		case "oneof":
			target["enum"] = strings.Fields(param)
		case "email":
			target["format"] = "email"
		case "url", "http_url":
			target["format"] = "uri"
		case "excludesall":
			target["pattern"] = "^[^" + regexp.QuoteMeta(param) + "]*$"
		default:
			return false, fmt.Errorf("validate rule %q is not stated in the OpenAPI document: teach applyRules what it means", rule)
		}
	}
	return required, nil
}

// halWriteSchemas states the HAL write bodies from hal's field tables, which
// the parser reads too: one schema for creating, one for changing. Unknown
// properties are ignored, as OpenProject does, so additionalProperties stays
// open.
func halWriteSchemas() obj {
	out := obj{}
	for _, form := range hal.Forms() {
		modes := []string{"Create"}
		if form.Update {
			modes = append(modes, "Patch")
		}
		for _, mode := range modes {
			props, links := obj{}, obj{}
			var required, linksRequired []string
			for _, f := range form.Fields {
				s := fieldSchema(f)
				req := mode == "Create" && f.CreateRequired || mode == "Patch" && f.UpdateRequired
				if f.Kind == hal.KindLink {
					links[f.Name] = s
					if req {
						linksRequired = append(linksRequired, f.Name)
					}
					continue
				}
				props[f.Name] = s
				if req {
					required = append(required, f.Name)
				}
			}
			if len(links) > 0 {
				l := obj{"type": "object", "properties": links}
				if len(linksRequired) > 0 {
					l["required"] = linksRequired
					required = append(required, "_links")
				}
				props["_links"] = l
			}
			s := obj{"type": "object", "properties": props,
				"description": "Unknown properties are ignored, as OpenProject does; read-only ones are refused (422 PropertyIsReadOnly)."}
			if len(required) > 0 {
				s["required"] = required
			}
			out[form.Name+mode] = s
		}
	}
	// Rules between properties, which the field tables do not hold:
	// a work package created under /api/v3/projects/{id} takes that project,
	// and a time entry needs a project or a work package.
	wp := cloneSchema(out["WorkPackageCreate"].(obj))
	links := wp["properties"].(obj)["_links"].(obj)
	delete(links, "required")
	wp["required"] = without(wp["required"].([]string), "_links")
	out["WorkPackageCreateInProject"] = wp
	te := out["TimeEntryCreate"].(obj)
	te["properties"].(obj)["_links"].(obj)["anyOf"] = []obj{{"required": []string{"project"}}, {"required": []string{"workPackage"}}}
	te["required"] = append(te["required"].([]string), "_links")
	return out
}

func cloneSchema(s obj) obj {
	out := obj{}
	for k, v := range s {
		if o, ok := v.(obj); ok {
			v = cloneSchema(o)
		}
		out[k] = v
	}
	return out
}

func without(list []string, s string) []string {
	var out []string
	for _, x := range list {
		if x != s {
			out = append(out, x)
		}
	}
	return out
}

func fieldSchema(f hal.FieldSpec) obj {
	var s obj
	switch f.Kind {
	case hal.KindString:
		s = obj{"type": "string"}
	case hal.KindFormattable:
		raw := obj{"type": "string"}
		if f.MaxLength > 0 {
			raw["maxLength"] = f.MaxLength
		}
		s = obj{"type": "object", "required": []string{"raw"}, "properties": obj{"raw": raw, "format": obj{"type": "string", "description": "Ignored: raw is Markdown."}},
			"examples": []obj{{"raw": "Some *Markdown*"}}}
		if f.Nullable {
			s["type"] = []string{"object", "null"}
		}
		return described(s, f)
	case hal.KindBoolean:
		s = obj{"type": "boolean"}
	case hal.KindInteger:
		s = obj{"type": "integer"}
	case hal.KindDate:
		s = obj{"type": "string", "format": "date", "examples": []string{"2026-11-28"}}
	case hal.KindDateTime:
		s = obj{"type": "string", "format": "date-time"}
	case hal.KindDuration:
		s = obj{"type": "string", "format": "duration", "examples": []string{"PT4H"}}
	case hal.KindLink:
		// At most 18 digits: every such id fits the int64 the parser reads.
		href := obj{"type": "string", "pattern": "^" + regexp.QuoteMeta(f.Href) + "[1-9][0-9]{0,17}$", "examples": []string{f.Href + "1"}}
		if f.Nullable {
			href["type"] = []string{"string", "null"}
		}
		return described(obj{"type": "object", "required": []string{"href"}, "properties": obj{"href": href}}, f)
	}
	if f.MaxLength > 0 {
		s["maxLength"] = f.MaxLength
	}
	if f.Pattern != "" {
		s["pattern"] = f.Pattern
	}
	if len(f.Enum) > 0 {
		s["enum"] = f.Enum
	}
	if f.Bounded {
		s["minimum"], s["maximum"] = f.Minimum, f.Maximum
	}
	if f.Nullable {
		nullable(s)
	}
	if f.ReadOnly {
		// "not: {}": a write that holds it at all is invalid, as it is refused.
		s = obj{"readOnly": true, "not": obj{}, "description": "Read-only: sending it is refused with 422 PropertyIsReadOnly."}
	}
	return described(s, f)
}

func described(s obj, f hal.FieldSpec) obj {
	if f.Description != "" {
		s["description"] = f.Description
	}
	return s
}

// reflectedSchemas are the admin API's bodies, reflected from the types the
// handlers decode (strictly: unknown properties are refused) and encode.
func reflectedSchemas() (obj, error) {
	events := obj{"items": obj{"enum": eventNames()}}
	origins := obj{"description": "Exact origins: scheme://host[:port]; no path, no wildcard. Blank entries and repeats are dropped.",
		"items": obj{"pattern": settings.OriginPattern, "examples": []string{"https://app.example.com:8443"}}}
	webhook := map[string]obj{"events": events, "name": {"pattern": notBlank},
		"url": {"format": "uri", "pattern": "^[Hh][Tt][Tt][Pp][Ss]?://[^/?#@]+"}}
	defaults, err := defaultsOf(settings.Defaults())
	if err != nil {
		return nil, err
	}
	specs := []struct {
		name string
		v    any
		o    reflectOpts
	}{
		{"LoginRequest", loginRequest{}, reflectOpts{strict: true}},
		{"NewToken", auth.NewToken{}, reflectOpts{strict: true}},
		{"Token", auth.Token{}, reflectOpts{response: true}},
		{"CreatedToken", auth.CreatedToken{}, reflectOpts{response: true}},
		{"Settings", settings.Settings{}, reflectOpts{response: true, refine: defaults}},
		{"SettingsPatch", settings.Patch{}, reflectOpts{strict: true, refine: map[string]obj{"corsOrigins": origins},
			description: "Any subset of the settings."}},
		{"WebhookCreate", webhooks.Input{}, reflectOpts{strict: true, required: []string{"name", "url"}, refine: webhook}},
		{"WebhookPatch", webhooks.Input{}, reflectOpts{strict: true, refine: webhook}},
		{"Webhook", webhooks.Webhook{}, reflectOpts{response: true, refine: map[string]obj{"events": events}}},
		{"TestFire", testFireRequest{}, reflectOpts{strict: true, required: []string{"event"}, refine: map[string]obj{"event": {"enum": eventNames()}}}},
		{"Replay", replayRequest{}, reflectOpts{strict: true, required: []string{"since"}}},
		{"Delivery", dispatch.Attempt{}, reflectOpts{response: true}},
	}
	out := obj{}
	for _, s := range specs {
		schema, err := reflectSchema(s.v, s.o)
		if err != nil {
			return nil, err
		}
		out[s.name] = schema
	}
	// The token list and its elements.
	out["TokenList"] = obj{"type": "object", "required": []string{"tokens"}, "properties": obj{"tokens": obj{"type": "array", "items": ref("Token")}}}
	return out, nil
}

// defaultsOf states each property's default from the value that defines it.
func defaultsOf(v any) (map[string]obj, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var values map[string]any
	if err := json.Unmarshal(raw, &values); err != nil {
		return nil, err
	}
	out := map[string]obj{}
	for name, value := range values {
		if name != "updatedAt" {
			out[name] = obj{"default": value}
		}
	}
	return out, nil
}
