CREATE INDEX IF NOT EXISTS delivery_attempts_stats ON delivery_attempts (webhook_id, created_at, response_code, next_retry_at, duration_ms, test);
--bun:split
CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries (event_id, webhook_id);
