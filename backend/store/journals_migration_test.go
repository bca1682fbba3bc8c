package store

import (
	"context"
	"path/filepath"
	"testing"
)

// A database from before journals gets, for each existing work package, its
// creation journal as version 1 (journal ids above 1,000,000,000), and its
// comments keep their ids, one version later.
func TestJournalsMigrationBackfillsCreation(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "hookpost.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	// Back to the schema before the migration, with data in it.
	for _, q := range []string{
		"DROP TABLE journals",
		"DELETE FROM sqlite_sequence WHERE name = 'journals'",
		"DELETE FROM bun_migrations WHERE name = '20261201000010'",
		"INSERT INTO users (login, password_hash, created_at, updated_at) VALUES ('ann', 'x', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
		"INSERT INTO projects (identifier, name, created_at, updated_at) VALUES ('p', 'P', '2026-01-01 00:00:00', '2026-01-01 00:00:00')",
		`INSERT INTO work_packages (project_id, type_id, status_id, priority_id, author_id, subject, created_at, updated_at)
			VALUES (1, 1, 1, 2, 1, 'Old', '2026-01-02 00:00:00', '2026-01-02 00:00:00')`,
		`INSERT INTO comments (work_package_id, user_id, comment, version, created_at, updated_at)
			VALUES (1, 1, 'First', 1, '2026-01-03 00:00:00', '2026-01-03 00:00:00')`,
	} {
		if _, err := st.DB.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if n, err := st.Migrate(ctx); err != nil || n != 1 {
		t.Fatalf("migrate: applied %d, %v", n, err)
	}
	var id, version, userID int64
	var created string
	if err := st.Read.NewRaw("SELECT id, version, user_id, created_at FROM journals WHERE work_package_id = 1").Scan(ctx, &id, &version, &userID, &created); err != nil {
		t.Fatal(err)
	}
	if id != 1_000_000_001 || version != 1 || userID != 1 || created[:10] != "2026-01-02" {
		t.Errorf("creation journal: id %d version %d user %d at %s", id, version, userID, created)
	}
	if err := st.Read.NewRaw("SELECT id, version FROM comments").Scan(ctx, &id, &version); err != nil || id != 1 || version != 2 {
		t.Errorf("comment: id %d version %d, %v", id, version, err)
	}
}
