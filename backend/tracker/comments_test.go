package tracker

import (
	"context"
	"strings"
	"testing"
)

// A comment is edited by its author or an administrator only, and the edit
// is recorded as its own event.
func TestEditCommentRules(t *testing.T) {
	e := newRulesEnv(t)
	ctx := context.Background()
	wp := e.workPackage(t, e.public)
	c, err := e.svc.AddComment(ctx, e.others, wp.ID, "First")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		role, text string
		want       string
	}{
		{role: "author", text: "Not mine", want: "forbidden"},   // the work package's author, not the comment's
		{role: "assignee", text: "Not mine", want: "forbidden"}, // nor its assignee
		{role: "other user", text: "  ", want: "invalid"},
		{role: "other user", text: "Edited by its author", want: "allowed"},
		{role: "administrator", text: "Edited by an administrator", want: "allowed"},
	}
	for _, x := range cases {
		events := e.count(t, "events", "name = 'work_package_comment:updated'")
		text := x.text
		v, err := e.svc.UpdateComment(ctx, e.role(x.role), c.ID, &text)
		if got := outcome(err); got != x.want {
			t.Errorf("%s edits %q: %s (%v), want %s", x.role, x.text, got, err, x.want)
			continue
		}
		after := e.count(t, "events", "name = 'work_package_comment:updated'")
		if err != nil {
			if after != events {
				t.Errorf("%s: a refused edit recorded an event", x.role)
			}
			continue
		}
		if v.Comment.Comment != x.text || after != events+1 {
			t.Errorf("%s: comment %q, %d new events", x.role, v.Comment.Comment, after-events)
		}
	}
	if _, err := e.svc.UpdateComment(ctx, e.admin, c.ID, nil); outcome(err) != "invalid" || !strings.Contains(err.Error(), "blank") {
		t.Errorf("edit without a comment: %v", err)
	}
	if _, err := e.svc.UpdateComment(ctx, e.admin, c.ID+100, nil); outcome(err) != "not found" {
		t.Errorf("edit of an unknown comment: %v", err)
	}
}
