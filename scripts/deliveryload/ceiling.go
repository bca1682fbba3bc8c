package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hookpost/hookpost/backend/dispatch"
)

// ceiling measures what the machine carries of the deliveries' HTTP side
// alone, with no server and no database: this process sends signed POSTs as
// the dispatcher does (dispatch.Sign, an http.Transport over keep-alive
// connections, 10 webhooks with 4 attempts in flight each) to the same
// receiver process, for the case's duration after 5 s of warm-up, and
// counts those answered 200. Every other case's deliveries/s must fit
// beside this figure's CPU on the same cores.
func (d *driver) ceiling() (string, error) {
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
	for hook := range d.c.hooks {
		url := d.recvURL + "/hook/" + strconv.Itoa(hook)
		for range 4 {
			wg.Go(func() {
				for ctx.Err() == nil {
					req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
					if err != nil {
						failed.Add(1)
						return
					}
					req.Header.Set("Content-Type", "application/json")
					dispatch.Sign(req.Header, body, "msg_1_"+strconv.Itoa(hook), time.Now(), secret)
					res, err := tr.RoundTrip(req)
					if err != nil {
						if ctx.Err() == nil {
							failed.Add(1)
						}
						continue
					}
					_, _ = io.Copy(io.Discard, res.Body)
					res.Body.Close()
					if res.StatusCode == http.StatusOK {
						ok.Add(1)
					} else {
						failed.Add(1)
					}
				}
			})
		}
	}
	logf("ceiling run %s: %d webhook(s), 4 senders each, receiver pid %d at %s, %s after 5 s of warm-up",
		d.run, d.c.hooks, d.recvPID, d.recvURL, d.c.duration)
	time.Sleep(5 * time.Second)
	n0, f0, t0 := ok.Load(), failed.Load(), time.Now()
	self, rcv0 := cpuTicks(os.Getpid()), cpuTicks(d.recvPID)
	time.Sleep(d.c.duration)
	secs := time.Since(t0).Seconds()
	n, f := ok.Load()-n0, failed.Load()-f0
	sender := float64(cpuTicks(os.Getpid())-self) / clockTicks / secs
	receiver := float64(cpuTicks(d.recvPID)-rcv0) / clockTicks / secs
	cancel()
	wg.Wait()
	row := fmt.Sprintf("| ceiling | %s | %.0f signed deliveries/s answered 200, %d failed, no server or database (body %d bytes; sender %.2f cores) | (the HTTP side's ceiling) | – | – | %.2f | – |",
		d.run, float64(n)/secs, f, len(body), sender, receiver)
	if f != 0 {
		return row, fmt.Errorf("%d deliveries failed", f)
	}
	return row, nil
}
