package dispatch_test

import (
	"context"
	"testing"

	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/settings"
	"github.com/hookpost/hookpost/backend/tracker"
)

// wakingTracker is a tracker service over the world's store that calls wake
// after every committed write, as main builds it with the dispatcher's Wake.
func (w *world) wakingTracker(t testing.TB, wake func()) *tracker.Service {
	t.Helper()
	ctx := context.Background()
	set, err := settings.New(ctx, w.st, w.clock.now, nil)
	if err != nil {
		t.Fatal(err)
	}
	tr, err := tracker.New(ctx, tracker.Deps{Store: w.st, Settings: set, Now: w.clock.now, Payloads: hal.EventPayloads, OnCommit: wake})
	if err != nil {
		t.Fatal(err)
	}
	return tr
}
