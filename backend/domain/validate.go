package domain

import (
	"errors"
	"fmt"
	"reflect"
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
		out = append(out, Invalid(fe.Field(), "%s", describe(fe)))
	}
	return out.Err()
}

func describe(fe validator.FieldError) string {
	f := fe.Field()
	switch fe.Tag() {
	case "required":
		return f + " can't be blank."
	case "min":
		if fe.Kind() == reflect.String {
			return fmt.Sprintf("%s is too short (minimum is %s characters).", f, fe.Param())
		}
		return fmt.Sprintf("%s must be at least %s (got %v).", f, fe.Param(), fe.Value())
	case "max":
		if fe.Kind() == reflect.String {
			return fmt.Sprintf("%s is too long (maximum is %s characters).", f, fe.Param())
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
