package store

import (
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hookpost/hookpost/backend/domain"
)

// PostgreSQL error codes (SQLSTATE) the store acts on.
const (
	pgUniqueViolation      = "23505"
	pgForeignKeyViolation  = "23503"
	pgCheckViolation       = "23514"
	pgSerializationFailure = "40001"
	pgDeadlockDetected     = "40P01"
)

func pgCode(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Code
	}
	return ""
}

// retryAlone reports whether a write that failed with err should run again
// in a transaction of its own. PostgreSQL aborts a transaction that lost a
// deadlock or a serialization check; and under READ COMMITTED a unique or
// foreign-key check can fail on a row another instance committed after this
// transaction's service read the table (two instances deriving the same
// project identifier at once). Run again, the service reads that row and
// answers exactly as on SQLite, where the single writer lock serialises the
// read and the write: the next free identifier, or its own 422.
func retryAlone(err error) bool {
	switch pgCode(err) {
	case pgSerializationFailure, pgDeadlockDetected, pgUniqueViolation, pgForeignKeyViolation:
		return true
	}
	return false
}

// constraintErrors are the domain errors of the unique indexes, by
// constraint name, with the messages the services give for the same clash
// when they see it first.
var constraintErrors = map[string]func() error{
	"projects_identifier_key": func() error {
		return domain.Invalid("identifier", "Identifier has already been taken.")
	},
	"users_login_lower": func() error {
		return domain.Invalid("login", "Login has already been taken.")
	},
	"webhooks_name_lower": func() error {
		return domain.Invalid("name", "Name has already been taken (names are compared ignoring case).")
	},
	"relations_pair": func() error {
		return fmt.Errorf("the work packages are already related: change or delete that relation: %w", domain.ErrConflict)
	},
}

// detailKey reads the column of PostgreSQL's detail "Key (login)=(x) ...".
var detailKey = regexp.MustCompile(`^Key \(([a-z_]+)\)`)

// ConstraintError maps a PostgreSQL constraint violation to the domain error
// a client can act on (a 422 naming the field, or a 409), never a 500:
// services check uniqueness and references before they write, but on
// PostgreSQL another instance may write between the check and the write.
// Any other error is returned as it is.
func ConstraintError(err error) error {
	var pe *pgconn.PgError
	if err == nil || !errors.As(err, &pe) {
		return err
	}
	field := ""
	if m := detailKey.FindStringSubmatch(pe.Detail); m != nil {
		field = fieldName(m[1])
	}
	switch pe.Code {
	case pgUniqueViolation:
		if f, ok := constraintErrors[pe.ConstraintName]; ok {
			return f()
		}
		if field == "" {
			return fmt.Errorf("%s: %w", pe.Message, domain.ErrConflict)
		}
		return domain.Invalid(field, "%s has already been taken.", capitalize(field))
	case pgForeignKeyViolation:
		if strings.Contains(pe.Detail, "still referenced") {
			return fmt.Errorf("it is still in use: %w", domain.ErrConflict)
		}
		if field == "" {
			field = pe.ConstraintName
		}
		return domain.Invalid(field, "%s does not exist.", capitalize(field))
	case pgCheckViolation:
		return domain.Invalid(pe.ConstraintName, "The value violates the constraint %s.", pe.ConstraintName)
	}
	return err
}

// fieldName is a column's name as the API spells its attribute:
// assignee_id → assignee, project_id → project, due_date → dueDate.
func fieldName(col string) string {
	col = strings.TrimSuffix(col, "_id")
	parts := strings.Split(col, "_")
	for i := 1; i < len(parts); i++ {
		parts[i] = capitalize(parts[i])
	}
	return strings.Join(parts, "")
}

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
