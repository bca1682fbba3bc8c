CREATE TABLE IF NOT EXISTS statuses (
    id                 INTEGER PRIMARY KEY,
    name               TEXT NOT NULL,
    is_closed          BOOLEAN NOT NULL DEFAULT FALSE,
    is_default         BOOLEAN NOT NULL DEFAULT FALSE,
    is_readonly        BOOLEAN NOT NULL DEFAULT FALSE,
    color              TEXT,
    default_done_ratio INTEGER NOT NULL DEFAULT 0,
    position           INTEGER NOT NULL
);
--bun:split
CREATE TABLE IF NOT EXISTS types (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    color        TEXT,
    position     INTEGER NOT NULL,
    is_default   BOOLEAN NOT NULL DEFAULT FALSE,
    is_milestone BOOLEAN NOT NULL DEFAULT FALSE,
    created_at   TIMESTAMP NOT NULL,
    updated_at   TIMESTAMP NOT NULL
);
--bun:split
CREATE TABLE IF NOT EXISTS priorities (
    id         INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    color      TEXT,
    position   INTEGER NOT NULL,
    is_default BOOLEAN NOT NULL DEFAULT FALSE,
    is_active  BOOLEAN NOT NULL DEFAULT TRUE
);
--bun:split
-- OpenProject's default statuses, types and priorities (the seed of a new instance).
INSERT OR IGNORE INTO statuses (id, name, is_closed, is_default, color, default_done_ratio, position) VALUES
    (1, 'New', FALSE, TRUE, '#1A67A3', 0, 1),
    (2, 'In specification', FALSE, FALSE, '#5C7080', 0, 2),
    (3, 'Specified', FALSE, FALSE, '#5C7080', 0, 3),
    (4, 'Confirmed', FALSE, FALSE, '#5C7080', 0, 4),
    (5, 'To be scheduled', FALSE, FALSE, '#5C7080', 0, 5),
    (6, 'Scheduled', FALSE, FALSE, '#5C7080', 0, 6),
    (7, 'In progress', FALSE, FALSE, '#F08C00', 0, 7),
    (8, 'Developed', FALSE, FALSE, '#5C7080', 0, 8),
    (9, 'In testing', FALSE, FALSE, '#5C7080', 0, 9),
    (10, 'Tested', FALSE, FALSE, '#5C7080', 0, 10),
    (11, 'Test failed', FALSE, FALSE, '#C92A2A', 0, 11),
    (12, 'Closed', TRUE, FALSE, '#868E96', 100, 12),
    (13, 'On hold', FALSE, FALSE, '#5C7080', 0, 13),
    (14, 'Rejected', TRUE, FALSE, '#868E96', 0, 14);
--bun:split
INSERT OR IGNORE INTO types (id, name, color, position, is_default, is_milestone, created_at, updated_at) VALUES
    (1, 'Task', '#1A67A3', 1, TRUE, FALSE, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    (2, 'Milestone', '#35C53F', 2, FALSE, TRUE, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    (3, 'Phase', '#CC5DE8', 3, FALSE, FALSE, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    (4, 'Feature', '#FF922B', 4, FALSE, FALSE, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    (5, 'Epic', '#5F3DC4', 5, FALSE, FALSE, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    (6, 'User story', '#94D82D', 6, FALSE, FALSE, '2026-01-01 00:00:00', '2026-01-01 00:00:00'),
    (7, 'Bug', '#C92A2A', 7, FALSE, FALSE, '2026-01-01 00:00:00', '2026-01-01 00:00:00');
--bun:split
INSERT OR IGNORE INTO priorities (id, name, color, position, is_default, is_active) VALUES
    (1, 'Low', '#74C0FC', 1, FALSE, TRUE),
    (2, 'Normal', '#228BE6', 2, TRUE, TRUE),
    (3, 'High', '#FF922B', 3, FALSE, TRUE),
    (4, 'Immediate', '#C92A2A', 4, FALSE, TRUE);
--bun:split
CREATE TABLE IF NOT EXISTS projects (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    identifier  TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    public      BOOLEAN NOT NULL DEFAULT FALSE,
    parent_id   INTEGER REFERENCES projects (id) ON DELETE RESTRICT,
    created_at  TIMESTAMP NOT NULL,
    updated_at  TIMESTAMP NOT NULL
);
--bun:split
CREATE TABLE IF NOT EXISTS work_packages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id      INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    type_id         INTEGER NOT NULL REFERENCES types (id),
    status_id       INTEGER NOT NULL REFERENCES statuses (id),
    priority_id     INTEGER NOT NULL REFERENCES priorities (id),
    author_id       INTEGER NOT NULL REFERENCES users (id),
    assignee_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
    subject         TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    start_date      TEXT,
    due_date        TEXT,
    estimated_hours REAL,
    done_ratio      INTEGER,
    lock_version    INTEGER NOT NULL DEFAULT 0,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS work_packages_project ON work_packages (project_id);
--bun:split
CREATE INDEX IF NOT EXISTS work_packages_status ON work_packages (status_id);
--bun:split
CREATE INDEX IF NOT EXISTS work_packages_author ON work_packages (author_id);
--bun:split
CREATE INDEX IF NOT EXISTS work_packages_assignee ON work_packages (assignee_id);
--bun:split
CREATE INDEX IF NOT EXISTS work_packages_updated ON work_packages (updated_at);
--bun:split
CREATE TABLE IF NOT EXISTS comments (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    work_package_id INTEGER NOT NULL REFERENCES work_packages (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users (id),
    comment         TEXT NOT NULL,
    version         INTEGER NOT NULL,
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS comments_work_package ON comments (work_package_id);
--bun:split
CREATE TABLE IF NOT EXISTS time_entries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id      INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    work_package_id INTEGER REFERENCES work_packages (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users (id),
    hours           REAL NOT NULL,
    spent_on        TEXT NOT NULL,
    comment         TEXT NOT NULL DEFAULT '',
    created_at      TIMESTAMP NOT NULL,
    updated_at      TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS time_entries_project ON time_entries (project_id);
--bun:split
CREATE INDEX IF NOT EXISTS time_entries_work_package ON time_entries (work_package_id);
--bun:split
CREATE TABLE IF NOT EXISTS attachments (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    work_package_id INTEGER NOT NULL REFERENCES work_packages (id) ON DELETE CASCADE,
    author_id       INTEGER NOT NULL REFERENCES users (id),
    file_name       TEXT NOT NULL,
    file_size       INTEGER NOT NULL,
    content_type    TEXT NOT NULL,
    description     TEXT NOT NULL DEFAULT '',
    digest_md5      TEXT NOT NULL,
    content         BLOB NOT NULL,
    created_at      TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS attachments_work_package ON attachments (work_package_id);
--bun:split
-- The outbox: one row per change, written in the change's own transaction.
CREATE TABLE IF NOT EXISTS events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    name         TEXT NOT NULL,
    resource_key TEXT NOT NULL,
    resource_id  INTEGER NOT NULL,
    project_id   INTEGER,
    actor_id     INTEGER,
    payload      TEXT NOT NULL,
    created_at   TIMESTAMP NOT NULL
);
