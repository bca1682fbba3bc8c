package domain

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"github.com/go-playground/validator/v10"
)

var (
	validateOnce sync.Once
	validate     *validator.Validate
)

// validatorInstance returns the process-wide validator; it caches struct
// metadata, so one instance is the intended use.
func validatorInstance() *validator.Validate {
	validateOnce.Do(func() {
		validate = validator.New(validator.WithRequiredStructEnabled())
		validate.RegisterTagNameFunc(func(f reflect.StructField) string {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "-" || name == "" {
				return f.Name
			}
			return name
		})
	})
	return validate
}

// Validate checks v's `validate` tags and returns ValidationErrors naming each
// field by its JSON name and saying what is accepted.
func Validate(v any) error {
	err := validatorInstance().Struct(v)
	if err == nil {
		return nil
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
	var out ValidationErrors
	for _, fe := range verrs {
		// An element of a list ("corsOrigins[2]") is reported on the list,
		// which is the property a client sent; the message names the entry.
		field, label := fe.Field(), labelOf(v, fe)
		if name, index, ok := strings.Cut(field, "["); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(index, "]"))
			field, label = name, fmt.Sprintf("%s entry %d", label, n+1)
		}
		out = append(out, Invalid(field, "%s", describe(fe, label)))
	}
	return out.Err()
}

func describe(fe validator.FieldError, f string) string {
	switch fe.Tag() {
	case "required":
		return f + " can't be blank."
	case "min":
		switch fe.Kind() {
		case reflect.String:
			return fmt.Sprintf("%s is too short (minimum is %s characters).", f, fe.Param())
		case reflect.Slice, reflect.Map:
			return fmt.Sprintf("%s has too few entries (minimum is %s).", f, fe.Param())
		}
		return fmt.Sprintf("%s must be at least %s (got %v).", f, fe.Param(), fe.Value())
	case "max":
		switch fe.Kind() {
		case reflect.String:
			return fmt.Sprintf("%s is too long (maximum is %s characters).", f, fe.Param())
		case reflect.Slice, reflect.Map:
			return fmt.Sprintf("%s has too many entries (maximum is %s).", f, fe.Param())
		}
		return fmt.Sprintf("%s must be at most %s (got %v).", f, fe.Param(), fe.Value())
	case "oneof":
		return fmt.Sprintf("%s must be one of: %s.", f, strings.ReplaceAll(fe.Param(), " ", ", "))
	case "email":
		return f + " is not a valid email address."
	case "url", "http_url":
		return f + " must be an absolute http(s) URL."
	}
	return fmt.Sprintf("%s is invalid (%s).", f, fe.Tag())
}

// labelOf is the field as a user reads it (SPEC §7: errors name the field by
// its label): the `label` tag of the struct field, or else its JSON name.
func labelOf(v any, fe validator.FieldError) string {
	t := reflect.TypeOf(v)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	name, _, _ := strings.Cut(fe.StructField(), "[")
	if t != nil && t.Kind() == reflect.Struct {
		if f, ok := t.FieldByName(name); ok {
			if l := f.Tag.Get("label"); l != "" {
				return l
			}
		}
	}
	name, _, _ = strings.Cut(fe.Field(), "[")
	return name
}
