package tracker

import (
	"context"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/uptrace/bun"
	"golang.org/x/text/unicode/norm"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/domain"
)

// A project is named in paths by its id or its identifier, as OpenProject
// allows (/api/v3/projects/42 and /api/v3/projects/website). Identifiers start
// with a letter, so a reference made of digits only is always an id.

// ProjectRef resolves a project reference from a path, an id or an
// identifier, to the id of a project viewer may see; anything else is
// ErrNotFound. An id is returned as it is: the caller loads the project and
// checks what it needs, as it does for any id.
func (s *Service) ProjectRef(ctx context.Context, viewer auth.User, ref string) (int64, error) {
	if ref != "" && strings.Trim(ref, "0123456789") == "" {
		id, err := strconv.ParseInt(ref, 10, 64)
		if err != nil || id < 1 {
			return 0, domain.ErrNotFound
		}
		return id, nil
	}
	if !identifierPattern.MatchString(ref) || len(ref) > MaxIdentifierLength {
		return 0, domain.ErrNotFound
	}
	var ps []Project
	if err := s.scan(ctx, s.st.Read, s.st.Read.NewSelect().Model(&ps).Where("identifier = ?", ref), &ps); err != nil {
		return 0, err
	}
	if len(ps) == 0 || !canSee(viewer, ps[0]) {
		return 0, domain.ErrNotFound
	}
	return ps[0].ID, nil
}

// reservedIdentifiers are never derived: OpenProject's reserved words, and
// the fixed segments Hookpost serves beside /api/v3/projects/{id}, which a
// project of that identifier would hide.
var reservedIdentifiers = map[string]bool{
	"new": true, "menu": true, "queries": true, "filters": true, "identifier_update_dialog": true,
	"identifier_suggestion": true, "form": true, "schema": true, "available_parent_projects": true,
}

// fallbackIdentifier is the base of a derived identifier when the name gives
// none (only punctuation, or a script without a Latin transliteration).
// OpenProject appends five random characters to it; Hookpost numbers it like
// any clash, so that the result is predictable.
const fallbackIdentifier = "project"

// deriveIdentifier is the identifier a project created without one gets,
// read through db (the create's transaction, so that no other create takes
// it in between): OpenProject's rule — the name made URL-friendly (Slugify),
// cut to the maximum length, and on a clash with an existing or reserved
// identifier the first free of base-1, base-2, ...
func (s *Service) deriveIdentifier(ctx context.Context, db bun.IDB, name string) (string, error) {
	base := Slugify(name)
	if base == "" {
		base = fallbackIdentifier
	}
	// Every identifier a candidate could equal starts with the base, or with
	// the part of it left when a suffix shortened it.
	prefix := base[:min(len(base), MaxIdentifierLength-identifierSuffixRoom)]
	var taken []string
	err := db.NewSelect().Table("projects").Column("identifier").
		Where("lower(substr(identifier, 1, ?)) = ?", len(prefix), prefix).Scan(ctx, &taken)
	if err != nil {
		return "", err
	}
	used := map[string]bool{}
	for _, t := range taken {
		used[strings.ToLower(t)] = true
	}
	return FreeIdentifier(base, func(c string) bool { return used[c] || reservedIdentifiers[c] }), nil
}

// identifierSuffixRoom is what a clash suffix ("-123") may take from a base
// at the maximum length.
const identifierSuffixRoom = 20

// FreeIdentifier returns base, or else the first of base-1, base-2, ... that
// taken refuses, each within MaxIdentifierLength (base is shortened to make
// room for the suffix).
func FreeIdentifier(base string, taken func(string) bool) string {
	if !taken(base) {
		return base
	}
	for n := 1; ; n++ {
		suffix := "-" + strconv.Itoa(n)
		b := base
		if len(b)+len(suffix) > MaxIdentifierLength {
			b = b[:MaxIdentifierLength-len(suffix)]
		}
		if c := b + suffix; !taken(c) {
			return c
		}
	}
}

