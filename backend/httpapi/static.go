package httpapi

import (
	"errors"
	"io/fs"
	"mime"
	"net/url"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"
)

func queryValues(c *fiber.Ctx) url.Values {
	q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	return q
}

func (s *server) openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(s.openAPIJSON)
}

func (s *server) openAPIYAMLHandler(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, "text/vnd.yaml; charset=utf-8")
	return c.Send(s.openAPIYAML)
}

// docs serves the interactive API docs while docsEnabled is on.
func (s *server) docs(c *fiber.Ctx) error {
	if !s.Settings.Current().DocsEnabled {
		return fiber.NewError(fiber.StatusNotFound, "The API documentation is disabled. An administrator can enable it in the API settings.")
	}
	return s.sendAsset(c, "docs.html")
}

// spa serves the built frontend: a file if it exists, otherwise index.html so
// that the SPA's own routes survive a reload.
func (s *server) spa(c *fiber.Ctx) error {
	name := strings.TrimPrefix(path.Clean("/"+c.Params("*")), "/")
	if name == "" || name == "docs.html" {
		name = "index.html"
	}
	if s.SPA != nil {
		if st, err := fs.Stat(s.SPA, name); err != nil || st.IsDir() {
			name = "index.html"
		}
	}
	return s.sendAsset(c, name)
}

func (s *server) sendAsset(c *fiber.Ctx, name string) error {
	if s.SPA == nil {
		return fiber.NewError(fiber.StatusNotFound, "The frontend is not part of this build.")
	}
	data, err := fs.ReadFile(s.SPA, name)
	if errors.Is(err, fs.ErrNotExist) {
		return fiber.NewError(fiber.StatusNotFound, "The frontend is not part of this build: run 'npm --prefix frontend run build'.")
	}
	if err != nil {
		return err
	}
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	c.Set(fiber.HeaderContentType, ctype)
	if strings.HasPrefix(name, "assets/") {
		// Vite puts a content hash in every asset name.
		c.Set(fiber.HeaderCacheControl, "public, max-age=31536000, immutable")
	} else {
		c.Set(fiber.HeaderCacheControl, "no-cache")
		c.Set("X-Frame-Options", "DENY")
		c.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'")
	}
	return c.Send(data)
}
