package tracker

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/outbox"
	"github.com/hookpost/hookpost/backend/query"
	"github.com/hookpost/hookpost/backend/settings"
	"github.com/hookpost/hookpost/backend/store"
)

// Payloads renders what an event carries: the resource as its API
// representation, and the user who acted. The hal package provides it
// (hal.EventPayloads), so that payloads and API responses come from the same
// code; the tracker loads what each one shows, inside the change's
// transaction, and hands it over.
type Payloads interface {
	WorkPackage(WorkPackageView) (json.RawMessage, error)
	Project(Project) (json.RawMessage, error)
	Comment(CommentView) (json.RawMessage, error)
	TimeEntry(TimeEntryView) (json.RawMessage, error)
	Attachment(AttachmentView) (json.RawMessage, error)
	Relation(RelationView) (json.RawMessage, error)
	Actor(auth.User) (json.RawMessage, error)
}

// Deps are what the tracker service is built from.
type Deps struct {
	Store    *store.Store
	Settings *settings.Service
	Now      func() time.Time
	// Payloads renders the events every write records.
	Payloads Payloads
	// OnCommit, when not nil, is called after every committed write: the
	// dispatcher's Wake, so that the write's deliveries go out at once.
	OnCommit func()
}

// Service is the tracker service.
type Service struct {
	st       *store.Store
	settings *settings.Service
	now      func() time.Time
	payloads Payloads
	onCommit func()

	statuses   map[int64]Status
	types      map[int64]Type
	priorities map[int64]Priority
	activities map[int64]TimeEntryActivity
	defaults   struct{ status, typ, priority, activity int64 }

	// Collection totals are cached until the next write: counting 100,000
	// rows for every page would cost more than the page itself.
	generation atomic.Int64
	countMu    sync.Mutex
	countGen   int64
	counts     map[string]int

	// pages answers pages of the work package collection without walking
	// their offset (pageindex.go).
	pages *pageIndex
	own   ownEvents // events committed here, for WrittenElsewhere
	// projectGen moves with every project write of this process (after its
	// commit) and with Invalidate; the project caches are kept until it
	// moves: projects holds rows (pages embed them), fullProjects rows with
	// their parents (LoadProject: creating a work package validates its
	// project, and reading it with bun cost a fourteenth of a create).
	projectGen   atomic.Int64
	projects     projectCache
	fullProjects projectCache
	public       publicSet
}

// New loads the statuses, types, priorities and time entry activities
// (fixed by the migrations).
func New(ctx context.Context, d Deps) (*Service, error) {
	if d.Payloads == nil {
		return nil, errors.New("tracker: no payload renderer")
	}
	st := d.Store
	s := &Service{st: st, settings: d.Settings, now: d.Now, payloads: d.Payloads, onCommit: d.OnCommit,
		statuses: map[int64]Status{}, types: map[int64]Type{}, priorities: map[int64]Priority{},
		activities: map[int64]TimeEntryActivity{}, counts: map[string]int{}, pages: newPageIndex()}
	var statuses []Status
	var types []Type
	var priorities []Priority
	if err := st.Read.NewSelect().Model(&statuses).Scan(ctx); err != nil {
		return nil, fmt.Errorf("load statuses: %w", err)
	}
	if err := st.Read.NewSelect().Model(&types).Scan(ctx); err != nil {
		return nil, fmt.Errorf("load types: %w", err)
	}
	if err := st.Read.NewSelect().Model(&priorities).Scan(ctx); err != nil {
		return nil, fmt.Errorf("load priorities: %w", err)
	}
	var activities []TimeEntryActivity
	if err := st.Read.NewSelect().Model(&activities).Scan(ctx); err != nil {
		return nil, fmt.Errorf("load time entry activities: %w", err)
	}
	for _, x := range activities {
		s.activities[x.ID] = x
		if x.IsDefault {
			s.defaults.activity = x.ID
		}
	}
	if err := st.PrepareWrites(ctx, append(outbox.Statements, insertWorkPackageSQL, insertJournalSQL)...); err != nil {
		return nil, fmt.Errorf("prepare statements: %w", err)
	}
	for _, x := range statuses {
		s.statuses[x.ID] = x
		if x.IsDefault {
			s.defaults.status = x.ID
		}
	}
	for _, x := range types {
		s.types[x.ID] = x
		if x.IsDefault {
			s.defaults.typ = x.ID
		}
	}
	for _, x := range priorities {
		s.priorities[x.ID] = x
		if x.IsDefault {
			s.defaults.priority = x.ID
		}
	}
	return s, nil
}

