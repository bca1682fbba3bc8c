package tracker

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// The page index answers a page of the work package collection in time that
// grows with the page, not with its offset. SQL has no better plan for
// "ORDER BY id OFFSET 40000 LIMIT 20" with an exact total than to walk and
// count 40,000 rows; the index keeps, for every work package, the four
// columns the common collections filter and sort on (id, project, status,
// updated_at), in two orders (by id, by updated_at then id). Each order is a
// list of sorted blocks that count their entries by status, by project and
// by both, so that a page's total is a sum over the blocks' counts and its
// first entry is found by skipping whole blocks, then walking at most one.
// The page's rows are then read by id.
//
// It is kept exact by this process's writes: each one that inserts, changes
// or deletes a work package row applies the row's new state after its
// transaction commits, on the writer in commit order, before the write
// answers (store.AfterCommit), so a list after a write sees it as the
// database does. Writes of other processes sharing the database reach it as
// Service.Invalidate, which marks the index stale: the SQL path answers until
// it is rebuilt. That is the freshness the response cache has (SPEC §2); a
// busy multi-instance deployment, invalidated all the time, gets the SQL path
// most of the time.
//
// It is built on the first list, in the background (the SQL path answers
// meanwhile), from one scan of the table; above maxIndexed work packages it is
// not built at all. It takes 69 bytes a work package over a few projects,
// up to about 180 over thousands (BenchmarkPageIndexMemory): 69-184 MB at
// the bound.

// maxIndexed bounds the work packages the index holds.
const maxIndexed = 1_000_000

// blockMax is the size at which a block splits; buildFill is how full the
// build leaves them, so that inserts in the middle split rarely. Variables
// so that a test can make blocks of a few entries.
var (
	blockMax  = 4096
	buildFill = 3072
)

// minRebuildGap is the least time between the starts of two builds: under a
// stream of invalidations from other processes each build would be thrown
// away, and scanning the table again at once would only burn CPU.
const minRebuildGap = time.Second

// pageEntry is one work package as the index sees it.
type pageEntry struct {
	id      int64
	updated int64 // updated_at in Unix microseconds, the stored precision
	project int64
	status  int64
}

type projectStatus struct{ project, status int64 }

// pageBlock is a sorted run of entries with their counts.
type pageBlock struct {
	entries   []pageEntry
	byStatus  map[int64]int
	byProject map[int64]int
	byPair    map[projectStatus]int
	// stamp names this state of the block: it is new whenever the entries
	// change, so a count kept under it (countMemos) stays true.
	stamp uint64
}

// stamps numbers the blocks' states across the process.
var stamps atomic.Uint64

func newBlock(entries []pageEntry) *pageBlock {
	b := &pageBlock{entries: entries, byStatus: map[int64]int{}, byProject: map[int64]int{}, byPair: map[projectStatus]int{}}
	for _, e := range entries {
		b.add(e, 1)
	}
	return b
}

func (b *pageBlock) add(e pageEntry, d int) {
	b.stamp = stamps.Add(1)
	if b.byStatus[e.status] += d; b.byStatus[e.status] == 0 {
		delete(b.byStatus, e.status)
	}
	if b.byProject[e.project] += d; b.byProject[e.project] == 0 {
		delete(b.byProject, e.project)
	}
	k := projectStatus{e.project, e.status}
	if b.byPair[k] += d; b.byPair[k] == 0 {
		delete(b.byPair, k)
	}
}

// pageOrder is one order of the entries, as a list of blocks.
type pageOrder struct {
	byUpdated bool // by (updated, id); else by id
	blocks    []*pageBlock
}

func (o *pageOrder) cmp(a, b pageEntry) int {
	if o.byUpdated && a.updated != b.updated {
		if a.updated < b.updated {
			return -1
		}
		return 1
	}
	switch {
	case a.id < b.id:
		return -1
	case a.id > b.id:
		return 1
	}
	return 0
}

