package store

import "testing"

func TestRebind(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"SELECT 1", "SELECT 1"},
		{"SELECT * FROM t WHERE a = ? AND b = ?", "SELECT * FROM t WHERE a = $1 AND b = $2"},
		{"UPDATE t SET a = ?2 WHERE id = ?1 AND b = ?2", "UPDATE t SET a = $2 WHERE id = $1 AND b = $2"},
		// A bare ? takes the number after the largest so far, as in SQLite.
		{"VALUES (?, ?5, ?)", "VALUES ($1, $5, $6)"},
		{"VALUES (?12, ?)", "VALUES ($12, $13)"},
		// Literals, quoted identifiers and comments keep their question marks.
		{"SELECT 'what?', ? FROM t", "SELECT 'what?', $1 FROM t"},
		{"SELECT 'it''s ?', ?", "SELECT 'it''s ?', $1"},
		{`SELECT "odd?name" FROM t WHERE x = ?`, `SELECT "odd?name" FROM t WHERE x = $1`},
		{"SELECT ? -- why?\n, ?", "SELECT $1 -- why?\n, $2"},
		{"SELECT /* ? */ ?", "SELECT /* ? */ $1"},
		{"SELECT CAST(? AS JSON)", "SELECT CAST($1 AS JSON)"},
		{"SELECT ?::json", "SELECT $1::json"},
		// An unterminated literal is copied as it is (the server rejects it).
		{"SELECT 'open ?", "SELECT 'open ?"},
	} {
		if got := rebind(tc.in); got != tc.want {
			t.Errorf("rebind(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"postgres://hp:secret@db:5432/hookpost?sslmode=disable", "postgres://hp:xxxxx@db:5432/hookpost?sslmode=disable"},
		{"postgresql://db/hookpost", "postgresql://db/hookpost"},
		{"/var/lib/hookpost/hookpost.db", "/var/lib/hookpost/hookpost.db"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
