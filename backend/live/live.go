// Package live fans the app's live updates out to whoever is watching: the
// admin API's server-sent events and the desktop window's Wails events
// (SPEC §4, GET /api/admin/stream). The dispatcher, the webhooks service and
// the settings service publish into one Hub per process as they change
// things; what other processes sharing the database change reaches it
// through PublishStored, from the change watcher (backend/settings), which
// also sees this process's own changes: each delivery attempt and webhook
// change is sent to the subscribers once, whichever way arrives first.
package live

import (
	"encoding/json"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Event names, as the stream and the window carry them.
const (
	EventDelivery = "delivery"
	EventWebhook  = "webhook"
	EventSettings = "settings"
	// EventResync tells a subscriber that it missed events (its buffer was
	// full): it should read the state again instead of patching it.
	EventResync = "resync"
)

// Delivery is a delivery event: an attempt was recorded.
type Delivery struct {
	DeliveryID int64  `json:"deliveryId"`
	AttemptID  int64  `json:"attemptId"`
	WebhookID  int64  `json:"webhookId"`
	MessageID  string `json:"messageId"`
	Attempt    int    `json:"attempt"`
	Event      string `json:"event"`
	// Outcome is succeeded, failed or retrying.
	Outcome      string     `json:"outcome"`
	ResponseCode int        `json:"responseCode"`
	DurationMS   float64    `json:"durationMs"`
	NextRetryAt  *time.Time `json:"nextRetryAt"`
	CreatedAt    time.Time  `json:"createdAt"`
	Test         bool       `json:"test"`
}

// Webhook changes.
const (
	WebhookCreated  = "created"
	WebhookUpdated  = "updated"
	WebhookDisabled = "disabled"
	WebhookDeleted  = "deleted"
)

// WebhookChange is a webhook event: a webhook was created, changed,
// disabled (by an administrator or automatically, with the reason) or deleted.
type WebhookChange struct {
	ID     int64  `json:"id"`
	Change string `json:"change"`
	Reason string `json:"reason"`
	// UpdatedAt is the webhook's updated_at after the change (absent for a
	// deletion): with the id and the change it tells one change from
	// another, so that the process that made it and the change watcher,
	// which reads it back from the database, announce it once.
	UpdatedAt *time.Time `json:"updatedAt,omitempty"`
}

// Message is one event as subscribers receive it: its name and its JSON,
// encoded once for all of them.
type Message struct {
	Name string
	Data json.RawMessage
}

// Hub is the process's broadcaster. Publishing costs one atomic load while
// nobody subscribes; a nil *Hub is valid and never has subscribers.
type Hub struct {
	n      atomic.Int32 // subscribers
	mu     sync.Mutex
	subs   map[*Subscription]struct{}
	closed bool
	sent   sentLog
}

// NewHub returns a hub without subscribers.
func NewHub() *Hub { return &Hub{subs: map[*Subscription]struct{}{}} }

// Where an event comes from: the process that made the change (Publish) or
// the database, as the change watcher reads it back (PublishStored).
const (
	fromProcess uint8 = 1 << iota
	fromStore
)

// sentLogSize is how many recent deliveries and webhook changes a hub
// remembers to send each once. The watcher reads the database every 250 ms
// (or is notified at once): at thousands of attempts a second the log
// spans well over that.
const sentLogSize = 8192

// sentLog remembers the keys of the latest events sent and where they came
// from, oldest forgotten first.
type sentLog struct {
	from map[string]uint8
	ring []string
	next int
}

// first records that key arrived from origin and reports whether it must be
// sent: not when it came the other way already. The same way twice is two
// changes that look alike (two updates of a webhook within a millisecond),
// each sent, unless the key is unique (an attempt id names one attempt).
func (l *sentLog) first(key string, origin uint8, unique bool) bool {
	if l.ring == nil { // made on first use: most hubs of tests never send
		l.from, l.ring = make(map[string]uint8, sentLogSize), make([]string, sentLogSize)
	}
	seen, ok := l.from[key]
	if ok {
		l.from[key] = seen | origin
		return !unique && seen&^origin == 0
	}
	if old := l.ring[l.next]; old != "" {
		delete(l.from, old)
	}
	l.ring[l.next] = key
	l.next = (l.next + 1) % len(l.ring)
	l.from[key] = origin
	return true
}

// eventKey names the change an event announces, "" for events that are
// not remembered (settings carry their whole state: a repeat is harmless).
func eventKey(name string, v any) string {
	switch e := v.(type) {
	case *Delivery:
		return "d" + strconv.FormatInt(e.AttemptID, 10)
	case *WebhookChange:
		k := "w" + strconv.FormatInt(e.ID, 10) + "/" + e.Change
		if e.UpdatedAt != nil {
			k += "/" + strconv.FormatInt(e.UpdatedAt.UnixMilli(), 10)
		}
		return k
	}
	return ""
}

// Subscription receives a hub's events through C. A subscriber that does not
// keep up loses events instead of holding memory: C holds at most the
// buffer given to Subscribe, and Missed reports that some were dropped.
type Subscription struct {
	C      <-chan Message
	c      chan Message
	h      *Hub
	missed atomic.Bool
	done   chan struct{}
	once   sync.Once
}

// Done is closed when the subscription ends (Close, or the hub closing).
func (s *Subscription) Done() <-chan struct{} { return s.done }

// Missed reports, once, that events were dropped since the last call.
func (s *Subscription) Missed() bool { return s.missed.Swap(false) }

// Close ends the subscription.
func (s *Subscription) Close() {
	s.h.mu.Lock()
	if _, ok := s.h.subs[s]; ok {
		delete(s.h.subs, s)
		s.h.n.Add(-1)
	}
	s.h.mu.Unlock()
	s.once.Do(func() { close(s.done) })
}

// Subscribe starts receiving events, at most buffer of them held.
func (h *Hub) Subscribe(buffer int) *Subscription {
	c := make(chan Message, max(1, buffer))
	s := &Subscription{C: c, c: c, h: h, done: make(chan struct{})}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		close(s.done)
		return s
	}
	h.subs[s] = struct{}{}
	h.n.Add(1)
	return s
}

