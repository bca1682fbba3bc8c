package tracker

import (
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"testing"
)

// BenchmarkPageIndexManyProjects: a page of 20 from 1,000,000 work packages
// spread over 10,000 projects, as a viewer who sees 9,000 of them (the
// public ones), with and without the default open-status filter, in both
// of the index's orders. The total is a sum over every block: "kept" pages
// keep the block counts of the filter (countMemos, as the index does, with
// one work package moved between pages as a write would), "counted" pages
// count every block again.
//
//	CGO_ENABLED=0 go test ./backend/tracker/ -run - -bench PageIndexManyProjects
func BenchmarkPageIndexManyProjects(b *testing.B) {
	const packages, projects = 1_000_000, 10_000
	r := rand.New(rand.NewPCG(1, 2))
	entries := make([]pageEntry, packages)
	for i := range entries {
		entries[i] = pageEntry{id: int64(i + 1), updated: r.Int64N(1 << 40), project: 1 + r.Int64N(projects), status: 1 + r.Int64N(14)}
	}
	visible, open := map[int64]bool{}, map[int64]bool{}
	for p := int64(1); p <= projects*9/10; p++ {
		visible[p] = true
	}
	for s := int64(1); s <= 10; s++ {
		open[s] = true
	}
	for _, byUpdated := range []bool{false, true} {
		o := &pageOrder{byUpdated: byUpdated}
		o.build(append([]pageEntry(nil), entries...))
		name := "byId"
		if byUpdated {
			name = "byUpdatedAt"
		}
		for _, c := range []struct {
			name     string
			statuses map[int64]bool
		}{{"open", open}, {"all", nil}} {
			for _, kept := range []bool{true, false} {
				var memo *countMemos
				how := "counted"
				if kept {
					memo, how = &countMemos{}, "kept"
				}
				b.Run(name+"/"+c.name+"/"+how, func(b *testing.B) {
					for b.Loop() {
						e := entries[r.IntN(len(entries))]
						o.remove(e)
						e.status = 1 + r.Int64N(14)
						o.insert(e)
						f := &pageFilter{projects: visible, statuses: c.statuses}
						ids, total := o.page(f, pageSort{byUpdated: byUpdated, desc: true}, r.IntN(100_000), 20, memo)
						if len(ids) != 20 || total < 500_000 {
							b.Fatalf("%d ids of %d", len(ids), total)
						}
					}
				})
			}
		}
	}
}

// TestPageFilterCountMatchesWalk: a block's count under a filter equals the
// number of its entries the filter matches, whichever side each sum goes
// over (filters naming fewer and more ids than the block holds).
func TestPageFilterCountMatchesWalk(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	set := func(n, max int64) map[int64]bool {
		if n < 0 {
			return nil
		}
		out := map[int64]bool{}
		for int64(len(out)) < min(n, max) {
			out[1+r.Int64N(max)] = true
		}
		return out
	}
	for i := 0; i < 2000; i++ {
		projects := 1 + r.Int64N(300)
		entries := make([]pageEntry, 1+r.IntN(500))
		for j := range entries {
			entries[j] = pageEntry{id: int64(j + 1), project: 1 + r.Int64N(projects), status: 1 + r.Int64N(14)}
		}
		b := newBlock(entries)
		f := &pageFilter{statuses: set(r.Int64N(16)-1, 14)}
		if r.IntN(2) == 0 {
			f.projects = set(r.Int64N(2*projects)-1, 2*projects)
		} else {
			f.notProjects = set(r.Int64N(2*projects)-1, 2*projects)
		}
		if r.IntN(4) == 0 { // ids past the bitmaps' bound: the maps answer
			f.projects = map[int64]bool{maxBit + 1: true}
			for p := range set(r.Int64N(projects), projects) {
				f.projects[p] = true
			}
		}
		f.prepare()
		want := 0
		for _, e := range entries {
			if f.match(e) {
				want++
			}
		}
		if got := f.count(b); got != want {
			t.Fatalf("case %d: count %d, walk %d (filter %+v)", i, got, want, f)
		}
	}
}

