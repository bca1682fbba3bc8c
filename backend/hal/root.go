package hal

import "github.com/hookpost/hookpost/backend/auth"

// RootResource is OpenProject's API root.
type RootResource struct {
	Type         string    `json:"_type"`
	InstanceName string    `json:"instanceName"`
	CoreVersion  string    `json:"coreVersion,omitempty"`
	Links        RootLinks `json:"_links"`
}

// RootLinks are the root's links; resources Hookpost does not serve are {"href": null}.
type RootLinks struct {
	Self            *Link `json:"self"`
	Configuration   *Link `json:"configuration"`
	Memberships     *Link `json:"memberships"`
	Priorities      *Link `json:"priorities"`
	Relations       *Link `json:"relations"`
	Statuses        *Link `json:"statuses"`
	TimeEntries     *Link `json:"time_entries"`
	Types           *Link `json:"types"`
	User            *Link `json:"user"`
	UserPreferences *Link `json:"userPreferences"`
	WorkPackages    *Link `json:"workPackages"`
	Projects        *Link `json:"projects"`
	Users           *Link `json:"users,omitempty"`
}

// NewRoot renders the root for viewer; the version is shown to administrators only.
func NewRoot(viewer auth.User, version string) RootResource {
	r := RootResource{Type: "Root", InstanceName: "Hookpost", Links: RootLinks{
		Self: Href("/api/v3"), Configuration: Null(), Memberships: Null(), Priorities: Href("/api/v3/priorities"), Relations: Null(),
		Statuses: Href("/api/v3/statuses"), TimeEntries: Href("/api/v3/time_entries"), Types: Href("/api/v3/types"),
		User: Titled("/api/v3/users/"+itoa(viewer.ID), viewer.Name()), UserPreferences: Null(), WorkPackages: Href("/api/v3/work_packages"),
		Projects: Href("/api/v3/projects"),
	}}
	if viewer.Admin {
		r.CoreVersion = version
		r.Links.Users = Href("/api/v3/users")
	}
	return r
}
