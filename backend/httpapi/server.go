// Package httpapi is Hookpost's HTTP shell: one Fiber app with one route
// table, small handlers over the backend services, one error handler, CORS,
// the OpenAPI document, the docs page and the SPA.
package httpapi

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/dispatch"
	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/live"
	"github.com/hookpost/hookpost/backend/settings"
	"github.com/hookpost/hookpost/backend/store"
	"github.com/hookpost/hookpost/backend/tracker"
	"github.com/hookpost/hookpost/backend/webhooks"
)

// Deps are the services the HTTP shell calls.
type Deps struct {
	Store    *store.Store
	Settings *settings.Service
	Auth     *auth.Service
	Tracker  *tracker.Service
	Webhooks *webhooks.Service
	// Dispatcher sends test deliveries.
	Dispatcher *dispatch.Dispatcher
	// Live is what GET /api/admin/stream serves; New makes one when nil.
	Live    *live.Hub
	Log     *slog.Logger
	Version string
	// MetricsToken, when not empty, is a bearer token that may read
	// /metrics besides administrators' API tokens (--metrics-token).
	MetricsToken string
	// SPA is the built frontend (index.html, docs.html, assets/); it may be
	// empty in tests.
	SPA fs.FS
}

type server struct {
	Deps
	openAPIJSON []byte
	openAPIYAML []byte
	cache       responseCache
	builds      builds
	large       *largePages
	requests    requestCounter
	// table is the route table, for 405 answers.
	table []route
}

// New builds the Fiber app.
func New(d Deps) (*fiber.App, error) {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Live == nil {
		d.Live = live.NewHub()
	}
	s := &server{Deps: d, large: newLargePages()}
	app := fiber.New(fiber.Config{
		AppName:               "Hookpost",
		DisableStartupMessage: true,
		ErrorHandler:          s.handleError,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
		// Bodies are streamed: fasthttp reads the headers and at most 8 KiB
		// of the body before the handler runs, so an unauthenticated client
		// cannot make the server hold (or spool to disk) a large body, and
		// each route reads the body only after authentication, up to its own
		// limit, answering 413 in the API's error format beyond it (see
		// bodyReader). fasthttp's own refusal, a reset connection, is never
		// used. Multipart is parsed only by the attachment route.
		StreamRequestBody:            true,
		DisablePreParseMultipartForm: true,
		BodyLimit:                    maxUploadBody,
		JSONEncoder:                  hal.Marshal,
	})
	s.invalidateOnRemoteWrites()
	if err := s.followOtherProcesses(); err != nil {
		return nil, err
	}
	app.Use(s.finishBody, s.recoverPanic, s.logRequest, s.commonHeaders, s.cors)
	routes := s.routes()
	for _, r := range routes {
		app.Add(r.method, r.path, s.routeHandlers(r)...)
		if r.method == fiber.MethodGet {
			app.Add(fiber.MethodHead, r.path, s.routeHandlers(r)...)
		}
	}
	s.table = routes
	var err error
	if s.openAPIJSON, s.openAPIYAML, err = buildOpenAPI(routes, d.Version); err != nil {
		return nil, err
	}
	app.All("/api/*", s.noRoute)
	app.Get("/*", s.spa)
	app.Use(s.noRoute)
	return app, nil
}

// noRoute answers a request no route took: 405 with Allow when the path has
// routes for other methods, 404 otherwise. Under /api the request is
// authenticated first (unless the path has a public route), so that an
// anonymous client learns nothing about the API's paths and never gets
// further than a 401.
func (s *server) noRoute(c *fiber.Ctx) error {
	var methods []string
	anyPublic := false
	for _, r := range s.table {
		if matchPath(r.path, c.Path()) {
			methods = append(methods, r.method)
			if r.method == fiber.MethodGet {
				methods = append(methods, fiber.MethodHead)
			}
			anyPublic = anyPublic || r.access == public
		}
	}
	if p := c.Path(); (p == "/api" || strings.HasPrefix(p, "/api/")) && !anyPublic {
		if _, err := s.authenticate(c); err != nil {
			return err
		}
	}
	if len(methods) == 0 {
		return fiber.NewError(fiber.StatusNotFound, "The requested resource could not be found.")
	}
	c.Set(fiber.HeaderAllow, strings.Join(methods, ", "))
	return fiber.NewError(fiber.StatusMethodNotAllowed, fmt.Sprintf("The method %s is not allowed on this resource; allowed are %s.", c.Method(), strings.Join(methods, ", ")))
}

