package hal

import "github.com/hookpost/hookpost/backend/auth"

// UserResource is OpenProject's User representation.
type UserResource struct {
	Type      string    `json:"_type"`
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	CreatedAt string    `json:"createdAt"`
	UpdatedAt string    `json:"updatedAt"`
	Login     string    `json:"login,omitempty"`
	Admin     *bool     `json:"admin,omitempty"`
	FirstName string    `json:"firstName,omitempty"`
	LastName  string    `json:"lastName,omitempty"`
	Email     string    `json:"email,omitempty"`
	Avatar    *string   `json:"avatar"`
	Status    string    `json:"status,omitempty"`
	Language  string    `json:"language,omitempty"`
	Links     UserLinks `json:"_links"`
}

// UserLinks are a user's links.
type UserLinks struct {
	Self              *Link `json:"self"`
	Memberships       *Link `json:"memberships,omitempty"`
	ShowUser          *Link `json:"showUser,omitempty"`
	UpdateImmediately *Link `json:"updateImmediately,omitempty"`
	Lock              *Link `json:"lock,omitempty"`
	Delete            *Link `json:"delete,omitempty"`
}

// User renders u as seen by viewer: login, names, e-mail and status only for
// the user themself or an administrator, as OpenProject does.
func User(u auth.User, viewer auth.User) UserResource {
	self := "/api/v3/users/" + itoa(u.ID)
	r := UserResource{Type: "User", ID: u.ID, Name: u.Name(), CreatedAt: DateTime(u.CreatedAt), UpdatedAt: DateTime(u.UpdatedAt),
		Links: UserLinks{Self: Titled(self, u.Name())}}
	if viewer.ID == u.ID || viewer.Admin {
		r.Login, r.FirstName, r.LastName, r.Email, r.Status, r.Language = u.Login, u.FirstName, u.LastName, u.Email, u.Status, u.Language
		// Hookpost has no user profile page.
		r.Links.ShowUser = Null()
	}
	if viewer.Admin {
		admin := u.Admin
		r.Admin = &admin
		// Users are changed, locked and deleted on the command line and the
		// admin pages, never through APIv3: every advertised link answers
		// (SPEC §3), so these are {"href": null}.
		r.Links.UpdateImmediately, r.Links.Lock, r.Links.Delete = Null(), Null(), Null()
	}
	return r
}

// UserRef is the short form OpenProject uses for an actor: id, name, self link.
type UserRef struct {
	Type  string `json:"_type"`
	ID    int64  `json:"id"`
	Name  string `json:"name"`
	Links struct {
		Self *Link `json:"self"`
	} `json:"_links"`
}

// Actor renders the short user form used as a webhook's "actor".
func Actor(u auth.User) UserRef {
	r := UserRef{Type: "User", ID: u.ID, Name: u.Name()}
	r.Links.Self = Titled("/api/v3/users/"+itoa(u.ID), u.Name())
	return r
}
