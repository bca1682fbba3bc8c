package httpapi

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/dispatch"
	"github.com/hookpost/hookpost/backend/live"
	"github.com/hookpost/hookpost/backend/settings"
	"github.com/hookpost/hookpost/backend/store/storetest"
	"github.com/hookpost/hookpost/backend/webhooks"
)

// sharedLiveEnvs are two processes on one database, each with the live hub
// its stream and window read. On SQLite the test polls their change
// watchers itself; on PostgreSQL they listen from the start, and the test
// syncs with them (settings.Sync).
func sharedLiveEnvs(t *testing.T) (a, b *env, subA, subB *live.Subscription) {
	t.Helper()
	path := storetest.Location(t)
	hubA, hubB := live.NewHub(), live.NewHub()
	a = buildEnv(t, path, hubA)
	a.admin, a.adminTok = a.newUser("admin", true)
	b = buildEnv(t, path, hubB)
	if storetest.Postgres() {
		for _, e := range []*env{a, b} {
			wctx, stop := context.WithCancel(context.Background())
			done := make(chan struct{})
			go func() {
				e.settings.Watch(wctx, settings.PollInterval, slog.New(slog.NewTextHandler(io.Discard, nil)))
				close(done)
			}()
			t.Cleanup(func() { stop(); <-done }) // before the stores close
		}
	}
	b.admin, b.adminTok = a.admin, a.adminTok
	subA, subB = hubA.Subscribe(1000), hubB.Subscribe(1000)
	t.Cleanup(func() { subA.Close(); subB.Close() })
	return a, b, subA, subB
}

// poll makes each process's change watcher apply what was committed so
// far: on SQLite it reads the database once, as it does every 250 ms; on
// PostgreSQL it waits for the notifications (a safety net of 10 s).
func poll(t *testing.T, envs ...*env) {
	t.Helper()
	for _, e := range envs {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		err := e.settings.Sync(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
}

// drain returns the events a subscription holds, by name.
func drain(t *testing.T, s *live.Subscription) map[string][]map[string]any {
	t.Helper()
	out := map[string][]map[string]any{}
	for len(s.C) > 0 {
		m := <-s.C
		var v map[string]any
		if err := json.Unmarshal(m.Data, &v); err != nil {
			t.Fatal(err)
		}
		out[m.Name] = append(out[m.Name], v)
	}
	return out
}

// The live stream of each process shows the deliveries and webhook changes
// made by any process sharing the database, each once: the process that
// made them publishes them at once, and its own watcher, which reads them
// back, does not repeat them (SPEC §2, §4).
func TestLiveStreamShowsOtherProcesses(t *testing.T) {
	a, b, subA, subB := sharedLiveEnvs(t)
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) }))
	defer receiver.Close()
	admin := bearer(a.adminTok)

	if r := a.do("POST", "/api/admin/webhooks", `{"name":"Live","url":"`+receiver.URL+`","events":["project:created"]}`, admin); r.status != 201 {
		t.Fatal(r.body)
	}
	poll(t, a, b)
	for name, s := range map[string]*live.Subscription{"a": subA, "b": subB} {
		got := drain(t, s)["webhook"]
		if len(got) != 1 || got[0]["id"] != 1.0 || got[0]["change"] != "created" {
			t.Errorf("%s's stream: webhook events %v, want one creation", name, got)
		}
	}

	// A delivery made by a's dispatcher.
	if r := a.do("POST", "/api/v3/projects", `{"identifier":"demo","name":"Demo"}`, admin); r.status != 201 {
		t.Fatal(r.body)
	}
	if _, err := a.dispatch.DispatchDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	a.dispatch.Wait()
	// PostgreSQL notifies at once: what b announced already counts.
	early := drain(t, subB)["delivery"]
	if len(early) != 0 && !storetest.Postgres() {
		t.Fatalf("b announced %v before reading the database", early)
	}
	poll(t, a, b)
	poll(t, a, b) // nothing new: nothing more
	gotA, gotB := drain(t, subA)["delivery"], append(early, drain(t, subB)["delivery"]...)
	if len(gotA) != 1 || len(gotB) != 1 {
		t.Fatalf("delivery events: a's stream %v, b's %v; want one each", gotA, gotB)
	}
	// b reads from the database what a announced as it happened.
	if d := gotB[0]; !reflect.DeepEqual(d, gotA[0]) || d["attemptId"] != 1.0 || d["deliveryId"] != 1.0 || d["webhookId"] != 1.0 ||
		d["outcome"] != "succeeded" || d["responseCode"] != 200.0 || d["event"] != "project:created" || d["attempt"] != 1.0 {
		t.Errorf("delivery event on b's stream %v, on a's %v", d, gotA[0])
	}

	// A webhook disabled through b; then deleted by a's service.
	if r := b.do("PATCH", "/api/admin/webhooks/1", `{"enabled":false}`, admin); r.status != 200 {
		t.Fatal(r.body)
	}
	poll(t, a, b)
	for name, s := range map[string]*live.Subscription{"a": subA, "b": subB} {
		if got := drain(t, s)["webhook"]; len(got) != 1 || got[0]["change"] != "disabled" {
			t.Errorf("%s's stream: webhook events %v, want one disabling", name, got)
		}
	}
	if err := webhooks.New(a.store, a.clock.now, nil).Delete(context.Background(), 1); err != nil {
		t.Fatal(err) // (a service without a hub: only the watchers announce it)
	}
	poll(t, a, b)
	for name, s := range map[string]*live.Subscription{"a": subA, "b": subB} {
		if got := drain(t, s)["webhook"]; len(got) != 1 || got[0]["change"] != "deleted" || got[0]["id"] != 1.0 {
			t.Errorf("%s's stream: webhook events %v, want one deletion", name, got)
		}
	}
}

