package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Under steady load some reader is always inside a read transaction, so the
// WAL never finds the moment to start over by itself; the checkpointer must
// make one, or the WAL (and the shared index every connection maps) grows
// without end.
func TestWALStaysBoundedUnderOverlappingReaders(t *testing.T) {
	old := walRestartFrames
	walRestartFrames = 256 // 1 MiB of 4 KiB pages
	t.Cleanup(func() { walRestartFrames = old })
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "wal.db")
	st, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.DB.ExecContext(ctx, "CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)"); err != nil {
		t.Fatal(err)
	}

	// Four readers, staggered, each holding a snapshot for 5 ms and pausing
	// 5 ms: the writer never finds the WAL copied back while none reads.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(time.Duration(i) * 5 * time.Millisecond)
			for {
				select {
				case <-stop:
					return
				default:
				}
				tx, err := st.Read.DB.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
				if err != nil {
					continue
				}
				var n int
				_ = tx.QueryRowContext(ctx, "SELECT count(*) FROM t").Scan(&n)
				time.Sleep(5 * time.Millisecond)
				_ = tx.Rollback()
				time.Sleep(5 * time.Millisecond)
			}
		}()
	}

	row := strings.Repeat("x", 400)
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := st.DB.ExecContext(ctx, "INSERT INTO t (v) VALUES (?)", row); err != nil {
			t.Fatal(err)
		}
	}
	// Writes stop, readers go on: within a few ticks the WAL is emptied.
	// Left to itself it keeps the length it grew to (tens of MiB here).
	var size int64
	for range 10 {
		time.Sleep(checkpointInterval)
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		if size = fi.Size(); size < 1<<20 {
			break
		}
	}
	close(stop)
	wg.Wait()
	if size >= 1<<20 {
		t.Fatalf("the WAL is still %d MiB with readers overlapping; want it emptied", size>>20)
	}
}
