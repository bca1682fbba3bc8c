-- Each webhook's deliveries are sent by one dispatcher at a time: the one
-- holding its lease (see the SQLite migration of the same name).
CREATE TABLE IF NOT EXISTS dispatch_leases (
    webhook_id BIGINT PRIMARY KEY REFERENCES webhooks (id) ON DELETE CASCADE,
    owner      TEXT NOT NULL,
    until      TIMESTAMPTZ NOT NULL
);
--bun:split
DROP INDEX IF EXISTS deliveries_due;
--bun:split
DROP INDEX IF EXISTS deliveries_webhook;
--bun:split
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (webhook_id, status, next_attempt_at, id);
--bun:split
ALTER TABLE events ADD COLUMN IF NOT EXISTS actor TEXT;
