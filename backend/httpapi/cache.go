package httpapi

import (
	"strconv"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/settings"
)

// maxCachedResponses bounds the response cache.
const maxCachedResponses = 4096

// responseCache keeps encoded GET responses of the tracker resources until the
// next write to them (the tracker's generation changes, in this process or,
// through invalidateOnRemoteWrites, in another) or to the settings.
// Lists are what API clients poll; rebuilding an unchanged page from the
// database and re-encoding it is most of a request's cost.
type responseCache struct {
	mu      sync.Mutex
	version string
	entries map[string][]byte
}

// invalidateOnRemoteWrites drops the cached responses (and the tracker's
// cached totals) when another process sharing the database wrote to the
// tracker: every such write records an outbox event, so the newest event id
// moves. The settings' own counter is part of the cache version already.
func (s *server) invalidateOnRemoteWrites() {
	s.Settings.OnChange(func(prev, cur settings.Changes) {
		if cur.Events != prev.Events {
			s.Tracker.Invalidate()
		}
	})
}

// cachedHAL answers c from the cache or from build, whose result it encodes
// and stores. The key holds the viewer, since links depend on permissions.
func (s *server) cachedHAL(c *fiber.Ctx, build func() (any, error)) error {
	version := strconv.FormatInt(s.Tracker.Generation(), 10) + "/" + strconv.FormatInt(s.Settings.Changes().Settings, 10) +
		"/" + s.Settings.Current().UpdatedAt.String()
	key := strconv.FormatInt(currentUser(c).ID, 10) + " " + string(c.Request().URI().RequestURI())
	s.cache.mu.Lock()
	if s.cache.version != version {
		s.cache.version, s.cache.entries = version, map[string][]byte{}
	}
	body, ok := s.cache.entries[key]
	s.cache.mu.Unlock()
	if !ok {
		v, err := build()
		if err != nil {
			return err
		}
		if body, err = hal.Marshal(v); err != nil {
			return err
		}
		s.cache.mu.Lock()
		if s.cache.version == version && len(s.cache.entries) < maxCachedResponses {
			s.cache.entries[key] = body
		}
		s.cache.mu.Unlock()
	}
	c.Set(fiber.HeaderContentType, hal.MediaType)
	return c.Send(body)
}
