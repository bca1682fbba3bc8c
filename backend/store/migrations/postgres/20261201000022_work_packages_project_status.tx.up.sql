-- The default (open) total of a project's work packages is the kept count
-- less the closed ones: this index counts those.
CREATE INDEX IF NOT EXISTS work_packages_project_status ON work_packages (project_id, status_id);
