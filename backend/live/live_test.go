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
