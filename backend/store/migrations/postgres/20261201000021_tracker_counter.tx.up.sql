-- Tracker writes that record no event announce themselves to other
-- processes with a counter of their own.
INSERT INTO change_counters (name, value) VALUES ('tracker', 0) ON CONFLICT (name) DO NOTHING;
