package tracker

import (
	"context"
	"strings"
	"testing"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/query"
)

func strp(s string) *string { return &s }

var pageAll = query.Page{Offset: 1, Size: 1000}

// Relations are stored as OpenProject stores them: a type with a reverse is
// kept as that reverse with its ends swapped, so each pair of work packages
// holds one relation whichever end names it.
func TestRelationsAreStoredCanonically(t *testing.T) {
	e := newRulesEnv(t)
	ctx := context.Background()
	cases := []struct {
		give               string
		wantType           string
		swapped            bool
		wantLag            bool
		wantName, wantBack string
	}{
		{give: "relates", wantType: "relates", wantName: "related to", wantBack: "relates"},
		{give: "duplicates", wantType: "duplicates", wantName: "duplicates", wantBack: "duplicated"},
		{give: "duplicated", wantType: "duplicates", swapped: true, wantName: "duplicates", wantBack: "duplicated"},
		{give: "blocks", wantType: "blocks", wantName: "blocks", wantBack: "blocked"},
		{give: "blocked", wantType: "blocks", swapped: true, wantName: "blocks", wantBack: "blocked"},
		{give: "precedes", wantType: "precedes", wantLag: true, wantName: "precedes", wantBack: "follows"},
		{give: "follows", wantType: "precedes", swapped: true, wantLag: true, wantName: "precedes", wantBack: "follows"},
		{give: "includes", wantType: "includes", wantName: "includes", wantBack: "partof"},
		{give: "partof", wantType: "includes", swapped: true, wantName: "includes", wantBack: "partof"},
		{give: "requires", wantType: "requires", wantName: "requires", wantBack: "required"},
		{give: "required", wantType: "requires", swapped: true, wantName: "requires", wantBack: "required"},
	}
	for _, c := range cases {
		t.Run(c.give, func(t *testing.T) {
			a, b := e.workPackage(t, e.public), e.workPackage(t, e.public)
			lag := 3
			r, err := e.svc.CreateRelation(ctx, e.author, a.ID, RelationInput{Type: strp(c.give), ToID: &b.ID, Lag: Opt[int]{Set: true, Value: &lag}})
			if err != nil {
				t.Fatal(err)
			}
			from, to := a.ID, b.ID
			if c.swapped {
				from, to = b.ID, a.ID
			}
			if r.Type != c.wantType || r.FromID != from || r.ToID != to {
				t.Errorf("stored %s %d→%d, want %s %d→%d", r.Type, r.FromID, r.ToID, c.wantType, from, to)
			}
			if (r.Lag != nil) != c.wantLag || (c.wantLag && *r.Lag != 3) {
				t.Errorf("lag %v, want it kept only for precedes", r.Lag)
			}
			if RelationName(r.Type) != c.wantName || RelationReverse(r.Type) != c.wantBack {
				t.Errorf("name %q reverse %q", RelationName(r.Type), RelationReverse(r.Type))
			}
			// Either end naming the pair again is the same pair.
			for _, again := range []struct{ from, to int64 }{{a.ID, b.ID}, {b.ID, a.ID}} {
				_, err := e.svc.CreateRelation(ctx, e.author, again.from, RelationInput{Type: strp("relates"), ToID: &again.to})
				if outcome(err) != "conflict" {
					t.Errorf("relating %d to %d again: %v, want a conflict", again.from, again.to, err)
				}
			}
		})
	}
}

