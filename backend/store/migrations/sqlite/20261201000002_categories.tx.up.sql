-- Work package categories, per project (OpenProject's Category); a category
-- goes with its project, and a work package keeps none when its category goes.
CREATE TABLE IF NOT EXISTS categories (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    project_id     INTEGER NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    name           TEXT NOT NULL,
    assigned_to_id INTEGER REFERENCES users (id) ON DELETE SET NULL
);
--bun:split
CREATE INDEX IF NOT EXISTS categories_project ON categories (project_id);
--bun:split
ALTER TABLE work_packages ADD COLUMN category_id INTEGER REFERENCES categories (id) ON DELETE SET NULL;
