package store

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/uptrace/bun"
)

// TestAfterCommitRunsInCommitOrder: concurrent writes, sharing commits and
// some failing, register a hook each; a write's hook has run when its Write
// returns, hooks run in the order of the rows' ids (commit order), and the
// hooks of failed writes (and of the rolled-back shared attempts) never run.
func TestAfterCommitRunsInCommitOrder(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.DB.ExecContext(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, v INTEGER)"); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var ran []int64 // row ids, in the order the hooks ran
	const n = 200
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var id int64
			err := st.Write(ctx, func(ctx context.Context, tx bun.Tx) error {
				if err := tx.QueryRowContext(ctx, "INSERT INTO t (v) VALUES (?) RETURNING id", i).Scan(&id); err != nil {
					return err
				}
				AfterCommit(ctx, func() {
					mu.Lock()
					ran = append(ran, id)
					mu.Unlock()
				})
				if i%10 == 0 {
					return fmt.Errorf("write %d fails after inserting", i)
				}
				return nil
			})
			mu.Lock()
			seen := len(ran) > 0 && ran[len(ran)-1] >= id
			mu.Unlock()
			if err == nil && !seen {
				t.Errorf("write %d (row %d) returned before its hook ran", i, id)
			}
		}()
	}
	wg.Wait()
	var ids []int64
	if err := st.Read.NewRaw("SELECT id FROM t ORDER BY id").Scan(ctx, &ids); err != nil {
		t.Fatal(err)
	}
	if len(ran) != n-n/10 || len(ids) != len(ran) {
		t.Fatalf("%d hooks ran for %d rows; want %d", len(ran), len(ids), n-n/10)
	}
	for i := range ids {
		if ran[i] != ids[i] {
			t.Fatalf("hook %d ran for row %d; the %d-th committed row is %d", i, ran[i], i, ids[i])
		}
	}
}
