package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/dispatch"
	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/store"
)

// ceiling measures what the machine carries of the deliveries' HTTP side
// alone, with no server and no database: this process sends signed POSTs as
// the dispatcher does (dispatch.Sign, an http.Transport over keep-alive
// connections, 10 webhooks with -senders attempts in flight each, 4 as
// the dispatcher) to the same
// receiver process, for the case's duration after 5 s of warm-up, and
// counts those answered 200. Every other case's deliveries/s must fit
// beside this figure's CPU on the same cores.
func (d *driver) ceiling() (string, error) {
	return d.send("ceiling", "no server or database", nil)
}

// floor is ceiling with the least a logged delivery writes: each answer is
// recorded as one row of Hookpost's delivery log (delivery_attempts, with
// its indexes and foreign keys, through the store's single writer, whose
// group commit batches concurrent writes) in a fresh SQLite database. No
// delivery row is written for it (the rows point at one delivery made
// beforehand per webhook), no event is read, no body rendered: with this
// stack and this delivery log, a signed, logged delivery costs at least
// this much.
func (d *driver) floor() (string, error) {
	dir, err := os.MkdirTemp("", "hookpost-floor-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(dir, "hookpost.db"))
	if err != nil {
		return "", err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return "", err
	}
	now := store.Timestamp(time.Now())
	delivery, webhook := make([]int64, d.c.hooks), make([]int64, d.c.hooks)
	for hook := range d.c.hooks {
		err := st.Write(ctx, func(ctx context.Context, tx bun.Tx) error {
			var err error
			webhook[hook], err = st.TxInsert(ctx, tx, `INSERT INTO webhooks (name, url, secret, created_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
				"floor "+strconv.Itoa(hook), "http://127.0.0.1/floor", secret, now, now)
			if err != nil {
				return err
			}
			delivery[hook], err = st.TxInsert(ctx, tx, `INSERT INTO deliveries (webhook_id, event_name, next_attempt_at, created_at, updated_at)
				VALUES (?, 'work_package:created', ?, ?, ?)`, webhook[hook], now, now, now)
			return err
		})
		if err != nil {
			return "", err
		}
	}
	if err := st.PrepareWrites(ctx, dispatch.InsertAttemptSQL); err != nil {
		return "", err
	}
	record := func(hook int, req *http.Request, res *http.Response, resBody []byte, took time.Duration) error {
		// Marshalled as the dispatcher's record does.
		reqHeaders, _ := hal.Marshal(dispatch.LogHeaders(req.Header))
		resHeaders, _ := hal.Marshal(dispatch.LogHeaders(res.Header))
		created := store.Timestamp(time.Now())
		return st.Write(ctx, func(ctx context.Context, tx bun.Tx) error {
			_, err := st.TxInsert(ctx, tx, dispatch.InsertAttemptSQL, delivery[hook], webhook[hook], 1, "work_package:created",
				req.URL.String(), string(reqHeaders), "", res.StatusCode, string(resHeaders), string(resBody), "", float64(took.Microseconds())/1000, nil, false, created)
			return err
		})
	}
	return d.send("floor", "each logged as one row in SQLite", record)
}

// send runs the senders for the case's duration and reports the
// deliveries answered 200 (and recorded, when record is given) per second.
func (d *driver) send(name, what string, record func(hook int, req *http.Request, res *http.Response, body []byte, took time.Duration) error) (string, error) {
	stop, err := d.startReceiver()
	if err != nil {
		return "", err
	}
	defer stop()
	// About the size of a work_package:created payload with its actor.
	body := []byte(`{"action":"work_package:created","work_package":{"_type":"WorkPackage","id":1,"createdAt":"2026-12-01T19:33:08.123Z"` +
		strings.Repeat(`,"field":"a value of about the length of a link or a subject"`, 40) + `}}`)
	tr := &http.Transport{MaxIdleConns: 1024, MaxIdleConnsPerHost: 256, WriteBufferSize: 32 << 10}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithCancel(context.Background())
	var ok, failed atomic.Int64
	var wg sync.WaitGroup
	// Outcomes being written: at most as many as the dispatcher holds per
	// webhook, in flight and read ahead (PerWebhook + Ahead, 4 + 28).
	recording := make(chan struct{}, (d.senders+28)*d.c.hooks)
	for hook := range d.c.hooks {
		url := d.recvURL + "/hook/" + strconv.Itoa(hook)
		for range d.senders {
			wg.Go(func() {
				for ctx.Err() == nil {
					req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
					if err != nil {
						failed.Add(1)
						return
					}
					// The dispatcher's headers, which the log's row keeps.
					req.Header.Set("Content-Type", "application/json")
					req.Header.Set("Accept", "application/json")
					req.Header.Set("User-Agent", "Hookpost-Webhooks/floor")
					req.Header.Set("X-Hookpost-Event", "work_package:created")
					dispatch.Sign(req.Header, body, "msg_1_"+strconv.Itoa(hook), time.Now(), secret)
					started := time.Now()
					res, err := tr.RoundTrip(req)
					if err != nil {
						if ctx.Err() == nil {
							failed.Add(1)
						}
						continue
					}
					answer, _ := io.ReadAll(io.LimitReader(res.Body, dispatch.MaxResponseBody))
					res.Body.Close()
					if res.StatusCode != http.StatusOK {
						failed.Add(1)
						continue
					}
					if record == nil {
						ok.Add(1)
						continue
					}
					// As the dispatcher does, the endpoint's slot is free
					// again while the outcome is written.
					took := time.Since(started)
					recording <- struct{}{}
					wg.Go(func() {
						defer func() { <-recording }()
						if err := record(hook, req, res, answer, took); err != nil {
							logf("recording a delivery: %v", err)
							failed.Add(1)
							return
						}
						ok.Add(1)
					})
				}
			})
		}
	}
	logf("%s run %s: %d webhook(s), %d senders each, receiver pid %d at %s, %s after 5 s of warm-up",
		name, d.run, d.c.hooks, d.senders, d.recvPID, d.recvURL, d.c.duration)
	time.Sleep(5 * time.Second)
	n0, f0, t0 := ok.Load(), failed.Load(), time.Now()
	self, rcv0 := cpuTicks(os.Getpid()), cpuTicks(d.recvPID)
	time.Sleep(d.c.duration)
	secs := time.Since(t0).Seconds()
	n := ok.Load() - n0
	sender := float64(cpuTicks(os.Getpid())-self) / clockTicks / secs
	receiver := float64(cpuTicks(d.recvPID)-rcv0) / clockTicks / secs
	cancel()
	wg.Wait()
	f := failed.Load() - f0 // with those recorded after the window
	row := fmt.Sprintf("| %s | %s | %.0f signed deliveries/s answered 200, %d failed, %s (%d senders per webhook, body %d bytes; sender %.2f cores) | (%s) | – | – | %.2f | – |",
		name, d.run, float64(n)/secs, f, what, d.senders, len(body), sender, name, receiver)
	if f != 0 {
		return row, fmt.Errorf("%d deliveries failed", f)
	}
	return row, nil
}
