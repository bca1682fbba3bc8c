package dispatch

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/store"
)

// Stats are a webhook's attempts since a time, per time bucket, for the
// webhook page's chart (SPEC §4: GET /api/admin/webhooks/{id}/stats).
// Test deliveries are left out: the chart is about real traffic.
type Stats struct {
	Since time.Time `json:"since"`
	Until time.Time `json:"until"`
	// BucketSeconds is the width of each bucket, chosen from the span so
	// that there are about StatsBuckets of them.
	BucketSeconds int64    `json:"bucketSeconds"`
	Buckets       []Bucket `json:"buckets"`
}

// Bucket counts the attempts that started in [start, start+bucketSeconds),
// by outcome, with their latency percentiles (null without attempts).
type Bucket struct {
	Start     time.Time `json:"start"`
	Succeeded int       `json:"succeeded"`
	Failed    int       `json:"failed"`
	Retrying  int       `json:"retrying"`
	P50MS     *float64  `json:"p50Ms"`
	P95MS     *float64  `json:"p95Ms"`
	P99MS     *float64  `json:"p99Ms"`
}

// StatsBuckets is about how many buckets a span is cut into.
const StatsBuckets = 60

// maxSamples bounds the latencies kept per bucket for its percentiles
// (a uniform sample beyond that): a busy day costs the same memory as a
// quiet one.
const maxSamples = 2048

// bucketSteps are the widths a bucket may have: round ones, so that bucket
// edges fall on round times.
var bucketSteps = []time.Duration{time.Minute, 2 * time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute,
	30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour}

// bucketWidth is the smallest round width that cuts span into at most
// StatsBuckets buckets (whole days beyond 60 days).
func bucketWidth(span time.Duration) time.Duration {
	for _, s := range bucketSteps {
		if span <= s*StatsBuckets {
			return s
		}
	}
	days := time.Duration(math.Ceil(float64(span) / float64(StatsBuckets*24*time.Hour)))
	return days * 24 * time.Hour
}

// statsSQL reads only the columns of the delivery_attempts_stats index, so
// the query is one range scan of that index (not of the log's bodies), on
// the read pool, never inside the writer's transaction.
const statsSQL = `SELECT created_at, response_code, next_retry_at IS NOT NULL, error <> '', duration_ms
	FROM delivery_attempts WHERE webhook_id = ? AND created_at >= ? AND created_at < ? AND NOT test`

// Stats counts a webhook's attempts since a time (24 hours ago when zero).
func (d *Dispatcher) Stats(ctx context.Context, webhookID int64, since time.Time) (Stats, error) {
	now := d.now().UTC()
	if since.IsZero() {
		since = now.Add(-24 * time.Hour)
	}
	since = since.UTC()
	if !since.Before(now) {
		return Stats{}, domain.Invalid("since", "since must be in the past, not %s.", since.Format(time.RFC3339))
	}
	// Nothing older than the log's retention is kept: an earlier since
	// reads the same attempts (and a span of centuries would not fit in a
	// Duration).
	if oldest := now.Add(-d.cfg.Retention); since.Before(oldest) {
		since = oldest
	}
	n, err := d.st.Read.NewSelect().Table("webhooks").Where("id = ?", webhookID).Count(ctx)
	if err != nil {
		return Stats{}, err
	}
	if n == 0 {
		return Stats{}, domain.ErrNotFound
	}
	width := bucketWidth(now.Sub(since))
	start := since.Truncate(width)
	count := int((now.Sub(start) + width - 1) / width)
	out := Stats{Since: since, Until: now, BucketSeconds: int64(width / time.Second), Buckets: make([]Bucket, count)}
	samples := make([][]float64, count)
	seen := make([]int, count)
	for i := range out.Buckets {
		out.Buckets[i].Start = start.Add(time.Duration(i) * width)
	}
	rows, err := d.st.ReadQuery(ctx, statsSQL, webhookID, store.Timestamp(since), store.Timestamp(now.Add(time.Millisecond)))
	if err != nil {
		return Stats{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			at       time.Time
			code     int
			retrying bool
			errored  bool
			ms       float64
		)
		if err := rows.Scan(&at, &code, &retrying, &errored, &ms); err != nil {
			return Stats{}, err
		}
		i := int(at.Sub(start) / width)
		if i < 0 || i >= count {
			continue
		}
		b := &out.Buckets[i]
		switch {
		case retrying:
			b.Retrying++
		case code >= 200 && code < 300 && !errored: // as the log's outcome filter
			b.Succeeded++
		default:
			b.Failed++
		}
		// Reservoir sampling keeps a uniform sample of maxSamples.
		seen[i]++
		if len(samples[i]) < maxSamples {
			samples[i] = append(samples[i], ms)
		} else if j := rand.IntN(seen[i]); j < maxSamples {
			samples[i][j] = ms
		}
	}
	if err := rows.Err(); err != nil {
		return Stats{}, err
	}
	for i, s := range samples {
		if len(s) == 0 {
			continue
		}
		slices.Sort(s)
		b := &out.Buckets[i]
		b.P50MS, b.P95MS, b.P99MS = percentile(s, 50), percentile(s, 95), percentile(s, 99)
	}
	return out, nil
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []float64, p float64) *float64 {
	rank := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	v := sorted[max(0, min(rank, len(sorted)-1))]
	return &v
}
