-- Work packages per project, kept by triggers in the writing transaction, so
-- that an unfiltered collection's total costs a lookup instead of a scan.
CREATE TABLE IF NOT EXISTS work_package_counts (
    project_id INTEGER PRIMARY KEY,
    n          INTEGER NOT NULL
);
--bun:split
INSERT OR REPLACE INTO work_package_counts (project_id, n)
    SELECT project_id, count(*) FROM work_packages GROUP BY project_id;
--bun:split
CREATE TRIGGER IF NOT EXISTS work_package_counts_insert AFTER INSERT ON work_packages BEGIN
    INSERT INTO work_package_counts (project_id, n) VALUES (NEW.project_id, 1)
        ON CONFLICT (project_id) DO UPDATE SET n = n + 1;
END;
--bun:split
CREATE TRIGGER IF NOT EXISTS work_package_counts_delete AFTER DELETE ON work_packages BEGIN
    UPDATE work_package_counts SET n = n - 1 WHERE project_id = OLD.project_id;
END;
--bun:split
CREATE TRIGGER IF NOT EXISTS work_package_counts_move AFTER UPDATE OF project_id ON work_packages
    WHEN NEW.project_id <> OLD.project_id BEGIN
    UPDATE work_package_counts SET n = n - 1 WHERE project_id = OLD.project_id;
    INSERT INTO work_package_counts (project_id, n) VALUES (NEW.project_id, 1)
        ON CONFLICT (project_id) DO UPDATE SET n = n + 1;
END;
