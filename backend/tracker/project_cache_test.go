package tracker_test

import (
	"context"
	"testing"

	"github.com/hookpost/hookpost/backend/tracker"
)

// Creating a work package validates its project from a cache of project
// rows; a project write of this process, or Invalidate for another's,
// shows at once in the next create.
func TestCreateSeesProjectChanges(t *testing.T) {
	w := newPageWorld(t, 3)
	ctx := context.Background()
	project := w.projects[0]
	create := func() tracker.WorkPackageView {
		t.Helper()
		subject := "Task"
		v, err := w.svc.CreateWorkPackage(ctx, w.admin, tracker.WorkPackageInput{Subject: &subject, ProjectID: &project})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	rename := func(svc *tracker.Service, name string) {
		t.Helper()
		if _, err := svc.UpdateProject(ctx, w.admin, project, tracker.ProjectInput{Name: &name}); err != nil {
			t.Fatal(err)
		}
	}
	create() // the project is read, and kept
	rename(w.svc, "Renamed here")
	if got := create().Project.Name; got != "Renamed here" {
		t.Fatalf("after a rename by this process the create shows project %q", got)
	}
	rename(w.other, "Renamed elsewhere")
	w.svc.Invalidate() // as the coherence watcher does for another process's write
	if got := create().Project.Name; got != "Renamed elsewhere" {
		t.Fatalf("after a rename by another process the create shows project %q", got)
	}
}