// ListParams are a collection request's page, filters and sort order.
type ListParams struct {
	Page    query.Page
	Filters string
	SortBy  string
}

// Today is the service clock's calendar day (UTC): what the relative date
// filters (t, w, >t-, ...) count from, so caches of filtered pages key on it.
func (s *Service) Today() string { return s.now().UTC().Format(time.DateOnly) }

// Generation changes with every write; caches of tracker data compare it.
func (s *Service) Generation() int64 { return s.generation.Load() }

// Invalidate drops what is cached of tracker data, for a write that another
// process sharing the database made. The page index goes stale with it, to
// be rebuilt on a later list.
func (s *Service) Invalidate() {
	s.projectGen.Add(1) // before generation: see writeProject
	s.generation.Add(1)
	s.pages.invalidate()
}

// writeProject is write for project writes: projectGen moves before the
// generation, so that nothing keyed on the new generation reads a project
// cache (or the public set) of before the commit.
func (s *Service) writeProject(ctx context.Context, f func(ctx context.Context, tx bun.Tx) error) error {
	err := s.st.Write(ctx, f)
	s.projectGen.Add(1)
	s.generation.Add(1)
	if err == nil && s.onCommit != nil {
		s.onCommit()
	}
	return err
}

// write runs f in a write transaction and invalidates cached totals after it.
func (s *Service) write(ctx context.Context, f func(ctx context.Context, tx bun.Tx) error) error {
	err := s.st.Write(ctx, f)
	s.generation.Add(1)
	if err == nil && s.onCommit != nil {
		s.onCommit()
	}
	return err
}

// Each write records its event in its own transaction: it loads the resource
// there once (after the change), renders the payload from it, and answers
// with the same view. A delete renders its payload before the row goes.

// recordWorkPackage records the event name about v.
func (s *Service) recordWorkPackage(ctx context.Context, tx bun.Tx, name string, v WorkPackageView, actor auth.User) error {
	payload, err := s.payloads.WorkPackage(v)
	return s.recordRendered(ctx, tx, name, outbox.KeyWorkPackage, v.ID, v.ProjectID, actor, payload, err)
}

// recordProject records the event name about p.
func (s *Service) recordProject(ctx context.Context, tx bun.Tx, name string, p Project, actor auth.User) error {
	payload, err := s.payloads.Project(p)
	return s.recordRendered(ctx, tx, name, outbox.KeyProject, p.ID, p.ID, actor, payload, err)
}

// recordComment records the event name about c.
func (s *Service) recordComment(ctx context.Context, tx bun.Tx, name string, c CommentView, actor auth.User) error {
	payload, err := s.payloads.Comment(c)
	return s.recordRendered(ctx, tx, name, outbox.KeyActivity, c.ID, c.ProjectID, actor, payload, err)
}

// recordTimeEntry records the event name about t.
func (s *Service) recordTimeEntry(ctx context.Context, tx bun.Tx, name string, t TimeEntryView, actor auth.User) error {
	payload, err := s.payloads.TimeEntry(t)
	return s.recordRendered(ctx, tx, name, outbox.KeyTimeEntry, t.ID, t.ProjectID, actor, payload, err)
}

// recordAttachment records the event name about a.
func (s *Service) recordAttachment(ctx context.Context, tx bun.Tx, name string, a AttachmentView, actor auth.User) error {
	payload, err := s.payloads.Attachment(a)
	return s.recordRendered(ctx, tx, name, outbox.KeyAttachment, a.ID, a.ProjectID, actor, payload, err)
}

