package dispatch

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/store"
)

// job is a due delivery with what it sends and where.
type job struct {
	dueRow
	hook *webhookRow
	msg  *message
	lane *lane // nil for a test delivery
}

type webhookRow struct {
	ID             int64      `bun:"id"`
	URL            string     `bun:"url"`
	Secret         string     `bun:"secret"`
	PreviousSecret string     `bun:"previous_secret"`
	PreviousUntil  *time.Time `bun:"previous_secret_until"`
}

// secrets are the secrets that sign now: the current one, and during a
// rotation's grace period the previous one.
func (w webhookRow) secrets(now time.Time) []string {
	if w.PreviousSecret != "" && w.PreviousUntil != nil && now.Before(*w.PreviousUntil) {
		return []string{w.Secret, w.PreviousSecret}
	}
	return []string{w.Secret}
}

// message is what a delivery sends: its event's name and the body, built
// once per event and shared by every webhook the event goes to.
type message struct {
	name string
	body []byte
	// fromEvent: the body is rebuilt from the event row exactly, so the
	// delivery log need not keep it (see Attempts).
	fromEvent bool
}

// The statements that load a batch of due deliveries: one query each, whatever the
// batch's size (the ids travel as one JSON array, read by ids: store.JSONIDs).
func webhooksByIDSQL(ids string) string {
	return `SELECT id, url, secret, previous_secret, previous_secret_until FROM webhooks
		WHERE id IN (` + ids + `)`
}

func eventsByIDSQL(ids string) string {
	return `SELECT e.id, e.name, e.resource_key, e.payload, e.actor, u.id IS NOT NULL, coalesce(u.id, 0),
			coalesce(u.login, ''), coalesce(u.first_name, ''), coalesce(u.last_name, '')
		FROM events e LEFT JOIN users u ON u.id = e.actor_id AND e.actor IS NULL
		WHERE e.id IN (` + ids + `)`
}

// samplesByIDSQL: a test delivery has no event: it carries its sample itself.
func samplesByIDSQL(ids string) string {
	return `SELECT d.id, d.event_name, d.sample_key, d.sample_payload, NULL, u.id IS NOT NULL, coalesce(u.id, 0),
			coalesce(u.login, ''), coalesce(u.first_name, ''), coalesce(u.last_name, '')
		FROM deliveries d LEFT JOIN users u ON u.id = d.actor_id WHERE d.id IN (` + ids + `)`
}

// dialectSQL holds the statements whose text depends on the store's
// database.
type dialectSQL struct {
	webhooksByID, eventsByID, samplesByID string
	due, orderedDue                       string
	acquire                               string
}

// dueSQLFor is query (dueSQL or orderedDueSQL) with ids, the store's
// subquery of a JSON array of ids, as its third argument.
func dueSQLFor(query, ids string) string {
	return strings.Replace(query, "HELD", strings.Replace(ids, "?", "?3", 1), 1)
}

func newDialectSQL(st *store.Store) dialectSQL {
	ids := st.JSONIDs()
	q := dialectSQL{webhooksByID: webhooksByIDSQL(ids), eventsByID: eventsByIDSQL(ids), samplesByID: samplesByIDSQL(ids),
		due: dueSQLFor(dueSQL, ids), orderedDue: dueSQLFor(orderedDueSQL, ids), acquire: acquireSQL}
	if st.Postgres() {
		q.acquire = pgAcquireSQL
	}
	return q
}

// load reads the webhooks, events and actors of a batch of due deliveries and builds
// its bodies. A delivery whose webhook has gone (deleted meanwhile, with its
// deliveries) is left out.
func (d *Dispatcher) load(ctx context.Context, rows []dueRow) ([]job, error) {
	hookIDs, eventIDs, testIDs := newIDSet(), newIDSet(), newIDSet()
	for _, c := range rows {
		hookIDs.add(c.WebhookID)
		if c.EventID == 0 {
			testIDs.add(c.ID)
		} else {
			eventIDs.add(c.EventID)
		}
	}
	hooks := map[int64]*webhookRow{}
	r, err := d.st.ReadQuery(ctx, d.sql.webhooksByID, hookIDs.json())
	if err != nil {
		return nil, err
	}
	var list []webhookRow
	if err := d.st.Read.ScanRows(ctx, r, &list); err != nil {
		return nil, err
	}
	for i := range list {
		hooks[list[i].ID] = &list[i]
	}
	events := d.bodies.get(eventIDs) // and leaves in eventIDs those it lacks
	loaded, err := d.messages(ctx, d.sql.eventsByID, eventIDs)
	if err != nil {
		return nil, err
	}
	for id, m := range loaded {
		events[id] = m
		d.bodies.put(id, m)
	}
	samples, err := d.messages(ctx, d.sql.samplesByID, testIDs)
	if err != nil {
		return nil, err
	}
	jobs := make([]job, 0, len(rows))
	for _, c := range rows {
		j := job{dueRow: c, hook: hooks[c.WebhookID], msg: events[c.EventID]}
		if c.EventID == 0 {
			j.msg = samples[c.ID]
		}
		if j.hook != nil && j.msg != nil {
			jobs = append(jobs, j)
		}
	}
	return jobs, nil
}

