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
	out := nulErrors(v)
	err := validatorInstance().Struct(v)
	if err == nil {
		return out.Err()
	}
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
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

// HasNUL reports whether s holds a NUL character. No text Hookpost stores may:
// the SQL builder refuses them (its string literals end at a NUL) and
// PostgreSQL's text type cannot hold one.
func HasNUL(s string) bool { return strings.IndexByte(s, 0) >= 0 }

// nulErrors names each text field of the struct v (strings, and lists or
// pointers of them) that holds a NUL character.
func nulErrors(v any) ValidationErrors {
	rv := reflect.Indirect(reflect.ValueOf(v))
	if rv.Kind() != reflect.Struct {
		return nil
	}
	var out ValidationErrors
	t := rv.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() || !holdsNUL(rv.Field(i)) {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			name = f.Name
		}
		label := f.Tag.Get("label")
		if label == "" {
			label = name
		}
		out = append(out, Invalid(name, "%s must not contain NUL characters (\\u0000).", label))
	}
	return out
}

func holdsNUL(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.String:
		return HasNUL(v.String())
	case reflect.Pointer, reflect.Interface:
		return !v.IsNil() && holdsNUL(v.Elem())
	case reflect.Slice, reflect.Array:
		for i := range v.Len() {
			if holdsNUL(v.Index(i)) {
				return true
			}
		}
	}
	return false
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
