-- The webhook page's chart reads a webhook's attempts over a time span: this
-- index holds every column that query reads, so it is one range scan of the
-- index, whatever the size of the logged bodies.
CREATE INDEX IF NOT EXISTS delivery_attempts_stats ON delivery_attempts (webhook_id, created_at, response_code, next_retry_at, duration_ms, test);
--bun:split
-- A receiver's webhook-id (msg_<event>_<webhook>) names the event and the
-- webhook: this finds their delivery without reading the others.
CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries (event_id, webhook_id);
