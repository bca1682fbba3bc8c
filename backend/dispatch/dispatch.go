package dispatch

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/live"
	"github.com/hookpost/hookpost/backend/outbox"
	"github.com/hookpost/hookpost/backend/store"
)

// MaxResponseBody is how much of a response the log keeps.
const MaxResponseBody = 64 << 10

// Config holds the dispatcher's settings; DefaultConfig has SPEC §6's values.
type Config struct {
	Timeout      time.Duration   // per attempt
	Schedule     []time.Duration // waits after each failed attempt; then the delivery fails
	Jitter       float64         // ± fraction of each wait
	PerWebhook   int             // attempts in flight per webhook
	Ahead        int             // deliveries read ahead per webhook, beyond those in flight
	Lease        time.Duration   // how long a dispatcher holds a webhook (see lease.go)
	Poll         time.Duration   // how often due deliveries are looked for without a wake-up
	Allow        []netip.Prefix  // SSRF allowlist (--webhook-allow)
	UserAgent    string
	DisableAfter time.Duration // a webhook failing this long is disabled
	Retention    time.Duration // attempts and finished deliveries older than this are deleted
	// A webhook whose every attempt has failed for SlowAfter gets one
	// attempt at a time, at most one per SlowInterval, until one succeeds
	// (see lane.slowed): its endpoint cannot then take a share of the
	// single writer that grows with the event rate and its retries. The
	// default is short (a circuit breaker, not a penalty): a second of nothing
	// but failures is already a down endpoint, and the first success of the
	// once-a-second probe restores full speed.
	SlowAfter    time.Duration
	SlowInterval time.Duration
	// Live receives a delivery event after each attempt is recorded, and a
	// webhook event when a failure disables a webhook; nil: nobody.
	Live *live.Hub
}

// DefaultConfig is SPEC §6.4's schedule and timeout.
func DefaultConfig(version string) Config {
	return Config{
		Timeout:  15 * time.Second,
		Schedule: []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour},
		Jitter:   0.2, PerWebhook: 4, Ahead: 28, Lease: 20 * time.Second, Poll: 200 * time.Millisecond,
		UserAgent: "Hookpost-Webhooks/" + version, DisableAfter: 24 * time.Hour, Retention: 7 * 24 * time.Hour,
		SlowAfter: time.Second, SlowInterval: time.Second,
	}
}