// block returns the index of the block e belongs in: the first whose last
// entry is not before e, or the last block.
func (o *pageOrder) block(e pageEntry) int {
	i, _ := slices.BinarySearchFunc(o.blocks, e, func(b *pageBlock, e pageEntry) int {
		return o.cmp(b.entries[len(b.entries)-1], e)
	})
	return min(i, len(o.blocks)-1)
}

func (o *pageOrder) insert(e pageEntry) {
	if len(o.blocks) == 0 {
		o.blocks = []*pageBlock{newBlock([]pageEntry{e})}
		return
	}
	bi := o.block(e)
	b := o.blocks[bi]
	i, _ := slices.BinarySearchFunc(b.entries, e, o.cmp)
	b.entries = slices.Insert(b.entries, i, e)
	b.add(e, 1)
	if len(b.entries) > blockMax {
		half := len(b.entries) / 2
		lo := newBlock(slices.Clone(b.entries[:half]))
		hi := newBlock(slices.Clone(b.entries[half:]))
		o.blocks = slices.Replace(o.blocks, bi, bi+1, lo, hi)
	}
}

// find returns the entry of work package id in an order by id.
func (o *pageOrder) find(id int64) (pageEntry, bool) {
	if len(o.blocks) == 0 {
		return pageEntry{}, false
	}
	key := pageEntry{id: id}
	es := o.blocks[o.block(key)].entries
	i, found := slices.BinarySearchFunc(es, key, o.cmp)
	if !found {
		return pageEntry{}, false
	}
	return es[i], true
}

func (o *pageOrder) remove(e pageEntry) {
	if len(o.blocks) == 0 {
		return
	}
	bi := o.block(e)
	b := o.blocks[bi]
	i, found := slices.BinarySearchFunc(b.entries, e, o.cmp)
	if !found {
		return
	}
	b.entries = slices.Delete(b.entries, i, i+1)
	b.add(e, -1)
	if len(b.entries) == 0 {
		o.blocks = slices.Delete(o.blocks, bi, bi+1)
	}
}

func (o *pageOrder) build(entries []pageEntry) {
	slices.SortFunc(entries, o.cmp)
	o.blocks = nil
	for len(entries) > 0 {
		n := min(buildFill, len(entries))
		o.blocks = append(o.blocks, newBlock(slices.Clone(entries[:n])))
		entries = entries[n:]
	}
}

// pageFilter is the set of work packages a page counts: projects (nil: any,
// less those in notProjects) and statuses (nil: any).
type pageFilter struct {
	projects    map[int64]bool
	notProjects map[int64]bool
	statuses    map[int64]bool
	// statusBits and projectBits are statuses and projects by id, for the
	// walk's test of every entry, when the ids are small enough (status
	// ids are: the migrations fix them).
	statusBits, projectBits []bool
}

// maxBit bounds the ids that a bitmap of the filter holds.
const maxBit = 1 << 16

// bitsOf is set as a bitmap by id, or nil when an id is out of its bounds.
func bitsOf(set map[int64]bool) []bool {
	n := int64(0)
	for id := range set {
		if id < 0 || id >= maxBit {
			return nil
		}
		n = max(n, id+1)
	}
	bits := make([]bool, n)
	for id := range set {
		bits[id] = true
	}
	return bits
}

// prepare readies f for counting and walking.
func (f *pageFilter) prepare() {
	f.statusBits, f.projectBits = nil, nil
	if f.statuses != nil {
		f.statusBits = bitsOf(f.statuses)
	}
	if f.projects != nil {
		f.projectBits = bitsOf(f.projects)
	}
}

func inBits(bits []bool, id int64) bool { return id >= 0 && id < int64(len(bits)) && bits[id] }

func (f *pageFilter) match(e pageEntry) bool {
	switch {
	case f.projectBits != nil:
		if !inBits(f.projectBits, e.project) {
			return false
		}
	case f.projects != nil:
		if !f.projects[e.project] {
			return false
		}
	case len(f.notProjects) > 0:
		if f.notProjects[e.project] {
			return false
		}
	}
	switch {
	case f.statuses == nil:
		return true
	case f.statusBits != nil:
		return inBits(f.statusBits, e.status)
	}
	return f.statuses[e.status]
}

