-- When a webhook's deliveries started failing: the first failed attempt
-- since its last success, NULL while it succeeds.
ALTER TABLE webhooks ADD COLUMN IF NOT EXISTS failing_since TIMESTAMPTZ;
--bun:split
UPDATE webhooks SET failing_since = (
    SELECT min(a.created_at) FROM delivery_attempts a
    WHERE a.webhook_id = webhooks.id AND NOT a.test
      AND a.id > coalesce((SELECT max(s.id) FROM delivery_attempts s WHERE s.webhook_id = webhooks.id AND NOT s.test
          AND s.response_code BETWEEN 200 AND 299 AND s.error = ''), 0));
