package dispatch

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/hal"
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
	Batch        int             // deliveries claimed at once
	Poll         time.Duration   // how often due deliveries are looked for
	Allow        []netip.Prefix  // SSRF allowlist (--webhook-allow)
	UserAgent    string
	DisableAfter time.Duration // a webhook failing this long is disabled
	Retention    time.Duration // attempts and finished deliveries older than this are deleted
}

// DefaultConfig is SPEC §6.4's schedule and timeout.
func DefaultConfig(version string) Config {
	return Config{
		Timeout:  15 * time.Second,
		Schedule: []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour, 5 * time.Hour, 10 * time.Hour, 10 * time.Hour},
		Jitter:   0.2, PerWebhook: 4, Batch: 64, Poll: 200 * time.Millisecond,
		UserAgent: "Hookpost-Webhooks/" + version, DisableAfter: 24 * time.Hour, Retention: 7 * 24 * time.Hour,
	}
}

// Dispatcher sends due deliveries.
type Dispatcher struct {
	st     *store.Store
	cfg    Config
	now    func() time.Time
	log    *slog.Logger
	client *http.Client
	wake   chan struct{}

	mu       sync.Mutex
	inflight map[int64]int
	wg       sync.WaitGroup

	metrics metrics

	// stop ends the attempts in flight when a shutdown's grace is over.
	stopCtx context.Context
	stop    context.CancelFunc
}

// ShutdownGrace is how long Run lets attempts in flight finish after its
// context ends; the rest are handed back and retried after a restart.
const ShutdownGrace = 5 * time.Second

// New builds a dispatcher; now is injected so that tests need not sleep.
func New(st *store.Store, cfg Config, now func() time.Time, log *slog.Logger) *Dispatcher {
	guard := Guard{Allow: cfg.Allow}
	transport := &http.Transport{
		DialContext:           guard.DialContext(cfg.Timeout),
		Proxy:                 nil, // a proxy would connect on our behalf past the guard
		MaxIdleConnsPerHost:   cfg.PerWebhook,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   cfg.Timeout,
		ResponseHeaderTimeout: cfg.Timeout,
	}
	client := &http.Client{
		Transport: transport,
		Timeout:   cfg.Timeout,
		// Redirects are not followed (SPEC §6.4): the 3xx is the outcome.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	stopCtx, stop := context.WithCancel(context.Background())
	return &Dispatcher{st: st, cfg: cfg, now: now, log: log, client: client, wake: make(chan struct{}, 1), inflight: map[int64]int{},
		stopCtx: stopCtx, stop: stop}
}

// Wake makes the dispatcher look for due deliveries now.
func (d *Dispatcher) Wake() {
	select {
	case d.wake <- struct{}{}:
	default:
	}
}

// Run delivers until ctx ends, then waits for the attempts in flight (each
// bounded by the timeout). A delivery claimed but not attempted goes back
// to pending when its claim expires, so a crash loses nothing.
func (d *Dispatcher) Run(ctx context.Context) {
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
		if n, err := d.DispatchDue(ctx); err != nil && ctx.Err() == nil {
			d.log.Error("claiming deliveries failed", "error", err)
		} else if n == d.cfg.Batch {
			continue // more may be due
		}
		select {
		case <-ctx.Done():
			done := make(chan struct{})
			go func() { d.wg.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(ShutdownGrace):
				d.stop()
				<-done
			}
			return
		case <-t.C:
		case <-d.wake:
		}
	}
}

type claimed struct {
	ID        int64  `bun:"id"`
	WebhookID int64  `bun:"webhook_id"`
	EventID   int64  `bun:"event_id"`
	EventName string `bun:"event_name"`
	Attempts  int    `bun:"attempts"`
	Test      bool   `bun:"test"`
}

// DispatchDue claims the due deliveries of enabled webhooks that have room
// for more attempts in flight, and starts them. It returns how many it
// claimed.
func (d *Dispatcher) DispatchDue(ctx context.Context) (int, error) {
	now := d.now().UTC()
	d.mu.Lock()
	var busy []int64
	for id, n := range d.inflight {
		if n >= d.cfg.PerWebhook {
			busy = append(busy, id)
		}
	}
	d.mu.Unlock()
	if len(busy) == 0 {
		busy = []int64{0}
	}
	var rows []claimed
	// The claim is one conditional UPDATE: a delivery whose claim has not
	// expired is never picked again, so no attempt is made twice, whether
	// by this process or by another one sharing the database.
	err := d.st.Write(ctx, func(ctx context.Context, tx bun.Tx) error {
		rows = rows[:0]
		return tx.NewRaw(`UPDATE deliveries SET claimed_until = ?, updated_at = ?
			WHERE id IN (SELECT id FROM (
				SELECT d.id, row_number() OVER (PARTITION BY d.webhook_id ORDER BY d.next_attempt_at, d.id) AS n
				FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
				WHERE d.status = 'pending' AND d.next_attempt_at <= ? AND (d.claimed_until IS NULL OR d.claimed_until < ?)
					AND w.enabled AND d.webhook_id NOT IN (?)
				) WHERE n <= ? LIMIT ?)
			RETURNING id, webhook_id, coalesce(event_id, 0) AS event_id, event_name, attempts, test`,
			now.Add(2*d.cfg.Timeout+30*time.Second), now, now, now, bun.In(busy), d.cfg.PerWebhook, d.cfg.Batch).Scan(ctx, &rows)
	})
	if err != nil {
		return 0, err
	}
	for _, c := range rows {
		d.mu.Lock()
		d.inflight[c.WebhookID]++
		d.mu.Unlock()
		d.wg.Add(1)
		go func() {
			defer d.wg.Done()
			defer func() {
				d.mu.Lock()
				if d.inflight[c.WebhookID]--; d.inflight[c.WebhookID] <= 0 {
					delete(d.inflight, c.WebhookID)
				}
				d.mu.Unlock()
				d.Wake() // room for the webhook's next delivery
			}()
			if _, err := d.attempt(d.stopCtx, c); err != nil {
				d.log.Error("delivery failed to run", "delivery_id", c.ID, "webhook_id", c.WebhookID, "error", err)
			}
		}()
	}
	return len(rows), nil
}

