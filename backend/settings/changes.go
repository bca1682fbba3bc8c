package settings

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/live"
)

// How other processes' changes reach this one (SPEC §2: within a second).
//
// Every change another process must act on is marked in the database inside
// the transaction that makes it, so that no process sees the mark without
// the change:
//
//   - rare writes (settings, credentials ended, tracker writes without an
//     event, webhooks) bump a row of change_counters: settings.Bump, or a
//     trigger on webhooks;
//   - tracker writes record an outbox event, and the dispatcher records each
//     attempt as a row of delivery_attempts.
//
// On SQLite, Watch polls them every PollInterval in one indexed read: the
// counters and the newest event and attempt ids. Ids there are handed out
// under the single writer's lock, in commit order, so the attempts between
// two polls are exactly those with ids between the two reads.
//
// On PostgreSQL a sequence value may commit after a larger one, so no id
// marks "everything before this": triggers (migration 20261201000030 of
// migrations/postgres) call pg_notify in the same transactions instead, and
// WatchNotifications receives them on a connection of its own. PostgreSQL
// delivers a transaction's notifications when, and only if, it commits, in
// commit order. The counters are read again when one of them moved, and
// nothing is read for the rest. Should the connection be lost, what was
// notified meanwhile is lost with it: the next connection starts with a
// full invalidation (Change.Lost).

// Names of the change counters (see the change_counters migrations).
const (
	CounterSettings = "settings"
	CounterAuth     = "auth"
	// CounterTracker counts tracker writes that record no event.
	CounterTracker = "tracker"
	// CounterWebhooks counts webhook writes; triggers on webhooks bump it.
	CounterWebhooks = "webhooks"
)

// PollInterval is how often Watch reads the change counters: well inside
// SPEC §2's second, and one cheap indexed read per process at that rate.
const PollInterval = 250 * time.Millisecond

// ChannelPrefix begins the name of the PostgreSQL notification channel of
// the change triggers, "hookpost:<schema>": channels span a database, and
// each schema may hold an installation of its own. Payloads: "c" a change
// counter moved, "e" events were recorded, "a:<id>" a delivery attempt was
// recorded, "s:<watcher>:<n>" Sync's marks.
const ChannelPrefix = "hookpost:"

// Changes are the database's change counters as a process last read them.
// Each only ever grows; caches compare them for equality.
type Changes struct {
	// Settings counts settings updates.
	Settings int64
	// Auth counts token revocations and account changes that end credentials.
	Auth int64
	// Events moves with every tracker write that records an outbox event. On
	// SQLite it is the newest event id; on PostgreSQL it counts the
	// notifications of new events this process received.
	Events int64
	// Tracker counts the tracker writes that record no event.
	Tracker int64
	// Webhooks counts webhook writes: created, changed, disabled, deleted.
	Webhooks int64
	// Attempts moves with every delivery attempt recorded. On SQLite it is
	// the newest attempt id; on PostgreSQL it counts the batches of attempt
	// notifications this process received.
	Attempts int64
}

// Change is what one poll of the database, or one batch of notifications,
// found.
type Change struct {
	Prev, Cur Changes
	// AttemptIDs are the delivery attempts recorded since Prev when they
	// were notified one by one (PostgreSQL). Otherwise (SQLite) they are
	// those with ids in (Prev.Attempts, Cur.Attempts].
	AttemptIDs []int64
	// Lost: changes may have gone unnoticed (the listening connection was
	// lost, or has just been opened): drop every cache, and tell the live
	// stream's subscribers to read everything again.
	Lost bool
}

// Bump increments a change counter inside the transaction of the change it
// announces, so that no process can see the new value without the change.
func Bump(ctx context.Context, db bun.IDB, counter string) error {
	if _, err := db.NewRaw("UPDATE change_counters SET value = value + 1 WHERE name = ?", counter).Exec(ctx); err != nil {
		return fmt.Errorf("bump the %s change counter: %w", counter, err)
	}
	return nil
}

// readChanges reads the counters, and on SQLite the newest event and
// attempt ids; on PostgreSQL those two are kept from prev.
func (s *Service) readChanges(ctx context.Context, prev Changes) (Changes, error) {
	c := prev
	const counters = `(SELECT value FROM change_counters WHERE name = ?), (SELECT value FROM change_counters WHERE name = ?),
		(SELECT value FROM change_counters WHERE name = ?), (SELECT coalesce((SELECT value FROM change_counters WHERE name = ?), 0))`
	args := []any{CounterSettings, CounterAuth, CounterTracker, CounterWebhooks}
	dest := []any{&c.Settings, &c.Auth, &c.Tracker, &c.Webhooks}
	query := "SELECT " + counters
	if !s.notified {
		query += `, (SELECT coalesce(max(id), 0) FROM events), (SELECT coalesce(max(id), 0) FROM delivery_attempts)`
		dest = append(dest, &c.Events, &c.Attempts)
	}
	if err := s.st.Read.NewRaw(query, args...).Scan(ctx, dest...); err != nil {
		return prev, fmt.Errorf("read change counters: %w", err)
	}
	return c, nil
}

