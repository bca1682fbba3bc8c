package hal

import (
	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/tracker"
)

// RelationResource is OpenProject's Relation.
type RelationResource struct {
	Type        string            `json:"_type"`
	ID          int64             `json:"id"`
	Name        string            `json:"name"`
	RelType     string            `json:"type"`
	ReverseType string            `json:"reverseType"`
	Lag         *int              `json:"lag"`
	Description *string           `json:"description"`
	Embedded    *RelationEmbedded `json:"_embedded,omitempty"`
	Links       struct {
		Self              *Link `json:"self"`
		UpdateImmediately *Link `json:"updateImmediately,omitempty"`
		Delete            *Link `json:"delete,omitempty"`
		From              *Link `json:"from"`
		To                *Link `json:"to"`
	} `json:"_links"`
}

// RelationEmbedded are the work packages a single relation embeds.
type RelationEmbedded struct {
	From WorkPackageResource `json:"from"`
	To   WorkPackageResource `json:"to"`
}

// Relation renders a relation for viewer; embed adds its two work packages
// under _embedded, as OpenProject's single representation (and the webhook
// payload) has them.
func Relation(v tracker.RelationView, viewer auth.User, embed bool) RelationResource {
	self := "/api/v3/relations/" + itoa(v.ID)
	r := RelationResource{Type: "Relation", ID: v.ID, Name: tracker.RelationName(v.Type), RelType: v.Type,
		ReverseType: tracker.RelationReverse(v.Type), Lag: v.Lag, Description: v.Description}
	r.Links.Self = Href(self)
	r.Links.From = Titled("/api/v3/work_packages/"+itoa(v.FromID), v.From.Subject)
	r.Links.To = Titled("/api/v3/work_packages/"+itoa(v.ToID), v.To.Subject)
	if tracker.MayManageRelation(viewer, v.From.WorkPackage, v.To.WorkPackage) {
		r.Links.UpdateImmediately = Action(self, "patch")
		r.Links.Delete = &Link{Href: &self, Method: "delete", Title: "Remove relation"}
	}
	if embed {
		r.Embedded = &RelationEmbedded{From: WorkPackage(v.From, viewer, false), To: WorkPackage(v.To, viewer, false)}
	}
	return r
}
