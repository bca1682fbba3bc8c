package hal

import (
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/hookpost/hookpost/backend/query"
)

// Collection is OpenProject's offset-paginated collection.
type Collection[T any] struct {
	Type     string `json:"_type"`
	Total    int    `json:"total"`
	Count    int    `json:"count"`
	PageSize int    `json:"pageSize"`
	Offset   int    `json:"offset"`
	Embedded struct {
		Elements []T `json:"elements"`
	} `json:"_embedded"`
	Links CollectionLinks `json:"_links"`
}

// CollectionLinks are a collection's navigation links.
type CollectionLinks struct {
	Self             *Link `json:"self"`
	JumpTo           *Link `json:"jumpTo,omitempty"`
	ChangeSize       *Link `json:"changeSize,omitempty"`
	PreviousByOffset *Link `json:"previousByOffset,omitempty"`
	NextByOffset     *Link `json:"nextByOffset,omitempty"`
}

// NewCollection renders one page of elements. base is the collection's path;
// query is the request's query, which every link preserves.
func NewCollection[T any](base string, query url.Values, page query.Page, total int, elements []T) Collection[T] {
	if elements == nil {
		elements = []T{}
	}
	c := Collection[T]{Type: "Collection", Total: total, Count: len(elements), PageSize: page.Size, Offset: page.Offset}
	c.Embedded.Elements = elements
	link := func(offset, size string) string {
		return base + "?" + encodeQuery(query, offset, size)
	}
	c.Links.Self = Href(link(strconv.Itoa(page.Offset), strconv.Itoa(page.Size)))
	c.Links.JumpTo = &Link{Href: ptr(link("{offset}", strconv.Itoa(page.Size))), Templated: true}
	c.Links.ChangeSize = &Link{Href: ptr(link(strconv.Itoa(page.Offset), "{size}")), Templated: true}
	if page.Size > 0 {
		if page.Offset > 1 {
			c.Links.PreviousByOffset = Href(link(strconv.Itoa(page.Offset-1), strconv.Itoa(page.Size)))
		}
		if page.Offset*page.Size < total {
			c.Links.NextByOffset = Href(link(strconv.Itoa(page.Offset+1), strconv.Itoa(page.Size)))
		}
	}
	return c
}

// encodeQuery re-encodes query in a stable order with offset and pageSize
// last; the "{offset}"/"{size}" template variables stay unescaped.
func encodeQuery(query url.Values, offset, size string) string {
	keys := make([]string, 0, len(query))
	for k := range query {
		if k != "offset" && k != "pageSize" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		for _, v := range query[k] {
			b.WriteString(url.QueryEscape(k) + "=" + url.QueryEscape(v) + "&")
		}
	}
	b.WriteString("offset=" + offset + "&pageSize=" + size)
	return b.String()
}

func ptr(s string) *string { return &s }

// UnpagedCollection is how OpenProject answers the collections it does not
// page (statuses, types, priorities, a work package's activities and
// attachments): every element with total and count, a self link, and no
// offset, pageSize or paging links, so that a client paging until it holds
// total elements stops after the first answer.
type UnpagedCollection[T any] struct {
	Type     string `json:"_type"`
	Total    int    `json:"total"`
	Count    int    `json:"count"`
	Embedded struct {
		Elements []T `json:"elements"`
	} `json:"_embedded"`
	Links struct {
		Self *Link `json:"self"`
	} `json:"_links"`
}

// NewUnpagedCollection renders all of elements; self is the collection's path.
func NewUnpagedCollection[T any](self string, elements []T) UnpagedCollection[T] {
	if elements == nil {
		elements = []T{}
	}
	c := UnpagedCollection[T]{Type: "Collection", Total: len(elements), Count: len(elements)}
	c.Embedded.Elements = elements
	c.Links.Self = Href(self)
	return c
}
