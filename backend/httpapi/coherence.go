package httpapi

import (
	"context"
	"time"

	"github.com/hookpost/hookpost/backend/settings"
)

// followOtherProcesses carries what the change watcher finds (changes of
// other processes sharing the database, and this one's own, seen again) to
// the dispatcher and the live stream, so that the app's pages show the
// deliveries and webhook changes of every process (SPEC §2, §4):
//
//   - new events: the dispatcher looks for due deliveries at once;
//   - webhook writes: the dispatcher drops what it queued with the old
//     webhooks, and the changes are announced;
//   - delivery attempts: announced, each once, while someone watches;
//   - lost notifications: all of that, and the stream's subscribers read
//     everything again.
//
// It reads the webhooks once now, so that their first change is told
// apart from their state at start.
func (s *server) followOtherProcesses() error {
	if s.Settings == nil || s.Webhooks == nil || s.Dispatcher == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.Webhooks.Track(ctx); err != nil {
		return err
	}
	s.Settings.Follow(func(ctx context.Context, c settings.Change) {
		if c.Cur.Events != c.Prev.Events {
			s.Dispatcher.Wake()
		}
		// Attempts before webhook changes: an attempt that disabled its
		// webhook comes first, as in the process that made it.
		if c.Lost {
			s.Live.Resync()
		} else if c.Cur.Attempts != c.Prev.Attempts {
			if err := s.Dispatcher.AnnounceRecorded(ctx, c.Prev.Attempts, c.Cur.Attempts, c.AttemptIDs); err != nil {
				s.Log.Warn("reading the deliveries made by other processes failed", "error", err)
			}
		}
		if c.Cur.Webhooks != c.Prev.Webhooks || c.Lost {
			// Every lane: a write that leaves the columns Changed compares
			// as they were (the same millisecond, another secret) is
			// still a change.
			s.Dispatcher.Refresh()
			if _, err := s.Webhooks.Changed(ctx); err != nil {
				s.Log.Warn("reading the webhooks changed by other processes failed", "error", err)
			}
		}
	})
	return nil
}