// messages runs one of the loading queries and builds each row's body.
func (d *Dispatcher) messages(ctx context.Context, query string, ids idSet) (map[int64]*message, error) {
	out := map[int64]*message{}
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := d.st.ReadQuery(ctx, query, ids.json())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			id             int64
			name, key      string
			payload, actor sql.RawBytes
			hasUser        bool
			user           auth.User
		)
		if err := rows.Scan(&id, &name, &key, &payload, &actor, &hasUser, &user.ID, &user.Login, &user.FirstName, &user.LastName); err != nil {
			return nil, err
		}
		m := &message{name: name, fromEvent: query == d.sql.eventsByID}
		if actor == nil && hasUser {
			// A test delivery, or an event recorded before events kept
			// their actor: rendered now, so the log keeps the body.
			if actor, err = hal.Marshal(hal.Actor(user)); err != nil {
				return nil, err
			}
			m.fromEvent = false
		}
		m.body = buildBody(name, key, payload, actor) // copies the row's bytes
		out[id] = m
	}
	return out, rows.Err()
}

// buildBody is the webhook body (SPEC §6.2): {"action", "<resource key>":
// payload, "actor"}, without "actor" when there is none.
func buildBody(action, key string, payload, actor []byte) []byte {
	var buf bytes.Buffer
	buf.Grow(len(payload) + len(actor) + 64)
	a, _ := json.Marshal(action)
	k, _ := json.Marshal(key)
	buf.WriteString(`{"action":`)
	buf.Write(a)
	buf.WriteString(",")
	buf.Write(k)
	buf.WriteString(":")
	buf.Write(payload)
	if actor != nil {
		buf.WriteString(`,"actor":`)
		buf.Write(actor)
	}
	buf.WriteString("}")
	return buf.Bytes()
}

// bodyCache keeps the bodies of recent events: an event goes to each of its
// webhooks in a different read, and an event never changes. It is bounded
// in bytes as well as in entries, so that a backlog of large events (a
// failing webhook's retries reach back to old ones) cannot grow it.
type bodyCache struct {
	mu    sync.Mutex
	m     map[int64]*message
	order []int64 // insertion order, oldest first, for eviction
	bytes int
}

const (
	bodyCacheSize  = 4096
	bodyCacheBytes = 8 << 20
)

// get returns the cached messages of ids and removes those from ids.
func (c *bodyCache) get(ids idSet) map[int64]*message {
	out := make(map[int64]*message, len(ids))
	c.mu.Lock()
	defer c.mu.Unlock()
	for id := range ids {
		if m, ok := c.m[id]; ok {
			out[id] = m
			delete(ids, id)
		}
	}
	return out
}

func (c *bodyCache) put(id int64, m *message) {
	if len(m.body) > bodyCacheBytes/4 {
		return // one event would push out most of the others
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[int64]*message, bodyCacheSize)
	}
	if _, ok := c.m[id]; ok {
		return
	}
	for len(c.order) > 0 && (len(c.m) >= bodyCacheSize || c.bytes+len(m.body) > bodyCacheBytes) {
		old := c.order[0]
		c.order = c.order[1:]
		c.bytes -= len(c.m[old].body)
		delete(c.m, old)
	}
	c.order = append(c.order, id)
	c.bytes += len(m.body)
	c.m[id] = m
}

type idSet map[int64]struct{}

func newIDSet() idSet        { return idSet{} }
func (s idSet) add(id int64) { s[id] = struct{}{} }
func (s idSet) json() string {
	b := []byte{'['}
	for id := range s {
		if len(b) > 1 {
			b = append(b, ',')
		}
		b = strconv.AppendInt(b, id, 10)
	}
	return string(append(b, ']'))
}
