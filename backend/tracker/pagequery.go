package tracker

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/store"
)

// indexFilter states the filters of a work package collection request as a
// pageFilter, when the page index can answer them: conditions on the
// project (=, !) and the status (=, !, o, c, *) only, which is what the
// default (open) collection and the usual project and status filters are.
// The filters were already checked by listQuery: anything this does not
// take (other fields, other operators, values that are not plain ids such as
// "me") goes the SQL way, and errors stay the SQL path's.
func (s *Service) indexFilter(raw string) (*pageFilter, bool) {
	var list []map[string]struct {
		Operator string          `json:"operator"`
		Values   json.RawMessage `json:"values"`
	}
	if err := json.Unmarshal([]byte(raw), &list); err != nil {
		return nil, false
	}
	f := &pageFilter{}
	for _, m := range list {
		for name, c := range m {
			values, ok := filterValues(c.Values)
			if !ok {
				return nil, false
			}
			ids := make([]int64, len(values))
			for i, v := range values {
				id, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					return nil, false
				}
				ids[i] = id
			}
			switch name {
			case "project", "project_id":
				switch c.Operator {
				case "=":
					f.projects = intersect(f.projects, setOf(ids))
				case "!":
					if f.notProjects == nil {
						f.notProjects = map[int64]bool{}
					}
					for _, id := range ids {
						f.notProjects[id] = true
					}
				default:
					return nil, false
				}
			case "status", "status_id":
				var set map[int64]bool
				switch c.Operator {
				case "=":
					set = setOf(ids)
				case "!":
					set = s.statusSet(func(st Status) bool { return !slices.Contains(ids, st.ID) })
				case "o":
					set = s.statusSet(func(st Status) bool { return !st.IsClosed })
				case "c":
					set = s.statusSet(func(st Status) bool { return st.IsClosed })
				case "*":
					continue // every work package has a status
				default:
					return nil, false
				}
				f.statuses = intersect(f.statuses, set)
			default:
				return nil, false
			}
		}
	}
	return f, true
}

// statusSet is the set of the statuses that keep holds for; the statuses
// are fixed by the migrations, so this is what the SQL's subquery selects.
func (s *Service) statusSet(keep func(Status) bool) map[int64]bool {
	out := map[int64]bool{}
	for id, st := range s.statuses {
		if keep(st) {
			out[id] = true
		}
	}
	return out
}

func setOf(ids []int64) map[int64]bool {
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out
}

// intersect is a ∩ b, where nil is "any".
func intersect(a, b map[int64]bool) map[int64]bool {
	if a == nil {
		return b
	}
	out := map[int64]bool{}
	for k := range a {
		if b[k] {
			out[k] = true
		}
	}
	return out
}

// indexSort states a sortBy as a pageSort, when the index can answer it:
// none (id ascending), id, or updatedAt with or without id after it.
// query.SortBy appends "wp.id ASC" when id is not named: ties on updated_at
// go by id ascending whatever updated_at's direction.
func indexSort(raw string) (pageSort, bool) {
	if strings.TrimSpace(raw) == "" {
		return pageSort{}, true
	}
	var pairs [][]string
	if err := json.Unmarshal([]byte(raw), &pairs); err != nil || len(pairs) == 0 || len(pairs) > 2 {
		return pageSort{}, false
	}
	desc := make([]bool, len(pairs))
	for i, p := range pairs {
		if len(p) != 2 {
			return pageSort{}, false
		}
		switch strings.ToUpper(p[1]) {
		case "ASC":
		case "DESC":
			desc[i] = true
		default:
			return pageSort{}, false
		}
	}
	updated := func(name string) bool { return name == "updatedAt" || name == "updated_at" }
	switch {
	case len(pairs) == 1 && pairs[0][0] == "id":
		return pageSort{desc: desc[0]}, true
	case len(pairs) == 1 && updated(pairs[0][0]):
		return pageSort{byUpdated: true, desc: desc[0]}, true
	case len(pairs) == 2 && updated(pairs[0][0]) && pairs[1][0] == "id":
		return pageSort{byUpdated: true, desc: desc[0], idDescTies: desc[1]}, true
	}
	return pageSort{}, false
}

