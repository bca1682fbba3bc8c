package webhooks

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/live"
)

// Webhook changes made by other processes sharing the database reach this
// one's live stream through Changed: the change watcher calls it when the
// webhooks change counter moved (backend/settings), and it tells what
// changed from what it read the time before. It sees this process's own
// changes too, which the hub then does not send twice (they carry the same
// id, change and updatedAt).

// state is what tells one version of a webhook from another.
type state struct {
	bun.BaseModel `bun:"table:webhooks"`

	ID             int64     `bun:"id"`
	Name           string    `bun:"name"`
	URL            string    `bun:"url"`
	Enabled        bool      `bun:"enabled"`
	DisabledReason string    `bun:"disabled_reason"`
	UpdatedAt      time.Time `bun:"updated_at"`
}

// known is the webhooks as Changed last read them.
type known struct {
	mu     sync.Mutex
	states map[int64]state
}

func (s *Service) readStates(ctx context.Context) (map[int64]state, error) {
	var rows []state
	if err := s.st.Read.NewSelect().Model(&rows).Column("id", "name", "url", "enabled", "disabled_reason", "updated_at").Scan(ctx); err != nil {
		return nil, fmt.Errorf("read webhooks: %w", err)
	}
	m := make(map[int64]state, len(rows))
	for _, r := range rows {
		r.UpdatedAt = r.UpdatedAt.UTC()
		m[r.ID] = r
	}
	return m, nil
}

// Track reads the webhooks as they are: Changed reports what changes after.
func (s *Service) Track(ctx context.Context) error {
	m, err := s.readStates(ctx)
	if err != nil {
		return err
	}
	s.known.mu.Lock()
	s.known.states = m
	s.known.mu.Unlock()
	return nil
}

// Changed reads the webhooks, announces on the live stream what changed
// since the last read (created, updated, disabled, deleted) and returns
// those changes. Without a Track before, it only reads.
func (s *Service) Changed(ctx context.Context) ([]live.WebhookChange, error) {
	s.known.mu.Lock()
	defer s.known.mu.Unlock()
	cur, err := s.readStates(ctx)
	if err != nil {
		return nil, err
	}
	prev := s.known.states
	s.known.states = cur
	if prev == nil {
		return nil, nil
	}
	var out []live.WebhookChange
	for id, c := range cur {
		p, ok := prev[id]
		if ok && p == c {
			continue
		}
		at := c.UpdatedAt
		change := live.WebhookChange{ID: id, Change: live.WebhookUpdated, UpdatedAt: &at}
		switch {
		case !ok:
			change.Change = live.WebhookCreated
		case p.Enabled && !c.Enabled:
			change.Change, change.Reason = live.WebhookDisabled, c.DisabledReason
		}
		out = append(out, change)
	}
	for id := range prev {
		if _, ok := cur[id]; !ok {
			out = append(out, live.WebhookChange{ID: id, Change: live.WebhookDeleted})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	for _, c := range out {
		live.PublishStored(s.live, live.EventWebhook, c)
	}
	return out, nil
}
