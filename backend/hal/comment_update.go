package hal

import (
	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/tracker"
)

// CommentFor renders a comment for viewer: with OpenProject's update link
// (PATCH) when viewer may edit it, its author or an administrator.
func CommentFor(c tracker.CommentView, viewer auth.User) CommentResource {
	r := Comment(c)
	if tracker.MayEditComment(viewer, c.Comment) {
		r.Links["update"] = Action("/api/v3/activities/"+itoa(c.ID), "patch")
	}
	return r
}
