package settings_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/live"
	"github.com/hookpost/hookpost/backend/settings"
	"github.com/hookpost/hookpost/backend/store/storetest"
)

// A change made by another process sharing the database reaches this
// process's live subscribers (the app's API settings page) once this
// process has polled the change counters; this process's own change is
// announced once, not again when its poll sees the counter it bumped.
func TestPollAnnouncesChangesOfOtherProcesses(t *testing.T) {
	ctx := context.Background()
	loc := storetest.Location(t)
	now := func() time.Time { return time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC) }
	open := func() (*settings.Service, *live.Hub) {
		st := storetest.OpenAt(t, loc)
		hub := live.NewHub()
		s, err := settings.New(ctx, st, now, hub)
		if err != nil {
			t.Fatal(err)
		}
		return s, hub
	}
	here, hereHub := open()
	other, _ := open()
	sub := hereHub.Subscribe(8)
	defer sub.Close()
	next := func() (live.Message, bool) {
		select {
		case m := <-sub.C:
			return m, true
		default:
			return live.Message{}, false
		}
	}

	size := 321
	if _, err := other.Update(ctx, settings.Patch{MaxPageSize: &size}); err != nil {
		t.Fatal(err)
	}
	if m, ok := next(); ok {
		t.Fatalf("announced before polling: %+v", m)
	}
	if err := here.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	m, ok := next()
	if !ok || m.Name != live.EventSettings {
		t.Fatalf("after the poll: %+v %v", m, ok)
	}
	var got settings.Settings
	if err := json.Unmarshal(m.Data, &got); err != nil || got.MaxPageSize != 321 {
		t.Fatalf("announced %s (%v)", m.Data, err)
	}

	// This process's own change: one event, none more from the poll.
	size = 222
	if _, err := here.Update(ctx, settings.Patch{MaxPageSize: &size}); err != nil {
		t.Fatal(err)
	}
	if m, ok := next(); !ok || m.Name != live.EventSettings {
		t.Fatalf("own change: %+v %v", m, ok)
	}
	if err := here.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if m, ok := next(); ok {
		t.Fatalf("own change announced again by the poll: %s", m.Data)
	}
}
