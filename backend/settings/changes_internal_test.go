package settings

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/store"
)

// fakeNotes stands for a PostgreSQL connection that has run LISTEN: the
// test hands it the payloads the triggers would send, or the error of a
// lost connection.
type fakeNotes struct {
	notes  chan string
	fail   chan error
	closed chan struct{}
}

func newFakeNotes() *fakeNotes {
	return &fakeNotes{notes: make(chan string, 16), fail: make(chan error, 1), closed: make(chan struct{})}
}

func (f *fakeNotes) Receive(ctx context.Context) (string, error) {
	select {
	case p := <-f.notes:
		return p, nil
	case err := <-f.fail:
		return "", err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

func (f *fakeNotes) Close() error { close(f.closed); return nil }

func openShared(t *testing.T, path string) *Service {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s, err := New(ctx, st, time.Now, nil)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// On PostgreSQL the watcher applies what the change triggers notify: a
// moved counter is read again (the settings reloaded), new events and
// attempts move their generations, the attempt ids reach the followers;
// each connection, the first and the one after a lost connection, starts
// with a full invalidation that catches up with what was missed.
func TestNotificationsAreApplied(t *testing.T) {
	path := filepath.Join(t.TempDir(), "hookpost.db")
	here, other := openShared(t, path), openShared(t, path)
	here.notified = true // as on PostgreSQL: only the counters are read
	changes := make(chan Change, 16)
	here.Follow(func(_ context.Context, c Change) { changes <- c })
	conns := make(chan *fakeNotes, 2)
	first, second := newFakeNotes(), newFakeNotes()
	conns <- first
	conns <- second
	listened := 0
	listen := func(ctx context.Context) (Notifications, error) {
		listened++
		select {
		case n := <-conns:
			return n, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		here.WatchNotifications(ctx, listen, slog.New(slog.NewTextHandler(io.Discard, nil)))
		close(done)
	}()
	defer func() { stop(); <-done }()
	next := func(what string) Change {
		t.Helper()
		select {
		case c := <-changes:
			return c
		case <-time.After(5 * time.Second): // a safety net, not a timing assertion
			t.Fatalf("no change applied: %s", what)
			return Change{}
		}
	}

	c := next("the first connection")
	if !c.Lost || c.Cur.Events == c.Prev.Events || c.Cur.Attempts == c.Prev.Attempts {
		t.Fatalf("the first connection applied %+v, want a full invalidation", c)
	}

	size := 321
	if _, err := other.Update(context.Background(), Patch{MaxPageSize: &size}); err != nil {
		t.Fatal(err)
	}
	first.notes <- "c"
	c = next("a settings update")
	if c.Lost || c.Cur.Settings != c.Prev.Settings+1 || here.Current().MaxPageSize != 321 {
		t.Fatalf("after the counter's notification: %+v, maxPageSize %d", c, here.Current().MaxPageSize)
	}

	first.notes <- "e"
	c = next("an event")
	if c.Cur.Events != c.Prev.Events+1 || c.AttemptIDs != nil || c.Cur.Settings != c.Prev.Settings {
		t.Fatalf("after an event's notification: %+v", c)
	}
	first.notes <- "a:7"
	c = next("an attempt")
	if !slices.Equal(c.AttemptIDs, []int64{7}) || c.Cur.Attempts == c.Prev.Attempts || c.Cur.Events != c.Prev.Events {
		t.Fatalf("after an attempt's notification: %+v", c)
	}

	// The connection is lost; meanwhile another process changes the
	// settings, and nobody is told. The next connection catches up.
	size = 654
	if _, err := other.Update(context.Background(), Patch{MaxPageSize: &size}); err != nil {
		t.Fatal(err)
	}
	first.fail <- errors.New("connection reset by peer")
	c = next("the next connection")
	if !c.Lost || c.Cur.Settings != c.Prev.Settings+1 || c.Cur.Events == c.Prev.Events || here.Current().MaxPageSize != 654 {
		t.Fatalf("after reconnecting: %+v, maxPageSize %d", c, here.Current().MaxPageSize)
	}
	select {
	case <-first.closed:
	default:
		t.Error("the lost connection was not closed")
	}
	if listened != 2 {
		t.Errorf("listened %d times, want 2", listened)
	}
}
