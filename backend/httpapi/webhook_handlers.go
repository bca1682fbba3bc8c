package httpapi

import (
	"bytes"
	"crypto/subtle"
	"fmt"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hookpost/hookpost/backend/dispatch"
	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/outbox"
	"github.com/hookpost/hookpost/backend/webhooks"
)

func (s *server) listWebhooks(c *fiber.Ctx) error {
	list, err := s.Webhooks.List(c.UserContext())
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"webhooks": list})
}

func (s *server) getWebhook(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	w, err := s.Webhooks.Get(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(w)
}

func (s *server) createWebhook(c *fiber.Ctx) error {
	var in webhooks.Input
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	w, err := s.Webhooks.Create(c.UserContext(), in)
	if err != nil {
		return err
	}
	s.Log.Info("webhook created", "webhook_id", w.ID, "user_id", currentUser(c).ID)
	return c.Status(fiber.StatusCreated).JSON(w)
}

func (s *server) updateWebhook(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in webhooks.Input
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	w, err := s.Webhooks.Update(c.UserContext(), id, in)
	if err != nil {
		return err
	}
	s.Log.Info("webhook changed", "webhook_id", w.ID, "user_id", currentUser(c).ID)
	return c.JSON(w)
}

func (s *server) deleteWebhook(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Webhooks.Delete(c.UserContext(), id); err != nil {
		return err
	}
	s.Log.Info("webhook deleted", "webhook_id", id, "user_id", currentUser(c).ID)
	return c.SendStatus(fiber.StatusNoContent)
}

func (s *server) eventCatalogue(c *fiber.Ctx) error {
	return c.JSON(fiber.Map{"resources": outbox.Catalogue})
}

func (s *server) listDeliveries(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	attempts, err := s.Dispatcher.Deliveries(c.UserContext(), id, dispatch.AttemptFilter{Limit: c.QueryInt("limit"),
		Before: int64(c.QueryInt("before")), Outcome: c.Query("outcome"), Event: c.Query("event")})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"deliveries": attempts})
}

type testFireRequest struct {
	Event string `json:"event"`
}

func (s *server) testWebhook(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var in testFireRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	a, err := s.Dispatcher.TestFire(c.UserContext(), id, in.Event, currentUser(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(a)
}

func (s *server) redeliver(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := s.Dispatcher.Redeliver(c.UserContext(), id); err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"queued": 1})
}

type replayRequest struct {
	Since time.Time `json:"since"`
}

func (s *server) replay(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if _, err := s.Webhooks.Get(c.UserContext(), id); err != nil {
		return err
	}
	var in replayRequest
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Since.IsZero() {
		return domain.Invalid("since", "since is required: the ISO 8601 time from which failed deliveries are sent again.")
	}
	n, err := s.Dispatcher.Replay(c.UserContext(), id, in.Since)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{"queued": n})
}

// metricsHandler serves Prometheus' text format: HTTP requests, and the
// dispatcher's deliveries by outcome, latency, queue depth and failures.
// SPEC §8: only for the --metrics-token bearer or an administrator's API
// token; 401 for anything else, a non-administrator's token included.
func (s *server) metricsHandler(c *fiber.Ctx) error {
	if !s.mayReadMetrics(c) {
		return fmt.Errorf("metrics need the metrics token or an administrator's API token: %w", domain.ErrUnauthenticated)
	}
	var buf bytes.Buffer
	s.requests.write(&buf)
	writeRuntimeMetrics(&buf)
	if err := s.Dispatcher.WriteMetrics(c.UserContext(), &buf); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/plain; version=0.0.4; charset=utf-8")
	return c.Send(buf.Bytes())
}

func (s *server) mayReadMetrics(c *fiber.Ctx) bool {
	h := c.Get(fiber.HeaderAuthorization)
	if h == "" {
		// A browser session is not enough: metrics are for scrapers.
		return false
	}
	if scheme, cred, _ := strings.Cut(h, " "); s.MetricsToken != "" && strings.EqualFold(scheme, "bearer") &&
		subtle.ConstantTimeCompare([]byte(strings.TrimSpace(cred)), []byte(s.MetricsToken)) == 1 {
		return true
	}
	u, err := s.authenticate(c)
	return err == nil && u.Admin
}
