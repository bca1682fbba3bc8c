package settings

import (
	"context"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/store/storetest"
)

// A listening connection that stays quiet is checked, not given up: the
// check (a ping after each quiet listenCheck) leaves it listening, and a
// notification after several quiet spells arrives.
func TestQuietListenerKeepsListening(t *testing.T) {
	if !storetest.Postgres() {
		t.Skip("PostgreSQL's LISTEN")
	}
	old := listenCheck
	listenCheck = 100 * time.Millisecond
	t.Cleanup(func() { listenCheck = old })
	loc := storetest.Location(t)
	st := storetest.OpenAt(t, loc)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // a safety net
	defer cancel()
	n, err := ListenPostgres(loc)(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	got := make(chan string, 1)
	failed := make(chan error, 1)
	go func() {
		p, err := n.Receive(ctx)
		if err != nil {
			failed <- err
			return
		}
		got <- p
	}()
	time.Sleep(5 * listenCheck) // quiet: the connection is checked several times
	if _, err := st.DB.ExecContext(ctx, "SELECT pg_notify(? || current_schema(), 'hello')", ChannelPrefix); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if p != "hello" {
			t.Fatalf("received %q", p)
		}
	case err := <-failed:
		t.Fatalf("the quiet connection failed: %v", err)
	}
}
