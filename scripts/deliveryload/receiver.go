package main

import (
	"bufio"
	"bytes"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"
)

// receiver is the webhooks' endpoint, run in a process of its own
// (deliveryload -receive): it verifies each delivery's X-OP-Signature,
// answers 200 and counts, and tells the driver what it counted on
// GET /stats. Per webhook it counts the work packages whose
// work_package:created it received, so the driver can tell a missing
// delivery from a late one.
type receiver struct {
	secret []byte
	mac    sync.Pool // of hmac.New(sha1.New, secret): Reset keeps the keyed state

	mu         sync.Mutex
	t0         time.Time // start of the load: perSecond[i] counts receipts in [t0+i s, t0+i+1 s)
	perSecond  []int64
	deliveries int64     // deliveries answered 200 (signature valid)
	bad        int64     // deliveries without a valid X-OP-Signature (answered 400, never counted above)
	last       int64     // Unix ns of the last receipt
	created    [][]uint8 // created[hook][work package id]: work_package:created receipts
	distinct   []int64   // per hook: work packages received at least once
	dups       int64     // work_package:created received more than once by the same webhook
	latency    bool      // keep latencies (hook 0's work_package:created)
	samples    []sample
}

// sample is one work_package:created receipt on webhook 0.
type sample struct {
	ID        int64 `json:"id"`
	Receipt   int64 `json:"receipt"`   // Unix ns, when the body had been read
	CreatedAt int64 `json:"createdAt"` // Unix ms, the payload's createdAt
}

type stats struct {
	Deliveries int64    `json:"deliveries"`
	Bad        int64    `json:"bad"`
	Last       int64    `json:"last"`
	PerSecond  []int64  `json:"perSecond"`
	Distinct   []int64  `json:"distinct"`
	Dups       int64    `json:"dups"`
	Samples    []sample `json:"samples,omitempty"`
}

// runReceiver listens on loopback, prints "listening ADDR" on stdout and
// serves until its stdin closes (the driver ended). It serves with
// fasthttp: it shares the two cores with the server it measures, and
// net/http's per-connection goroutines cost several times the CPU per
// request.
func runReceiver(secret string, hooks int) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	r := &receiver{secret: []byte(secret), created: make([][]uint8, hooks), distinct: make([]int64, hooks), t0: time.Now()}
	r.mac = sync.Pool{New: func() any { return hmac.New(sha1.New, r.secret) }}
	srv := &fasthttp.Server{Handler: r.serve, ReadTimeout: 30 * time.Second, NoDefaultServerHeader: true,
		NoDefaultDate: true, NoDefaultContentType: true}
	go func() { _ = srv.Serve(ln) }()
	fmt.Printf("listening %s\n", ln.Addr())
	_, _ = io.Copy(io.Discard, bufio.NewReader(os.Stdin))
	return srv.Shutdown()
}

func (r *receiver) serve(c *fasthttp.RequestCtx) {
	path := string(c.Path())
	switch {
	case strings.HasPrefix(path, "/hook/"):
		r.receive(c, strings.TrimPrefix(path, "/hook/"))
	case path == "/stats":
		r.stats(c)
	case path == "/reset":
		r.reset(c)
	default:
		c.SetStatusCode(fasthttp.StatusNotFound)
	}
}

func (r *receiver) receive(c *fasthttp.RequestCtx, hookPath string) {
	hook, err := strconv.Atoi(hookPath)
	if err != nil || hook < 0 || hook >= len(r.created) {
		c.SetStatusCode(fasthttp.StatusNotFound)
		return
	}
	now := time.Now()
	body := c.PostBody()
	if !r.signed(body, c.Request.Header.Peek("X-OP-Signature")) {
		r.mu.Lock()
		r.bad++
		r.mu.Unlock()
		c.SetStatusCode(fasthttp.StatusBadRequest)
		return
	}
	action, id, createdAt := peek(body)
	r.mu.Lock()
	r.deliveries++
	r.last = now.UnixNano()
	if s := now.Sub(r.t0); s >= 0 {
		i := int(s / time.Second)
		for len(r.perSecond) <= i {
			r.perSecond = append(r.perSecond, 0)
		}
		r.perSecond[i]++
	}
	if action == "work_package:created" && id > 0 {
		seen := r.created[hook]
		if int(id) >= len(seen) {
			seen = append(seen, make([]uint8, int(id)+1-len(seen)+len(seen)/2)...)
			r.created[hook] = seen
		}
		switch seen[id] {
		case 0:
			r.distinct[hook]++
		default:
			r.dups++
		}
		if seen[id] < 255 {
			seen[id]++
		}
		if r.latency && hook == 0 {
			r.samples = append(r.samples, sample{ID: id, Receipt: now.UnixNano(), CreatedAt: createdAt})
		}
	}
	r.mu.Unlock()
	c.SetStatusCode(fasthttp.StatusOK)
}

