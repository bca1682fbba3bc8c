// Package settings owns the API settings record (SPEC §2): its defaults, its
// validation, and the copy the running server reads on every request.
package settings

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"

	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/live"
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
	CORSOrigins             *[]string `json:"corsOrigins" validate:"omitnil,max=100,dive,max=300" label:"CORS origins"`
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
//
// It also watches what other processes sharing the database change (SPEC
// §2: a desktop window and a serve on one SQLite file, several instances on
// one PostgreSQL; see changes.go): it reloads the settings when theirs
// moved, and tells the listeners registered with OnChange and Follow, which
// drop their caches and carry the changes to the live stream. Requests never
// query for this: they compare counters in memory.
type Service struct {
	st      *store.Store
	now     func() time.Time
	live    *live.Hub
	cur     atomic.Pointer[Settings]
	changes atomic.Pointer[Changes]
	// notified: the database announces its changes (PostgreSQL's
	// LISTEN/NOTIFY) instead of being read for them.
	notified bool

	applying  sync.Mutex // see apply
	mu        sync.Mutex
	listeners []func(prev, cur Changes)
	followers []func(ctx context.Context, c Change)

	// Sync's marks: markPrefix+n, numbered by marks; marked is the
	// highest applied, and markedCh closes when it moves.
	markPrefix string
	marks      atomic.Int64
	marked     int64
	markedCh   chan struct{}
}

// New loads the settings, writing the defaults on first start.
// hub (which may be nil) hears of every update made through this service.
func New(ctx context.Context, st *store.Store, now func() time.Time, hub *live.Hub) (*Service, error) {
	id := make([]byte, 8)
	_, _ = rand.Read(id)
	s := &Service{st: st, now: now, live: hub, notified: st.DB.Dialect().Name() == dialect.PG,
		markPrefix: "s:" + hex.EncodeToString(id) + ":", markedCh: make(chan struct{})}
	c, err := s.readChanges(ctx, Changes{})
	if err != nil {
		return nil, err
	}
	s.changes.Store(&c)
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
	var origins []string
	if p.CORSOrigins != nil && !errs.Has("corsOrigins") {
		var oerrs domain.ValidationErrors
		origins, oerrs = NormalizeOrigins(*p.CORSOrigins)
		errs = append(errs, oerrs...)
	}
	if err := errs.Err(); err != nil {
		return Settings{}, err
	}
	var next Settings
	err := s.st.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		// The patch applies to the record as stored, not to this process's
		// copy: another process may have changed other fields since the last
		// poll, and writing the copy back would undo that.
		r := new(row)
		if err := tx.NewSelect().Model(r).Where("id = 1").Scan(ctx); err != nil {
			return fmt.Errorf("read settings: %w", err)
		}
		var err error
		if next, err = r.settings(); err != nil {
			return err
		}
		if p.CORSOrigins != nil {
			next.CORSOrigins = origins
		}
		set(&next.RestAPIEnabled, p.RestAPIEnabled)
		set(&next.MaxPageSize, p.MaxPageSize)
		set(&next.WriteReadonlyAttributes, p.WriteReadonlyAttributes)
		set(&next.DocsEnabled, p.DocsEnabled)
		set(&next.CORSEnabled, p.CORSEnabled)
		next.UpdatedAt = s.now().UTC().Truncate(time.Millisecond)
		if r, err = toRow(next); err != nil {
			return err
		}
		if _, err := tx.NewUpdate().Model(r).WherePK().Exec(ctx); err != nil {
			return fmt.Errorf("save settings: %w", err)
		}
		return Bump(ctx, tx, CounterSettings)
	})
	if err != nil {
		return Settings{}, err
	}
	s.cur.Store(&next)
	cur := s.Current()
	live.Publish(s.live, live.EventSettings, cur)
	return cur, nil
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// OriginPattern is the form of a CORS origin: scheme://host[:port] with an
// optional trailing "/", the host a DNS name or a bracketed IPv6 address, the
// port 1-65535. NormalizeOrigins refuses lines that do not match it and the
// OpenAPI document states it.
const OriginPattern = `^[Hh][Tt][Tt][Pp][Ss]?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*)` +
	`(:([1-9][0-9]{0,3}|[1-5][0-9]{4}|6[0-4][0-9]{3}|65[0-4][0-9]{2}|655[0-2][0-9]|6553[0-5]))?/?$`

var originPattern = regexp.MustCompile(OriginPattern)

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
		if reason == "" && !originPattern.MatchString(line) {
			reason = "does not have the form scheme://host[:port]"
		}
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
