package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hookpost/hookpost/backend/domain"
)

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
	body := c.Body()
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
	return body, nil
}

// decodeStrict decodes one JSON value, refusing unknown properties.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
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

func pathID(c *fiber.Ctx, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id < 1 {
		return 0, domain.ErrNotFound
	}
	return id, nil
}
