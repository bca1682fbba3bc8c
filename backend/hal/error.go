package hal

import (
	"errors"
	"net/http"
	"strings"

	"github.com/hookpost/hookpost/backend/domain"
)

const errorURN = "urn:openproject-org:api:v3:errors:"

// ErrorResource is OpenProject's error body.
type ErrorResource struct {
	Type            string         `json:"_type"`
	ErrorIdentifier string         `json:"errorIdentifier"`
	Message         string         `json:"message"`
	Embedded        *ErrorEmbedded `json:"_embedded,omitempty"`
}

// ErrorEmbedded carries the offending attribute, or the wrapped errors of MultipleErrors.
type ErrorEmbedded struct {
	Details *ErrorDetails   `json:"details,omitempty"`
	Errors  []ErrorResource `json:"errors,omitempty"`
}

// ErrorDetails names the attribute an error is about.
type ErrorDetails struct {
	Attribute string `json:"attribute"`
}

// NewError builds an error body with identifier name (e.g. "NotFound").
func NewError(name, message string) ErrorResource {
	return ErrorResource{Type: "Error", ErrorIdentifier: errorURN + name, Message: message}
}

// Error maps any error to its HTTP status and OpenProject error body. ok is
// false for errors that are not the client's fault: their detail must be
// logged, not shown; the body then says only that an internal error occurred.
func Error(err error) (status int, body ErrorResource, ok bool) {
	if fields := domain.FieldErrors(err); len(fields) > 0 {
		bodies := make([]ErrorResource, len(fields))
		status = http.StatusUnprocessableEntity
		for i, f := range fields {
			kind := f.Kind
			if kind == "" {
				kind = domain.KindConstraint
			}
			if kind == domain.KindInvalidQuery {
				status = http.StatusBadRequest
			}
			bodies[i] = NewError(kind, f.Message)
			bodies[i].Embedded = &ErrorEmbedded{Details: &ErrorDetails{Attribute: f.Field}}
		}
		if len(bodies) == 1 {
			return status, bodies[0], true
		}
		body = NewError("MultipleErrors", "Multiple field constraints have been violated.")
		body.Embedded = &ErrorEmbedded{Errors: bodies}
		return status, body, true
	}
	for _, m := range []struct {
		target error
		status int
		name   string
	}{
		{domain.ErrNotFound, http.StatusNotFound, "NotFound"},
		{domain.ErrUnauthenticated, http.StatusUnauthorized, "Unauthenticated"},
		{domain.ErrForbidden, http.StatusForbidden, "MissingPermission"},
		{domain.ErrConflict, http.StatusConflict, "UpdateConflict"},
	} {
		if errors.Is(err, m.target) {
			// "the token has expired: <sentinel>" reads best as its own first part.
			msg := strings.TrimSuffix(err.Error(), ": "+m.target.Error())
			return m.status, NewError(m.name, sentence(msg)), true
		}
	}
	var req *domain.RequestError
	if errors.As(err, &req) {
		return req.Status, NewError(req.Identifier, req.Message), true
	}
	return http.StatusInternalServerError, NewError("InternalServerError", "An internal error occurred. The server log has the details."), false
}

// sentence capitalises the first letter and ends with a full stop, as
// OpenProject's messages do.
func sentence(s string) string {
	if s == "" {
		return s
	}
	b := []byte(s)
	if b[0] >= 'a' && b[0] <= 'z' {
		b[0] -= 'a' - 'A'
	}
	if last := b[len(b)-1]; last != '.' && last != '!' && last != '?' {
		b = append(b, '.')
	}
	return string(b)
}
