-- Change counters that every process sharing the database polls (SPEC §2):
-- each is bumped in the same transaction as the change it announces, so a
-- process that sees the new value also sees the change. 'settings' counts
-- API settings updates; 'auth' counts token revocations and account changes
-- that end credentials. Writes to the tracker need no counter of their own:
-- each records an event, and max(events.id) moves with them.
CREATE TABLE IF NOT EXISTS change_counters (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
--bun:split
INSERT INTO change_counters (name, value) VALUES ('settings', 0), ('auth', 0) ON CONFLICT (name) DO NOTHING;
