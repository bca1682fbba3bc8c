package tracker

import (
	"context"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/query"
)

// Hookpost's principals are its users: it has no groups and no placeholder
// users. It has no project memberships either: any active user may be
// assigned to work packages in any project (the rule validation applies), so
// every active user counts as a member of every project, and a project's
// available assignees are the active users.

// principalName is a user's display name in SQL, as auth.User.Name makes it.
const principalName = "CASE WHEN trim(u.first_name || ' ' || u.last_name) = '' THEN u.login ELSE trim(u.first_name || ' ' || u.last_name) END"

// principalFields are the principals collection's filters and sort keys for
// viewer. status takes OpenProject's numbers (1 active, 2 registered, 3
// locked, 4 invited); any_name_attribute searches logins and e-mail
// addresses only for administrators, who may read them.
func principalFields(viewer auth.User) query.Spec {
	anyName := principalName
	if viewer.Admin {
		anyName = "u.first_name || ' ' || u.last_name || ' ' || u.login || ' ' || u.email"
	}
	return query.Spec{
		"id":                 {Column: "u.id", Kind: query.ID},
		"type":               {Column: "'User'", Kind: query.Text},
		"name":               {Column: principalName, Kind: query.Text},
		"any_name_attribute": {Column: anyName, Kind: query.Text},
		"status": {Column: "CASE u.status WHEN 'active' THEN '1' WHEN 'registered' THEN '2' WHEN 'locked' THEN '3' WHEN 'invited' THEN '4' ELSE u.status END",
			Kind: query.Text},
		"createdAt": {Column: "u.created_at", Kind: query.DateTime},
		"updatedAt": {Column: "u.updated_at", Kind: query.DateTime},
	}
}

// PrincipalFields are the principals collection's filters and sort keys as
// the API documents them: member is a filter only.
func PrincipalFields() query.Spec {
	spec := principalFields(auth.User{Admin: true})
	spec["member"] = query.Field{Column: "u.id", Kind: query.ID}
	return spec
}

// ListPrincipals returns one page of the principals viewer may see: every
// user for an administrator, the active ones for everyone else.
func (s *Service) ListPrincipals(ctx context.Context, viewer auth.User, p ListParams) ([]auth.User, int, error) {
	conds, order, special, err := specialQuery(p, principalFields(viewer), viewer, "u.id ASC", "member")
	if err != nil {
		return nil, 0, err
	}
	for _, f := range special {
		c, err := s.memberCondition(viewer, f)
		if err != nil {
			return nil, 0, err
		}
		conds = append(conds, c)
	}
	base := func() *bun.SelectQuery {
		q := s.st.Read.NewSelect().TableExpr("users AS u")
		if !viewer.Admin {
			q = q.Where("u.status = 'active'")
		}
		return applyFilters(q, conds)
	}
	// Counted every time: users change outside the tracker, whose writes
	// end what s.count caches.
	n, err := base().Count(ctx)
	total := int(n)
	if err != nil || p.Page.Size == 0 {
		return []auth.User{}, total, err
	}
	users := []auth.User{}
	err = base().ColumnExpr("u.*").OrderExpr(order).Offset(int64(p.Page.SQLOffset())).Limit(int64(p.Page.Size)).Scan(ctx, &users)
	return users, total, err
}

// memberCondition states the member filter: an active user is a member of
// every project viewer can see (see above).
func (s *Service) memberCondition(viewer auth.User, f namedFilter) (query.Condition, error) {
	visible := ""
	if !viewer.Admin {
		visible = " AND p.public"
	}
	switch f.Operator {
	case "*":
		return query.Condition{SQL: "u.status = 'active' AND EXISTS (SELECT 1 FROM projects p WHERE TRUE" + visible + ")"}, nil
	case "!*":
		return query.Condition{SQL: "NOT (u.status = 'active' AND EXISTS (SELECT 1 FROM projects p WHERE TRUE" + visible + "))"}, nil
	case "=", "!":
		ids, err := filterIDs(f)
		if err != nil {
			return query.Condition{}, err
		}
		c := query.Condition{SQL: "u.status = 'active' AND EXISTS (SELECT 1 FROM projects p WHERE p.id IN (?)" + visible + ")", Args: []any{bun.List(ids)}}
		if f.Operator == "!" {
			c.SQL = "NOT (" + c.SQL + ")"
		}
		return c, nil
	}
	return query.Condition{}, invalidFilter(f.Name, "Filter %q does not accept the operator %q; accepted: = ! * !*.", f.Name, f.Operator)
}

// AvailableAssignees returns the users work packages of a project viewer may
// see can be assigned to: the active users, by name.
func (s *Service) AvailableAssignees(ctx context.Context, viewer auth.User, projectID int64) ([]auth.User, error) {
	if _, err := s.Project(ctx, viewer, projectID); err != nil {
		return nil, err
	}
	users := []auth.User{}
	err := s.st.Read.NewSelect().Model(&users).Where("status = 'active'").
		OrderExpr("lower(first_name), lower(last_name), lower(login), id").Scan(ctx)
	return users, err
}

// ProjectTypes returns the types available in a project viewer may see:
// every type, as Hookpost has no per-project type selection.
func (s *Service) ProjectTypes(ctx context.Context, viewer auth.User, projectID int64) ([]Type, error) {
	if _, err := s.Project(ctx, viewer, projectID); err != nil {
		return nil, err
	}
	return s.Types(), nil
}
