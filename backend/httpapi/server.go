// Package httpapi is Hookpost's HTTP shell: one Fiber app with one route
// table, small handlers over the backend services, one error handler, CORS,
// the OpenAPI document, the docs page and the SPA.
package httpapi

import (
	"context"
	"errors"
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
	// SPA is the built frontend (index.html, docs.html, assets/); it may be
	// empty in tests.
	SPA fs.FS
}

type server struct {
	Deps
	openAPIJSON []byte
	openAPIYAML []byte
	cache       responseCache
	requests    requestCounter
}

// New builds the Fiber app.
func New(d Deps) (*fiber.App, error) {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	if d.Live == nil {
		d.Live = live.NewHub()
	}
	s := &server{Deps: d}
	app := fiber.New(fiber.Config{
		AppName:               "Hookpost",
		DisableStartupMessage: true,
		ErrorHandler:          s.handleError,
		ReadTimeout:           30 * time.Second,
		WriteTimeout:          60 * time.Second,
		IdleTimeout:           120 * time.Second,
		// Attachments may be 16 MiB; larger bodies up to twice that get a
		// clear 413 from the handler, beyond it fasthttp refuses them.
		BodyLimit:   2 * tracker.MaxAttachmentSize,
		JSONEncoder: hal.Marshal,
	})
	s.invalidateOnRemoteWrites()
	app.Use(s.recoverPanic, s.logRequest, s.commonHeaders, s.cors)
	routes := s.routes()
	for _, r := range routes {
		app.Add(r.method, r.path, s.guard(r.access), r.handler)
	}
	var err error
	if s.openAPIJSON, s.openAPIYAML, err = buildOpenAPI(routes, d.Version); err != nil {
		return nil, err
	}
	app.All("/api/*", func(c *fiber.Ctx) error {
		return fiber.NewError(fiber.StatusNotFound, "The requested resource could not be found.")
	})
	app.Get("/*", s.spa)
	return app, nil
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
		return "NotFound"
	case fiber.StatusConflict:
		return "UpdateConflict"
	case fiber.StatusRequestEntityTooLarge:
		return "RequestTooLarge"
	case fiber.StatusUnsupportedMediaType:
		return "TypeNotSupported"
	case fiber.StatusUnprocessableEntity:
		return "PropertyConstraintViolation"
	}
	return "InternalServerError"
}

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