// count is the number of b's entries that f matches. Each sum goes over the
// smaller side: the filter's ids, or the ids the block counts (a viewer's
// thousands of public projects against the few hundred a block holds).
func (f *pageFilter) count(b *pageBlock) int {
	if f.projects == nil {
		n := 0
		if f.statuses == nil {
			return len(b.entries) - f.sumProjects(b, f.notProjects)
		}
		for s := range f.statuses {
			n += b.byStatus[s]
		}
		if len(f.notProjects) == 0 {
			return n
		}
		if len(f.notProjects)*len(f.statuses) <= len(b.byPair) {
			for p := range f.notProjects {
				for s := range f.statuses {
					n -= b.byPair[projectStatus{p, s}]
				}
			}
			return n
		}
		for k, c := range b.byPair {
			if f.notProjects[k.project] && f.hasStatus(k.status) {
				n -= c
			}
		}
		return n
	}
	if f.statuses == nil {
		return f.sumProjects(b, f.projects)
	}
	n := 0
	if len(f.projects)*len(f.statuses) <= len(b.byPair) {
		for p := range f.projects {
			for s := range f.statuses {
				n += b.byPair[projectStatus{p, s}]
			}
		}
		return n
	}
	for k, c := range b.byPair {
		if f.hasProject(k.project) && f.hasStatus(k.status) {
			n += c
		}
	}
	return n
}

// sumProjects is how many of b's entries belong to the projects of set.
func (f *pageFilter) sumProjects(b *pageBlock, set map[int64]bool) int {
	n := 0
	if len(set) <= len(b.byProject) {
		for p := range set {
			n += b.byProject[p]
		}
		return n
	}
	for p, c := range b.byProject {
		if set[p] {
			n += c
		}
	}
	return n
}

func (f *pageFilter) hasProject(id int64) bool {
	if f.projectBits != nil {
		return inBits(f.projectBits, id)
	}
	return f.projects[id]
}

func (f *pageFilter) hasStatus(id int64) bool {
	if f.statusBits != nil {
		return inBits(f.statusBits, id)
	}
	return f.statuses[id]
}

// pageSort is an order the index answers: by id, or by updated_at then id,
// each ascending or descending.
type pageSort struct {
	byUpdated  bool
	desc       bool // the first key (id, or updated_at) descends
	idDescTies bool // with byUpdated: ties on updated_at by id descending
}

// page returns the ids of the size entries f matches from position offset
// (0-based) in order srt, and how many f matches. memo, when given, keeps
// the block counts of filters that name many ids.
func (o *pageOrder) page(f *pageFilter, srt pageSort, offset, size int, memo *countMemos) ([]int64, int) {
	f.prepare()
	counts := memo.counts(o.blocks, f)
	total := 0
	for _, n := range counts {
		total += n
	}
	if offset >= total || size <= 0 {
		return []int64{}, total
	}
	// The walk goes through the blocks forward (ascending) or backward. By
	// updated_at, a walk backward gives ties by id descending too: where
	// the ties' id order differs from the walk's, each run of equal
	// updated_at is reversed below.
	step := 1
	if srt.desc {
		step = -1
	}
	c := cursor{o: o, f: f, counts: counts, step: step}
	if !c.seek(offset) {
		return []int64{}, total
	}
	out := make([]int64, 0, size)
	reverseTies := srt.byUpdated && srt.idDescTies != srt.desc
	if !reverseTies {
		for len(out) < size {
			out = append(out, c.entry().id)
			if !c.next(step) {
				break
			}
		}
		return out, total
	}
	// The run of equal updated_at holding position offset may start before
	// it: go back to its start, then take whole runs, each reversed,
	// dropping the positions before offset.
	skip := 0
	for {
		back := c
		if !back.next(-step) || back.entry().updated != c.entry().updated {
			break
		}
		c = back
		skip++
	}
	var run []int64
	for len(out) < size {
		run = run[:0]
		u := c.entry().updated
		more := true
		for more && c.entry().updated == u {
			run = append(run, c.entry().id)
			more = c.next(step)
		}
		for i := len(run) - 1; i >= 0 && len(out) < size; i-- {
			if skip > 0 {
				skip--
				continue
			}
			out = append(out, run[i])
		}
		if !more {
			break
		}
	}
	return out, total
}

