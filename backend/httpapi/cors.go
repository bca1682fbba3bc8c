package httpapi

import (
	"strings"

	"github.com/gofiber/fiber/v2"
)

// corsPrefixes are the paths CORS applies to: the APIv3 and the sign-in and
// token endpoints a cross-origin client needs.
var corsPrefixes = []string{"/api/v3", "/api/auth/", "/api/account/"}

// cors implements SPEC §2, read from the live settings on every request. A
// listed origin is echoed with credentials; anything else gets no
// Access-Control-* header at all.
func (s *server) cors(c *fiber.Ctx) error {
	path := c.Path()
	applies := false
	for _, p := range corsPrefixes {
		if strings.HasPrefix(path, p) {
			applies = true
			break
		}
	}
	if !applies {
		return c.Next()
	}
	c.Vary(fiber.HeaderOrigin)
	origin := c.Get(fiber.HeaderOrigin)
	allowed := s.Settings.Current().AllowsOrigin(origin)
	preflight := c.Method() == fiber.MethodOptions && c.Get(fiber.HeaderAccessControlRequestMethod) != ""
	if preflight {
		if allowed {
			c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
			c.Set(fiber.HeaderAccessControlAllowCredentials, "true")
			c.Set(fiber.HeaderAccessControlAllowMethods, "GET, HEAD, POST, PUT, PATCH, DELETE")
			if h := c.Get(fiber.HeaderAccessControlRequestHeaders); h != "" {
				c.Set(fiber.HeaderAccessControlAllowHeaders, h)
			}
			c.Set(fiber.HeaderAccessControlMaxAge, "7200")
		}
		return c.SendStatus(fiber.StatusNoContent)
	}
	if allowed {
		c.Set(fiber.HeaderAccessControlAllowOrigin, origin)
		c.Set(fiber.HeaderAccessControlAllowCredentials, "true")
	}
	return c.Next()
}
