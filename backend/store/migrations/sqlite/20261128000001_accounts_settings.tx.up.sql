CREATE TABLE IF NOT EXISTS instance_secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
--bun:split
CREATE TABLE IF NOT EXISTS api_settings (
    id                        INTEGER PRIMARY KEY CHECK (id = 1),
    rest_api_enabled          BOOLEAN NOT NULL,
    max_page_size             INTEGER NOT NULL,
    write_readonly_attributes BOOLEAN NOT NULL,
    docs_enabled              BOOLEAN NOT NULL,
    cors_enabled              BOOLEAN NOT NULL,
    cors_origins              TEXT    NOT NULL,
    updated_at                TIMESTAMP NOT NULL
);
--bun:split
CREATE TABLE IF NOT EXISTS users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    login         TEXT NOT NULL,
    first_name    TEXT NOT NULL DEFAULT '',
    last_name     TEXT NOT NULL DEFAULT '',
    email         TEXT NOT NULL DEFAULT '',
    admin         BOOLEAN NOT NULL DEFAULT FALSE,
    status        TEXT NOT NULL DEFAULT 'active',
    language      TEXT NOT NULL DEFAULT 'en',
    password_hash TEXT NOT NULL,
    created_at    TIMESTAMP NOT NULL,
    updated_at    TIMESTAMP NOT NULL
);
--bun:split
CREATE UNIQUE INDEX IF NOT EXISTS users_login_lower ON users (lower(login));
--bun:split
CREATE TABLE IF NOT EXISTS api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    last4        TEXT NOT NULL,
    expires_at   TIMESTAMP,
    last_used_at TIMESTAMP,
    created_at   TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS api_tokens_user ON api_tokens (user_id);
--bun:split
CREATE TABLE IF NOT EXISTS sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires_at);
