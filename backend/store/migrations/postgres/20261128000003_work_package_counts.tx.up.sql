-- Work packages per project, kept by triggers in the writing transaction, so
-- that an unfiltered collection's total costs a lookup instead of a scan.
-- (PostgreSQL twin of the SQLite migration: the triggers call plpgsql
-- functions; the upsert is atomic across concurrent writers.) The triggers
-- are deferred to the commit: a project's count row is then locked only
-- while the transaction commits, not from its first insert on, so that
-- instances creating work packages in one project at the same time do not
-- queue behind each other's whole transactions.
CREATE TABLE IF NOT EXISTS work_package_counts (
    project_id BIGINT PRIMARY KEY,
    n          BIGINT NOT NULL
);
--bun:split
INSERT INTO work_package_counts (project_id, n)
    SELECT project_id, count(*) FROM work_packages GROUP BY project_id
    ON CONFLICT (project_id) DO UPDATE SET n = excluded.n;
--bun:split
CREATE OR REPLACE FUNCTION work_package_counts_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO work_package_counts (project_id, n) VALUES (NEW.project_id, 1)
        ON CONFLICT (project_id) DO UPDATE SET n = work_package_counts.n + 1;
    RETURN NULL;
END
$$;
--bun:split
CREATE CONSTRAINT TRIGGER work_package_counts_insert AFTER INSERT ON work_packages
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION work_package_counts_insert();
--bun:split
CREATE OR REPLACE FUNCTION work_package_counts_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE work_package_counts SET n = n - 1 WHERE project_id = OLD.project_id;
    RETURN NULL;
END
$$;
--bun:split
CREATE CONSTRAINT TRIGGER work_package_counts_delete AFTER DELETE ON work_packages
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION work_package_counts_delete();
--bun:split
CREATE OR REPLACE FUNCTION work_package_counts_move() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE work_package_counts SET n = n - 1 WHERE project_id = OLD.project_id;
    INSERT INTO work_package_counts (project_id, n) VALUES (NEW.project_id, 1)
        ON CONFLICT (project_id) DO UPDATE SET n = work_package_counts.n + 1;
    RETURN NULL;
END
$$;
--bun:split
CREATE CONSTRAINT TRIGGER work_package_counts_move AFTER UPDATE OF project_id ON work_packages
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.project_id <> OLD.project_id) EXECUTE FUNCTION work_package_counts_move();
