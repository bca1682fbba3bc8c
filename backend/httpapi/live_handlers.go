package httpapi

import (
	"bufio"
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/live"
)

// The live stream's bounds.
const (
	// streamBuffer is how many events a client may be behind before it
	// loses some and is told to resync: a slow or stalled client holds at
	// most this many encoded events, never a growing queue.
	streamBuffer = 256
	// streamHeartbeat keeps proxies and browsers from closing an idle
	// stream, and finds clients that went away.
	streamHeartbeat = 15 * time.Second
	// streamWriteWait bounds one write to a client that stopped reading.
	streamWriteWait = 10 * time.Second
)

// stream serves the live updates as server-sent events (SPEC §4): delivery,
// webhook and settings events of this process, and resync when the client
// fell behind and must read the state again.
func (s *server) stream(c *fiber.Ctx) error {
	// The credentials are checked again while the stream lasts: signing
	// out, a password change or a revoked token ends it.
	authorization, cookie := strings.Clone(c.Get(fiber.HeaderAuthorization)), strings.Clone(c.Cookies(sessionCookie))
	stillAdmin := func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		u, _, err := s.credentials(ctx, authorization, cookie)
		return err == nil && u.Admin
	}
	sub := s.Live.Subscribe(streamBuffer)
	c.Set(fiber.HeaderContentType, "text/event-stream; charset=utf-8")
	c.Set(fiber.HeaderCacheControl, "no-cache")
	c.Set("X-Accel-Buffering", "no")
	conn := c.Context().Conn()
	c.Context().SetBodyStreamWriter(func(w *bufio.Writer) {
		defer sub.Close()
		flush := func() bool {
			// The server's WriteTimeout bounds a whole response; a stream
			// instead bounds each write, so that it lives as long as its
			// client reads.
			_ = conn.SetWriteDeadline(time.Now().Add(streamWriteWait))
			return w.Flush() == nil
		}
		// retry: how long the browser waits before reconnecting.
		w.WriteString("retry: 2000\n: connected\n\n")
		if !flush() {
			return
		}
		heartbeat := time.NewTicker(streamHeartbeat)
		defer heartbeat.Stop()
		checked := time.Now()
		for {
			select {
			case <-sub.Done():
				return
			case <-heartbeat.C:
				w.WriteString(": heartbeat\n\n")
			case m := <-sub.C:
				writeEvent(w, m.Name, m.Data)
				// Whatever else is waiting goes out in the same write.
				for n := len(sub.C); n > 0; n-- {
					m = <-sub.C
					writeEvent(w, m.Name, m.Data)
				}
			}
			// At most once per streamRecheck, one indexed read.
			if time.Since(checked) >= streamRecheck {
				if !stillAdmin() {
					return
				}
				checked = time.Now()
			}
			if len(sub.C) == 0 && sub.Missed() {
				writeEvent(w, live.EventResync, []byte("{}"))
			}
			if !flush() {
				return
			}
		}
	})
	return nil
}

// streamRecheck is how often, at most, a stream checks its credentials
// again (a variable so that a test can make it short).
var streamRecheck = 5 * time.Second

func writeEvent(w *bufio.Writer, name string, data []byte) {
	w.WriteString("event: ")
	w.WriteString(name)
	w.WriteString("\ndata: ")
	w.Write(data) // JSON from encoding/json: no raw newlines
	w.WriteString("\n\n")
}

func (s *server) webhookStats(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var since time.Time
	if raw := c.Query("since"); raw != "" {
		if since, err = time.Parse(time.RFC3339, raw); err != nil {
			return fiber.NewError(fiber.StatusBadRequest, "since must be an RFC 3339 time such as 2026-01-31T12:00:00Z.")
		}
	}
	st, err := s.Dispatcher.Stats(c.UserContext(), id, since)
	if err != nil {
		return err
	}
	return c.JSON(st)
}

func (s *server) getDelivery(c *fiber.Ctx) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	d, err := s.Dispatcher.GetDelivery(c.UserContext(), id)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

func (s *server) findDelivery(c *fiber.Ctx) error {
	msg := strings.TrimSpace(c.Query("messageId"))
	if msg == "" {
		return fiber.NewError(fiber.StatusBadRequest, "messageId is required: the webhook-id header a receiver logged, such as msg_123_4.")
	}
	d, err := s.Dispatcher.FindDelivery(c.UserContext(), msg)
	if err != nil {
		return err
	}
	return c.JSON(d)
}

// changePassword: any signed-in user, their own password; the other
// sessions end, the one that asked (if it is a session) stays.
func (s *server) changePassword(c *fiber.Ctx) error {
	var in auth.PasswordChange
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	u := currentUser(c)
	err := s.Auth.ChangePassword(c.UserContext(), u.ID, in, c.Cookies(sessionCookie), c.IP())
	var limited *auth.LimitError
	if errors.As(err, &limited) {
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(limited.RetryAfterSeconds()))
	}
	if err != nil {
		return err
	}
	s.Log.Info("password changed", "user_id", u.ID)
	return c.SendStatus(fiber.StatusNoContent)
}
