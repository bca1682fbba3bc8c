-- Webhook writes announce themselves to the other processes sharing the
-- database with a change counter of their own, as settings and credentials
-- do (see the SQLite twin). On PostgreSQL the processes do not poll: every
-- change they must act on is notified on the channel "hookpost:<schema>"
-- (one installation per schema; channels span the whole database), by
-- triggers, inside the transaction that makes it (PostgreSQL delivers the
-- notifications when, and only if, it commits). Payloads: "c" a change
-- counter moved (read them again), "e" outbox events were recorded,
-- "a:<id>" a delivery attempt was recorded. Sequence values commit out of
-- order here, so no "newest id" could stand for these.
INSERT INTO change_counters (name, value) VALUES ('webhooks', 0) ON CONFLICT (name) DO NOTHING;
--bun:split
CREATE OR REPLACE FUNCTION hookpost_count_webhooks() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE change_counters SET value = value + 1 WHERE name = 'webhooks';
    RETURN NULL;
END;
$$;
--bun:split
CREATE TRIGGER webhooks_count_insert AFTER INSERT OR DELETE ON webhooks
FOR EACH ROW EXECUTE FUNCTION hookpost_count_webhooks();
--bun:split
CREATE TRIGGER webhooks_count_update
AFTER UPDATE OF name, url, description, secret, previous_secret, previous_secret_until, enabled, all_projects, disabled_reason, updated_at ON webhooks
FOR EACH ROW EXECUTE FUNCTION hookpost_count_webhooks();
--bun:split
CREATE OR REPLACE FUNCTION hookpost_notify_counter() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hookpost:' || TG_TABLE_SCHEMA, 'c');
    RETURN NULL;
END;
$$;
--bun:split
CREATE TRIGGER change_counters_notify AFTER UPDATE ON change_counters
FOR EACH STATEMENT EXECUTE FUNCTION hookpost_notify_counter();
--bun:split
CREATE OR REPLACE FUNCTION hookpost_notify_events() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hookpost:' || TG_TABLE_SCHEMA, 'e');
    RETURN NULL;
END;
$$;
--bun:split
CREATE TRIGGER events_notify AFTER INSERT ON events
FOR EACH STATEMENT EXECUTE FUNCTION hookpost_notify_events();
--bun:split
CREATE OR REPLACE FUNCTION hookpost_notify_attempt() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('hookpost:' || TG_TABLE_SCHEMA, 'a:' || NEW.id);
    RETURN NULL;
END;
$$;
--bun:split
CREATE TRIGGER delivery_attempts_notify AFTER INSERT ON delivery_attempts
FOR EACH ROW EXECUTE FUNCTION hookpost_notify_attempt();