// memoFrom is the least number of ids a filter names for countMemos to
// keep its block counts; maxMemos is how many filters it keeps.
const (
	memoFrom = 64
	maxMemos = 8
)

// countMemos keeps the block counts of the latest filters that name many
// ids, such as a non-administrator's thousands of public projects: counting
// those over every block for every page took 13 ms at 1,000,000 work
// packages. Kept by block stamp, only the blocks changed since are counted
// again. A nil *countMemos keeps nothing.
type countMemos struct {
	mu    sync.Mutex
	memos []*countMemo // the most recently used first
}

type countMemo struct {
	key    []int64        // the filter, as filterKey states it
	counts map[uint64]int // by block stamp
}

// counts is f's count in each of blocks (f prepared).
func (m *countMemos) counts(blocks []*pageBlock, f *pageFilter) []int {
	counts := make([]int, len(blocks))
	if m == nil || len(f.projects)+len(f.notProjects)+len(f.statuses) < memoFrom {
		for i, b := range blocks {
			counts[i] = f.count(b)
		}
		return counts
	}
	key := f.key()
	m.mu.Lock()
	var memo *countMemo
	for i, c := range m.memos {
		if slices.Equal(c.key, key) {
			memo = c
			copy(m.memos[1:i+1], m.memos[:i])
			m.memos[0] = c
			break
		}
	}
	if memo == nil {
		memo = &countMemo{key: key}
		m.memos = slices.Insert(m.memos, 0, memo)
		if len(m.memos) > maxMemos {
			m.memos = m.memos[:maxMemos]
		}
	}
	kept := memo.counts
	m.mu.Unlock()
	// Counted outside the lock, so that pages of other filters need not wait
	// for a miss: a kept map is replaced, never changed, so reading it
	// unlocked is safe, and two pages counting at once both store true
	// counts.
	next := make(map[uint64]int, len(blocks))
	for i, b := range blocks {
		n, ok := kept[b.stamp]
		if !ok {
			n = f.count(b)
		}
		next[b.stamp] = n
		counts[i] = n
	}
	m.mu.Lock()
	memo.counts = next
	m.mu.Unlock()
	return counts
}

// key states f exactly, as its sorted id sets (nil, "any", apart from an
// empty set).
func (f *pageFilter) key() []int64 {
	k := make([]int64, 0, 6+len(f.projects)+len(f.notProjects)+len(f.statuses))
	for _, set := range []map[int64]bool{f.projects, f.notProjects, f.statuses} {
		if set == nil {
			k = append(k, -1)
			continue
		}
		k = append(k, int64(len(set)))
		start := len(k)
		for id := range set {
			k = append(k, id)
		}
		slices.Sort(k[start:])
	}
	return k
}

// cursor is a position on an entry that f matches.
type cursor struct {
	o      *pageOrder
	f      *pageFilter
	counts []int
	step   int
	bi, ei int
}

func (c *cursor) entry() pageEntry { return c.o.blocks[c.bi].entries[c.ei] }

// seek moves to the n-th (0-based) match in the walk's direction.
func (c *cursor) seek(n int) bool {
	bi := 0
	if c.step < 0 {
		bi = len(c.o.blocks) - 1
	}
	for ; bi >= 0 && bi < len(c.o.blocks); bi += c.step {
		if n >= c.counts[bi] {
			n -= c.counts[bi]
			continue
		}
		es := c.o.blocks[bi].entries
		ei := 0
		if c.step < 0 {
			ei = len(es) - 1
		}
		for ; ei >= 0 && ei < len(es); ei += c.step {
			if c.f.match(es[ei]) {
				if n == 0 {
					c.bi, c.ei = bi, ei
					return true
				}
				n--
			}
		}
		return false // the counts disagree with the entries: cannot happen
	}
	return false
}

