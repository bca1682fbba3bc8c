package query

import (
	"errors"
	"fmt"
	"math"
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

// SQLOffset is the number of rows to skip. ParsePage keeps Offset small
// enough for this (and Offset*Size) to fit in an int.
func (p Page) SQLOffset() int { return (p.Offset - 1) * p.Size }

// ParsePage applies OpenProject's rules to the offset and pageSize query
// values: offset is a 1-based page (non-numeric or < 1 means 1), pageSize -1
// means maxPageSize, anything larger than maxPageSize is clamped, 0 asks for
// the total only.
//
// Numbers too large for an int are read as "very large", not as errors: an
// offset far past the end answers an empty page, and a huge pageSize is
// clamped like any other. The offset is capped where the page's first row
// would no longer fit in an int, which is past any collection.
func ParsePage(offset, pageSize string, maxPageSize int) (Page, error) {
	p := Page{Offset: 1, Size: min(DefaultPageSize, maxPageSize)}
	if pageSize != "" {
		n, err := atoi(pageSize)
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
	if n, err := atoi(offset); err == nil && n > 1 {
		p.Offset = min(n, math.MaxInt/max(p.Size, 1))
	}
	return p, nil
}

// atoi is strconv.Atoi saturating at the int range instead of failing.
func atoi(s string) (int, error) {
	n, err := strconv.Atoi(s)
	var ne *strconv.NumError
	if errors.As(err, &ne) && ne.Err == strconv.ErrRange {
		return n, nil // math.MaxInt or math.MinInt, by sign
	}
	return n, err
}