// signed checks X-OP-Signature: "sha1=" and the hex HMAC-SHA1 of the body
// keyed with the webhook's secret (SPEC §6.3).
func (r *receiver) signed(body, header []byte) bool {
	got, ok := bytes.CutPrefix(header, []byte("sha1="))
	if !ok || len(got) != 2*sha1.Size {
		return false
	}
	var want [sha1.Size]byte
	if _, err := hex.Decode(want[:], got); err != nil {
		return false
	}
	m := r.mac.Get().(hash.Hash)
	defer r.mac.Put(m)
	m.Reset()
	m.Write(body)
	var sum [sha1.Size]byte
	return hmac.Equal(m.Sum(sum[:0]), want[:])
}

// peek reads the action, the resource's id and its createdAt (Unix ms) from
// a delivery body without decoding all of it: the body is
// {"action":"…","<key>":{"_type":…,"id":N,…,"createdAt":"…",…},…} and the
// resource's own fields come before its links and embedded resources, so
// the first "id" and "createdAt" are the resource's. Decoding every body
// would make the receiver the bottleneck. Anything unexpected falls back to
// a full decode.
func peek(body []byte) (action string, id, createdAt int64) {
	rest, ok := bytes.CutPrefix(body, []byte(`{"action":"`))
	if ok {
		if i := bytes.IndexByte(rest, '"'); i > 0 {
			action = string(rest[:i])
			rest = rest[i:]
			if j := bytes.Index(rest, []byte(`"id":`)); j >= 0 {
				v := rest[j+5:]
				k := 0
				for k < len(v) && v[k] >= '0' && v[k] <= '9' {
					k++
				}
				id, _ = strconv.ParseInt(string(v[:k]), 10, 64)
				if c := bytes.Index(v, []byte(`"createdAt":"`)); c >= 0 {
					t := v[c+13:]
					if e := bytes.IndexByte(t, '"'); e > 0 {
						if at, err := time.Parse(time.RFC3339Nano, string(t[:e])); err == nil {
							createdAt = at.UnixMilli()
						}
					}
				}
			}
		}
	}
	if action != "" && id > 0 && createdAt > 0 {
		return action, id, createdAt
	}
	var full map[string]json.RawMessage
	if json.Unmarshal(body, &full) != nil {
		return "", 0, 0
	}
	_ = json.Unmarshal(full["action"], &action)
	for k, v := range full {
		if k == "action" || k == "actor" {
			continue
		}
		var res struct {
			ID        int64  `json:"id"`
			CreatedAt string `json:"createdAt"`
		}
		if json.Unmarshal(v, &res) == nil && res.ID > 0 {
			id = res.ID
			if at, err := time.Parse(time.RFC3339Nano, res.CreatedAt); err == nil {
				createdAt = at.UnixMilli()
			}
		}
	}
	return action, id, createdAt
}

// reset starts a new count at t0 (Unix ns); latency=1 keeps hook 0's
// samples.
func (r *receiver) reset(c *fasthttp.RequestCtx) {
	args := c.QueryArgs()
	t0, err := strconv.ParseInt(string(args.Peek("t0")), 10, 64)
	if err != nil {
		c.Error("t0: Unix ns", fasthttp.StatusBadRequest)
		return
	}
	r.mu.Lock()
	r.t0 = time.Unix(0, t0)
	r.perSecond, r.deliveries, r.bad, r.last, r.dups, r.samples = nil, 0, 0, 0, 0, nil
	for i := range r.created {
		r.created[i], r.distinct[i] = nil, 0
	}
	r.latency = string(args.Peek("latency")) == "1"
	r.mu.Unlock()
	c.SetStatusCode(fasthttp.StatusNoContent)
}

// stats answers the counts; samples=1 adds the latency samples.
func (r *receiver) stats(c *fasthttp.RequestCtx) {
	r.mu.Lock()
	s := stats{Deliveries: r.deliveries, Bad: r.bad, Last: r.last, Dups: r.dups,
		PerSecond: append([]int64(nil), r.perSecond...), Distinct: append([]int64(nil), r.distinct...)}
	if string(c.QueryArgs().Peek("samples")) == "1" {
		s.Samples = append([]sample(nil), r.samples...)
	}
	r.mu.Unlock()
	c.SetContentType("application/json")
	_ = json.NewEncoder(c).Encode(s)
}
