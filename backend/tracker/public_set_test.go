package tracker_test

import (
	"context"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/hal"
	"github.com/hookpost/hookpost/backend/settings"
	"github.com/hookpost/hookpost/backend/store/storetest"
	"github.com/hookpost/hookpost/backend/tracker"
)

// A project made private: once Generation has moved (what the response
// cache keys on), a member's page must no longer show its work packages.
func TestPublicSetStaleAfterGenerationMoves(t *testing.T) {
	ctx := context.Background()
	st := storetest.OpenAt(t, storetest.Location(t))
	now := func() time.Time { return time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC) }
	set, err := settings.New(ctx, st, now, nil)
	if err != nil {
		t.Fatal(err)
	}
	a, err := auth.New(ctx, st, set, now)
	if err != nil {
		t.Fatal(err)
	}
	admin, _ := a.CreateUser(ctx, auth.NewUser{Login: "admin", Password: "correct horse battery", Admin: true})
	member, _ := a.CreateUser(ctx, auth.NewUser{Login: "jane", Password: "correct horse battery", FirstName: "J", LastName: "D"})
	var svc *tracker.Service
	var inWindow func()
	svc, err = tracker.New(ctx, tracker.Deps{Store: st, Settings: set, Now: now, Payloads: hal.EventPayloads,
		OnCommit: func() {
			if inWindow != nil {
				inWindow()
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	ident, pub := "p1", true
	p, err := svc.CreateProject(ctx, admin, tracker.ProjectInput{Identifier: &ident, Name: &ident, Public: &pub})
	if err != nil {
		t.Fatal(err)
	}
	subj := "secret"
	if _, err := svc.CreateWorkPackage(ctx, admin, tracker.WorkPackageInput{Subject: &subj, ProjectID: &p.ID}); err != nil {
		t.Fatal(err)
	}
	if !tracker.BuildPageIndex(ctx, svc) {
		t.Fatal("index not built")
	}
	list := func() int {
		_, total, err := svc.ListWorkPackages(ctx, member, 0, tracker.ListParams{Filters: "[]"})
		if err != nil {
			t.Fatal(err)
		}
		return total
	}
	if n := list(); n != 1 {
		t.Fatalf("before: %d", n)
	}
	before := svc.Generation()
	var seen int = -1
	inWindow = func() {
		if svc.Generation() != before {
			seen = list() // as a request keyed on the new Generation would build
		}
	}
	priv := false
	if _, err := svc.UpdateProject(ctx, admin, p.ID, tracker.ProjectInput{Public: &priv}); err != nil {
		t.Fatal(err)
	}
	inWindow = nil
	if seen != 0 {
		t.Errorf("after the commit, with Generation moved, a member's page still counted %d work packages of the now private project", seen)
	}
	if n := list(); n != 0 {
		t.Errorf("after: %d", n)
	}
}
