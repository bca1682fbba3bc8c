package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/tracker"
)

// Request body limits. The server streams request bodies (fiber.Config
// StreamRequestBody), so nothing but the headers and the first 8 KiB is read
// before a route has authenticated the request; each route then reads at
// most its own limit and answers 413 beyond it.
const (
	// maxJSONBody bounds the body of every JSON route.
	maxJSONBody = 1 << 20
	// maxUploadBody bounds a multipart upload: the largest attachment plus
	// room for its metadata part and the multipart framing.
	maxUploadBody = tracker.MaxAttachmentSize + 1<<20
)

// errBodyTooLarge is a request body over its route's limit.
var errBodyTooLarge = &domain.RequestError{Status: fiber.StatusRequestEntityTooLarge, Identifier: "RequestTooLarge",
	Message: fmt.Sprintf("The request body is too large: this resource accepts at most %d KiB.", maxJSONBody>>10)}

// tooLarge is the 413 for a body over limit bytes.
func tooLarge(limit int64) error {
	if limit == maxJSONBody {
		return errBodyTooLarge
	}
	return &domain.RequestError{Status: fiber.StatusRequestEntityTooLarge, Identifier: "RequestTooLarge",
		Message: fmt.Sprintf("The request body is too large: this resource accepts at most %d MiB.", limit>>20)}
}

// bodyReader returns the request body as a reader that fails with the 413
// of tooLarge(limit) once more than limit bytes have been read. A declared
// Content-Length over the limit is refused before anything is read.
func bodyReader(c *fiber.Ctx, limit int64) (io.Reader, error) {
	if int64(c.Request().Header.ContentLength()) > limit {
		return nil, tooLarge(limit)
	}
	var r io.Reader
	if rs := c.Context().RequestBodyStream(); rs != nil {
		r = rs
	} else {
		r = bytes.NewReader(c.Body())
	}
	return &limitedReader{r: r, left: limit, err: tooLarge(limit)}, nil
}

// limitedReader is io.LimitReader that tells a body at the limit from one
// over it: reading past the limit fails with err instead of ending.
type limitedReader struct {
	r    io.Reader
	left int64
	err  error
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, l.err
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return n - int(-l.left), l.err
	}
	return n, err
}

// readBody reads the whole request body, at most limit bytes.
func readBody(c *fiber.Ctx, limit int64) ([]byte, error) {
	r, err := bodyReader(c, limit)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(r)
	if err != nil {
		var re *domain.RequestError
		if errors.As(err, &re) {
			return nil, err
		}
		return nil, &domain.RequestError{Status: fiber.StatusBadRequest, Identifier: "InvalidRequestBody", Message: "The request body could not be read."}
	}
	return body, nil
}

// decodeJSON reads the request body into v. It answers 415 for a body that
// is not JSON, 400 for malformed JSON or an unknown property, and 422 naming
// the property for a value of the wrong type.
func decodeJSON(c *fiber.Ctx, v any) error {
	body, err := jsonBody(c)
	if err != nil {
		return err
	}
	return decodeStrict(body, v)
}

// jsonBody returns the request body after checking that it is JSON (415
// otherwise); an empty body reads as {}.
func jsonBody(c *fiber.Ctx) ([]byte, error) {
	body, err := readBody(c, maxJSONBody)
	if err != nil {
		return nil, err
	}
	ct := c.Get(fiber.HeaderContentType)
	if ct == "" && len(bytes.TrimSpace(body)) == 0 {
		return []byte("{}"), nil
	}
	if mt, _, _ := mime.ParseMediaType(ct); mt != "application/json" && mt != "application/hal+json" {
		return nil, &domain.RequestError{Status: fiber.StatusUnsupportedMediaType, Identifier: "TypeNotSupported",
			Message: fmt.Sprintf("Expected Content-Type application/json, got %q.", ct)}
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return []byte("{}"), nil
	}
	if err := requireObject(body); err != nil {
		return nil, err
	}
	return body, nil
}

// errNotObject is a body that is JSON but not an object: null would
// otherwise decode as an empty change.
var errNotObject = &domain.RequestError{Status: fiber.StatusBadRequest, Identifier: "InvalidRequestBody", Message: "The request body must be a JSON object."}

func requireObject(body []byte) error {
	if t := bytes.TrimSpace(body); len(t) == 0 || t[0] != '{' {
		return errNotObject
	}
	return nil
}

// decodeStrict decodes one JSON object, refusing unknown properties.
func decodeStrict(body []byte, v any) error {
	if err := requireObject(body); err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if field, ferr := failingField(body, v); field != "" {
			return &domain.ValidationError{Field: field, Kind: domain.KindFormat, Message: valueMessage(field, ferr)}
		}
		return bodyError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return &domain.RequestError{Status: fiber.StatusBadRequest, Identifier: "InvalidRequestBody", Message: "The request body must hold a single JSON object."}
	}
	return nil
}

func bodyError(err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) {
		field := typeErr.Field
		if field == "" {
			return &domain.RequestError{Status: fiber.StatusBadRequest, Identifier: "InvalidRequestBody", Message: "The request body must be a JSON object."}
		}
		return &domain.ValidationError{Field: field, Kind: domain.KindFormat,
			Message: fmt.Sprintf("%s must be %s, not a JSON %s.", field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value)}
	}
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		name, _ := strconv.Unquote(rest)
		return domain.Invalid(name, "%s is not a property of this resource.", name)
	}
	return &domain.RequestError{Status: fiber.StatusBadRequest, Identifier: "InvalidRequestBody",
		Message: "The request body is not valid JSON: " + strings.TrimPrefix(msg, "json: ") + "."}
}

// failingField finds the property of a JSON object whose value v's type
// refuses with an error of its own (a time that does not parse, say), which
// encoding/json reports without the property's name. It decodes each
// property alone into a fresh value of v's type.
func failingField(body []byte, v any) (string, error) {
	var syntax *json.SyntaxError
	var props map[string]json.RawMessage
	if json.Unmarshal(body, &props) != nil {
		return "", nil
	}
	t := reflect.TypeOf(v)
	if t.Kind() != reflect.Pointer {
		return "", nil
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		one, _ := json.Marshal(map[string]json.RawMessage{k: props[k]})
		err := json.Unmarshal(one, reflect.New(t.Elem()).Interface())
		var typeErr *json.UnmarshalTypeError
		if err != nil && !errors.As(err, &typeErr) && !errors.As(err, &syntax) {
			return k, err
		}
	}
	return "", nil
}

// valueMessage says why a property's value was refused.
func valueMessage(field string, err error) string {
	var pe *time.ParseError
	if errors.As(err, &pe) {
		return fmt.Sprintf("%s must be an ISO 8601 date and time such as 2026-12-31T23:59:59Z, not %q.", field, pe.Value)
	}
	return fmt.Sprintf("%s is not a valid value: %s.", field, strings.TrimPrefix(err.Error(), "json: "))
}

func jsonKind(goKind string) string {
	switch goKind {
	case "bool":
		return "true or false"
	case "int", "int64", "int32", "uint", "uint64", "float64":
		return "a number"
	case "string":
		return "a string"
	case "slice":
		return "a list"
	case "struct", "map":
		return "an object"
	}
	return "of another type"
}

// pathID reads a path parameter that is an id; on a project route, :id is
// the project that resolveProject found by id or identifier.
func pathID(c *fiber.Ctx, name string) (int64, error) {
	if id, ok := resolvedProject(c, name); ok {
		return id, nil
	}
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id < 1 {
		return 0, domain.ErrNotFound
	}
	return id, nil
}
