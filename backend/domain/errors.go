// Package domain holds what every service shares: the typed errors that the
// HTTP layer and the desktop bindings map to OpenProject error bodies, and
// struct validation with go-playground/validator.
package domain

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; wrap them with fmt.Errorf("...: %w", ErrX) to add detail.
var (
	// ErrNotFound: the resource does not exist or is not visible (404).
	ErrNotFound = errors.New("the requested resource could not be found")
	// ErrUnauthenticated: no valid credentials (401).
	ErrUnauthenticated = errors.New("you did not provide the correct credentials")
	// ErrForbidden: authenticated but not allowed (403).
	ErrForbidden = errors.New("you are not authorized to access this resource")
	// ErrConflict: the resource changed since the client read it (409).
	ErrConflict = errors.New("your changes could not be saved because the resource was changed in the meantime")
)

// Kinds of ValidationError, mapped to OpenProject error identifiers.
const (
	KindConstraint = "PropertyConstraintViolation"
	KindReadOnly   = "PropertyIsReadOnly"
	KindFormat     = "PropertyFormatError"
	KindMissing    = "PropertyMissingError"
	// KindInvalidQuery marks a bad query parameter (filters, pageSize, sortBy): 400.
	KindInvalidQuery = "InvalidQuery"
)

// ValidationError says what is wrong with one field, in words a user can act on.
type ValidationError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
	Kind    string `json:"kind"`
}

func (e *ValidationError) Error() string { return e.Message }

// Invalid builds a constraint violation on field.
func Invalid(field, format string, args ...any) *ValidationError {
	return &ValidationError{Field: field, Message: fmt.Sprintf(format, args...), Kind: KindConstraint}
}

// ReadOnly builds a PropertyIsReadOnly error on field.
func ReadOnly(field string) *ValidationError {
	return &ValidationError{Field: field, Message: field + " was attempted to be written but is not writable.", Kind: KindReadOnly}
}

// ValidationErrors is several field errors reported together.
type ValidationErrors []*ValidationError

func (es ValidationErrors) Error() string {
	msgs := make([]string, len(es))
	for i, e := range es {
		msgs[i] = e.Message
	}
	return strings.Join(msgs, " ")
}

// Has reports whether one of the errors is about field.
func (es ValidationErrors) Has(field string) bool {
	for _, e := range es {
		if e.Field == field {
			return true
		}
	}
	return false
}

// Err returns nil for an empty list, the single error for one, and the list otherwise.
func (es ValidationErrors) Err() error {
	switch len(es) {
	case 0:
		return nil
	case 1:
		return es[0]
	}
	return es
}

// FieldErrors flattens any validation error into its field errors (nil if err is not one).
func FieldErrors(err error) []*ValidationError {
	var many ValidationErrors
	if errors.As(err, &many) {
		return many
	}
	var one *ValidationError
	if errors.As(err, &one) {
		return []*ValidationError{one}
	}
	return nil
}

// RequestError is a malformed request, answered with its own status and
// OpenProject error identifier (InvalidRequestBody, TypeNotSupported, ...).
type RequestError struct {
	Status     int
	Identifier string
	Message    string
}

func (e *RequestError) Error() string { return e.Message }