// recordRelation records the event name about r, which belongs to projectID.
func (s *Service) recordRelation(ctx context.Context, tx bun.Tx, name string, r RelationView, projectID int64, actor auth.User) error {
	payload, err := s.payloads.Relation(r)
	return s.recordRendered(ctx, tx, name, outbox.KeyRelation, r.ID, projectID, actor, payload, err)
}

// recordRendered records an event whose payload was rendered with renderErr.
func (s *Service) recordRendered(ctx context.Context, tx bun.Tx, name, key string, id, projectID int64, actor auth.User, payload json.RawMessage, renderErr error) error {
	if renderErr != nil {
		return fmt.Errorf("render %s %d for its event: %w", key, id, renderErr)
	}
	return s.recordPayload(ctx, tx, name, key, id, projectID, actor, payload)
}

// recordPayload records an event with its rendered payload.
func (s *Service) recordPayload(ctx context.Context, tx bun.Tx, name, key string, id int64, projectID int64, actor auth.User, payload json.RawMessage) error {
	pid := projectID
	aid := actor.ID
	actorJSON, err := s.payloads.Actor(actor)
	if err != nil {
		return fmt.Errorf("render the actor of %s %d: %w", key, id, err)
	}
	e := &outbox.Event{Name: name, ResourceKey: key, ResourceID: id, ProjectID: &pid,
		ActorID: &aid, Payload: payload, Actor: actorJSON, CreatedAt: s.stamp()}
	if err := outbox.Record(ctx, s.st, tx, e); err != nil {
		return err
	}
	if !s.st.Postgres() {
		store.AfterCommit(ctx, func() { s.own.add(e.ID) })
	}
	return nil
}

// ownEvents are the ids of the events this process committed that the
// coherence watcher has not looked at yet (SQLite only, where event ids
// follow the commit order without gaps).
type ownEvents struct {
	mu  sync.Mutex
	ids []int64
}

// maxOwnEvents bounds ownEvents when nothing reads it; dropping them only
// makes the next look count this process's events as another's.
const maxOwnEvents = 1 << 16

func (o *ownEvents) add(id int64) {
	o.mu.Lock()
	if len(o.ids) >= maxOwnEvents {
		o.ids = o.ids[:0]
	}
	o.ids = append(o.ids, id)
	o.mu.Unlock()
}

// WrittenElsewhere reports whether the events recorded after the newest
// event id was prev and up to cur (two reads of the coherence watcher,
// settings.Changes.Events) include one this process did not commit: a
// write of another process, after which Invalidate must run. This
// process's own writes are in its caches already: invalidating for them
// would leave the page index stale a quarter of a second after every
// write. On PostgreSQL, where sequence values do not follow the commit
// order, it reports every move.
func (s *Service) WrittenElsewhere(prev, cur int64) bool {
	if cur == prev {
		return false
	}
	if s.st.Postgres() || cur < prev {
		return true
	}
	o := &s.own
	o.mu.Lock()
	defer o.mu.Unlock()
	mine := int64(0)
	keep := o.ids[:0]
	for _, id := range o.ids {
		switch {
		case id > prev && id <= cur:
			mine++
		case id > cur:
			keep = append(keep, id) // committed after the read of cur
		}
	}
	o.ids = keep
	return cur-prev != mine
}

func (s *Service) stamp() time.Time { return s.now().UTC().Truncate(time.Millisecond) }

// count returns the number of rows q selects, cached until the next write.
func (s *Service) count(ctx context.Context, q *bun.SelectQuery) (int, error) {
	key := q.String()
	gen := s.generation.Load()
	s.countMu.Lock()
	if s.countGen != gen {
		s.counts, s.countGen = map[string]int{}, gen
	}
	n, ok := s.counts[key]
	s.countMu.Unlock()
	if ok {
		return n, nil
	}
	c, err := q.Count(ctx)
	if err != nil {
		return 0, err
	}
	s.countMu.Lock()
	if s.countGen == gen && len(s.counts) < 10000 {
		s.counts[key] = int(c)
	}
	s.countMu.Unlock()
	return int(c), nil
}

