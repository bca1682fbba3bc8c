package live

import (
	"encoding/json"
	"testing"
	"time"
)

func TestPublishReachesEverySubscriber(t *testing.T) {
	h := NewHub()
	a, b := h.Subscribe(4), h.Subscribe(4)
	Publish(h, EventWebhook, WebhookChange{ID: 7, Change: WebhookDisabled, Reason: "410 Gone"})
	for _, s := range []*Subscription{a, b} {
		m := <-s.C
		var got WebhookChange
		if err := json.Unmarshal(m.Data, &got); err != nil {
			t.Fatal(err)
		}
		if m.Name != EventWebhook || got != (WebhookChange{ID: 7, Change: WebhookDisabled, Reason: "410 Gone"}) {
			t.Fatalf("got %s %+v", m.Name, got)
		}
	}
	a.Close()
	if !h.Listening() {
		t.Fatal("b still listens")
	}
	b.Close()
	b.Close() // twice is harmless
	if h.Listening() {
		t.Fatal("nobody listens after both closed")
	}
}

// A subscriber that does not read holds at most its buffer: further events
// are dropped for it, and it learns that it missed some (then resyncs),
// while a subscriber that keeps up gets every event.
func TestSlowSubscriberIsBoundedAndTold(t *testing.T) {
	h := NewHub()
	slow := h.Subscribe(8)
	fast := h.Subscribe(8)
	got := 0
	for i := range 10_000 {
		Publish(h, EventDelivery, Delivery{AttemptID: int64(i)})
		select {
		case <-fast.C:
			got++
		default:
		}
	}
	if got != 10_000 {
		t.Errorf("the subscriber that keeps up got %d of 10000", got)
	}
	if n := len(slow.C); n != 8 {
		t.Errorf("slow subscriber holds %d events, want its buffer of 8", n)
	}
	if fast.Missed() {
		t.Error("the subscriber that kept up is told it missed events")
	}
	if !slow.Missed() {
		t.Fatal("the slow subscriber is not told it missed events")
	}
	if slow.Missed() {
		t.Error("Missed reports once per drop run")
	}
	// The buffered ones are the oldest: the newest were dropped.
	var first Delivery
	_ = json.Unmarshal((<-slow.C).Data, &first)
	if first.AttemptID != 0 {
		t.Errorf("first buffered attempt %d, want 0", first.AttemptID)
	}
}

func TestCloseEndsSubscriptions(t *testing.T) {
	h := NewHub()
	s := h.Subscribe(1)
	h.Close()
	select {
	case <-s.Done():
	case <-time.After(time.Second):
		t.Fatal("subscription not ended by Close")
	}
	late := h.Subscribe(1)
	select {
	case <-late.Done():
	default:
		t.Fatal("a subscription after Close is not ended at once")
	}
	Publish(h, EventSettings, struct{}{}) // no panic, nobody to send to
}

// Publishing without subscribers must cost the dispatcher nothing per
// attempt: no allocation (and a nil hub is valid).
func TestPublishWithoutSubscribersAllocatesNothing(t *testing.T) {
	h := NewHub()
	d := Delivery{DeliveryID: 1, AttemptID: 2, WebhookID: 3, MessageID: "msg_1_3", Event: "project:created", Outcome: "succeeded", CreatedAt: time.Now()}
	if n := testing.AllocsPerRun(1000, func() { Publish(h, EventDelivery, d) }); n != 0 {
		t.Errorf("%v allocations per publish without subscribers", n)
	}
	var none *Hub
	if n := testing.AllocsPerRun(1000, func() { Publish(none, EventDelivery, d) }); n != 0 {
		t.Errorf("%v allocations per publish on a nil hub", n)
	}
}

func BenchmarkPublishNobodyListening(b *testing.B) {
	h := NewHub()
	d := Delivery{DeliveryID: 1, AttemptID: 2, WebhookID: 3, Event: "project:created", Outcome: "succeeded"}
	b.ReportAllocs()
	for b.Loop() {
		Publish(h, EventDelivery, d)
	}
}

// received drains what s holds now.
func received(s *Subscription) []Message {
	var out []Message
	for len(s.C) > 0 {
		out = append(out, <-s.C)
	}
	return out
}

