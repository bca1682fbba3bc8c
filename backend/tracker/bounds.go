package tracker

import (
	"unicode/utf8"

	"github.com/hookpost/hookpost/backend/domain"
)

// Bounds of the texts a client writes, in characters (Unicode code points, as
// JSON Schema's maxLength counts them). Each is stated here only: the
// validation below and the OpenAPI document (through hal's field tables) read
// these constants. Without them one 20 MB description made every page that
// lists it 42 MB.
const (
	// MaxNameLength bounds project names, work package subjects and
	// attachment file names (OpenProject's 255).
	MaxNameLength = 255
	// MaxIdentifierLength bounds project identifiers (OpenProject's
	// Project::IDENTIFIER_MAX_LENGTH).
	MaxIdentifierLength = 100
	// MaxFormattableLength bounds formattable texts: project and work package
	// descriptions and comments. 64 Ki characters is about 30 printed pages.
	MaxFormattableLength = 64 << 10
	// MaxTimeEntryCommentLength bounds a time entry's comment (OpenProject's 255).
	MaxTimeEntryCommentLength = 255
	// MaxAttachmentDescriptionLength bounds an attachment's description
	// (OpenProject's 255).
	MaxAttachmentDescriptionLength = 255
)

// IdentifierPattern is what a project identifier looks like (OpenProject's rule).
const IdentifierPattern = `^[a-z][a-z0-9_-]*$`

// MaxCommentLength bounds a comment's text.
const MaxCommentLength = MaxFormattableLength

// tooLong appends a constraint violation on field when v holds more than max
// characters; label is the field as a user reads it.
func tooLong(errs *domain.ValidationErrors, field, label string, v *string, max int) {
	if v != nil && len(*v) > max && utf8.RuneCountInString(*v) > max {
		*errs = append(*errs, domain.Invalid(field, "%s is too long (maximum is %d characters).", label, max))
	}
}

// boundErrors checks the lengths of a project's texts.
func (in ProjectInput) boundErrors() domain.ValidationErrors {
	var errs domain.ValidationErrors
	tooLong(&errs, "identifier", "Identifier", in.Identifier, MaxIdentifierLength)
	tooLong(&errs, "name", "Name", in.Name, MaxNameLength)
	tooLong(&errs, "description", "Description", in.Description, MaxFormattableLength)
	return errs
}

// boundErrors checks the lengths of a work package's texts.
func (in WorkPackageInput) boundErrors() domain.ValidationErrors {
	var errs domain.ValidationErrors
	tooLong(&errs, "subject", "Subject", in.Subject, MaxNameLength)
	tooLong(&errs, "description", "Description", in.Description, MaxFormattableLength)
	return errs
}

// boundErrors checks the length of a time entry's comment.
func (in TimeEntryInput) boundErrors() domain.ValidationErrors {
	var errs domain.ValidationErrors
	tooLong(&errs, "comment", "Comment", in.Comment, MaxTimeEntryCommentLength)
	return errs
}

// boundErrors checks the lengths of an upload's file name and description.
func (in NewAttachment) boundErrors() domain.ValidationErrors {
	var errs domain.ValidationErrors
	tooLong(&errs, "fileName", "File name", &in.FileName, MaxNameLength)
	tooLong(&errs, "description", "Description", &in.Description, MaxAttachmentDescriptionLength)
	return errs
}