// indexPage answers a page of ListWorkPackages from the page index: the
// work packages of the page's ids, in order, and the total. ok is false
// when the SQL path must answer (a shape the index does not take, or the
// index is not ready).
func (s *Service) indexPage(ctx context.Context, viewer auth.User, projectID int64, p ListParams) (views []WorkPackageView, total int, ok bool, err error) {
	f, ok := s.indexFilter(p.Filters)
	if !ok {
		return nil, 0, false, nil
	}
	srt, ok := indexSort(p.SortBy)
	if !ok {
		return nil, 0, false, nil
	}
	if projectID != 0 {
		f.projects = intersect(f.projects, map[int64]bool{projectID: true})
	}
	if !viewer.Admin {
		if !s.pages.ready(s) {
			return nil, 0, false, nil // no query for an index that will not answer (page starts its build)
		}
		// visibleProjects: the public projects.
		public, err := s.publicProjects(ctx)
		if err != nil {
			return nil, 0, false, err
		}
		f.projects = intersect(f.projects, public) // may be public itself: not to be changed
	}
	if f.projects != nil && f.notProjects != nil {
		kept := make(map[int64]bool, len(f.projects))
		for id := range f.projects {
			if !f.notProjects[id] {
				kept[id] = true
			}
		}
		f.projects, f.notProjects = kept, nil
	}
	offset := p.Page.SQLOffset()
	ids, total, ok := s.pages.page(s, f, srt, offset, p.Page.Size)
	if !ok {
		return nil, 0, false, nil
	}
	if len(ids) == 0 {
		return []WorkPackageView{}, total, true, nil
	}
	var rows []WorkPackage
	q := s.st.Read.NewSelect().Model(&rows)
	if !s.st.Postgres() {
		// The timestamps as text, parsed once by bun: SQLite's driver tries
		// another format first for a TIMESTAMP column, which made parsing
		// them a tenth of a page's CPU.
		q = q.ExcludeColumn("created_at", "updated_at").
			ColumnExpr("CAST(work_package.created_at AS TEXT) AS created_at, CAST(work_package.updated_at AS TEXT) AS updated_at")
	}
	if err := s.scanIn(ctx, s.st.Read, q, "work_package.id", ids, &rows); err != nil {
		return nil, 0, false, err
	}
	// In the index's order; a row deleted since the walk is left out, as
	// the SQL path's page would not have it either.
	at := make(map[int64]int, len(ids))
	for i, id := range ids {
		at[id] = i
	}
	slices.SortFunc(rows, func(a, b WorkPackage) int { return at[a.ID] - at[b.ID] })
	views, err = s.views(ctx, s.st.Read, rows)
	return views, total, true, err
}

// noteWorkPackage applies wp's new state to the page index once the write
// that ctx belongs to commits.
func (s *Service) noteWorkPackage(ctx context.Context, wp WorkPackage) {
	c := indexChange{entry: entryOf(wp)}
	store.AfterCommit(ctx, func() { s.pages.apply(c) })
}

// noteWorkPackageDeleted removes work package id from the page index once
// the write that ctx belongs to commits.
func (s *Service) noteWorkPackageDeleted(ctx context.Context, id int64) {
	c := indexChange{entry: pageEntry{id: id}, deleted: true}
	store.AfterCommit(ctx, func() { s.pages.apply(c) })
}

// noteProjectDeleted removes the work packages of project id from the page
// index once the write that ctx belongs to commits (the rows go with the
// project, ON DELETE CASCADE).
func (s *Service) noteProjectDeleted(ctx context.Context, id int64) {
	c := indexChange{entry: pageEntry{project: id}, projectDeleted: true}
	store.AfterCommit(ctx, func() { s.pages.apply(c) })
}

// maxCachedProjects bounds each project cache; a full cache starts over.
const maxCachedProjects = 4096

// projectsByID reads the projects ids name, through db; on the read pool
// from s.projects where it can (a page of work packages embeds its
// projects, and reading the same few rows for every page cost a query in
// four).
func (s *Service) projectsByID(ctx context.Context, db bun.IDB, ids []int64) (map[int64]Project, error) {
	out := make(map[int64]Project, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	cached := db == bun.IDB(s.st.Read)
	gen := s.projectGen.Load()
	missing := ids
	if cached {
		missing = nil
		for _, id := range ids {
			if p, ok := s.projects.get(gen, id); ok {
				out[id] = p
			} else {
				missing = append(missing, id)
			}
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	var ps []Project
	if err := s.scanIn(ctx, db, db.NewSelect().Model(&ps), "id", missing, &ps); err != nil {
		return nil, err
	}
	for _, p := range ps {
		out[p.ID] = p
		if cached {
			s.projects.put(gen, &s.projectGen, p)
		}
	}
	return out, nil
}
