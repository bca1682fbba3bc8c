package httpapi

import (
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/query"
	"github.com/hookpost/hookpost/backend/settings"
)

func (s *server) healthz(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"status": "ok"})
}

func (s *server) readyz(c *fiber.Ctx) error {
	ctx := c.UserContext()
	if err := s.Store.DB.PingContext(ctx); err != nil {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "database unreachable"})
	}
	pending, err := s.Store.Pending(ctx)
	if err != nil || len(pending) > 0 {
		return c.Status(fiber.StatusServiceUnavailable).JSON(fiber.Map{"status": "migrations pending", "pending": pending})
	}
	return c.JSON(fiber.Map{"status": "ok"})
}

// sessionBody is what the SPA learns on sign-in and on reload.
type sessionBody struct {
	User      hal.UserResource `json:"user"`
	CSRFToken string           `json:"csrfToken"`
	ExpiresAt string           `json:"expiresAt"`
}

func newSessionBody(sess auth.Session) sessionBody {
	return sessionBody{User: hal.User(sess.User, sess.User), CSRFToken: sess.CSRFToken, ExpiresAt: hal.DateTime(sess.ExpiresAt)}
}

// loginRequest is bounded as auth.NewUser is: no longer login or password exists.
type loginRequest struct {
	Login    string `json:"login" validate:"required,max=256" label:"Login"`
	Password string `json:"password" validate:"required,max=1024" label:"Password"`
}

func (s *server) login(c *fiber.Ctx) error {
	var in loginRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if err := domain.Validate(in); err != nil {
		return err
	}
	// c.IP() is the socket's address: X-Forwarded-For is not trusted, since
	// Hookpost is not configured to sit behind a known proxy.
	sess, err := s.Auth.Login(c.UserContext(), in.Login, in.Password, c.IP())
	var limited *auth.LimitError
	if errors.As(err, &limited) {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(limited.RetryAfterSeconds()))
	}
	if err != nil {
		return err
	}
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: sess.Cookie, Path: "/", Expires: sess.ExpiresAt,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode, Secure: c.Protocol() == "https"})
	s.Log.Info("signed in", "user_id", sess.User.ID)
	return c.JSON(newSessionBody(sess))
}

func (s *server) logout(c *fiber.Ctx) error {
	if cookie := c.Cookies(sessionCookie); cookie != "" {
		if err := s.Auth.Logout(c.UserContext(), cookie); err != nil {
			return err
		}
	}
	c.Cookie(&fiber.Cookie{Name: sessionCookie, Value: "", Path: "/", Expires: time.Unix(0, 0), MaxAge: -1,
		HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *server) currentSession(c *fiber.Ctx) error {
	sess, err := s.Auth.SessionByCookie(c.UserContext(), c.Cookies(sessionCookie))
	if err != nil {
		return err
	}
	return c.JSON(newSessionBody(sess))
}

func (s *server) listTokens(c *fiber.Ctx) error {
	tokens, err := s.Auth.ListTokens(c.UserContext(), currentUser(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"tokens": tokens})
}

func (s *server) createToken(c *fiber.Ctx) error {
	var in auth.NewToken
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	t, err := s.Auth.CreateToken(c.UserContext(), currentUser(c).ID, in)
	if err != nil {
		return err
	}
	s.Log.Info("api token created", "user_id", currentUser(c).ID, "token_id", t.ID)
	return c.Status(fiber.StatusCreated).JSON(t)
}

func (s *server) revokeToken(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Auth.RevokeToken(c.UserContext(), currentUser(c).ID, id); err != nil {
		return err
	}
	s.Log.Info("api token revoked", "user_id", currentUser(c).ID, "token_id", id)
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *server) getSettings(c *fiber.Ctx) error {
	set, err := s.Settings.Get(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(set)
}

func (s *server) patchSettings(c *fiber.Ctx) error {
	var p settings.Patch
	if err := decodeJSON(c, &p); err != nil {
		return err
	}
	set, err := s.Settings.Update(c.UserContext(), p)
	if err != nil {
		return err
	}
	s.Log.Info("api settings changed", "user_id", currentUser(c).ID)
	return c.JSON(set)
}

func (s *server) hal(c *fiber.Ctx, v any) error {
	return c.JSON(v, hal.MediaType)
}

func (s *server) root(c *fiber.Ctx) error {
	return s.hal(c, hal.NewRoot(currentUser(c), s.Version))
}

func (s *server) me(c *fiber.Ctx) error {
	u := currentUser(c)
	return s.hal(c, hal.User(u, u))
}

func (s *server) user(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	u, err := s.Auth.UserByID(c.UserContext(), id)
	if err != nil {
		return err
	}
	return s.hal(c, hal.User(u, currentUser(c)))
}

func (s *server) listUsers(c *fiber.Ctx) error {
	page, err := query.ParsePage(c.Query("offset"), c.Query("pageSize"), s.Settings.Current().MaxPageSize)
	if err != nil {
		return err
	}
	users, total, err := s.Auth.ListUsers(c.UserContext(), page, c.Query("filters"), c.Query("sortBy"), currentUser(c).ID)
	if err != nil {
		return err
	}
	viewer := currentUser(c)
	elems := make([]hal.UserResource, len(users))
	for i, u := range users {
		elems[i] = hal.User(u, viewer)
	}
	return s.hal(c, hal.NewCollection("/api/v3/users", queryValues(c), page, total, elems))
}
