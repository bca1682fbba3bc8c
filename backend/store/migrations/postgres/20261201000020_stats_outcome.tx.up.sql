-- The stats read an attempt's outcome as the log's outcome filter does, so
-- the index it scans holds the error column too.
DROP INDEX IF EXISTS delivery_attempts_stats;
--bun:split
CREATE INDEX IF NOT EXISTS delivery_attempts_stats ON delivery_attempts (webhook_id, created_at, response_code, next_retry_at, error, duration_ms, test);
