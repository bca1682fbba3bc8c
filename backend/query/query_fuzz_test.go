package query_test

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/query"
	"github.com/hookpost/hookpost/backend/store"
)

// fuzzSpec has a field of every kind, as the tracker's collections do.
var fuzzSpec = query.Spec{
	"id":        {Column: "t.id", Kind: query.ID},
	"assignee":  {Column: "t.assignee_id", Kind: query.ID, Nullable: true},
	"subject":   {Column: "t.subject", Kind: query.Text},
	"startDate": {Column: "t.start_date", Kind: query.Date, Nullable: true},
	"updatedAt": {Column: "t.updated_at", Kind: query.DateTime},
	"public":    {Column: "t.public", Kind: query.Bool},
}

// fuzzTable is a real SQLite table with the spec's columns: every accepted
// filter and sort must run on it.
func fuzzTable(f *testing.F) *store.Store {
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(f.TempDir(), "q.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	if _, err := st.DB.ExecContext(ctx, `CREATE TABLE t (id INTEGER PRIMARY KEY, assignee_id INTEGER, subject TEXT NOT NULL,
		start_date TEXT, updated_at TIMESTAMP NOT NULL, public BOOLEAN NOT NULL);
		INSERT INTO t VALUES (1, NULL, 'Ship it 100%_done', '2026-11-28', '2026-11-28 12:00:00', TRUE)`); err != nil {
		f.Fatal(err)
	}
	return st
}

// queryError checks that a refusal is an InvalidQuery naming a field.
func queryError(t *testing.T, err error) {
	t.Helper()
	var ve *domain.ValidationError
	if !errors.As(err, &ve) || ve.Kind != domain.KindInvalidQuery || ve.Field == "" || ve.Message == "" {
		t.Fatalf("refusal %T %v is not an InvalidQuery naming a field", err, err)
	}
}

// columns and the fixed SQL around them: whatever is left once they are
// removed must not be able to carry input (no quote, no comment, no ;).
var sqlShape = regexp.MustCompile(`t\.[a-z_]+|ESCAPE '\\'`)

func FuzzFilters(f *testing.F) {
	for _, s := range []string{
		``, `[]`, `{}`, `null`, `[null]`, `[{}]`,
		`[{"id":{"operator":"=","values":["1","2"]}}]`,
		`[{"assignee":{"operator":"!","values":["me"]}}]`,
		`[{"assignee":{"operator":"!*","values":[]}}]`,
		`[{"subject":{"operator":"~","values":["100%_"]}}]`,
		`[{"subject":{"operator":"=","values":["SHIP IT"]}},{"public":{"operator":"=","values":["t"]}}]`,
		`[{"startDate":{"operator":"<>d","values":["2026-11-01","2026-11-30"]}}]`,
		`[{"updatedAt":{"operator":"<=","values":["2026-11-28"]}}]`,
		`[{"updatedAt":{"operator":"=","values":["2026-11-28T12:00:00Z"]}}]`,
		`[{"updatedAt":{"operator":">=","values":["2026-11-28T12:00:00.123456789+14:00"]}}]`,
		`[{"nope":{"operator":"=","values":["1"]}}]`,
		`[{"id":{"operator":"~","values":["1"]}}]`,
		`[{"id":{"operator":"=","values":["99999999999999999999"]}}]`,
		`[{"id":{"operator":"=","values":[1]}}]`,
		`[{"subject":{"operator":"=","values":["'); DROP TABLE t; --"]}}]`,
		`[{"updatedAt":{"operator":"w","values":null}},{"startDate":{"operator":"t"}}]`,
		`[{"startDate":{"operator":"<t-","values":[3]}},{"updatedAt":{"operator":">t+","values":["1000001"]}}]`,
		`[{"startDate":{"operator":"<>d","values":["","2026-11-30"]}},{"updatedAt":{"operator":"=d","values":["2026-11-28"]}}]`,
		`[{"id":{"operator":"=","values":[1.5,true,null]}}]`,
	} {
		f.Add(s)
	}
	st := fuzzTable(f)
	f.Fuzz(func(t *testing.T, raw string) {
		conds, err := query.Filters(raw, fuzzSpec, 7)
		if err != nil {
			queryError(t, err)
			return
		}
		q := st.Read.NewSelect().TableExpr("t")
		for _, c := range conds {
			if rest := sqlShape.ReplaceAllString(c.SQL, ""); strings.ContainsAny(rest, `'";`) || strings.Contains(rest, "--") {
				t.Fatalf("condition %q carries more than columns and placeholders", c.SQL)
			}
			q = q.Where(c.SQL, c.Args...)
		}
		if _, err := q.Count(context.Background()); err != nil {
			t.Fatalf("accepted filters %q do not run: %v", raw, err)
		}
	})
}

