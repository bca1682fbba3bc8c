package tracker

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/outbox"
	"github.com/hookpost/hookpost/backend/query"
)

// RelationTypes are the relation types, in OpenProject's order.
var RelationTypes = []string{"relates", "duplicates", "duplicated", "blocks", "blocked", "precedes", "follows",
	"includes", "partof", "requires", "required"}

// relationTypes hold, per type, its name as read from the from end, the type
// as seen from the other end, and whether it is stored as that reverse with
// its ends swapped (OpenProject's Relation::TYPES and reverse_if_needed).
var relationTypes = map[string]struct {
	name, reverse string
	stored        bool
}{
	"relates":    {"related to", "relates", false},
	"duplicates": {"duplicates", "duplicated", false},
	"duplicated": {"duplicated by", "duplicates", true},
	"blocks":     {"blocks", "blocked", false},
	"blocked":    {"blocked by", "blocks", true},
	"precedes":   {"precedes", "follows", false},
	"follows":    {"follows", "precedes", true},
	"includes":   {"includes", "partof", false},
	"partof":     {"part of", "includes", true},
	"requires":   {"requires", "required", false},
	"required":   {"required by", "requires", true},
}

// RelationName is how a relation of type t reads from its from end ("duplicated by").
func RelationName(t string) string { return relationTypes[t].name }

// RelationReverse is the type of a relation of type t seen from its to end.
func RelationReverse(t string) string { return relationTypes[t].reverse }

// MaxRelationLag bounds the days between the end of a preceding work package
// and the start of the one that follows it.
const MaxRelationLag = 3650

// MaxRelationDescriptionLength bounds a relation's description.
const MaxRelationDescriptionLength = MaxFormattableLength

// RelationInput is a relation create or update; nil fields were not sent.
type RelationInput struct {
	Type        *string
	Description Opt[string]
	Lag         Opt[int]
	// FromID and ToID are the work packages it relates: set on creation
	// only (from is the work package it is created on).
	FromID *int64
	ToID   *int64
	// ReadOnly names properties the request tried to write that never are writable.
	ReadOnly []string
}

// RelationFields are the relations collection's filters and sort keys;
// involved (either end) is a filter only.
var RelationFields = query.Spec{
	"id":   {Column: "r.id", Kind: query.ID},
	"from": {Column: "r.from_id", Kind: query.ID},
	"to":   {Column: "r.to_id", Kind: query.ID},
	"type": {Column: "r.relation_type", Kind: query.Text},
}

// RelationFilters are RelationFields with the filters only, as the API
// documents them.
func RelationFilters() query.Spec {
	spec := query.Spec{"involved": {Column: "r.id", Kind: query.ID}}
	for k, v := range RelationFields {
		spec[k] = v
	}
	return spec
}

// visibleRelations limits q to relations between work packages viewer may see.
func visibleRelations(q *bun.SelectQuery, viewer auth.User) *bun.SelectQuery {
	if viewer.Admin {
		return q
	}
	const visible = "SELECT wp.id FROM work_packages AS wp JOIN projects AS p ON p.id = wp.project_id WHERE p.public"
	return q.Where("r.from_id IN (" + visible + ")").Where("r.to_id IN (" + visible + ")")
}