// The conversions of a name to an identifier, in the order OpenProject's
// slug library (stringex's to_url) applies them.
var (
	slugSmartQuotes  = strings.NewReplacer("“", `"`, "”", `"`, "‘", "'", "’", "'", "…", "...")
	slugFractions    = strings.NewReplacer("½", " half ", "¼", " one fourth ", "¾", " three fourths ", "⅓", " one third ", "⅔", " two thirds ")
	slugThousands    = regexp.MustCompile(`(\d+),(\d+)`)
	slugEllipsis     = regexp.MustCompile(`\s*\.{3,}\s*`)
	slugCurrency     = regexp.MustCompile(`(?:\s|^)([$€£¥])(\d*)(?:\s|$)`)
	slugAbbreviation = regexp.MustCompile(`(\s|^)(\pL(\.\pL)+(\.?)\pL*(\s|$))`)
	slugCharacters   = []struct {
		re   *regexp.Regexp
		with string
	}{
		{regexp.MustCompile(`\s*&\s*`), " and "},
		{regexp.MustCompile(`\s*@\s*`), " at "},
		{regexp.MustCompile(`\s*°\s*`), " degrees "},
		{regexp.MustCompile(`\s*÷\s*`), " divide "},
		{regexp.MustCompile(`(\S|^)\.(\S)`), "$1 dot $2"},
		{regexp.MustCompile(`\s*=\s*`), " equals "},
		{regexp.MustCompile(`\s*#`), " number "},
		{regexp.MustCompile(`\s*%\s*`), " percent "},
		{regexp.MustCompile(`\s*\+\s*`), " plus "},
		{regexp.MustCompile(`\s*(\\|/|／)\s*`), " slash "},
		{regexp.MustCompile(`\s*\*\s*`), " star "},
	}
	slugApostrophe = regexp.MustCompile("(^|\\pL)'|`(\\pL|$)")
	slugCleanup    = regexp.MustCompile(`[.,:;(){}\[\]?!^'ʼ"_|<>]`)
	slugSpaces     = regexp.MustCompile(`\s+`)
	slugDashes     = regexp.MustCompile(`-+`)
	currencyWords  = map[string]string{"$": "dollars", "€": "euros", "£": "pounds", "¥": "yen"}
	// Letters that Unicode does not decompose into a Latin letter and a mark.
	latinLetters = strings.NewReplacer("ß", "ss", "æ", "ae", "Æ", "AE", "œ", "oe", "Œ", "OE", "ø", "o", "Ø", "O",
		"ł", "l", "Ł", "L", "đ", "d", "Đ", "D", "ð", "d", "Ð", "D", "þ", "th", "Þ", "TH", "ı", "i")
)

// Slugify is the identifier OpenProject derives from a project name, or ""
// when the name gives none that Hookpost accepts: "Website relaunch" is
// "website-relaunch", "R&D 2027" is "r-and-d-2027", "Café Überblick" is
// "cafe-uberblick". Words replace symbols (& and, @ at, % percent, + plus,
// / slash, a dot inside a word "dot"), other punctuation separates words,
// accents are dropped, and the result is cut to MaxIdentifierLength. A
// result that does not start with a letter (Hookpost's rule; OpenProject
// only refuses all digits) gives "".
func Slugify(name string) string {
	s := slugSmartQuotes.Replace(name)
	s = slugFractions.Replace(s)
	s = slugThousands.ReplaceAllString(s, "$1$2")
	s = slugEllipsis.ReplaceAllString(s, " dot dot dot ")
	s = slugCurrency.ReplaceAllStringFunc(s, func(m string) string {
		sub := slugCurrency.FindStringSubmatch(m)
		return " " + sub[2] + " " + currencyWords[sub[1]] + " "
	})
	s = slugAbbreviation.ReplaceAllStringFunc(s, func(m string) string { return strings.ReplaceAll(m, ".", "") })
	for _, c := range slugCharacters {
		s = c.re.ReplaceAllString(s, c.with)
	}
	s = slugApostrophe.ReplaceAllString(s, "$1$2")
	s = slugCleanup.ReplaceAllString(s, " ")
	s = toASCII(s)
	s = slugCleanup.ReplaceAllString(s, " ")
	s = strings.ToLower(strings.TrimSpace(slugSpaces.ReplaceAllString(s, " ")))
	s = strings.Trim(slugDashes.ReplaceAllString(strings.ReplaceAll(s, " ", "-"), "-"), "-")
	if len(s) > MaxIdentifierLength {
		s = s[:MaxIdentifierLength]
	}
	if s == "" {
		// OpenProject's names for the two names that are only punctuation.
		s = map[string]string{".": "dot", "!": "bang"}[strings.TrimSpace(name)]
	}
	if !identifierPattern.MatchString(s) {
		return ""
	}
	return s
}

// toASCII drops accents (é e, Ü U) and spells the Latin letters that have no
// decomposition; what is left outside ASCII is dropped.
func toASCII(s string) string {
	s = latinLetters.Replace(norm.NFD.String(s))
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < unicode.MaxASCII:
			b.WriteRune(r)
		case unicode.IsSpace(r):
			b.WriteByte(' ')
		}
	}
	return b.String()
}

// withDerivedIdentifier gives a project create without an identifier (or
// with an empty one, which OpenProject treats alike) the one derived from
// its name, as OpenProject does before validating; without a name it is left
// out and the validation names the name.
func (s *Service) withDerivedIdentifier(ctx context.Context, db bun.IDB, in *ProjectInput) error {
	if in.Identifier != nil && *in.Identifier != "" || in.Name == nil || strings.TrimSpace(*in.Name) == "" {
		return nil
	}
	ident, err := s.deriveIdentifier(ctx, db, strings.TrimSpace(*in.Name))
	if err != nil {
		return err
	}
	in.Identifier = &ident
	return nil
}
