package httpapi

import (
	"errors"
	"strconv"
	"sync"

	"github.com/gofiber/fiber/v2"

	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/settings"
)

// Bounds of the response cache, in bytes (bodies and keys): pages of long
// texts must not pin memory, so a body over maxCachedBody is never kept and
// the whole cache holds at most maxCacheBytes.
const (
	maxCacheBytes = 16 << 20
	maxCachedBody = 1 << 20
)

// responseCache keeps encoded GET responses of the tracker resources until the
// next write to them (the tracker's generation changes, in this process or,
// through invalidateOnRemoteWrites, in another) or to the settings.
// Lists are what API clients poll; rebuilding an unchanged page from the
// database and re-encoding it is most of a request's cost.
type responseCache struct {
	mu      sync.Mutex
	version string
	entries map[string][]byte
	size    int
}

// get returns the body stored for key under version, dropping everything
// stored under another version.
func (rc *responseCache) get(version, key string) ([]byte, bool) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.version != version {
		rc.version, rc.entries, rc.size = version, map[string][]byte{}, 0
	}
	body, ok := rc.entries[key]
	return body, ok
}

// put stores body under key if version is still current and it fits,
// evicting arbitrary entries (Go's map order) to make room.
func (rc *responseCache) put(version, key string, body []byte) {
	n := len(key) + len(body)
	if len(body) > maxCachedBody {
		return
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if rc.version != version {
		return
	}
	if old, ok := rc.entries[key]; ok {
		rc.size -= len(key) + len(old)
		delete(rc.entries, key)
	}
	for k, v := range rc.entries {
		if rc.size+n <= maxCacheBytes {
			break
		}
		rc.size -= len(k) + len(v)
		delete(rc.entries, k)
	}
	rc.entries[key] = body
	rc.size += n
}

// builds shares one build among the requests that ask for the same
// response at the same time: N clients polling the same page while it
// changes cause one build instead of N, and N concurrent requests for a page
// of long texts hold its representation once instead of N times.
type builds struct {
	mu      sync.Mutex
	running map[string]*build
}

type build struct {
	done chan struct{}
	body []byte
	err  error
	// waiters counts the requests that share this build.
	waiters int
}

// errBuildFailed is what the requests sharing a build get when it panicked.
var errBuildFailed = errors.New("the shared build of this response failed")

// do returns the result of f for key, running f only if no call for key is
// already running.
func (b *builds) do(key string, f func() ([]byte, error)) ([]byte, error) {
	b.mu.Lock()
	if cur, ok := b.running[key]; ok {
		cur.waiters++
		b.mu.Unlock()
		<-cur.done
		return cur.body, cur.err
	}
	if b.running == nil {
		b.running = map[string]*build{}
	}
	cur := &build{done: make(chan struct{}), err: errBuildFailed}
	b.running[key] = cur
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		delete(b.running, key)
		b.mu.Unlock()
		close(cur.done)
	}()
	cur.body, cur.err = f()
	return cur.body, cur.err
}

// largePages remembers which request URIs answered with a body over
// maxCachedBody, so that the next builds of such a page, whoever asks for
// it, run one at a time: pages of long texts are built a few times over in
// memory (rows, rendered HTML, the encoded body), and several viewers (whose
// builds are not shared) listing them at once must not multiply that.
type largePages struct {
	mu    sync.Mutex
	sizes map[string]int
	lane  chan struct{}
}

// maxLargePages bounds what largePages remembers.
const maxLargePages = 1024

func newLargePages() *largePages {
	return &largePages{sizes: map[string]int{}, lane: make(chan struct{}, 1)}
}

func (l *largePages) isLarge(uri string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.sizes[uri] > 0
}

func (l *largePages) record(uri string, size int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if size <= maxCachedBody {
		delete(l.sizes, uri)
		return
	}
	if len(l.sizes) >= maxLargePages {
		clear(l.sizes)
	}
	l.sizes[uri] = size
}

// invalidateOnRemoteWrites drops the cached responses (and the tracker's
// cached totals and page index) when another process sharing the database
// wrote to the tracker: such a write records an outbox event, so the newest
// event id moves past this process's own events, or bumps the tracker
// counter. The settings' own counter is part of the cache version already.
func (s *server) invalidateOnRemoteWrites() {
	s.Settings.OnChange(func(prev, cur settings.Changes) {
		if cur.Tracker != prev.Tracker || s.Tracker.WrittenElsewhere(prev.Events, cur.Events) {
			s.Tracker.Invalidate()
		}
	})
}

// cachedHAL answers c from the cache or from build, whose result it encodes
// and stores. The key holds the viewer, since links depend on permissions.
func (s *server) cachedHAL(c *fiber.Ctx, build func() (any, error)) error {
	// The day is part of the version: the relative date filters (t, w,
	// >t-, ...) select other rows tomorrow without any write.
	version := strconv.FormatInt(s.Tracker.Generation(), 10) + "/" + strconv.FormatInt(s.Settings.Changes().Settings, 10) +
		"/" + s.Settings.Current().UpdatedAt.String() + "/" + s.Tracker.Today()
	uri := string(c.Request().URI().RequestURI())
	key := strconv.FormatInt(currentUser(c).ID, 10) + " " + uri
	body, ok := s.cache.get(version, key)
	if !ok {
		var err error
		body, err = s.builds.do(version+" "+key, func() ([]byte, error) {
			if s.large.isLarge(uri) {
				select {
				case s.large.lane <- struct{}{}:
				case <-c.Context().Done():
					return nil, c.Context().Err()
				}
				defer func() { <-s.large.lane }()
			}
			v, err := build()
			if err != nil {
				return nil, err
			}
			body, err := hal.Marshal(v)
			if err != nil {
				return nil, err
			}
			s.large.record(uri, len(body))
			s.cache.put(version, key, body)
			return body, nil
		})
		if err != nil {
			return err
		}
	}
	c.Set(fiber.HeaderContentType, hal.MediaType)
	return c.Send(body)
}
