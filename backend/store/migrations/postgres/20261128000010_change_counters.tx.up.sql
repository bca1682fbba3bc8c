-- Change counters that every process sharing the database polls (SPEC §2).
CREATE TABLE IF NOT EXISTS change_counters (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
--bun:split
INSERT INTO change_counters (name, value) VALUES ('settings', 0), ('auth', 0) ON CONFLICT (name) DO NOTHING;