// next moves to the next match in direction d (+1 toward the end of the
// order, -1 toward its start); false, without moving, at the end.
func (c *cursor) next(d int) bool {
	bi, ei := c.bi, c.ei+d
	for bi >= 0 && bi < len(c.o.blocks) {
		es := c.o.blocks[bi].entries
		if c.counts[bi] > 0 {
			for ; ei >= 0 && ei < len(es); ei += d {
				if c.f.match(es[ei]) {
					c.bi, c.ei = bi, ei
					return true
				}
			}
		}
		bi += d
		if bi >= 0 && bi < len(c.o.blocks) {
			ei = 0
			if d < 0 {
				ei = len(c.o.blocks[bi].entries) - 1
			}
		}
	}
	return false
}

// indexState is where the index stands.
type indexState int

const (
	indexNone     indexState = iota // not built, or stale: the SQL path answers
	indexBuilding                   // being built: the SQL path answers
	indexReady
	indexTooBig // more than maxIndexed work packages: the SQL path answers
)

// pageIndex is the index with its state. Its lock is held briefly: by a
// page for its walk, by a write for its change.
type pageIndex struct {
	mu      sync.RWMutex
	state   indexState
	epoch   int64 // counts invalidations; a build started in an older epoch is thrown away
	started time.Time
	byID    pageOrder
	byUpd   pageOrder
	// The block counts of filters that name many ids, per order.
	memoID, memoUpd countMemos
	size            int
	// replay holds the changes committed while a build reads the table:
	// they are applied on top of what it read, in order (each is a row's
	// whole new state, so one the scan already saw changes nothing).
	replay []indexChange
	// off forces the SQL path (tests compare the two).
	off bool
}

// indexChange is a row's new state (deleted: gone), or a project's rows
// gone (projectDeleted).
type indexChange struct {
	entry          pageEntry
	deleted        bool
	projectDeleted bool
}

func newPageIndex() *pageIndex {
	return &pageIndex{byUpd: pageOrder{byUpdated: true}}
}

// apply applies a committed change.
func (x *pageIndex) apply(c indexChange) {
	x.mu.Lock()
	defer x.mu.Unlock()
	switch x.state {
	case indexBuilding:
		x.replay = append(x.replay, c)
	case indexReady:
		x.applyLocked(c)
	}
}

func (x *pageIndex) applyLocked(c indexChange) {
	switch {
	case c.projectDeleted:
		// Rare (a project delete): a scan of the entries.
		var gone []pageEntry
		for _, b := range x.byID.blocks {
			if b.byProject[c.entry.project] == 0 {
				continue
			}
			for _, e := range b.entries {
				if e.project == c.entry.project {
					gone = append(gone, e)
				}
			}
		}
		for _, e := range gone {
			x.removeLocked(e)
		}
	case c.deleted:
		if e, ok := x.byID.find(c.entry.id); ok {
			x.removeLocked(e)
		}
	default:
		if e, ok := x.byID.find(c.entry.id); ok {
			if e == c.entry {
				return
			}
			x.removeLocked(e)
		}
		x.byID.insert(c.entry)
		x.byUpd.insert(c.entry)
		if x.size++; x.size > maxIndexed {
			x.dropLocked(indexTooBig)
		}
	}
}

func (x *pageIndex) removeLocked(e pageEntry) {
	x.size--
	x.byID.remove(e)
	x.byUpd.remove(e)
}

func (x *pageIndex) dropLocked(state indexState) {
	x.state = state
	x.byID.blocks, x.byUpd.blocks, x.replay, x.size = nil, nil, nil, 0
}

// invalidate marks the index stale after another process's write.
func (x *pageIndex) invalidate() {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.epoch++
	if x.state == indexReady || x.state == indexTooBig {
		x.dropLocked(indexNone)
	}
}