// The statements that record an attempt, prepared once on the writer
// connection: SQLite's parser costs more than running either of them.
// InsertAttemptSQL is exported for the delivery benchmark's floor case,
// which writes the log's rows as the dispatcher does.
const (
	InsertAttemptSQL = `INSERT INTO delivery_attempts (delivery_id, webhook_id, attempt, event_name, url, request_headers, request_body,
		response_code, response_headers, response_body, error, duration_ms, next_retry_at, test, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	finishSQL = `UPDATE deliveries SET status = ?2, attempts = attempts + 1, updated_at = ?3,
		next_attempt_at = coalesce(?4, next_attempt_at) WHERE id = ?1`
)

// Dispatcher sends due deliveries.
type Dispatcher struct {
	st  *store.Store
	sql dialectSQL
	cfg Config
	now func() time.Time
	log *slog.Logger
	// transport sends the attempts. It is used without an http.Client: a
	// client's redirect, cookie and timeout machinery costs a tenth of a
	// delivery's CPU, and none of it applies (redirects are not followed,
	// SPEC §6.4, and each attempt carries its own deadline).
	transport *http.Transport
	wake      chan struct{}

	owner string // this dispatcher's name on its leases
	mu    sync.Mutex
	lanes map[int64]*lane // the webhooks it holds
	// elsewhere: when the leases of webhooks held by other live
	// dispatchers end (see takeFromTheDead).
	elsewhere map[int64]time.Time
	closing   bool
	wg        sync.WaitGroup // one per queued delivery until its outcome is recorded

	metrics metrics
	bodies  bodyCache

	// stop ends the attempts in flight when a shutdown's grace is over.
	stopCtx context.Context
	stop    context.CancelFunc

	// Shutdown ends Run through quit, with the time the attempts in flight
	// may take in grace; done closes when Run has returned.
	quitOnce sync.Once
	quit     chan struct{}
	grace    chan time.Duration
	done     chan struct{}
	running  atomic.Bool
}

// minRound is the least time between two reads of the due deliveries.
const minRound = 2 * time.Millisecond

// ShutdownGrace is how long Run lets attempts in flight finish after its
// context ends; the rest are handed back and retried after a restart.
const ShutdownGrace = 5 * time.Second

// handBack is what Shutdown keeps of its deadline to cancel the attempts
// still in flight, record those that had ended and release the leases.
const handBack = 500 * time.Millisecond

// New builds a dispatcher; now is injected so that tests need not sleep.
func New(ctx context.Context, st *store.Store, cfg Config, now func() time.Time, log *slog.Logger) (*Dispatcher, error) {
	if err := st.PrepareWrites(ctx, acquireSQL, InsertAttemptSQL, finishSQL, failingSQL, recoveredSQL, autoDisableSQL); err != nil {
		return nil, err
	}
	guard := Guard{Allow: cfg.Allow}
	transport := &http.Transport{
		DialContext: guard.DialContext(cfg.Timeout),
		Proxy:       nil, // a proxy would connect on our behalf past the guard
		// Webhooks often share a host: keep every connection the attempts in
		// flight use, or each attempt would pay for a new one.
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   256,
		WriteBufferSize:       32 << 10, // headers and a typical body in one write
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   cfg.Timeout,
		ResponseHeaderTimeout: cfg.Timeout,
	}
	stopCtx, stop := context.WithCancel(context.Background())
	return &Dispatcher{st: st, sql: newDialectSQL(st), cfg: cfg, now: now, log: log, transport: transport, wake: make(chan struct{}, 1), lanes: map[int64]*lane{}, elsewhere: map[int64]time.Time{},
		owner: ownerName(), stopCtx: stopCtx, stop: stop,
		quit: make(chan struct{}), grace: make(chan time.Duration, 1), done: make(chan struct{})}, nil
}

// Wake makes the dispatcher look for due deliveries now.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends or Shutdown is called, then waits for the
// attempts in flight (each bounded by the timeout, and all by the grace)
// and hands its webhooks back. A delivery stays pending until its attempt
// is recorded, so a crash loses nothing: the next holder of the webhook
// sends it.
func (d *Dispatcher) Run(ctx context.Context) {
	d.running.Store(true)
	defer close(d.done)
	t := time.NewTicker(d.cfg.Poll)
	defer t.Stop()
	var pruned time.Time
	for {
		if now := d.now(); now.Sub(pruned) > time.Hour {
			if n, err := d.Prune(ctx); err != nil && ctx.Err() == nil {
				d.log.Error("pruning the delivery log failed", "error", err)
			} else if n > 0 {
				d.log.Info("delivery log pruned", "attempts", n)
			}
			pruned = now
		}
		round := time.Now()
		if _, err := d.DispatchDue(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("reading due deliveries failed", "error", err)
		}
		// Under load every commit and every attempt wakes the loop: reading
		// at most once per minRound gathers those wake-ups into one read.
		time.Sleep(minRound - time.Since(round))
		// Every commit with deliveries and every attempt that ends wakes the
		// loop; the ticker finds retries that have come due.
		select {
		case <-ctx.Done():
			d.finish(ShutdownGrace)
			return
		case <-d.quit:
			d.finish(<-d.grace)
			return
		case <-t.C:
		case <-d.wake:
		}
	}
}

// finish stops taking deliveries, lets the attempts in flight end within
// grace, cancels the others (their deliveries stay pending, with no attempt
// counted) and hands the webhooks back.
func (d *Dispatcher) finish(grace time.Duration) {
	d.drop()
	done := make(chan struct{})
	go func() { d.wg.Wait(); close(done) }()
	timer := time.NewTimer(grace)
	defer timer.Stop()
	select {
	case <-done:
	case <-timer.C:
		d.stop()
		<-done
	}
	d.releaseLeases()
}

// Shutdown stops Run and returns once it has returned, by ctx's deadline:
// the attempts in flight may end until shortly before it; those still
// running then are cancelled and handed back, their deliveries pending for
// the next start (SPEC §8). Without a deadline it waits ShutdownGrace.
// Shutdown without Run returns at once.
func (d *Dispatcher) Shutdown(ctx context.Context) {
	grace := ShutdownGrace
	if dl, ok := ctx.Deadline(); ok {
		grace = max(0, time.Until(dl)-handBack)
	}
	started := false
	d.quitOnce.Do(func() {
		started = true
		d.grace <- grace
		close(d.quit)
	})
	if !d.running.Load() {
		return // Run, should it start now, stops at once
	}
	if !started {
		<-d.done
		return
	}
	select {
	case <-d.done:
	case <-ctx.Done():
		// The hand-back overran: cancel whatever is left and wait for it,
		// which no longer depends on any endpoint.
		d.stop()
		<-d.done
	}
}

// Attempt is one logged attempt (SPEC §4).
type Attempt struct {
	ID         int64 `bun:"id,pk,autoincrement" json:"id"`
	DeliveryID int64 `bun:"delivery_id" json:"deliveryId"`
	WebhookID  int64 `bun:"webhook_id" json:"webhookId"`
	// MessageID is the webhook-id the receiver got (see MessageID).
	MessageID       string            `bun:"message_id,scanonly" json:"messageId"`
	Attempt         int               `bun:"attempt" json:"attempt"`
	EventName       string            `bun:"event_name" json:"event"`
	URL             string            `bun:"url" json:"url"`
	RequestHeaders  map[string]string `bun:"request_headers,type:json" json:"requestHeaders"`
	RequestBody     string            `bun:"request_body" json:"requestBody"`
	ResponseCode    int               `bun:"response_code" json:"responseCode"`
	ResponseHeaders map[string]string `bun:"response_headers,type:json" json:"responseHeaders"`
	ResponseBody    string            `bun:"response_body" json:"responseBody"`
	Error           string            `bun:"error" json:"error"`
	DurationMS      float64           `bun:"duration_ms" json:"durationMs"`
	NextRetryAt     *time.Time        `bun:"next_retry_at" json:"nextRetryAt"`
	Test            bool              `bun:"test" json:"test"`
	CreatedAt       time.Time         `bun:"created_at" json:"createdAt"`

	bun.BaseModel `bun:"table:delivery_attempts" json:"-"`
}

// MessageID is the Standard Webhooks webhook-id of an event's delivery to a
// webhook: the same on every retry and redelivery.
func MessageID(eventID, webhookID int64) string {
	return "msg_" + strconv.FormatInt(eventID, 10) + "_" + strconv.FormatInt(webhookID, 10)
}

// attempt sends one due delivery and records the outcome. sent runs as
// soon as the endpoint has answered (or failed), before the outcome is
// written: the endpoint has room again.
func (d *Dispatcher) attempt(ctx context.Context, j job, sent func()) (Attempt, error) {
	sentOnce := sync.OnceFunc(sent)
	defer sentOnce()
	started := d.now().UTC()
	// The deadline covers the whole exchange, the response's body included.
	sendCtx, cancel := context.WithTimeout(ctx, d.cfg.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(sendCtx, http.MethodPost, j.hook.URL, bytes.NewReader(j.msg.body))
	if err != nil {
		return Attempt{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", d.cfg.UserAgent)
	req.Header.Set("X-Hookpost-Event", j.msg.name)
	msgID := MessageID(j.EventID, j.WebhookID)
	if j.EventID == 0 {
		msgID = "msg_test_" + strconv.FormatInt(j.ID, 10)
	}
	Sign(req.Header, j.msg.body, msgID, started, j.hook.secrets(started)...)

	a := Attempt{DeliveryID: j.ID, WebhookID: j.WebhookID, MessageID: msgID, Attempt: j.Attempts + 1, EventName: j.msg.name, URL: RedactURL(j.hook.URL),
		RequestHeaders: LogHeaders(req.Header), ResponseCode: -1, ResponseHeaders: map[string]string{},
		Test: j.Test, CreatedAt: started}
	if u := req.URL.User; u != nil {
		// A URL saved before credentials were refused: they go out as Basic
		// authentication, as http.Client sends them, after the headers were
		// copied for the log (which never shows them, SPEC §4).
		pass, _ := u.Password()
		req.SetBasicAuth(u.Username(), pass)
	}
	clock := time.Now()
	res, err := d.transport.RoundTrip(req)
	if err != nil {
		// As http.Client reports it, the URL without its credentials.
		err = &url.Error{Op: "Post", URL: a.URL, Err: err}
	}
	if err != nil && ctx.Err() != nil {
		// Shutting down: the delivery stays pending for the webhook's next
		// holder instead of counting an attempt.
		if res != nil {
			res.Body.Close()
		}
		return Attempt{}, nil
	}
	retry := true
	var retryAfter time.Duration
	if err != nil {
		a.Error = describe(err)
		var ssrf *SSRFError
		if errors.As(err, &ssrf) {
			retry = false
		}
	} else {
		a.ResponseCode = res.StatusCode
		a.ResponseHeaders = LogHeaders(res.Header)
		data, rerr := io.ReadAll(io.LimitReader(res.Body, MaxResponseBody))
		res.Body.Close()
		if rerr != nil && ctx.Err() != nil {
			return Attempt{}, nil // shutting down, as above
		}
		a.ResponseBody = string(data)
		retry = retryable(res.StatusCode)
		if rerr != nil {
			a.Error = "reading the response: " + describe(rerr)
			retry = true // a timeout or a broken connection mid-body
		}
		retryAfter = parseRetryAfter(res.Header.Get("Retry-After"), started)
	}
	elapsed := time.Since(clock)
	sentOnce()
	a.DurationMS = float64(elapsed.Microseconds()) / 1000
	ok := a.ResponseCode >= 200 && a.ResponseCode < 300 && a.Error == ""

	status, next := "succeeded", (*time.Time)(nil)
	if !ok {
		status = "failed"
		if retry && !j.Test && j.Attempts < len(d.cfg.Schedule) {
			wait := d.jitter(d.cfg.Schedule[j.Attempts])
			if retryAfter > wait {
				wait = min(retryAfter, time.Hour)
			}
			t := started.Add(wait)
			status, next = "pending", &t
		}
	}
	a.NextRetryAt = next
	outcome := status
	if status == "pending" {
		outcome = "retrying"
	}
	d.metrics.observe(j.WebhookID, outcome, elapsed)
	var h *health
	if j.lane != nil && !j.Test {
		h = &j.lane.health
	}
	disabled, err := d.record(context.WithoutCancel(ctx), &a, status, ok, j.msg, h)
	if err == nil && disabled {
		d.disabled(j.WebhookID) // its queued deliveries wait for it to be enabled again
	}
	if err == nil && d.cfg.Live.Listening() {
		d.announce(ctx, &a, outcome, disabled)
	}
	level, suppressed := slog.LevelDebug, 0
	if !ok {
		level = slog.LevelWarn
		if h != nil {
			if warn, n := h.warn(time.Now()); warn {
				suppressed = n
			} else {
				level = slog.LevelDebug
			}
		}
	}
	if d.log.Enabled(ctx, level) {
		args := []any{"webhook_id", j.WebhookID, "delivery_id", j.ID, "event", j.msg.name,
			"status", a.ResponseCode, "attempt", a.Attempt, "outcome", status, "error", a.Error}
		if suppressed > 0 {
			args = append(args, "failures_not_logged", suppressed)
		}
		d.log.Log(ctx, level, "webhook delivery", args...)
	}
	if j.Test { // the caller shows it whole; other attempts are only logged
		a.RequestBody = string(j.msg.body)
	}
	return a, err
}

// record logs the attempt and moves its delivery on, in one transaction
// (which it shares with other writes: see store.Write). A failure may
// disable the webhook (410, or failing for DisableAfter when h, the
// webhook's health, is given); it reports whether it did.
func (d *Dispatcher) record(ctx context.Context, a *Attempt, status string, ok bool, msg *message, h *health) (bool, error) {
	reqHeaders, _ := hal.Marshal(a.RequestHeaders)
	resHeaders, _ := hal.Marshal(a.ResponseHeaders)
	var next any
	if a.NextRetryAt != nil {
		next = store.Timestamp(*a.NextRetryAt)
	}
	created, updated := store.Timestamp(a.CreatedAt), store.Timestamp(d.now())
	body := "" // Attempts rebuilds the body of an event delivery from the event
	if !msg.fromEvent {
		body = string(msg.body)
	}
	disabled := false
	var moveHealth func(context.Context, bun.Tx) error
	if h != nil && a.ResponseCode != http.StatusGone {
		moveHealth = d.healthWrite(h, a.WebhookID, ok, a.CreatedAt, &disabled)
	}
	err := d.st.Write(ctx, func(ctx context.Context, tx bun.Tx) error {
		disabled = false
		var err error
		a.ID, err = d.st.TxInsert(ctx, tx, InsertAttemptSQL, a.DeliveryID, a.WebhookID, a.Attempt, a.EventName, a.URL,
			string(reqHeaders), body, a.ResponseCode, string(resHeaders), a.ResponseBody, a.Error, a.DurationMS,
			next, a.Test, created)
		if err != nil {
			return err
		}
		if _, err := d.st.TxExec(ctx, tx, finishSQL, a.DeliveryID, status, updated, next); err != nil {
			return err
		}
		if a.Test {
			return nil
		}
		if a.ResponseCode == http.StatusGone {
			disabled = true
			return disable(ctx, tx, a.WebhookID, fmt.Sprintf("The endpoint answered 410 Gone at %s.", a.CreatedAt.Format(time.RFC3339)), d.now())
		}
		if moveHealth != nil {
			return moveHealth(ctx, tx)
		}
		return nil
	})
	if err != nil && h != nil {
		// The step was decided in memory before the write failed: read the
		// column again at the next outcome rather than trust it.
		h.set(false, time.Time{})
	}
	return disabled && err == nil, err
}

func disable(ctx context.Context, tx bun.Tx, webhookID int64, reason string, now time.Time) error {
	_, err := tx.NewUpdate().Table("webhooks").Set("enabled = FALSE").Set("disabled_reason = ?", reason).
		Set("updated_at = ?", now.UTC()).Where("id = ? AND enabled", webhookID).Exec(ctx)
	return err
}

func (d *Dispatcher) jitter(wait time.Duration) time.Duration {
	if d.cfg.Jitter <= 0 {
		return wait
	}
	f := 1 + d.cfg.Jitter*(2*rand.Float64()-1)
	return time.Duration(float64(wait) * f)
}

// retryable: timeouts and connection errors (no status), 408, 425, 429, 5xx.
func retryable(code int) bool {
	return code == 408 || code == 425 || code == 429 || code >= 500
}

func parseRetryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.Atoi(v); err == nil && s > 0 {
		return time.Duration(s) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// LogHeaders is a header as the delivery log keeps it: each header's first
// value (the log stores it as a JSON object).
func LogHeaders(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out
}

func describe(err error) string {
	err = redactError(err)
	var ssrf *SSRFError
	if errors.As(err, &ssrf) {
		return ssrf.Error()
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timeout: no complete response within the time limit (" + err.Error() + ")"
	}
	return err.Error()
}

// Wait blocks until every delivery queued so far has been attempted and
// recorded (or dropped, when shutting down).
func (d *Dispatcher) Wait() { d.wg.Wait() }

// AttemptFilter narrows a webhook's attempt log (SPEC §4:
// GET /api/admin/webhooks/{id}/deliveries?limit&before&outcome&event).
type AttemptFilter struct {
	// Limit is at most how many attempts (1…100, default 25).
	Limit int
	// Before lists only attempts older than this attempt id, when set.
	Before int64
	// Outcome is one of Outcomes, or empty for all.
	Outcome string
	// Event is an event name of the catalogue, or empty for all.
	Event string
}

// Outcomes are what an attempt comes to, named as the live stream names
// them: a 2xx answer, a retry scheduled, or given up (or a test that did
// not succeed: tests are never retried).
var Outcomes = []string{"succeeded", "retrying", "failed"}

// outcomeSQL selects each outcome's attempts; the same split as the
// attempt's own (a 2xx without a transport error succeeded) and as Stats.
var outcomeSQL = map[string]string{
	"succeeded": "?TableAlias.next_retry_at IS NULL AND ?TableAlias.response_code BETWEEN 200 AND 299 AND ?TableAlias.error = ''",
	"retrying":  "?TableAlias.next_retry_at IS NOT NULL",
	"failed":    "?TableAlias.next_retry_at IS NULL AND NOT (?TableAlias.response_code BETWEEN 200 AND 299 AND ?TableAlias.error = '')",
}

// Validate refuses an outcome or event the log cannot hold, naming the
// parameter: a typo must not read as "no deliveries".
func (f AttemptFilter) Validate() error {
	if f.Outcome != "" && outcomeSQL[f.Outcome] == "" {
		return domain.Invalid("outcome", "Outcome %q is not one of %s.", truncate(f.Outcome, 64), strings.Join(Outcomes, ", "))
	}
	if f.Event != "" && !outbox.Known(f.Event) {
		return domain.Invalid("event", "Event %q is not an event of the catalogue (GET /api/admin/events).", truncate(f.Event, 64))
	}
	return nil
}

// truncate shortens a value quoted back in an error (cut on a byte, then
// made valid UTF-8 again).
func truncate(s string, n int) string {
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "") + "…"
	}
	return s
}

// Deliveries lists a webhook's logged attempts like Attempts, and answers
// domain.ErrNotFound for a webhook that does not exist.
func (d *Dispatcher) Deliveries(ctx context.Context, webhookID int64, f AttemptFilter) ([]Attempt, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	n, err := d.st.Read.NewSelect().Table("webhooks").Where("id = ?", webhookID).Count(ctx)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, domain.ErrNotFound
	}
	return Attempts(ctx, d.st, webhookID, f)
}

// Attempts lists a webhook's logged attempts matching the filter, newest
// first. The filter is applied in the query, so a page is full however
// rare the matching attempts are, and Before pages through matches only.
func Attempts(ctx context.Context, st *store.Store, webhookID int64, f AttemptFilter) ([]Attempt, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	limit := f.Limit
	if limit <= 0 || limit > 100 {
		limit = 25
	}
	attempts := []Attempt{}
	q := withMessageID(st.Read.NewSelect().Model(&attempts)).Where("?TableAlias.webhook_id = ?", webhookID).
		Order("attempt.id DESC").Limit(int64(limit))
	if f.Before > 0 {
		q = q.Where("?TableAlias.id < ?", f.Before)
	}
	if f.Outcome != "" {
		q = q.Where(outcomeSQL[f.Outcome])
	}
	if f.Event != "" {
		q = q.Where("?TableAlias.event_name = ?", f.Event)
	}
	if err := q.Scan(ctx); err != nil {
		return nil, err
	}
	return attempts, fillBodies(ctx, st, attempts)
}

// fillBodies puts back the request bodies the log does not keep: those of
// event deliveries, rebuilt from the event exactly as they were sent.
func fillBodies(ctx context.Context, st *store.Store, attempts []Attempt) error {
	ids := newIDSet()
	for _, a := range attempts {
		if a.RequestBody == "" {
			ids.add(a.DeliveryID)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	rows, err := st.ReadQuery(ctx, `SELECT d.id, e.name, e.resource_key, e.payload, e.actor
		FROM deliveries d JOIN events e ON e.id = d.event_id WHERE d.id IN (`+st.JSONIDs()+`)`, ids.json())
	if err != nil {
		return err
	}
	defer rows.Close()
	bodies := map[int64]string{}
	for rows.Next() {
		var (
			id             int64
			name, key      string
			payload, actor sql.RawBytes
		)
		if err := rows.Scan(&id, &name, &key, &payload, &actor); err != nil {
			return err
		}
		bodies[id] = string(buildBody(name, key, payload, actor))
	}
	for i := range attempts {
		if attempts[i].RequestBody == "" {
			attempts[i].RequestBody = bodies[attempts[i].DeliveryID]
		}
	}
	return rows.Err()
}

// Prune deletes the attempts, and the finished deliveries, older than the
// retention (SPEC §6.8: 7 days by default). It returns how many attempts went.
func (d *Dispatcher) Prune(ctx context.Context) (int64, error) {
	cutoff := d.now().UTC().Add(-d.cfg.Retention)
	var n int64
	err := d.st.Write(ctx, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Table("delivery_attempts").Where("created_at < ?", cutoff).Exec(ctx)
		if err != nil {
			return err
		}
		n, _ = res.RowsAffected()
		_, err = tx.NewDelete().Table("deliveries").Where("status <> 'pending' AND updated_at < ?", cutoff).Exec(ctx)
		return err
	})
	return n, err
}
