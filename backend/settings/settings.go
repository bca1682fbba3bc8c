// Package settings owns the API settings record (SPEC §2): its defaults, its
// validation, and the copy the running server reads on every request.
package settings

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/store"
)

// Bounds of maxPageSize.
const (
	MinPageSize = 1
	MaxPageSize = 10000
)

// Settings is the API settings record as the admin API and the SPA see it.
type Settings struct {
	RestAPIEnabled          bool      `json:"restApiEnabled"`
	MaxPageSize             int       `json:"maxPageSize"`
	WriteReadonlyAttributes bool      `json:"writeReadonlyAttributes"`
	DocsEnabled             bool      `json:"docsEnabled"`
	CORSEnabled             bool      `json:"corsEnabled"`
	CORSOrigins             []string  `json:"corsOrigins"`
	UpdatedAt               time.Time `json:"updatedAt"`
}

// Defaults are the values of a new installation (SPEC §2); the only place they are stated.
func Defaults() Settings {
	return Settings{
		RestAPIEnabled:          true,
		MaxPageSize:             1000,
		WriteReadonlyAttributes: false,
		DocsEnabled:             false,
		CORSEnabled:             false,
		CORSOrigins:             []string{},
	}
}

// AllowsOrigin reports whether CORS is on and origin is listed exactly.
func (s Settings) AllowsOrigin(origin string) bool {
	if !s.CORSEnabled || origin == "" {
		return false
	}
	for _, o := range s.CORSOrigins {
		if o == origin {
			return true
		}
	}
	return false
}

// Patch is a partial update: nil fields are left as they are.
type Patch struct {
	RestAPIEnabled          *bool     `json:"restApiEnabled"`
	MaxPageSize             *int      `json:"maxPageSize" validate:"omitnil,min=1,max=10000"`
	WriteReadonlyAttributes *bool     `json:"writeReadonlyAttributes"`
	DocsEnabled             *bool     `json:"docsEnabled"`
	CORSEnabled             *bool     `json:"corsEnabled"`
	CORSOrigins             *[]string `json:"corsOrigins"`
}

type row struct {
	bun.BaseModel `bun:"table:api_settings"`

	ID                      int       `bun:"id,pk"`
	RestAPIEnabled          bool      `bun:"rest_api_enabled"`
	MaxPageSize             int       `bun:"max_page_size"`
	WriteReadonlyAttributes bool      `bun:"write_readonly_attributes"`
	DocsEnabled             bool      `bun:"docs_enabled"`
	CORSEnabled             bool      `bun:"cors_enabled"`
	CORSOrigins             string    `bun:"cors_origins"`
	UpdatedAt               time.Time `bun:"updated_at"`
}

func toRow(s Settings) (*row, error) {
	origins, err := json.Marshal(s.CORSOrigins)
	if err != nil {
		return nil, err
	}
	return &row{ID: 1, RestAPIEnabled: s.RestAPIEnabled, MaxPageSize: s.MaxPageSize,
		WriteReadonlyAttributes: s.WriteReadonlyAttributes, DocsEnabled: s.DocsEnabled,
		CORSEnabled: s.CORSEnabled, CORSOrigins: string(origins), UpdatedAt: s.UpdatedAt}, nil
}

func (r *row) settings() (Settings, error) {
	s := Settings{RestAPIEnabled: r.RestAPIEnabled, MaxPageSize: r.MaxPageSize,
		WriteReadonlyAttributes: r.WriteReadonlyAttributes, DocsEnabled: r.DocsEnabled,
		CORSEnabled: r.CORSEnabled, UpdatedAt: r.UpdatedAt.UTC()}
	if err := json.Unmarshal([]byte(r.CORSOrigins), &s.CORSOrigins); err != nil {
		return s, fmt.Errorf("decode cors_origins: %w", err)
	}
	if s.CORSOrigins == nil {
		s.CORSOrigins = []string{}
	}
	return s, nil
}

// Service reads and changes the settings. Current is lock-free so that the
// per-request middlewares (CORS, auth, pagination) cost nothing.
type Service struct {
	st  *store.Store
	now func() time.Time
	cur atomic.Pointer[Settings]
}

