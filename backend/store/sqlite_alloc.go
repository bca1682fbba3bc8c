package store

import (
	"sync"

	"modernc.org/libc"
)

// pinAllocatorPages keeps pages of SQLite's small allocation classes
// (16 B … 16 KiB) mapped for the life of the process. SQLite's C allocator
// here (modernc.org/memory) carves each class out of 64 KiB pages that it
// maps with mmap (and trims with two munmaps) when a class has no free
// block, and unmaps as soon as a page's last block is freed: no page is kept
// for later. The writer's statement journals, the parser's nodes and the
// C stack frames of every statement come and go in the thousands per
// second, so the last page of a class emptied and came back again and again:
// mmap and munmap took 6–11 % of the server's CPU under webhook load. Here
// pinnedPages pages of each class keep one block allocated forever, so they
// stay mapped and their other blocks serve the churn. Cost: at most
// 11 × pinnedPages × 64 KiB of memory (2.75 MiB).
var pinAllocatorPages = sync.OnceFunc(func() {
	tls := libc.NewTLS()
	defer tls.Close()
	for log := 4; log <= 14; log++ {
		pinPages(tls, log, pinnedPages)
	}
})

// pinnedPages: with 4, the creates of scripts/bench-delivery map a sixth of
// the pages they mapped before; more pages gained little.
const pinnedPages = 4

// pinPages allocates blocks of 1<<log bytes until they span n of
// the allocator's 64 KiB pages (aligned to their size), then frees every
// block but the first of each page.
func pinPages(tls *libc.TLS, log, n int) {
	const page = 1 << 16
	kept := map[uintptr]bool{}
	var free []uintptr
	for len(kept) < n {
		p := libc.Xmalloc(tls, libc.Tsize_t(1)<<log)
		if p == 0 {
			return // out of memory: SQLite will say so
		}
		if pg := p &^ (page - 1); !kept[pg] {
			kept[pg] = true
			continue
		}
		free = append(free, p)
	}
	for _, p := range free {
		libc.Xfree(tls, p)
	}
}