func TestRelationRules(t *testing.T) {
	e := newRulesEnv(t)
	ctx := context.Background()
	a, b, c := e.workPackage(t, e.public), e.workPackage(t, e.public), e.workPackage(t, e.public)
	hidden, err := e.svc.CreateWorkPackage(ctx, e.admin, WorkPackageInput{Subject: strp("Hidden"), ProjectID: &e.private})
	if err != nil {
		t.Fatal(err)
	}
	precedes := func(viewer auth.User, from, to int64) error {
		_, err := e.svc.CreateRelation(ctx, viewer, from, RelationInput{Type: strp("precedes"), ToID: &to})
		return err
	}
	if err := precedes(e.author, a.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	if err := precedes(e.author, b.ID, c.ID); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		err    error
		want   string
		field  string
		saying string
	}{
		{name: "itself", err: precedes(e.author, a.ID, a.ID), want: "invalid", field: "to", saying: "itself"},
		{name: "a cycle through another", err: precedes(e.author, c.ID, a.ID), want: "invalid", field: "to", saying: "circular dependency"},
		{name: "a cycle as follows", err: func() error {
			_, err := e.svc.CreateRelation(ctx, e.author, a.ID, RelationInput{Type: strp("follows"), ToID: &c.ID})
			return err
		}(), want: "invalid", field: "to", saying: "circular dependency"},
		{name: "a work package the user cannot see", err: precedes(e.author, a.ID, hidden.ID), want: "invalid", field: "to", saying: "does not exist"},
		{name: "without type", err: func() error {
			_, err := e.svc.CreateRelation(ctx, e.author, a.ID, RelationInput{ToID: &c.ID})
			return err
		}(), want: "invalid", field: "type"},
		{name: "an unknown type", err: func() error {
			_, err := e.svc.CreateRelation(ctx, e.author, a.ID, RelationInput{Type: strp("causes"), ToID: &c.ID})
			return err
		}(), want: "invalid", field: "type", saying: "relates, duplicates"},
		{name: "by a user who may change neither", err: func() error {
			_, err := e.svc.CreateRelation(ctx, e.others, a.ID, RelationInput{Type: strp("relates"), ToID: &c.ID})
			return err
		}(), want: "forbidden", saying: "you are not allowed to relate"},
		// Any type but precedes may close a loop, as in OpenProject.
		{name: "blocks back along a precedes chain", err: func() error {
			_, err := e.svc.CreateRelation(ctx, e.assignee, c.ID, RelationInput{Type: strp("blocks"), ToID: &a.ID})
			return err
		}(), want: "allowed"},
	}
	for _, x := range cases {
		if got := outcome(x.err); got != x.want {
			t.Errorf("%s: %s (%v), want %s", x.name, got, x.err, x.want)
			continue
		}
		if x.field != "" {
			if fe := fieldErrors(x.err); !strings.Contains(fe, x.field+":") {
				t.Errorf("%s: the error names %s, want %s", x.name, fe, x.field)
			}
		}
		if x.saying != "" && !strings.Contains(x.err.Error(), x.saying) {
			t.Errorf("%s: %q does not say %q", x.name, x.err, x.saying)
		}
	}
	if n := e.count(t, "relations", "1 = 1"); n != 3 {
		t.Errorf("%d relations stored, want the 3 allowed", n)
	}

	// Changing a relation: whoever may change one of its work packages;
	// turning it into a cycle of precedes is refused like creating one.
	rel, _, err := e.svc.ListRelations(ctx, e.admin, c.ID, ListParams{Page: pageAll})
	if err != nil || len(rel) != 2 {
		t.Fatalf("relations of %d: %v %v", c.ID, rel, err)
	}
	var blocks RelationView
	for _, r := range rel {
		if r.Type == "blocks" {
			blocks = r
		}
	}
	if _, err := e.svc.UpdateRelation(ctx, e.others, blocks.ID, RelationInput{Description: Opt[string]{Set: true, Value: strp("x")}}); outcome(err) != "forbidden" {
		t.Errorf("change by a user who may change neither: %v", err)
	}
	if _, err := e.svc.UpdateRelation(ctx, e.assignee, blocks.ID, RelationInput{Type: strp("precedes")}); outcome(err) != "invalid" || !strings.Contains(err.Error(), "circular") {
		t.Errorf("turning c blocks a into c precedes a: %v, want a circular dependency", err)
	}
	if _, err := e.svc.UpdateRelation(ctx, e.assignee, blocks.ID, RelationInput{ToID: &b.ID}); outcome(err) != "invalid" || !strings.Contains(fieldErrors(err), "to:") {
		t.Errorf("moving the relation to another work package: %v, want to read-only", err)
	}
	v, err := e.svc.UpdateRelation(ctx, e.assignee, blocks.ID, RelationInput{Type: strp("follows")})
	if err != nil || v.Type != "precedes" || v.FromID != a.ID || v.ToID != c.ID || v.Lag == nil || *v.Lag != 0 {
		t.Errorf("c follows a: %+v %v, want a precedes c with lag 0", v.Relation, err)
	}
	if err := e.svc.DeleteRelation(ctx, e.others, blocks.ID); outcome(err) != "forbidden" {
		t.Errorf("delete by a user who may change neither: %v", err)
	}
	if err := e.svc.DeleteRelation(ctx, e.author, blocks.ID); err != nil {
		t.Errorf("delete by the author of one end: %v", err)
	}
	// Deleting a work package takes its relations with it.
	if err := e.svc.DeleteWorkPackage(ctx, e.admin, b.ID); err != nil {
		t.Fatal(err)
	}
	if n := e.count(t, "relations", "1 = 1"); n != 0 {
		t.Errorf("%d relations left, want none", n)
	}
}

func fieldErrors(err error) string {
	var out []string
	for _, fe := range domain.FieldErrors(err) {
		out = append(out, fe.Field+": "+fe.Message)
	}
	return strings.Join(out, "; ")
}