// New loads the settings, writing the defaults on first start.
func New(ctx context.Context, st *store.Store, now func() time.Time) (*Service, error) {
	s := &Service{st: st, now: now}
	if err := s.Reload(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Reload re-reads the record from the database (creating it with the
// defaults if it is missing).
func (s *Service) Reload(ctx context.Context) error {
	r := new(row)
	err := s.st.DB.NewSelect().Model(r).Where("id = 1").Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		def := Defaults()
		def.UpdatedAt = s.now().UTC().Truncate(time.Millisecond)
		if r, err = toRow(def); err != nil {
			return err
		}
		if _, err := s.st.DB.NewInsert().Model(r).On("CONFLICT (id) DO NOTHING").Exec(ctx); err != nil {
			return fmt.Errorf("write default settings: %w", err)
		}
		err = s.st.DB.NewSelect().Model(r).Where("id = 1").Scan(ctx)
	}
	if err != nil {
		return fmt.Errorf("read settings: %w", err)
	}
	cur, err := r.settings()
	if err != nil {
		return err
	}
	s.cur.Store(&cur)
	return nil
}

// Current returns the settings in force.
func (s *Service) Current() Settings {
	c := *s.cur.Load()
	c.CORSOrigins = append(make([]string, 0, len(c.CORSOrigins)), c.CORSOrigins...)
	return c
}

// Get returns the settings in force (for the admin API and bindings).
func (s *Service) Get(context.Context) (Settings, error) { return s.Current(), nil }

// Update validates p, applies it and makes it effective for the next request.
func (s *Service) Update(ctx context.Context, p Patch) (Settings, error) {
	var errs domain.ValidationErrors
	if err := domain.Validate(p); err != nil {
		errs = append(errs, domain.FieldErrors(err)...)
	}
	next := s.Current()
	if p.CORSOrigins != nil {
		origins, oerrs := NormalizeOrigins(*p.CORSOrigins)
		errs = append(errs, oerrs...)
		next.CORSOrigins = origins
	}
	if err := errs.Err(); err != nil {
		return Settings{}, err
	}
	set(&next.RestAPIEnabled, p.RestAPIEnabled)
	set(&next.MaxPageSize, p.MaxPageSize)
	set(&next.WriteReadonlyAttributes, p.WriteReadonlyAttributes)
	set(&next.DocsEnabled, p.DocsEnabled)
	set(&next.CORSEnabled, p.CORSEnabled)
	next.UpdatedAt = s.now().UTC().Truncate(time.Millisecond)
	r, err := toRow(next)
	if err != nil {
		return Settings{}, err
	}
	if _, err := s.st.DB.NewUpdate().Model(r).WherePK().Exec(ctx); err != nil {
		return Settings{}, fmt.Errorf("save settings: %w", err)
	}
	s.cur.Store(&next)
	return s.Current(), nil
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// NormalizeOrigins checks each line of the CORS origins list. Blank lines and
// repeats are dropped; scheme and host are lower-cased (browsers send them so)
// and a lone trailing "/" is removed. Every invalid line gets its own error
// naming its 1-based line number.
func NormalizeOrigins(lines []string) ([]string, domain.ValidationErrors) {
	out := []string{}
	seen := map[string]bool{}
	var errs domain.ValidationErrors
	for i, line := range lines {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		origin, reason := normalizeOrigin(line)
		if reason != "" {
			errs = append(errs, domain.Invalid("corsOrigins",
				"corsOrigins line %d: %q %s; expected scheme://host[:port], e.g. https://app.example.com:8443.", i+1, line, reason))
			continue
		}
		if !seen[origin] {
			seen[origin] = true
			out = append(out, origin)
		}
	}
	return out, errs
}

func normalizeOrigin(line string) (string, string) {
	if strings.Contains(line, "*") {
		return "", "contains a wildcard, which is not allowed"
	}
	u, err := url.Parse(line)
	if err != nil || u.Opaque != "" {
		return "", "is not a URL"
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "http" && scheme != "https" {
		return "", "must start with http:// or https://"
	}
	if u.User != nil {
		return "", "must not contain a user name or password"
	}
	if u.Host == "" || u.Hostname() == "" {
		return "", "has no host"
	}
	if u.Path != "" && u.Path != "/" {
		return "", "has a path, which an origin never has"
	}
	if u.RawQuery != "" || u.ForceQuery || u.Fragment != "" || strings.Contains(line, "#") {
		return "", "has a query or fragment, which an origin never has"
	}
	host := strings.ToLower(u.Hostname())
	if strings.Contains(host, ":") {
		// A browser's Origin never carries a zone (%25eth0), and an
		// address it cannot read would never match.
		a, err := netip.ParseAddr(host)
		if err != nil || a.Zone() != "" {
			return "", "has an invalid host name"
		}
		host = "[" + host + "]"
	} else if strings.ContainsAny(host, " _%") || net.ParseIP(host) == nil && !validHostname(host) {
		return "", "has an invalid host name"
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return "", "has an invalid port (1-65535)"
		}
		return scheme + "://" + host + ":" + strconv.Itoa(n), ""
	}
	if strings.HasSuffix(u.Host, ":") {
		return "", "has an empty port"
	}
	return scheme + "://" + host, ""
}

func validHostname(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(h, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}