// Changes returns the change counters as last polled.
func (s *Service) Changes() Changes { return *s.changes.Load() }

// OnChange registers f to be called whenever a counter moved, with the
// counters before and after. Register before Watch starts.
func (s *Service) OnChange(f func(prev, cur Changes)) {
	s.mu.Lock()
	s.listeners = append(s.listeners, f)
	s.mu.Unlock()
}

// Follow registers f to be called, after the OnChange listeners, with each
// change found (the attempts it names, whether notifications were lost).
// Register before Watch starts.
func (s *Service) Follow(f func(ctx context.Context, c Change)) {
	s.mu.Lock()
	s.followers = append(s.followers, f)
	s.mu.Unlock()
}

// Poll reads the change counters once; when the settings counter moved it
// reloads the settings, and when any moved it calls the listeners.
func (s *Service) Poll(ctx context.Context) error {
	s.applying.Lock()
	defer s.applying.Unlock()
	prev := s.Changes()
	cur, err := s.readChanges(ctx, prev)
	if err != nil {
		return err
	}
	return s.apply(ctx, Change{Prev: prev, Cur: cur})
}

// apply makes c this process's view: settings reloaded, listeners and
// followers told. s.applying is held: each change is applied once, in
// order, even should Poll be called beside Watch.
func (s *Service) apply(ctx context.Context, c Change) error {
	if c.Cur == c.Prev && !c.Lost {
		return nil
	}
	// The counters were read before the record: a reload sees at least the
	// update that moved the counter.
	if c.Cur.Settings != c.Prev.Settings || c.Lost {
		before := s.Current()
		if err := s.Reload(ctx); err != nil {
			return err
		}
		// Another process changed them: the app's pages hear it as they
		// hear a change made here (this process's own change, seen again
		// through the counter, is not announced twice).
		if after := s.Current(); !sameJSON(before, after) {
			live.Publish(s.live, live.EventSettings, after)
		}
	}
	s.changes.Store(&c.Cur)
	s.mu.Lock()
	listeners := append([]func(prev, cur Changes){}, s.listeners...)
	followers := append([]func(context.Context, Change){}, s.followers...)
	s.mu.Unlock()
	for _, f := range listeners {
		f(c.Prev, c.Cur)
	}
	for _, f := range followers {
		f(ctx, c)
	}
	return nil
}

// sameJSON compares settings as the app sees them (times compared as
// written, not by their location or monotonic reading).
func sameJSON(a, b Settings) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && string(ja) == string(jb)
}

// Watch follows the changes of other processes until ctx ends. On SQLite
// it polls every interval; a failed poll (the database busy or gone) is
// logged once and retried at the next tick. On PostgreSQL it listens to
// the change notifications instead (WatchNotifications, on connections of
// its own to the store's database).
func (s *Service) Watch(ctx context.Context, interval time.Duration, log *slog.Logger) {
	if s.notified {
		s.WatchNotifications(ctx, ListenPostgres(s.st.Location()), log)
		return
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		err := s.Poll(ctx)
		if err != nil && !failing && ctx.Err() == nil {
			log.Warn("reading changes made by other processes failed; retrying", "error", err)
		}
		failing = err != nil
	}
}

// Notifications is a database connection of its own that listens on the
// channel of its schema (PostgreSQL's LISTEN; see ChannelPrefix).
type Notifications interface {
	// Receive waits for the next notification on the channel and returns
	// its payload; an error ends the connection's use.
	Receive(ctx context.Context) (string, error)
	Close() error
}

// ListenFunc opens a connection and runs LISTEN on its schema's channel.
type ListenFunc func(ctx context.Context) (Notifications, error)

// Bounds of WatchNotifications: how many notifications one batch applies,
// and how long it waits before connecting again.
const (
	maxNoteBatch   = 1000
	minReconnect   = 100 * time.Millisecond
	maxReconnect   = 5 * time.Second
	noteQueueDepth = 4096
)

// WatchNotifications applies what the database notifies until ctx ends,
// listening on a connection of its own opened by listen. Each connection
// starts with a full invalidation: whatever happened before it listened
// is reloaded or dropped.
func (s *Service) WatchNotifications(ctx context.Context, listen ListenFunc, log *slog.Logger) {
	wait := minReconnect
	failing := false
	for ctx.Err() == nil {
		n, err := listen(ctx)
		if err == nil {
			// Anything may have changed while nobody listened here.
			if err = s.resync(ctx); err != nil {
				n.Close()
			}
		}
		if err == nil {
			if failing {
				log.Info("listening to changes made by other processes again")
			}
			failing, wait = false, minReconnect
			err = s.receive(ctx, n)
			n.Close()
		}
		if ctx.Err() != nil {
			return
		}
		if !failing {
			log.Warn("listening to changes made by other processes failed; reconnecting", "error", err)
		}
		failing = true
		select {
		case <-ctx.Done():
		case <-time.After(wait):
		}
		wait = min(2*wait, maxReconnect)
	}
}

