package tracker

import (
	"strings"
	"testing"
)

// TestSlugify: the identifiers OpenProject derives from project names, as
// Hookpost derives them (or "" where Hookpost's identifier rule, a letter
// first, refuses OpenProject's result).
func TestSlugify(t *testing.T) {
	cases := []struct{ name, want string }{
		{"Website relaunch", "website-relaunch"},
		{"  Website   relaunch  ", "website-relaunch"},
		{"R&D", "r-and-d"},
		{"team@home", "team-at-home"},
		{"100% done", ""},
		{"Done 100%", "done-100-percent"},
		{"C++", "c-plus-plus"},
		{"A/B tests", "a-slash-b-tests"},
		{"example.com", "example-dot-com"},
		{"Wait...", "wait-dot-dot-dot"},
		{"U.S.A. office", "usa-office"},
		{"Don't panic", "dont-panic"},
		{"my_project", "my-project"},
		{"Q3: plan (draft) [v2]", "q3-plan-draft-v2"},
		{"Café Überblick Straße", "cafe-uberblick-strasse"},
		{"Ærø Łódź", "aero-lodz"},
		{"“Smart” quotes", "smart-quotes"},
		{"Price $5", "price-5-dollars"},
		{"2027", ""},
		{"Москва", ""},
		{".", "dot"},
		{"!", "bang"},
		{"---", ""},
		{strings.Repeat("ab ", 60), strings.Repeat("ab-", 34)[:MaxIdentifierLength]},
	}
	for _, c := range cases {
		if got := Slugify(c.name); got != c.want {
			t.Errorf("Slugify(%q) = %q, want %q", c.name, got, c.want)
		}
		if got := Slugify(c.name); got != "" && (!identifierPattern.MatchString(got) || len(got) > MaxIdentifierLength) {
			t.Errorf("Slugify(%q) = %q is not an identifier", c.name, got)
		}
	}
}

func TestFreeIdentifier(t *testing.T) {
	taken := map[string]bool{"demo": true, "demo-1": true, "demo-3": true}
	if got := FreeIdentifier("demo", func(s string) bool { return taken[s] }); got != "demo-2" {
		t.Errorf("got %q, want demo-2", got)
	}
	if got := FreeIdentifier("free", func(s string) bool { return taken[s] }); got != "free" {
		t.Errorf("got %q, want free", got)
	}
	long := strings.Repeat("x", MaxIdentifierLength)
	got := FreeIdentifier(long, func(s string) bool { return s == long || s == long[:98]+"-1" })
	if want := long[:98] + "-2"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