// ListRelations returns one page of the relations viewer may see; workPackageID,
// when non-zero, limits it to the relations of that work package (which
// viewer must see).
func (s *Service) ListRelations(ctx context.Context, viewer auth.User, workPackageID int64, p ListParams) ([]RelationView, int, error) {
	if workPackageID != 0 {
		if _, err := s.WorkPackage(ctx, viewer, workPackageID); err != nil {
			return nil, 0, err
		}
	}
	conds, order, special, err := specialQuery(p, RelationFields, viewer, "r.id ASC", "involved")
	if err != nil {
		return nil, 0, err
	}
	for _, f := range special {
		ids, err := filterIDs(f)
		if err != nil {
			return nil, 0, err
		}
		c := query.Condition{SQL: "(r.from_id IN (?) OR r.to_id IN (?))", Args: []any{bun.List(ids), bun.List(ids)}}
		switch f.Operator {
		case "=":
		case "!":
			c.SQL = "NOT " + c.SQL
		default:
			return nil, 0, invalidFilter(f.Name, "Filter %q does not accept the operator %q; accepted: = !.", f.Name, f.Operator)
		}
		conds = append(conds, c)
	}
	base := func() *bun.SelectQuery {
		q := s.st.Read.NewSelect().TableExpr("relations AS r")
		if workPackageID != 0 {
			q = q.Where("(r.from_id = ? OR r.to_id = ?)", workPackageID, workPackageID)
		}
		return applyFilters(visibleRelations(q, viewer), conds)
	}
	total, err := s.count(ctx, base())
	if err != nil || p.Page.Size == 0 {
		return []RelationView{}, total, err
	}
	var rows []Relation
	if err := base().ColumnExpr("r.*").OrderExpr(order).Offset(int64(p.Page.SQLOffset())).Limit(int64(p.Page.Size)).Scan(ctx, &rows); err != nil {
		return nil, 0, err
	}
	views, err := s.relationViews(ctx, s.st.Read, rows)
	return views, total, err
}

// relationViews loads the work packages of relations.
func (s *Service) relationViews(ctx context.Context, db bun.IDB, rows []Relation) ([]RelationView, error) {
	ids := map[int64]bool{}
	for _, r := range rows {
		ids[r.FromID], ids[r.ToID] = true, true
	}
	list := make([]int64, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	byID := map[int64]WorkPackageView{}
	if len(list) > 0 {
		var wps []WorkPackage
		if err := s.scan(ctx, db, db.NewSelect().Model(&wps).Where("id IN (?)", bun.List(list)), &wps); err != nil {
			return nil, err
		}
		views, err := s.views(ctx, db, wps)
		if err != nil {
			return nil, err
		}
		for _, v := range views {
			byID[v.ID] = v
		}
	}
	out := make([]RelationView, len(rows))
	for i, r := range rows {
		out[i] = RelationView{Relation: r, From: byID[r.FromID], To: byID[r.ToID]}
	}
	return out, nil
}

// LoadRelation reads a relation with its work packages through db, without
// visibility checks.
func (s *Service) LoadRelation(ctx context.Context, db bun.IDB, id int64) (RelationView, error) {
	var r Relation
	if err := db.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx); err != nil {
		return RelationView{}, notFound(err)
	}
	views, err := s.relationViews(ctx, db, []Relation{r})
	if err != nil {
		return RelationView{}, err
	}
	return views[0], nil
}

// Relation returns a relation between work packages viewer may both see.
func (s *Service) Relation(ctx context.Context, viewer auth.User, id int64) (RelationView, error) {
	v, err := s.LoadRelation(ctx, s.st.Read, id)
	if err != nil {
		return v, err
	}
	if !canSee(viewer, v.From.Project) || !canSee(viewer, v.To.Project) {
		return RelationView{}, domain.ErrNotFound
	}
	return v, nil
}

// validateRelation checks a relation's own properties; in.Type, when set,
// must be known.
func validateRelation(in RelationInput, creating bool) domain.ValidationErrors {
	var errs domain.ValidationErrors
	for _, f := range in.ReadOnly {
		errs = append(errs, domain.ReadOnly(f))
	}
	if !creating {
		// The work packages of a relation never change, as in OpenProject.
		if in.FromID != nil {
			errs = append(errs, domain.ReadOnly("from"))
		}
		if in.ToID != nil {
			errs = append(errs, domain.ReadOnly("to"))
		}
	}
	if creating && in.Type == nil {
		errs = append(errs, domain.Invalid("type", "Type can't be blank: use one of %s.", strings.Join(RelationTypes, ", ")))
	}
	if in.Type != nil {
		if _, ok := relationTypes[*in.Type]; !ok {
			errs = append(errs, domain.Invalid("type", "Type %q is not a relation type: use one of %s.", *in.Type, strings.Join(RelationTypes, ", ")))
		}
	}
	if in.Lag.Set && in.Lag.Value != nil && (*in.Lag.Value < 0 || *in.Lag.Value > MaxRelationLag) {
		errs = append(errs, domain.Invalid("lag", "Lag must be a number of days from 0 to %d.", MaxRelationLag))
	}
	if in.Description.Set {
		tooLong(&errs, "description", "Description", in.Description.Value, MaxRelationDescriptionLength)
	}
	if creating && in.ToID == nil {
		errs = append(errs, domain.Invalid("to", "To can't be blank: link the work package to relate to."))
	}
	return errs
}