// resync applies a change that stands for whatever may have been missed:
// the counters read again, the event and attempt generations moved, and
// the followers told (Lost) to drop what they keep.
func (s *Service) resync(ctx context.Context) error {
	s.applying.Lock()
	defer s.applying.Unlock()
	prev := s.Changes()
	next := prev
	next.Events++
	next.Attempts++
	cur, err := s.readChanges(ctx, next)
	if err != nil {
		return err
	}
	return s.apply(ctx, Change{Prev: prev, Cur: cur, Lost: true})
}

// receive applies n's notifications in batches until n fails or ctx ends:
// a reader goroutine queues them, and each batch is what has queued while
// the previous one was applied.
func (s *Service) receive(ctx context.Context, n Notifications) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	notes := make(chan string, noteQueueDepth)
	failed := make(chan error, 1)
	// n is closed once the reader has returned: a connection serves one
	// goroutine at a time.
	read := make(chan struct{})
	defer func() { cancel(); <-read }()
	go func() {
		defer close(read)
		for {
			p, err := n.Receive(ctx)
			if err != nil {
				failed <- err
				return
			}
			select {
			case notes <- p:
			case <-ctx.Done():
				failed <- ctx.Err()
				return
			}
		}
	}()
	batch := make([]string, 0, maxNoteBatch)
	for {
		select {
		case err := <-failed:
			return err
		case p := <-notes:
			batch = append(batch[:0], p)
		}
	drain:
		for len(batch) < maxNoteBatch {
			select {
			case p := <-notes:
				batch = append(batch, p)
			default:
				break drain
			}
		}
		if err := s.applyNotes(ctx, batch); err != nil {
			return err
		}
	}
}

// applyNotes applies one batch of notifications.
func (s *Service) applyNotes(ctx context.Context, notes []string) error {
	s.applying.Lock()
	defer s.applying.Unlock()
	prev := s.Changes()
	c := Change{Prev: prev, Cur: prev}
	counters := false
	var mark int64
	for _, p := range notes {
		switch {
		case strings.HasPrefix(p, s.markPrefix):
			if n, err := strconv.ParseInt(p[len(s.markPrefix):], 10, 64); err == nil {
				mark = max(mark, n)
			}
		case p == "c":
			counters = true
		case p == "e":
			c.Cur.Events = prev.Events + 1
		case strings.HasPrefix(p, "a:"):
			if id, err := strconv.ParseInt(p[2:], 10, 64); err == nil {
				c.AttemptIDs = append(c.AttemptIDs, id)
				c.Cur.Attempts = prev.Attempts + 1
			}
		}
	}
	if counters {
		cur, err := s.readChanges(ctx, c.Cur)
		if err != nil {
			return err
		}
		c.Cur = cur
	}
	if err := s.apply(ctx, c); err != nil {
		return err
	}
	if mark > 0 {
		s.mu.Lock()
		s.marked = max(s.marked, mark)
		close(s.markedCh)
		s.markedCh = make(chan struct{})
		s.mu.Unlock()
	}
	return nil
}

// Sync returns once every change committed before it was called has been
// applied in this process, as a poll does it on SQLite. On PostgreSQL it
// notifies a mark of its own on the channel, which is delivered after the
// notifications of every transaction committed before, and waits for the
// watcher (WatchNotifications, which must run) to have applied it. Tests
// use it to make "the other process has seen it" a fact rather than a wait.
func (s *Service) Sync(ctx context.Context) error {
	if !s.notified {
		return s.Poll(ctx)
	}
	n := s.marks.Add(1)
	notify := func() error {
		_, err := s.st.DB.NewRaw("SELECT pg_notify(? || current_schema(), ?)", ChannelPrefix, s.markPrefix+strconv.FormatInt(n, 10)).Exec(ctx)
		if err != nil {
			return fmt.Errorf("notify a mark: %w", err)
		}
		return nil
	}
	if err := notify(); err != nil {
		return err
	}
	// A mark sent while the watcher was not listening (starting, or
	// connecting again) is lost: it is sent again until one arrives.
	again := time.NewTicker(syncResend)
	defer again.Stop()
	for {
		s.mu.Lock()
		done, next := s.marked >= n, s.markedCh
		s.mu.Unlock()
		if done {
			return nil
		}
		select {
		case <-next:
		case <-again.C:
			if err := notify(); err != nil {
				return err
			}
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// syncResend is how often Sync sends its mark again.
const syncResend = 250 * time.Millisecond