// Close ends every subscription (the server is shutting down) and refuses
// new ones.
func (h *Hub) Close() {
	h.mu.Lock()
	subs := h.subs
	h.subs, h.closed = map[*Subscription]struct{}{}, true
	h.n.Store(0)
	h.mu.Unlock()
	for s := range subs {
		s.once.Do(func() { close(s.done) })
	}
}

// Listening reports whether anyone subscribes: publishers check it before
// building an event.
func (h *Hub) Listening() bool { return h != nil && h.n.Load() > 0 }

// Publish sends v as the event name to every subscriber. Without
// subscribers it returns before v is looked at, so a publisher pays nothing
// (no allocation) when nobody watches.
func Publish[T any](h *Hub, name string, v T) {
	if !h.Listening() {
		return
	}
	publish(h, name, v, fromProcess)
}

// PublishStored sends a change another process may have made, as the change
// watcher read it from the database: a delivery or webhook change this
// process has published already is not sent again.
func PublishStored[T any](h *Hub, name string, v T) {
	if !h.Listening() {
		return
	}
	publish(h, name, v, fromStore)
}

// Resync tells every subscriber to read the state again: events may have
// been missed (the change watcher lost its connection, or too many
// deliveries were made elsewhere at once to send one by one).
func (h *Hub) Resync() {
	if !h.Listening() {
		return
	}
	h.send(EventResync, struct{}{}, fromStore)
}

// publish is apart from Publish so that v moves to the heap (json.Marshal
// takes it as an interface) only here, once someone listens.
//
//go:noinline
func publish[T any](h *Hub, name string, v T, origin uint8) { h.send(name, &v, origin) }

// send encodes once and hands the bytes to each subscriber without waiting:
// a full buffer drops the event for that subscriber and marks it missed.
func (h *Hub) send(name string, v any, origin uint8) {
	// An event sent already is dropped before it costs an encoding: the
	// change watcher reads back every attempt this process announced.
	if key := eventKey(name, v); key != "" {
		h.mu.Lock()
		first := h.sent.first(key, origin, key[0] == 'd')
		h.mu.Unlock()
		if !first {
			return
		}
	}
	data, err := json.Marshal(v)
	if err != nil {
		return // the event types are plain structs: this does not happen
	}
	m := Message{Name: name, Data: data}
	h.mu.Lock()
	defer h.mu.Unlock()
	for s := range h.subs {
		select {
		case s.c <- m:
		default:
			s.missed.Store(true)
		}
	}
}