// page answers a page from the index; ok is false when the SQL path must.
// It starts a build when there is none.
// ready reports whether the index answers pages now (page may still find
// it stale by the time it is asked), and starts its build as page does.
func (x *pageIndex) ready(s *Service) bool {
	x.mu.RLock()
	state, off := x.state, x.off
	x.mu.RUnlock()
	if state == indexNone && !off {
		x.startBuild(s, true)
	}
	return state == indexReady && !off
}

func (x *pageIndex) page(s *Service, f *pageFilter, srt pageSort, offset, size int) (ids []int64, total int, ok bool) {
	x.mu.RLock()
	state, off := x.state, x.off
	if state == indexReady && !off {
		o, memo := &x.byID, &x.memoID
		if srt.byUpdated {
			o, memo = &x.byUpd, &x.memoUpd
		}
		ids, total = o.page(f, srt, offset, size, memo)
		x.mu.RUnlock()
		return ids, total, true
	}
	x.mu.RUnlock()
	if state == indexNone && !off {
		x.startBuild(s, true)
	}
	return nil, 0, false
}

// startBuild begins a build unless one runs or one began less than
// minRebuildGap ago; in the background, or, when background is false, in
// the caller (tests).
func (x *pageIndex) startBuild(s *Service, background bool) {
	x.mu.Lock()
	if x.state != indexNone || (background && time.Since(x.started) < minRebuildGap) {
		x.mu.Unlock()
		return
	}
	x.state, x.started, x.replay = indexBuilding, time.Now(), nil
	epoch := x.epoch
	x.mu.Unlock()
	if background {
		go x.build(s, epoch)
	} else {
		x.build(s, epoch)
	}
}

// buildHook, when a test sets it, runs in a build before (false) and after
// (true) its scan of the table: writes made there commit while it builds.
var buildHook func(afterScan bool)

// indexRow is what the build reads of a work package.
type indexRow struct {
	ID        int64     `bun:"id"`
	ProjectID int64     `bun:"project_id"`
	StatusID  int64     `bun:"status_id"`
	UpdatedAt time.Time `bun:"updated_at"`
}

func entryOf(wp WorkPackage) pageEntry {
	return pageEntry{id: wp.ID, updated: wp.UpdatedAt.UnixMicro(), project: wp.ProjectID, status: wp.StatusID}
}

// build reads the table and makes the index ready, unless an invalidation
// came meanwhile. The changes committed while it reads are replayed on top
// (apply keeps them while the state is indexBuilding, from before the scan
// starts).
func (x *pageIndex) build(s *Service, epoch int64) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if buildHook != nil {
		buildHook(false)
	}
	var rows []indexRow
	err := s.st.Read.NewSelect().TableExpr("work_packages").ColumnExpr("id, project_id, status_id, updated_at").
		Limit(maxIndexed+1).Scan(ctx, &rows)
	if buildHook != nil {
		buildHook(true)
	}
	// The orders are built before the lock is taken: sorting a million
	// entries takes half a second, and the writer's commit hooks wait for
	// the lock.
	byID, byUpd := pageOrder{}, pageOrder{byUpdated: true}
	if err == nil && len(rows) <= maxIndexed {
		entries := make([]pageEntry, len(rows))
		for i, r := range rows {
			entries[i] = pageEntry{id: r.ID, updated: r.UpdatedAt.UnixMicro(), project: r.ProjectID, status: r.StatusID}
		}
		byID.build(entries)
		byUpd.build(slices.Clone(entries))
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.state != indexBuilding || x.epoch != epoch {
		if x.state == indexBuilding {
			x.dropLocked(indexNone)
		}
		return
	}
	switch {
	case err != nil:
		x.dropLocked(indexNone) // tried again on a later list, minRebuildGap on
		return
	case len(rows) > maxIndexed:
		x.dropLocked(indexTooBig)
		return
	}
	x.size = len(rows)
	x.byID, x.byUpd = byID, byUpd
	x.state = indexReady
	for _, c := range x.replay {
		x.applyLocked(c)
	}
	x.replay = nil
}
