package tracker

import (
	"context"
	"encoding/json"
	"strconv"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/auth"
)

// Change is one attribute a journal records, with its values before and
// after as they were shown then (names, not ids); nil is "not set".
// Descriptions record no values: the attribute alone says it changed.
type Change struct {
	Attribute string  `json:"attribute"`
	Old       *string `json:"old,omitempty"`
	New       *string `json:"new,omitempty"`
}

// Changes are the attributes a journal records (none for a comment).
func (c Comment) Changes() []Change {
	if c.Details == "" {
		return nil
	}
	var out []Change
	if err := json.Unmarshal([]byte(c.Details), &out); err != nil {
		return nil
	}
	return out
}

// nextVersionSQL is the next version of a work package's activities
// (journals and comments): two index lookups.
const nextVersionSQL = `max((SELECT coalesce(max(version), 0) FROM journals WHERE work_package_id = ?1),
	(SELECT coalesce(max(version), 0) FROM comments WHERE work_package_id = ?1)) + 1`

// insertJournalSQL appends a journal to a work package's activities, its
// version computed in the same statement: creating or changing a work
// package costs one more insert and no round trip.
const insertJournalSQL = `INSERT INTO journals (work_package_id, user_id, version, details, created_at)
	SELECT ?1, ?2, ` + nextVersionSQL + `, ?3, ?4`

// The same on PostgreSQL, whose max of several values is greatest, and
// whose INSERT ... SELECT wants its arguments' types spelled out.
const (
	pgNextVersionSQL = `greatest((SELECT coalesce(max(version), 0) FROM journals WHERE work_package_id = ?1),
	(SELECT coalesce(max(version), 0) FROM comments WHERE work_package_id = ?1)) + 1`
	pgInsertJournalSQL = `INSERT INTO journals (work_package_id, user_id, version, details, created_at)
	SELECT CAST(?1 AS BIGINT), CAST(?2 AS BIGINT), ` + pgNextVersionSQL + `, CAST(?3 AS TEXT), CAST(?4 AS TIMESTAMPTZ)`
)

// journal records the changes of a work package in tx; no changes, no journal.
func (s *Service) journal(ctx context.Context, tx bun.Tx, workPackageID, userID int64, changes []Change, at string) error {
	if len(changes) == 0 {
		return nil
	}
	details, err := json.Marshal(changes)
	if err != nil {
		return err
	}
	q := insertJournalSQL
	if s.st.Postgres() {
		q = pgInsertJournalSQL
	}
	_, err = s.st.TxExec(ctx, tx, q, workPackageID, userID, string(details), at)
	return err
}

// asComment shows a journal as an activity row.
func (j Journal) asComment() Comment {
	return Comment{ID: j.ID, WorkPackageID: j.WorkPackageID, UserID: j.UserID, Version: j.Version, Details: j.Details,
		CreatedAt: j.CreatedAt, UpdatedAt: j.CreatedAt}
}

// names are what a journal shows for the linked resources of a work package.
type names struct {
	projects map[int64]string
	users    map[int64]auth.User
}

// workPackageChanges lists what differs between before and after (before
// is the zero WorkPackage for a creation, whose journal lists every
// attribute set).
func (s *Service) workPackageChanges(before, after WorkPackage, n names) []Change {
	var out []Change
	add := func(attr string, old, new *string) {
		if (old == nil) != (new == nil) || (old != nil && *old != *new) {
			out = append(out, Change{Attribute: attr, Old: old, New: new})
		}
	}
	str := func(v string) *string {
		if v == "" {
			return nil
		}
		return &v
	}
	id := func(v int64, name func(int64) string) *string {
		if v == 0 {
			return nil
		}
		return str(name(v))
	}
	optID := func(v *int64, name func(int64) string) *string {
		if v == nil {
			return nil
		}
		return id(*v, name)
	}
	typ := func(v int64) string { return s.types[v].Name }
	status := func(v int64) string { return s.statuses[v].Name }
	priority := func(v int64) string { return s.priorities[v].Name }
	project := func(v int64) string { return n.projects[v] }
	user := func(v int64) string { return n.users[v].Name() }

	add("subject", str(before.Subject), str(after.Subject))
	if before.Description != after.Description {
		// Values left out: a description may be 64 KiB, twice per change.
		out = append(out, Change{Attribute: "description", Old: str(marker(before.Description)), New: str(marker(after.Description))})
	}
	add("type", id(before.TypeID, typ), id(after.TypeID, typ))
	add("project", id(before.ProjectID, project), id(after.ProjectID, project))
	add("status", id(before.StatusID, status), id(after.StatusID, status))
	add("priority", id(before.PriorityID, priority), id(after.PriorityID, priority))
	add("assignee", optID(before.AssigneeID, user), optID(after.AssigneeID, user))
	add("startDate", before.StartDate, after.StartDate)
	add("dueDate", before.DueDate, after.DueDate)
	add("estimatedTime", hoursText(before.EstimatedHours), hoursText(after.EstimatedHours))
	add("percentageDone", percentText(before.DoneRatio), percentText(after.DoneRatio))
	return out
}

// marker stands for a description in a journal: set or not.
func marker(description string) string {
	if description == "" {
		return ""
	}
	return "1"
}

func hoursText(h *float64) *string {
	if h == nil {
		return nil
	}
	v := strconv.FormatFloat(*h, 'f', -1, 64) + "h"
	return &v
}

func percentText(p *int) *string {
	if p == nil {
		return nil
	}
	v := strconv.Itoa(*p) + "%"
	return &v
}

// journalNames loads the names a journal of before → after shows: the
// projects and users it links to, read only when they changed.
func (s *Service) journalNames(ctx context.Context, db bun.IDB, before, after WorkPackage, known names) (names, error) {
	n := names{projects: map[int64]string{}, users: map[int64]auth.User{}}
	for id, name := range known.projects {
		n.projects[id] = name
	}
	for id, u := range known.users {
		n.users[id] = u
	}
	var projectIDs, userIDs []int64
	if before.ProjectID != after.ProjectID {
		for _, id := range []int64{before.ProjectID, after.ProjectID} {
			if _, ok := n.projects[id]; !ok && id != 0 {
				projectIDs = append(projectIDs, id)
			}
		}
	}
	if !sameID(before.AssigneeID, after.AssigneeID) {
		for _, id := range []*int64{before.AssigneeID, after.AssigneeID} {
			if id != nil {
				if _, ok := n.users[*id]; !ok {
					userIDs = append(userIDs, *id)
				}
			}
		}
	}
	if len(projectIDs) > 0 {
		var ps []Project
		if err := db.NewSelect().Model(&ps).Column("id", "name").Where("id IN (?)", bun.List(projectIDs)).Scan(ctx); err != nil {
			return n, err
		}
		for _, p := range ps {
			n.projects[p.ID] = p.Name
		}
	}
	if len(userIDs) > 0 {
		users, err := s.usersByID(ctx, db, userIDs)
		if err != nil {
			return n, err
		}
		for id, u := range users {
			n.users[id] = u
		}
	}
	return n, nil
}

func sameID(a, b *int64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return *a == *b
}
