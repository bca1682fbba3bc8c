-- When a webhook's deliveries started failing: the first failed attempt
-- since its last success, NULL while it succeeds. Recording an attempt
-- checks and moves this one value (SPEC §6.5: failing for 24 h disables),
-- instead of reading the webhook's delivery log inside the write.
ALTER TABLE webhooks ADD COLUMN failing_since TIMESTAMP;
--bun:split
-- Webhooks failing before this column existed: read from the log once.
UPDATE webhooks SET failing_since = (
    SELECT min(a.created_at) FROM delivery_attempts a
    WHERE a.webhook_id = webhooks.id AND NOT a.test
      AND a.id > coalesce((SELECT max(s.id) FROM delivery_attempts s WHERE s.webhook_id = webhooks.id AND NOT s.test
          AND s.response_code BETWEEN 200 AND 299 AND s.error = ''), 0));
