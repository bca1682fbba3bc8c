-- Work package relations (OpenProject's Relation). Types with a reverse are
-- stored as that reverse ("A follows B" as "B precedes A"), so one row holds
-- one relation whichever end names it.
CREATE TABLE IF NOT EXISTS relations (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    from_id       INTEGER NOT NULL REFERENCES work_packages (id) ON DELETE CASCADE,
    to_id         INTEGER NOT NULL REFERENCES work_packages (id) ON DELETE CASCADE,
    relation_type TEXT NOT NULL,
    lag           INTEGER,
    description   TEXT,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL,
    CHECK (from_id <> to_id)
);
--bun:split
-- Two work packages are related at most once, in either direction, as
-- OpenProject allows.
CREATE UNIQUE INDEX IF NOT EXISTS relations_pair ON relations (min(from_id, to_id), max(from_id, to_id));
--bun:split
CREATE INDEX IF NOT EXISTS relations_to ON relations (to_id);
--bun:split
CREATE INDEX IF NOT EXISTS relations_from ON relations (from_id, relation_type);
