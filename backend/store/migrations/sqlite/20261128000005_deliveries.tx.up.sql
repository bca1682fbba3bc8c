-- One delivery per event and matching webhook, created in the event's own
-- transaction (so the subscription is the one in force at commit time).
CREATE TABLE IF NOT EXISTS deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        INTEGER REFERENCES events (id),
    event_name      TEXT NOT NULL,
    -- A test delivery has no event (no change happened): it carries its
    -- sample resource itself.
    sample_key      TEXT,
    sample_payload  TEXT,
    actor_id        INTEGER,
    status          TEXT NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    claimed_until   TIMESTAMP,
    test            BOOLEAN NOT NULL DEFAULT FALSE,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_attempt_at);
--bun:split
CREATE INDEX IF NOT EXISTS deliveries_webhook ON deliveries (webhook_id, id);
--bun:split
-- Every attempt, as the delivery log shows it.
CREATE TABLE IF NOT EXISTS delivery_attempts (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id      INTEGER NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    webhook_id       INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    attempt          INTEGER NOT NULL,
    event_name       TEXT NOT NULL,
    url              TEXT NOT NULL,
    request_headers  TEXT NOT NULL,
    request_body     TEXT NOT NULL,
    response_code    INTEGER NOT NULL,
    response_headers TEXT NOT NULL,
    response_body    TEXT NOT NULL,
    error            TEXT NOT NULL DEFAULT '',
    duration_ms      REAL NOT NULL,
    next_retry_at    TIMESTAMP,
    test             BOOLEAN NOT NULL DEFAULT FALSE,
    created_at       TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS delivery_attempts_webhook ON delivery_attempts (webhook_id, id);
