-- Time entry activities (OpenProject's TimeEntryActivity enumeration), with
-- the defaults a new OpenProject instance seeds; Management is the default.
CREATE TABLE IF NOT EXISTS time_entry_activities (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    position   INTEGER NOT NULL,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    active     BOOLEAN NOT NULL DEFAULT TRUE
);
--bun:split
INSERT OR IGNORE INTO time_entry_activities (id, name, position, is_default, active) VALUES
    (1, 'Management', 1, TRUE, TRUE),
    (2, 'Specification', 2, FALSE, TRUE),
    (3, 'Development', 3, FALSE, TRUE),
    (4, 'Testing', 4, FALSE, TRUE),
    (5, 'Support', 5, FALSE, TRUE),
    (6, 'Other', 6, FALSE, TRUE);
--bun:split
-- Time logged before activities existed keeps none (its link is null).
ALTER TABLE time_entries ADD COLUMN activity_id INTEGER REFERENCES time_entry_activities (id);
--bun:split
CREATE INDEX IF NOT EXISTS time_entries_activity ON time_entries (activity_id);
