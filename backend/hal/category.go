package hal

import (
	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/tracker"
)

// CategoryResource is OpenProject's Category.
type CategoryResource struct {
	Type  string `json:"_type"`
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Links struct {
		Self            *Link `json:"self"`
		Project         *Link `json:"project"`
		DefaultAssignee *Link `json:"defaultAssignee,omitempty"`
	} `json:"_links"`
}

// Category renders a work package category.
func Category(c tracker.CategoryView, _ auth.User) CategoryResource {
	r := CategoryResource{Type: "Category", ID: c.ID, Name: c.Name}
	r.Links.Self = Titled("/api/v3/categories/"+itoa(c.ID), c.Name)
	r.Links.Project = Titled("/api/v3/projects/"+itoa(c.ProjectID), c.Project.Name)
	if c.DefaultAssignee != nil {
		r.Links.DefaultAssignee = Titled("/api/v3/users/"+itoa(c.DefaultAssignee.ID), c.DefaultAssignee.Name())
	}
	return r
}
