-- Only pending deliveries are indexed for the dispatcher's reads: a finished
-- delivery leaves the index instead of moving inside it, which halves the
-- index pages every commit writes. (Replaying a webhook's failed deliveries
-- and deleting a webhook scan the table: both are rare.)
DROP INDEX IF EXISTS deliveries_due;
--bun:split
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (webhook_id, next_attempt_at, id) WHERE status = 'pending';