// TestCountMemosFollowWrites: the kept counts of filters naming many ids
// equal counts made afresh after every change to the blocks (inserts that
// split blocks, removes that empty them, moves between them), with more
// filters in turn than the memos keep.
func TestCountMemosFollowWrites(t *testing.T) {
	defer func(m, f int) { blockMax, buildFill = m, f }(blockMax, buildFill)
	blockMax, buildFill = 64, 48
	r := rand.New(rand.NewPCG(5, 6))
	entry := func(id int64) pageEntry {
		return pageEntry{id: id, updated: r.Int64N(1000), project: 1 + r.Int64N(500), status: 1 + r.Int64N(14)}
	}
	var entries []pageEntry
	for id := int64(1); id <= 3000; id++ {
		entries = append(entries, entry(id))
	}
	var filters []*pageFilter
	for i := 0; i < maxMemos+4; i++ {
		f := &pageFilter{projects: map[int64]bool{}}
		if i%3 == 1 {
			f = &pageFilter{notProjects: map[int64]bool{}}
		}
		for len(f.projects)+len(f.notProjects) < memoFrom+i {
			if f.projects != nil {
				f.projects[1+r.Int64N(500)] = true
			} else {
				f.notProjects[1+r.Int64N(500)] = true
			}
		}
		if i%2 == 0 {
			f.statuses = map[int64]bool{1: true, 3: true, 12: true}
		}
		filters = append(filters, f)
	}
	for _, byUpdated := range []bool{false, true} {
		o := &pageOrder{byUpdated: byUpdated}
		o.build(slices.Clone(entries))
		current := slices.Clone(entries)
		memo := &countMemos{}
		for round := 0; round < 300; round++ {
			for n := r.IntN(20); n > 0; n-- {
				i := r.IntN(len(current))
				o.remove(current[i])
				if r.IntN(4) == 0 { // gone
					current = slices.Delete(current, i, i+1)
					continue
				}
				current[i] = entry(current[i].id)
				o.insert(current[i])
			}
			f := filters[r.IntN(len(filters))]
			f.prepare()
			got := memo.counts(o.blocks, f)
			want := (*countMemos)(nil).counts(o.blocks, f)
			if !slices.Equal(got, want) {
				t.Fatalf("order by updated %v, round %d: kept %v, counted %v", byUpdated, round, got, want)
			}
		}
	}
}

// BenchmarkPageIndexMemory reports the heap the index's two orders take per
// work package, at 1,000,000 work packages over 10, 1,000 and 10,000
// projects (the blocks' counts by project and by project and status grow
// with the projects a block holds).
//
//	CGO_ENABLED=0 go test ./backend/tracker/ -run '^$' -bench PageIndexMemory -benchtime 1x
func BenchmarkPageIndexMemory(b *testing.B) {
	const packages = 1_000_000
	for _, projects := range []int64{10, 1000, 10_000} {
		b.Run(strconv.FormatInt(projects, 10)+"projects", func(b *testing.B) {
			r := rand.New(rand.NewPCG(7, 8))
			entries := make([]pageEntry, packages)
			for i := range entries {
				entries[i] = pageEntry{id: int64(i + 1), updated: r.Int64N(1 << 40), project: 1 + r.Int64N(projects), status: 1 + r.Int64N(14)}
			}
			for b.Loop() {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				x := newPageIndex()
				x.byID.build(slices.Clone(entries))
				x.byUpd.build(slices.Clone(entries))
				runtime.GC()
				runtime.ReadMemStats(&after)
				b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/packages, "B/entry")
				runtime.KeepAlive(x)
			}
		})
	}
}

// TestCountMemosConcurrentPages: pages run side by side under the index's
// read lock, each with one of more filters than the memos keep; every
// count stays the fresh one (run with -race to check the memos' locking).
func TestCountMemosConcurrentPages(t *testing.T) {
	defer func(m, f int) { blockMax, buildFill = m, f }(blockMax, buildFill)
	blockMax, buildFill = 64, 48
	r := rand.New(rand.NewPCG(9, 10))
	entries := make([]pageEntry, 5000)
	for i := range entries {
		entries[i] = pageEntry{id: int64(i + 1), project: 1 + r.Int64N(400), status: 1 + r.Int64N(14)}
	}
	o := &pageOrder{}
	o.build(entries)
	var filters []*pageFilter
	var want [][]int
	for i := range maxMemos + 3 {
		f := &pageFilter{projects: map[int64]bool{}}
		for p := int64(1); p <= int64(memoFrom+10*i); p++ {
			f.projects[p] = true
		}
		f.prepare()
		filters = append(filters, f)
		want = append(want, (*countMemos)(nil).counts(o.blocks, f))
	}
	memo := &countMemos{}
	var wg sync.WaitGroup
	errs := make(chan string, 8)
	for g := range 8 {
		wg.Go(func() {
			for n := range 200 {
				i := (g + n) % len(filters)
				if got := memo.counts(o.blocks, filters[i]); !slices.Equal(got, want[i]) {
					errs <- "filter " + strconv.Itoa(i) + " counted wrong"
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
}
