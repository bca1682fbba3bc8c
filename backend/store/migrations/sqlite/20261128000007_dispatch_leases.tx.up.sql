-- Each webhook's deliveries are sent by one dispatcher at a time: the one
-- holding its lease. So no attempt is made twice and a webhook's
-- concurrency bound holds across processes sharing the database; a crashed
-- holder's lease expires and another dispatcher takes the webhook over.
-- (deliveries.claimed_until, the per-delivery claim this replaces, is no
-- longer used.)
CREATE TABLE IF NOT EXISTS dispatch_leases (
    webhook_id INTEGER PRIMARY KEY REFERENCES webhooks (id) ON DELETE CASCADE,
    owner      TEXT NOT NULL,
    until      TIMESTAMP NOT NULL
);
--bun:split
-- The holder reads a webhook's due deliveries in order, seeking straight to
-- them, so a webhook's backlog (a hanging endpoint's) never slows the
-- others (0008 narrows this index to the pending deliveries).
DROP INDEX IF EXISTS deliveries_due;
--bun:split
DROP INDEX IF EXISTS deliveries_webhook;
--bun:split
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (webhook_id, status, next_attempt_at, id);
--bun:split
-- The actor as the event's body shows it, rendered at commit time: with the
-- payload it makes the body of every delivery of the event, so the delivery
-- log need not keep a copy of it per attempt.
ALTER TABLE events ADD COLUMN actor TEXT;
