package auth

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/store/storetest"
)

// TestInstancesStartingTogetherCreateOneAdmin: instances started at the same
// time on an empty database all see no users; one creates the administrator,
// and the others start too, without a password to show.
func TestInstancesStartingTogetherCreateOneAdmin(t *testing.T) {
	loc := storetest.Location(t)
	procs := []process{openProcess(t, loc, time.Now), openProcess(t, loc, time.Now), openProcess(t, loc, time.Now)}
	var wg sync.WaitGroup
	pws := make([]string, len(procs))
	errs := make([]error, len(procs))
	for i, p := range procs {
		wg.Go(func() { pws[i], errs[i] = p.auth.EnsureAdmin(context.Background()) })
	}
	wg.Wait()
	shown := 0
	for i := range procs {
		if errs[i] != nil {
			t.Fatalf("instance %d did not start: %v", i, errs[i])
		}
		if pws[i] != "" {
			shown++
		}
	}
	if shown != 1 {
		t.Fatalf("%d instances showed an administrator password, want 1", shown)
	}
	if _, err := procs[0].auth.UserByLogin(context.Background(), "admin"); err != nil {
		t.Fatal(err)
	}
}
