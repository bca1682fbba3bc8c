package hal

import (
	"html"

	"github.com/hookpost/hookpost/backend/tracker"
)

// journalLabels are the attribute names OpenProject's journals show.
var journalLabels = map[string]string{
	"subject":        "Subject",
	"description":    "Description",
	"type":           "Type",
	"project":        "Project",
	"status":         "Status",
	"priority":       "Priority",
	"assignee":       "Assignee",
	"startDate":      "Start date",
	"dueDate":        "Finish date",
	"estimatedTime":  "Work",
	"percentageDone": "% Complete",
}

// JournalDetails renders a journal's changes as OpenProject's activity
// details: one Formattable line each, format "custom", raw as plain text
// ("Status changed from New to In progress") and html with the label in
// <strong> and the values in <i>.
func JournalDetails(changes []tracker.Change) []Formattable {
	out := make([]Formattable, 0, len(changes))
	for _, c := range changes {
		label, ok := journalLabels[c.Attribute]
		if !ok {
			label = c.Attribute
		}
		raw, htm := journalLine(label, c, c.Attribute == "description")
		out = append(out, Formattable{Format: "custom", Raw: raw, HTML: htm})
	}
	return out
}

func journalLine(label string, c tracker.Change, valueless bool) (raw, htm string) {
	strong := "<strong>" + html.EscapeString(label) + "</strong>"
	i := func(v *string) string { return "<i>" + html.EscapeString(*v) + "</i>" }
	switch {
	case valueless && c.New == nil:
		return label + " deleted", strong + " deleted"
	case valueless && c.Old == nil:
		return label + " set", strong + " set"
	case valueless:
		return label + " changed", strong + " changed"
	case c.New == nil && c.Old == nil:
		return label + " changed", strong + " changed"
	case c.New == nil:
		return label + " deleted (" + *c.Old + ")", strong + " deleted (<strike>" + i(c.Old) + "</strike>)"
	case c.Old == nil:
		return label + " set to " + *c.New, strong + " set to " + i(c.New)
	default:
		return label + " changed from " + *c.Old + " to " + *c.New, strong + " changed from " + i(c.Old) + " to " + i(c.New)
	}
}
