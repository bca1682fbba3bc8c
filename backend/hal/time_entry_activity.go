package hal

import (
	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/tracker"
)

// TimeEntryActivityResource is OpenProject's TimeEntriesActivity.
type TimeEntryActivityResource struct {
	Type     string `json:"_type"`
	ID       int64  `json:"id"`
	Name     string `json:"name"`
	Position int    `json:"position"`
	Default  bool   `json:"default"`
	Embedded struct {
		Projects []ProjectResource `json:"projects"`
	} `json:"_embedded"`
	Links struct {
		Self     *Link  `json:"self"`
		Projects []Link `json:"projects"`
	} `json:"_links"`
}

// TimeEntryActivity renders a time entry activity with the projects it is
// active in, for viewer.
func TimeEntryActivity(a tracker.TimeEntryActivityView, viewer auth.User) TimeEntryActivityResource {
	r := TimeEntryActivityResource{Type: "TimeEntriesActivity", ID: a.ID, Name: a.Name, Position: a.Position, Default: a.IsDefault}
	r.Links.Self = Titled(activitiesHref+itoa(a.ID), a.Name)
	r.Embedded.Projects = make([]ProjectResource, len(a.Projects))
	r.Links.Projects = make([]Link, len(a.Projects))
	for i, p := range a.Projects {
		r.Embedded.Projects[i] = Project(p, viewer)
		r.Links.Projects[i] = *Titled("/api/v3/projects/"+itoa(p.ID), p.Name)
	}
	return r
}