// listQuery parses a collection request's filters and sort order against
// spec; the relative date operators count from the service's clock.
func (s *Service) listQuery(p ListParams, spec query.Spec, viewer auth.User, fallback string) ([]query.Condition, string, error) {
	conds, err := query.FiltersAt(p.Filters, spec, viewer.ID, s.now())
	if err != nil {
		return nil, "", err
	}
	order, err := query.SortBy(p.SortBy, spec, fallback)
	if err != nil {
		return nil, "", err
	}
	return conds, strings.Join(order, ", "), nil
}

func applyFilters(q *bun.SelectQuery, conds []query.Condition) *bun.SelectQuery {
	for _, c := range conds {
		q = q.Where(c.SQL, c.Args...)
	}
	return q
}

// visibleProjects limits q to the projects viewer may see: all for an
// administrator, the public ones for everyone else.
func visibleProjects(q *bun.SelectQuery, viewer auth.User, column string) *bun.SelectQuery {
	if viewer.Admin {
		return q
	}
	return q.Where(column + " IN (SELECT id FROM projects WHERE public)")
}

func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return domain.ErrNotFound
	}
	return err
}

// scan runs q into dest; reads outside a transaction go through the read
// pool's statement cache.
func (s *Service) scan(ctx context.Context, db bun.IDB, q *bun.SelectQuery, dest any) error {
	if db == bun.IDB(s.st.Read) {
		return s.st.ReadScan(ctx, q, dest)
	}
	return q.Scan(ctx, dest)
}

// scanIn runs q with the condition "column IN (ids)" into dest. On the read
// pool the ids are bound parameters, their number rounded up to a power of
// two (the last one repeated): the statement's text then repeats from page to
// page, and the read pool's statement cache spares SQLite parsing and
// planning it, which cost more than running it. Inside a transaction q runs
// with the ids inlined, as bun writes it.
func (s *Service) scanIn(ctx context.Context, db bun.IDB, q *bun.SelectQuery, column string, ids []int64, dest any) error {
	if db != bun.IDB(s.st.Read) {
		return q.Where(column+" IN (?)", bun.List(ids)).Scan(ctx, dest)
	}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	n := 1
	for n < len(ids) {
		n *= 2
	}
	args := make([]any, n)
	for i := range args {
		args[i] = ids[min(i, len(ids)-1)]
	}
	rows, err := s.st.ReadQuery(ctx, q.Where(column+" IN (?)", bun.Safe(strings.Repeat("?, ", n-1)+"?")).String(), args...)
	if err != nil {
		return err
	}
	return s.st.Read.ScanRows(ctx, rows, dest)
}

func (s *Service) usersByID(ctx context.Context, db bun.IDB, ids []int64) (map[int64]auth.User, error) {
	out := map[int64]auth.User{}
	if len(ids) == 0 {
		return out, nil
	}
	var users []auth.User
	if err := s.scanIn(ctx, db, db.NewSelect().Model(&users), "id", ids, &users); err != nil {
		return nil, err
	}
	for _, u := range users {
		out[u.ID] = u
	}
	return out, nil
}

// Statuses, Types and Priorities list the fixed enumerations by position.
func (s *Service) Statuses() []Status {
	return sorted(s.statuses, func(x Status) int { return x.Position })
}
func (s *Service) Types() []Type { return sorted(s.types, func(x Type) int { return x.Position }) }
func (s *Service) Priorities() []Priority {
	return sorted(s.priorities, func(x Priority) int { return x.Position })
}

// Status returns one status.
func (s *Service) Status(id int64) (Status, error) { return lookup(s.statuses, id) }

// Type returns one type.
func (s *Service) Type(id int64) (Type, error) { return lookup(s.types, id) }

// Priority returns one priority.
func (s *Service) Priority(id int64) (Priority, error) { return lookup(s.priorities, id) }

func lookup[T any](m map[int64]T, id int64) (T, error) {
	v, ok := m[id]
	if !ok {
		return v, domain.ErrNotFound
	}
	return v, nil
}

func sorted[T any](m map[int64]T, pos func(T) int) []T {
	out := make([]T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && pos(out[j]) < pos(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