// A delivery or webhook change reaches a subscriber once, whether the
// process that made it publishes it first or the change watcher, reading
// the database, does; changes that only look alike (two updates within a
// millisecond, published the same way) are each sent.
func TestStoredEventsAreSentOnce(t *testing.T) {
	at := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	later := at.Add(time.Second)
	steps := []struct {
		stored bool
		name   string
		v      any
		sent   bool
	}{
		{false, EventDelivery, Delivery{AttemptID: 1}, true},
		{true, EventDelivery, Delivery{AttemptID: 1}, false}, // seen again in the database
		{true, EventDelivery, Delivery{AttemptID: 2}, true},  // made by another process
		{false, EventDelivery, Delivery{AttemptID: 2}, false},
		{true, EventDelivery, Delivery{AttemptID: 3}, true},
		{true, EventDelivery, Delivery{AttemptID: 3}, false}, // read twice: one attempt all the same
		{false, EventWebhook, WebhookChange{ID: 1, Change: WebhookUpdated, UpdatedAt: &at}, true},
		{false, EventWebhook, WebhookChange{ID: 1, Change: WebhookUpdated, UpdatedAt: &at}, true}, // two updates in one millisecond
		{true, EventWebhook, WebhookChange{ID: 1, Change: WebhookUpdated, UpdatedAt: &at}, false},
		{true, EventWebhook, WebhookChange{ID: 1, Change: WebhookUpdated, UpdatedAt: &later}, true},
		{true, EventWebhook, WebhookChange{ID: 1, Change: WebhookDisabled, UpdatedAt: &later}, true},
		{false, EventWebhook, WebhookChange{ID: 1, Change: WebhookDisabled, Reason: "410 Gone", UpdatedAt: &later}, false},
		{true, EventWebhook, WebhookChange{ID: 1, Change: WebhookDeleted}, true},
		{false, EventWebhook, WebhookChange{ID: 1, Change: WebhookDeleted}, false},
		{true, EventSettings, struct{ N int }{1}, true}, // settings carry their state: never held back
		{false, EventSettings, struct{ N int }{1}, true},
	}
	h := NewHub()
	s := h.Subscribe(64)
	for i, st := range steps {
		switch v := st.v.(type) {
		case Delivery:
			if st.stored {
				PublishStored(h, st.name, v)
			} else {
				Publish(h, st.name, v)
			}
		case WebhookChange:
			if st.stored {
				PublishStored(h, st.name, v)
			} else {
				Publish(h, st.name, v)
			}
		default:
			if st.stored {
				PublishStored(h, st.name, v)
			} else {
				Publish(h, st.name, v)
			}
		}
		if got := len(received(s)); got != map[bool]int{true: 1, false: 0}[st.sent] {
			t.Errorf("step %d (%s %+v stored=%v): %d messages, want sent=%v", i, st.name, st.v, st.stored, got, st.sent)
		}
	}
}

// The log of sent events is bounded: past sentLogSize newer events, an old
// one is forgotten.
func TestSentLogForgetsTheOldest(t *testing.T) {
	h := NewHub()
	s := h.Subscribe(1)
	defer s.Close()
	for i := range sentLogSize + 1 {
		Publish(h, EventDelivery, Delivery{AttemptID: int64(i)})
		received(s)
	}
	if n := len(h.sent.from); n != sentLogSize {
		t.Errorf("log holds %d keys, want %d", n, sentLogSize)
	}
	PublishStored(h, EventDelivery, Delivery{AttemptID: 0}) // forgotten: sent again
	PublishStored(h, EventDelivery, Delivery{AttemptID: sentLogSize})
	if got := received(s); len(got) != 1 {
		t.Errorf("got %d messages, want the forgotten one only", len(got))
	}
}

func TestResyncReachesEverySubscriber(t *testing.T) {
	h := NewHub()
	h.Resync() // nobody listens: nothing to do
	a, b := h.Subscribe(1), h.Subscribe(1)
	h.Resync()
	for _, s := range []*Subscription{a, b} {
		if m := <-s.C; m.Name != EventResync || string(m.Data) != "{}" {
			t.Errorf("got %s %s", m.Name, m.Data)
		}
	}
}