type webhookRow struct {
	ID             int64      `bun:"id"`
	URL            string     `bun:"url"`
	Secret         string     `bun:"secret"`
	PreviousSecret string     `bun:"previous_secret"`
	PreviousUntil  *time.Time `bun:"previous_secret_until"`
	Enabled        bool       `bun:"enabled"`
}

// secrets are the secrets that sign now: the current one, and during a
// rotation's grace period the previous one.
func (w webhookRow) secrets(now time.Time) []string {
	if w.PreviousSecret != "" && w.PreviousUntil != nil && now.Before(*w.PreviousUntil) {
		return []string{w.Secret, w.PreviousSecret}
	}
	return []string{w.Secret}
}

// Attempt is one logged attempt (SPEC §4).
type Attempt struct {
	ID              int64             `bun:"id,pk,autoincrement" json:"id"`
	DeliveryID      int64             `bun:"delivery_id" json:"deliveryId"`
	WebhookID       int64             `bun:"webhook_id" json:"webhookId"`
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

func (d *Dispatcher) attempt(ctx context.Context, c claimed) (Attempt, error) {
	var w webhookRow
	if err := d.st.Read.NewSelect().Table("webhooks").Column("id", "url", "secret", "previous_secret", "previous_secret_until", "enabled").Where("id = ?", c.WebhookID).Scan(ctx, &w); err != nil {
		return Attempt{}, err
	}
	var ev outbox.Event
	if c.EventID != 0 {
		if err := d.st.Read.NewSelect().Model(&ev).Where("id = ?", c.EventID).Scan(ctx); err != nil {
			return Attempt{}, err
		}
	} else if err := d.st.Read.NewRaw(`SELECT event_name AS name, sample_key AS resource_key, sample_payload AS payload, actor_id
		FROM deliveries WHERE id = ?`, c.ID).Scan(ctx, &ev); err != nil {
		return Attempt{}, err
	}
	body, err := d.body(ctx, ev)
	if err != nil {
		return Attempt{}, err
	}
	started := d.now().UTC()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return Attempt{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", d.cfg.UserAgent)
	req.Header.Set("X-Hookpost-Event", ev.Name)
	msgID := MessageID(ev.ID, w.ID)
	if c.EventID == 0 {
		msgID = "msg_test_" + strconv.FormatInt(c.ID, 10)
	}
	Sign(req.Header, body, msgID, started, w.secrets(started)...)

	a := Attempt{DeliveryID: c.ID, WebhookID: w.ID, Attempt: c.Attempts + 1, EventName: ev.Name, URL: w.URL,
		RequestHeaders: flatten(req.Header), RequestBody: string(body), ResponseCode: -1, ResponseHeaders: map[string]string{},
		Test: c.Test, CreatedAt: started}
	clock := time.Now()
	res, err := d.client.Do(req)
	if err != nil && ctx.Err() != nil {
		// Shutting down: hand the delivery back instead of counting an attempt.
		if res != nil {
			res.Body.Close()
		}
		_, herr := d.st.DB.NewUpdate().Table("deliveries").Set("claimed_until = NULL").Where("id = ?", c.ID).Exec(context.Background())
		return Attempt{}, herr
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
		a.ResponseHeaders = flatten(res.Header)
		data, rerr := io.ReadAll(io.LimitReader(res.Body, MaxResponseBody))
		res.Body.Close()
		a.ResponseBody = string(data)
		retry = retryable(res.StatusCode)
		if rerr != nil {
			a.Error = "reading the response: " + describe(rerr)
			retry = true // a timeout or a broken connection mid-body
		}
		retryAfter = parseRetryAfter(res.Header.Get("Retry-After"), started)
	}
	a.DurationMS = float64(time.Since(clock).Microseconds()) / 1000
	ok := a.ResponseCode >= 200 && a.ResponseCode < 300 && a.Error == ""

	status, next := "succeeded", (*time.Time)(nil)
	if !ok {
		status = "failed"
		if retry && !c.Test && c.Attempts < len(d.cfg.Schedule) {
			wait := d.jitter(d.cfg.Schedule[c.Attempts])
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
	d.metrics.observe(w.ID, outcome, time.Since(clock))
	err = d.st.Write(ctx, func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewInsert().Model(&a).Exec(ctx); err != nil {
			return err
		}
		q := tx.NewUpdate().Table("deliveries").Set("status = ?", status).Set("attempts = attempts + 1").
			Set("claimed_until = NULL").Set("updated_at = ?", d.now().UTC()).Where("id = ?", c.ID)
		if next != nil {
			q = q.Set("next_attempt_at = ?", *next)
		}
		if _, err := q.Exec(ctx); err != nil {
			return err
		}
		if ok || c.Test {
			return nil
		}
		if a.ResponseCode == http.StatusGone {
			return disable(ctx, tx, w.ID, fmt.Sprintf("The endpoint answered 410 Gone at %s.", started.Format(time.RFC3339)), d.now())
		}
		return d.disableIfFailingTooLong(ctx, tx, w.ID, started)
	})
	level := slog.LevelInfo
	if !ok {
		level = slog.LevelWarn
	}
	d.log.Log(ctx, level, "webhook delivery", "webhook_id", w.ID, "delivery_id", c.ID, "event", ev.Name,
		"status", a.ResponseCode, "attempt", a.Attempt, "outcome", status, "error", a.Error)
	return a, err
}

func disable(ctx context.Context, tx bun.Tx, webhookID int64, reason string, now time.Time) error {
	_, err := tx.NewUpdate().Table("webhooks").Set("enabled = FALSE").Set("disabled_reason = ?", reason).
		Set("updated_at = ?", now.UTC()).Where("id = ? AND enabled", webhookID).Exec(ctx)
	return err
}

// disableIfFailingTooLong disables a webhook whose every attempt since its
// last success, over DisableAfter, has failed (SPEC §6.5).
func (d *Dispatcher) disableIfFailingTooLong(ctx context.Context, tx bun.Tx, webhookID int64, now time.Time) error {
	var first []time.Time
	err := tx.NewRaw(`SELECT created_at FROM delivery_attempts WHERE webhook_id = ? AND NOT test
		AND id > coalesce((SELECT max(id) FROM delivery_attempts WHERE webhook_id = ? AND response_code BETWEEN 200 AND 299 AND error = ''), 0)
		ORDER BY id LIMIT 1`, webhookID, webhookID).Scan(ctx, &first)
	if err != nil || len(first) == 0 || now.Sub(first[0]) < d.cfg.DisableAfter {
		return err
	}
	return disable(ctx, tx, webhookID, fmt.Sprintf("Every delivery since %s has failed, for more than %s: disabled automatically. Fix the endpoint and enable the webhook to resume.",
		first[0].UTC().Format(time.RFC3339), d.cfg.DisableAfter), d.now())
}

// body is the webhook body: {"action", "<resource key>": payload, "actor"}.
func (d *Dispatcher) body(ctx context.Context, ev outbox.Event) ([]byte, error) {
	var buf bytes.Buffer
	action, _ := json.Marshal(ev.Name)
	key, _ := json.Marshal(ev.ResourceKey)
	buf.WriteString(`{"action":`)
	buf.Write(action)
	buf.WriteString(",")
	buf.Write(key)
	buf.WriteString(":")
	buf.Write(ev.Payload)
	if ev.ActorID != nil {
		var u auth.User
		if err := d.st.Read.NewSelect().Model(&u).Where("id = ?", *ev.ActorID).Scan(ctx); err == nil {
			actor, err := hal.Marshal(hal.Actor(u))
			if err != nil {
				return nil, err
			}
			buf.WriteString(`,"actor":`)
			buf.Write(actor)
		}
	}
	buf.WriteString("}")
	return buf.Bytes(), nil
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

func flatten(h http.Header) map[string]string {
	out := make(map[string]string, len(h))
	for k, v := range h {
		if len(v) > 0 {
			out[k] = v[0]
		}
	}
	return out
}

func describe(err error) string {
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

// Wait blocks until the attempts started so far have ended.
func (d *Dispatcher) Wait() { d.wg.Wait() }

// Attempts lists a webhook's logged attempts, newest first: at most limit
// (1…100, default 25), older than the attempt id before when it is set.
func Attempts(ctx context.Context, st *store.Store, webhookID int64, limit int, before int64) ([]Attempt, error) {
	if limit <= 0 || limit > 100 {
		limit = 25
	}
	attempts := []Attempt{}
	q := st.Read.NewSelect().Model(&attempts).Where("webhook_id = ?", webhookID).Order("id DESC").Limit(int64(limit))
	if before > 0 {
		q = q.Where("id < ?", before)
	}
	return attempts, q.Scan(ctx)
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
