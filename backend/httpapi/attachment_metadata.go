package httpapi

import (
	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/tracker"
)

// readAttachmentMetadata reads the "metadata" part of an attachment upload,
// {"fileName": ..., "contentType": ..., "description": {"raw": ...}}, over
// what the "file" part said: a name or type it leaves empty stays as the
// file part had it. Any error is a validation error naming metadata.
func readAttachmentMetadata(data []byte, in *tracker.NewAttachment) error {
	var md struct {
		FileName    string `json:"fileName"`
		ContentType string `json:"contentType"`
		Description struct {
			Raw string `json:"raw"`
		} `json:"description"`
	}
	if err := decodeStrict(data, &md); err != nil {
		return domain.Invalid("metadata", "The metadata part must be JSON such as {\"fileName\": \"a.png\"}: %v.", err)
	}
	if md.FileName != "" {
		in.FileName = md.FileName
	}
	if md.ContentType != "" {
		in.ContentType = md.ContentType
	}
	in.Description = md.Description.Raw
	return nil
}
