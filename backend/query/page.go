package query

import (
	"fmt"
	"strconv"

	"github.com/hookpost/hookpost/backend/domain"
)

// DefaultPageSize is the page size when a request names none (OpenProject's
// smallest per-page option), clamped to maxPageSize.
const DefaultPageSize = 20

// Page is a resolved page request: 1-based page number and its size.
type Page struct {
	Offset int // 1-based page number
	Size   int // 0 means "total only"
}

// SQLOffset is the number of rows to skip.
func (p Page) SQLOffset() int { return (p.Offset - 1) * p.Size }

// ParsePage applies OpenProject's rules to the offset and pageSize query
// values: offset is a 1-based page (non-numeric or < 1 means 1), pageSize -1
// means maxPageSize, anything larger than maxPageSize is clamped, 0 asks for
// the total only.
func ParsePage(offset, pageSize string, maxPageSize int) (Page, error) {
	p := Page{Offset: 1, Size: min(DefaultPageSize, maxPageSize)}
	if n, err := strconv.Atoi(offset); err == nil && n > 1 {
		p.Offset = n
	}
	if pageSize != "" {
		n, err := strconv.Atoi(pageSize)
		if err != nil || n < -1 {
			return p, &domain.ValidationError{Field: "pageSize", Kind: domain.KindInvalidQuery,
				Message: fmt.Sprintf("pageSize %q is not accepted: use a whole number from 0 to %d, or -1 for the maximum.", pageSize, maxPageSize)}
		}
		switch {
		case n == -1 || n > maxPageSize:
			p.Size = maxPageSize
		default:
			p.Size = n
		}
	}
	return p, nil
}
