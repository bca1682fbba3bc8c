-- A work package's activities are its journals (its creation and every
-- change, with the changed attributes as JSON in details) beside its
-- comments, as in OpenProject, in one version sequence per work package.
CREATE TABLE IF NOT EXISTS journals (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    work_package_id INTEGER NOT NULL REFERENCES work_packages (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users (id),
    version         INTEGER NOT NULL,
    details         TEXT NOT NULL,
    created_at      TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS journals_work_package ON journals (work_package_id, version);
--bun:split
CREATE INDEX IF NOT EXISTS comments_work_package_version ON comments (work_package_id, version);
--bun:split
-- Journals and comments are both answered at /api/v3/activities/{id}:
-- journal ids start above 1,000,000,000 so that they never meet a comment's,
-- and comments keep the ids they have.
INSERT INTO sqlite_sequence (name, seq)
    SELECT 'journals', 1000000000 WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'journals');
--bun:split
-- Existing work packages get their creation journal as version 1, before
-- the comments made so far.
UPDATE comments SET version = version + 1;
--bun:split
INSERT INTO journals (work_package_id, user_id, version, details, created_at)
    SELECT id, author_id, 1, '', created_at FROM work_packages;
