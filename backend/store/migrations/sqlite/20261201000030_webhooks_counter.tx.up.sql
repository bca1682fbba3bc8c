-- Webhook writes announce themselves to the other processes sharing the
-- database with a change counter of their own, as settings and credentials
-- do: the dispatcher that holds a webhook drops the deliveries it queued
-- with the old address and secret, and every process's live stream shows
-- the change. Triggers bump it, in the transaction of the write, whichever
-- path writes (the admin API, the dispatcher disabling a failing webhook);
-- the dispatcher's failure bookkeeping (failing_since alone) does not count.
INSERT INTO change_counters (name, value) VALUES ('webhooks', 0) ON CONFLICT (name) DO NOTHING;
--bun:split
CREATE TRIGGER IF NOT EXISTS webhooks_count_insert AFTER INSERT ON webhooks
BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'webhooks';
END;
--bun:split
CREATE TRIGGER IF NOT EXISTS webhooks_count_update
AFTER UPDATE OF name, url, description, secret, previous_secret, previous_secret_until, enabled, all_projects, disabled_reason, updated_at ON webhooks
BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'webhooks';
END;
--bun:split
CREATE TRIGGER IF NOT EXISTS webhooks_count_delete AFTER DELETE ON webhooks
BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'webhooks';
END;
