-- Tracker writes that record no event (deleting an attachment, adding a
-- category) announce themselves to other processes with a counter of their
-- own, as settings and credentials do.
INSERT INTO change_counters (name, value) VALUES ('tracker', 0) ON CONFLICT (name) DO NOTHING;