// applyRelation sets r's properties from in and stores a reversed type as
// its reverse with the ends swapped; lag is kept for precedes only, 0 when
// not given, as OpenProject does.
func applyRelation(r *Relation, in RelationInput) {
	if in.Type != nil {
		if relationTypes[*in.Type].stored {
			r.FromID, r.ToID = r.ToID, r.FromID
			r.Type = relationTypes[*in.Type].reverse
		} else {
			r.Type = *in.Type
		}
	}
	if in.Description.Set {
		r.Description = in.Description.Value
		if r.Description != nil && *r.Description == "" {
			r.Description = nil
		}
	}
	if in.Lag.Set {
		r.Lag = in.Lag.Value
	}
	if r.Type != "precedes" {
		r.Lag = nil
	} else if r.Lag == nil {
		zero := 0
		r.Lag = &zero
	}
}

// checkRelatable refuses a relation that would make a cycle of precedes:
// from may not precede to when to already precedes from, directly or through
// others (OpenProject's circular dependency). It runs in the writer, so that
// no relation closing the cycle is added between the check and the write.
// On PostgreSQL, where instances write side by side, a transaction lock
// orders the checks of all instances instead.
func (s *Service) checkRelatable(ctx context.Context, tx bun.Tx, r Relation) error {
	if r.Type != "precedes" {
		return nil
	}
	if err := s.st.Serialize(ctx, tx, "relations"); err != nil {
		return err
	}
	var n int
	err := tx.NewRaw(`WITH RECURSIVE successors(id) AS (
			SELECT to_id FROM relations WHERE from_id = ? AND relation_type = 'precedes' AND id <> ?
			UNION
			SELECT r.to_id FROM relations AS r JOIN successors AS s ON r.from_id = s.id WHERE r.relation_type = 'precedes' AND r.id <> ?
		) SELECT count(*) FROM successors WHERE id = ?`, r.ToID, r.ID, r.ID, r.FromID).Scan(ctx, &n)
	if err != nil {
		return err
	}
	if n > 0 {
		return domain.Invalid("to", "Work package %d already precedes work package %d, directly or through others: this relation would make a circular dependency.", r.ToID, r.FromID)
	}
	return nil
}

// CreateRelation relates the work package workPackageID to in.ToID. Both must
// be visible to viewer, who must be allowed to change one of them.
func (s *Service) CreateRelation(ctx context.Context, viewer auth.User, workPackageID int64, in RelationInput) (RelationView, error) {
	from, err := s.WorkPackage(ctx, viewer, workPackageID)
	if err != nil {
		return RelationView{}, err
	}
	errs := validateRelation(in, true)
	if in.FromID != nil && *in.FromID != workPackageID {
		errs = append(errs, domain.Invalid("from", "The from link must be this work package (/api/v3/work_packages/%d) or left out.", workPackageID))
	}
	var to WorkPackageView
	if in.ToID != nil {
		if *in.ToID == workPackageID {
			errs = append(errs, domain.Invalid("to", "A work package cannot be related to itself."))
		} else if to, err = s.WorkPackage(ctx, viewer, *in.ToID); err != nil {
			if !errors.Is(err, domain.ErrNotFound) {
				return RelationView{}, err
			}
			errs = append(errs, domain.Invalid("to", "Work package %d does not exist.", *in.ToID))
		}
	}
	if err := errs.Err(); err != nil {
		return RelationView{}, err
	}
	if !MayManageRelation(viewer, from.WorkPackage, to.WorkPackage) {
		return RelationView{}, fmt.Errorf("you are not allowed to relate work packages %d and %d: only the author or assignee of one of them, or an administrator, may: %w",
			from.ID, to.ID, domain.ErrForbidden)
	}
	now := s.stamp()
	r := Relation{FromID: from.ID, ToID: to.ID, CreatedAt: now, UpdatedAt: now}
	applyRelation(&r, in)
	var view RelationView
	err = s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		n, err := tx.NewSelect().Table("relations").
			Where("(from_id = ? AND to_id = ?) OR (from_id = ? AND to_id = ?)", r.FromID, r.ToID, r.ToID, r.FromID).Count(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return fmt.Errorf("work packages %d and %d are already related: change or delete that relation: %w", from.ID, to.ID, domain.ErrConflict)
		}
		if err := s.checkRelatable(ctx, tx, r); err != nil {
			return err
		}
		if _, err := tx.NewInsert().Model(&r).Exec(ctx); err != nil {
			return err
		}
		if view, err = s.LoadRelation(ctx, tx, r.ID); err != nil {
			return err
		}
		return s.recordRelation(ctx, tx, outbox.RelationCreated, view, s.relationProject(r, from, to), viewer)
	})
	if err != nil {
		return RelationView{}, err
	}
	return view, nil
}

