// Package hal renders Hookpost's resources as OpenProject's APIv3 HAL+JSON
// representations. The REST API and the webhook payloads both call these
// functions, so the two cannot drift apart.
package hal

import (
	"bytes"
	"strconv"
	"time"

	gojson "github.com/goccy/go-json"
)

// MediaType is the content type of every APIv3 response.
const MediaType = "application/hal+json; charset=utf-8"

// Link is a HAL link object. Href is a pointer because OpenProject renders an
// absent link as {"href": null}.
type Link struct {
	Href      *string `json:"href"`
	Title     string  `json:"title,omitempty"`
	Templated bool    `json:"templated,omitempty"`
	Method    string  `json:"method,omitempty"`
}

// Href builds a link to href.
func Href(href string) *Link { return &Link{Href: &href} }

// Titled builds a link with a title.
func Titled(href, title string) *Link { return &Link{Href: &href, Title: title} }

// Action builds an action link (a link with an HTTP method).
func Action(href, method string) *Link { return &Link{Href: &href, Method: method} }

// Null is the link to nothing: {"href": null}.
func Null() *Link { return &Link{} }

// DateTime formats t as OpenProject does: ISO 8601 in UTC with a Z.
func DateTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// Marshal encodes JSON (with go-json, a faster drop-in for encoding/json)
// without HTML escaping, so that links read
// "?offset=1&pageSize=20" and HTML reads "<p>", as OpenProject's do. The API
// responses and the webhook payloads are both encoded with it.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := gojson.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}
