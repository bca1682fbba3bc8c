-- Only pending deliveries are indexed for the dispatcher's reads.
DROP INDEX IF EXISTS deliveries_due;
--bun:split
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (webhook_id, next_attempt_at, id) WHERE status = 'pending';