// matchPath reports whether path matches a route pattern of the table
// (":name" matches one segment), as Fiber's default routing does: ignoring
// case and a trailing slash.
func matchPath(pattern, path string) bool {
	ps := strings.Split(strings.Trim(pattern, "/"), "/")
	xs := strings.Split(strings.Trim(path, "/"), "/")
	if len(ps) != len(xs) {
		return false
	}
	for i, p := range ps {
		if strings.HasPrefix(p, ":") {
			if xs[i] == "" {
				return false
			}
			continue
		}
		if !strings.EqualFold(p, xs[i]) {
			return false
		}
	}
	return true
}

// handleError is the one place errors become responses.
func (s *server) handleError(c *fiber.Ctx, err error) error {
	var fe *fiber.Error
	var status int
	var body hal.ErrorResource
	if errors.As(err, &fe) {
		status = fe.Code
		body = hal.NewError(identifierForStatus(fe.Code), fe.Message)
	} else {
		var ok bool
		status, body, ok = hal.Error(err)
		if !ok {
			s.Log.ErrorContext(c.UserContext(), "request failed", "method", c.Method(), "path", c.Path(), "error", err)
		}
	}
	if status == fiber.StatusUnauthorized {
		c.Set("WWW-Authenticate", s.authChallenge(c))
	}
	c.Set(fiber.HeaderContentType, errorContentType(c.Path()))
	return c.Status(status).JSON(body, errorContentType(c.Path()))
}

func errorContentType(path string) string {
	if strings.HasPrefix(path, "/api/v3") {
		return hal.MediaType
	}
	return fiber.MIMEApplicationJSONCharsetUTF8
}

func identifierForStatus(code int) string {
	switch code {
	case fiber.StatusBadRequest:
		return "BadRequest"
	case fiber.StatusUnauthorized:
		return "Unauthenticated"
	case fiber.StatusForbidden:
		return "MissingPermission"
	case fiber.StatusNotFound:
		return "NotFound"
	case fiber.StatusMethodNotAllowed:
		// OpenProject has no identifier for these statuses: each is named
		// after its status, in OpenProject's format.
		return "MethodNotAllowed"
	case fiber.StatusRequestTimeout:
		return "RequestTimeout"
	case fiber.StatusConflict:
		return "UpdateConflict"
	case fiber.StatusRequestEntityTooLarge:
		return "RequestTooLarge"
	case fiber.StatusRequestHeaderFieldsTooLarge:
		return "RequestHeaderFieldsTooLarge"
	case fiber.StatusTooManyRequests:
		return "TooManyRequests"
	case fiber.StatusUnsupportedMediaType:
		return "TypeNotSupported"
	case fiber.StatusUnprocessableEntity:
		return "PropertyConstraintViolation"
	}
	return "InternalServerError"
}

// finishBody reads and discards what the handler left of the request body,
// before the response is written: a client still sending a body it was
// refused (401, 404, 413) then reads the answer instead of a connection reset,
// and the next request on the connection starts where it should. The read
// is bounded by ReadTimeout; a body that cannot be finished closes the
// connection.
func (s *server) finishBody(c *fiber.Ctx) error {
	err := c.Next()
	if rs := c.Context().RequestBodyStream(); rs != nil {
		// Reading is bounded too: past maxDrain (a client that declares or
		// sends more than any route takes, many times over) the connection
		// is closed instead.
		n, derr := io.CopyN(io.Discard, rs, maxDrain+1)
		if derr != nil && derr != io.EOF || n > maxDrain || c.Request().Header.ContentLength() > maxDrain {
			c.Set(fiber.HeaderConnection, "close")
		}
	}
	return err
}

// maxDrain is how much of a refused or unread body finishBody reads.
const maxDrain = 4 * maxUploadBody

func (s *server) recoverPanic(c *fiber.Ctx) (err error) {
	defer func() {
		if r := recover(); r != nil {
			s.Log.Error("panic in handler", "method", c.Method(), "path", c.Path(), "panic", r)
			err = errors.New("panic")
		}
	}()
	return c.Next()
}

func (s *server) logRequest(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	if err != nil {
		if herr := c.App().ErrorHandler(c, err); herr != nil {
			_ = c.SendStatus(fiber.StatusInternalServerError)
		}
	}
	// Fiber reuses the method string's bytes: the counter keeps a copy.
	s.requests.add(strings.Clone(c.Method()), c.Response().StatusCode())
	level := slog.LevelDebug
	if c.Response().StatusCode() >= 500 {
		level = slog.LevelWarn
	}
	// The path only: query strings may carry filters with personal data.
	s.Log.Log(context.Background(), level, "http request", "method", c.Method(), "path", c.Path(),
		"status", c.Response().StatusCode(), "duration_ms", float64(time.Since(start).Microseconds())/1000)
	return nil
}

func (s *server) commonHeaders(c *fiber.Ctx) error {
	c.Set("Link", `</api/v3/openapi.json>; rel="service-desc"`)
	c.Set("X-Content-Type-Options", "nosniff")
	c.Set("Referrer-Policy", "same-origin")
	return c.Next()
}