// A webhook changed by another process is sent to as it is now: the
// dispatcher holding it drops the deliveries it queued with the old address
// when its watcher sees the change; only those already sent went there.
func TestWebhookChangedElsewhereIsSentToAsItIsNow(t *testing.T) {
	a, b, _, _ := sharedLiveEnvs(t)
	var mu sync.Mutex
	hits := map[string]int{}
	hit := func(name string) {
		mu.Lock()
		hits[name]++
		mu.Unlock()
	}
	release := make(chan struct{})
	oldURL := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hit("old")
		<-release
		w.WriteHeader(200)
	}))
	defer oldURL.Close()
	newURL := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hit("new"); w.WriteHeader(200) }))
	defer newURL.Close()
	admin := bearer(a.adminTok)
	if r := a.do("POST", "/api/admin/webhooks", `{"name":"Moving","url":"`+oldURL.URL+`","events":["project:created"]}`, admin); r.status != 201 {
		t.Fatal(r.body)
	}
	// a holds the webhook: six deliveries loaded with the old address, four
	// of them sent (the old endpoint holds them), two queued behind.
	const n = 6
	for i := range n {
		if r := a.do("POST", "/api/v3/projects", `{"identifier":"p`+itoa(int64(i))+`","name":"P`+itoa(int64(i))+`"}`, admin); r.status != 201 {
			t.Fatal(r.body)
		}
	}
	if q, err := a.dispatch.DispatchDue(t.Context()); err != nil || q != n {
		t.Fatalf("queued %d (%v), want %d", q, err, n)
	}
	inflight := dispatch.DefaultConfig("").PerWebhook
	if r := b.do("PATCH", "/api/admin/webhooks/1", `{"url":"`+newURL.URL+`"}`, admin); r.status != 200 {
		t.Fatal(r.body)
	}
	poll(t, a)
	close(release)
	a.dispatch.Wait()
	if _, err := a.dispatch.DispatchDue(t.Context()); err != nil {
		t.Fatal(err)
	}
	a.dispatch.Wait()
	mu.Lock()
	defer mu.Unlock()
	if hits["old"] != inflight || hits["new"] != n-inflight {
		t.Fatalf("the old address got %d, the new one %d; want %d and %d", hits["old"], hits["new"], inflight, n-inflight)
	}
}