func FuzzSortBy(f *testing.F) {
	for _, s := range []string{
		``, `[]`, `null`, `[[]]`, `[["id","asc"]]`, `[["updatedAt","DESC"],["subject","asc"]]`,
		`[["subject"]]`, `[["subject","up"]]`, `[["nope","asc"]]`, `[["id","asc","x"]]`, `{"id":"asc"}`,
		`[["subject","asc; DROP TABLE t"]]`, `[[1,2]]`,
	} {
		f.Add(s)
	}
	st := fuzzTable(f)
	columns := map[string]bool{}
	for _, fl := range fuzzSpec {
		columns[fl.Column], columns["lower("+fl.Column+")"] = true, true
	}
	f.Fuzz(func(t *testing.T, raw string) {
		order, err := query.SortBy(raw, fuzzSpec, "t.id ASC")
		if err != nil {
			queryError(t, err)
			return
		}
		if len(order) == 0 {
			t.Fatal("an accepted sortBy orders by nothing")
		}
		for _, o := range order {
			col, dir, ok := strings.Cut(o, " ")
			dir = strings.TrimSuffix(strings.TrimSuffix(dir, " NULLS FIRST"), " NULLS LAST")
			if !ok || !columns[col] || (dir != "ASC" && dir != "DESC") {
				t.Fatalf("ordering %q is not a known column and a direction", o)
			}
		}
		var ids []int64
		if err := st.Read.NewSelect().TableExpr("t").Column("id").OrderExpr(strings.Join(order, ", ")).Scan(context.Background(), &ids); err != nil {
			t.Fatalf("accepted sortBy %q does not run: %v", raw, err)
		}
	})
}

func FuzzParsePage(f *testing.F) {
	for _, s := range [][2]string{
		{"", ""}, {"1", "20"}, {"0", "0"}, {"-1", "-1"}, {"9223372036854775807", "9223372036854775807"},
		{"99999999999999999999", "99999999999999999999"}, {"-99999999999999999999", "-2"}, {"x", "1.5"}, {"+3", "+10"},
	} {
		f.Add(s[0], s[1], 100)
	}
	f.Fuzz(func(t *testing.T, offset, size string, maxSize int) {
		if maxSize < 1 || maxSize > 100000 {
			return // settings bound maxPageSize
		}
		p, err := query.ParsePage(offset, size, maxSize)
		if err != nil {
			queryError(t, err)
			if ve := (*domain.ValidationError)(nil); !errors.As(err, &ve) || ve.Field != "pageSize" {
				t.Fatalf("refusal names %v, want pageSize", err)
			}
			return
		}
		if p.Offset < 1 || p.Size < 0 || p.Size > maxSize {
			t.Fatalf("ParsePage(%q, %q, %d) = %+v", offset, size, maxSize, p)
		}
		if p.Size > 0 && p.Offset > math.MaxInt/p.Size || p.SQLOffset() < 0 {
			t.Fatalf("ParsePage(%q, %q, %d) = %+v overflows", offset, size, maxSize, p)
		}
	})
}
