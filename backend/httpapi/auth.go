package httpapi

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/domain"
)

// Names shared with the SPA.
const (
	sessionCookie = "hookpost_session"
	csrfHeader    = "X-CSRF-Token"
	realm         = "Hookpost API"
)

type access int

const (
	public access = iota
	signedIn
	adminOnly
)

const userKey = "hookpost.user"

// guard authenticates the request as route access demands.
func (s *server) guard(a access) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if a == public {
			return c.Next()
		}
		u, err := s.authenticate(c)
		if err != nil {
			return err
		}
		if a == adminOnly && !u.Admin {
			return fmt.Errorf("only administrators may do this: %w", domain.ErrForbidden)
		}
		c.Locals(userKey, u)
		return c.Next()
	}
}

// authenticate tries, in OpenProject's order, Basic apikey:<token>, Bearer
// <token>, then the SPA's session cookie (non-GET requests must also carry
// the session's CSRF token in X-CSRF-Token).
func (s *server) authenticate(c *fiber.Ctx) (auth.User, error) {
	u, sess, err := s.credentials(c.UserContext(), c.Get(fiber.HeaderAuthorization), c.Cookies(sessionCookie))
	if err != nil || sess == nil {
		return u, err
	}
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
	default:
		if !sess.CheckCSRF(c.Get(csrfHeader)) {
			return auth.User{}, fmt.Errorf("a signed-in browser must send the %s header with this request: %w", csrfHeader, domain.ErrUnauthenticated)
		}
	}
	return u, nil
}

// credentials authenticates an Authorization header or, without one, a
// session cookie (then returned too, for its CSRF token). A long-lived
// response (the live stream) calls it again with the values it captured, so
// that a revoked token or an ended session stops it.
func (s *server) credentials(ctx context.Context, authorization, cookie string) (auth.User, *auth.Session, error) {
	if authorization != "" {
		scheme, cred, _ := strings.Cut(authorization, " ")
		switch strings.ToLower(scheme) {
		case "basic":
			raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred))
			if err != nil {
				return auth.User{}, nil, domain.ErrUnauthenticated
			}
			user, token, _ := strings.Cut(string(raw), ":")
			if user != "apikey" {
				return auth.User{}, nil, fmt.Errorf("basic authentication takes the user name 'apikey' and an API token as password: %w", domain.ErrUnauthenticated)
			}
			u, err := s.Auth.AuthenticateToken(ctx, token)
			return u, nil, err
		case "bearer":
			u, err := s.Auth.AuthenticateToken(ctx, strings.TrimSpace(cred))
			return u, nil, err
		default:
			return auth.User{}, nil, fmt.Errorf("unsupported authorization scheme %q: use Basic or Bearer: %w", scheme, domain.ErrUnauthenticated)
		}
	}
	sess, err := s.Auth.SessionByCookie(ctx, cookie)
	if err != nil {
		return auth.User{}, nil, err
	}
	return sess.User, &sess, nil
}

// authChallenge is the WWW-Authenticate value. A client may ask for another
// scheme with X-Authentication-Scheme (OpenProject's convention), which the
// SPA does with "Session" so that browsers do not pop up a Basic dialog.
func (s *server) authChallenge(c *fiber.Ctx) string {
	scheme := "Basic"
	if v := c.Get("X-Authentication-Scheme"); v == "Session" || v == "Bearer" {
		scheme = v
	}
	return scheme + ` realm="` + realm + `"`
}

func currentUser(c *fiber.Ctx) auth.User {
	u, ok := c.Locals(userKey).(auth.User)
	if !ok {
		panic(errors.New("currentUser on a public route"))
	}
	return u
}
