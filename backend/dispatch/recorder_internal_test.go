package dispatch

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/store/storetest"
)

// Successes written in one batch each get the id of their own row; a batch
// that cannot be written (here, an attempt whose delivery has gone) is
// written attempt by attempt, so that only that attempt fails.
func TestSuccessesAreWrittenTogether(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	now := time.Now().UTC().Truncate(time.Millisecond)
	d, err := New(ctx, st, DefaultConfig("test"), func() time.Time { return now }, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := st.DB.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	exec(`INSERT INTO webhooks (name, url, enabled, all_projects, created_at, updated_at) VALUES ('w', 'http://127.0.0.1:1/', TRUE, TRUE, ?, ?)`, now, now)
	const n = 50
	for range n {
		exec(`INSERT INTO deliveries (webhook_id, event_name, status, attempts, next_attempt_at, test, created_at, updated_at)
			VALUES (1, 'work_package:created', 'pending', 0, ?, FALSE, ?, ?)`, now, now, now)
	}
	attempt := func(delivery int64) *success {
		return &success{a: &Attempt{DeliveryID: delivery, WebhookID: 1, Attempt: 1, EventName: "work_package:created",
			URL: "http://127.0.0.1:1/", RequestHeaders: map[string]string{"X-Delivery": "x"}, ResponseCode: 200,
			ResponseHeaders: map[string]string{}, CreatedAt: now}, done: make(chan error, 1)}
	}
	check := func(batch []*success) {
		t.Helper()
		for _, s := range batch {
			var delivery int64
			if err := st.DB.QueryRowContext(ctx, `SELECT delivery_id FROM delivery_attempts WHERE id = ?`, s.a.ID).Scan(&delivery); err != nil {
				t.Fatalf("attempt of delivery %d: id %d: %v", s.a.DeliveryID, s.a.ID, err)
			}
			if delivery != s.a.DeliveryID {
				t.Fatalf("attempt %d belongs to delivery %d, was given to delivery %d", s.a.ID, delivery, s.a.DeliveryID)
			}
			var status string
			var attempts int
			if err := st.DB.QueryRowContext(ctx, `SELECT status, attempts FROM deliveries WHERE id = ?`, delivery).Scan(&status, &attempts); err != nil {
				t.Fatal(err)
			}
			if status != "succeeded" || attempts != 1 {
				t.Fatalf("delivery %d: %s after %d attempts, want succeeded after 1", delivery, status, attempts)
			}
		}
	}

	// In reverse order, so that ids and deliveries do not line up by chance.
	var batch []*success
	for id := int64(n / 2); id >= 1; id-- {
		batch = append(batch, attempt(id))
	}
	d.writeSuccesses(ctx, batch)
	for _, s := range batch {
		if err := <-s.done; err != nil {
			t.Fatal(err)
		}
	}
	check(batch)

	var rest []*success
	for id := int64(n/2 + 1); id <= n; id++ {
		rest = append(rest, attempt(id))
	}
	gone := attempt(10_000)
	d.writeSuccesses(ctx, append(rest[:len(rest):len(rest)], gone))
	for _, s := range rest {
		if err := <-s.done; err != nil {
			t.Fatalf("delivery %d: %v", s.a.DeliveryID, err)
		}
	}
	if err := <-gone.done; err == nil {
		t.Fatal("the attempt of a delivery that does not exist was recorded")
	}
	check(rest)
	var logged int
	if err := st.DB.QueryRowContext(ctx, `SELECT count(*) FROM delivery_attempts`).Scan(&logged); err != nil {
		t.Fatal(err)
	}
	if logged != n {
		t.Fatalf("%d attempts logged, want %d", logged, n)
	}
}
