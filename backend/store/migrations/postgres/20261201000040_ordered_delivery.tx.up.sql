-- Ordered delivery, opt-in per webhook: the deliveries of one resource (an
-- event's resource_key and resource_id) reach its endpoint one at a time in
-- commit order, and one that fails holds back only the later deliveries of
-- the same resource.
ALTER TABLE webhooks ADD COLUMN ordered BOOLEAN NOT NULL DEFAULT FALSE;
--bun:split
-- The resource a delivery of an ordered webhook is about, copied from its
-- event when the delivery is created (NULL for the other webhooks, whose
-- deliveries never wait for one another): the dispatcher sends a delivery
-- only when no earlier one of the same resource is pending, which this
-- index answers with one seek instead of a join with the events.
ALTER TABLE deliveries ADD COLUMN resource_key TEXT;
--bun:split
ALTER TABLE deliveries ADD COLUMN resource_id BIGINT;
--bun:split
CREATE INDEX IF NOT EXISTS deliveries_resource ON deliveries (webhook_id, resource_key, resource_id, event_id)
    WHERE status = 'pending' AND resource_id IS NOT NULL;