// relationProject is the project a relation's events belong to: its from
// work package's (after a reversed type is stored).
func (s *Service) relationProject(r Relation, a, b WorkPackageView) int64 {
	if r.FromID == a.ID {
		return a.ProjectID
	}
	return b.ProjectID
}

// manageableRelation returns a relation viewer may change or delete (action).
func (s *Service) manageableRelation(ctx context.Context, viewer auth.User, id int64, action string) (RelationView, error) {
	v, err := s.Relation(ctx, viewer, id)
	if err != nil {
		return v, err
	}
	if !MayManageRelation(viewer, v.From.WorkPackage, v.To.WorkPackage) {
		return v, fmt.Errorf("you are not allowed to %s relation %d: only the author or assignee of one of its work packages, or an administrator, may: %w",
			action, id, domain.ErrForbidden)
	}
	return v, nil
}

// UpdateRelation changes a relation's type, description or lag; its work
// packages stay.
func (s *Service) UpdateRelation(ctx context.Context, viewer auth.User, id int64, in RelationInput) (RelationView, error) {
	v, err := s.manageableRelation(ctx, viewer, id, "change")
	if err != nil {
		return RelationView{}, err
	}
	if err := validateRelation(in, false).Err(); err != nil {
		return RelationView{}, err
	}
	var view RelationView
	err = s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		var r Relation
		if err := tx.NewSelect().Model(&r).Where("id = ?", id).Scan(ctx); err != nil {
			return notFound(err)
		}
		applyRelation(&r, in)
		r.UpdatedAt = s.stamp()
		if err := s.checkRelatable(ctx, tx, r); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model(&r).WherePK().Exec(ctx); err != nil {
			return err
		}
		var err error
		if view, err = s.LoadRelation(ctx, tx, id); err != nil {
			return err
		}
		return s.recordRelation(ctx, tx, outbox.RelationUpdated, view, s.relationProject(r, v.From, v.To), viewer)
	})
	if err != nil {
		return RelationView{}, err
	}
	return view, nil
}

// DeleteRelation removes a relation; its event carries the last representation.
func (s *Service) DeleteRelation(ctx context.Context, viewer auth.User, id int64) error {
	v, err := s.manageableRelation(ctx, viewer, id, "delete")
	if err != nil {
		return err
	}
	return s.write(ctx, func(ctx context.Context, tx bun.Tx) error {
		r, err := s.LoadRelation(ctx, tx, id)
		if err != nil {
			return err
		}
		payload, err := s.payloads.Relation(r)
		if err != nil {
			return fmt.Errorf("render relation %d for its event: %w", id, err)
		}
		res, err := tx.NewDelete().Model((*Relation)(nil)).Where("id = ?", id).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.ErrNotFound
		}
		return s.recordPayload(ctx, tx, outbox.RelationDeleted, outbox.KeyRelation, id, v.From.ProjectID, viewer, payload)
	})
}
