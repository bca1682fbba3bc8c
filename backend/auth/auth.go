// Package auth owns users, their API tokens and the SPA's browser sessions.
package auth

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/query"
	"github.com/hookpost/hookpost/backend/settings"
	"github.com/hookpost/hookpost/backend/store"
)

// TokenPrefix starts every API token, so that leaked tokens are recognisable
// by secret scanners and Bearer tokens can be told apart from other schemes.
const TokenPrefix = "hp_"

// SessionTTL is how long a browser session lasts after sign-in.
const SessionTTL = 7 * 24 * time.Hour

// User is an account.
type User struct {
	bun.BaseModel `bun:"table:users"`

	ID           int64     `bun:"id,pk,autoincrement" json:"id"`
	Login        string    `bun:"login" json:"login"`
	FirstName    string    `bun:"first_name" json:"firstName"`
	LastName     string    `bun:"last_name" json:"lastName"`
	Email        string    `bun:"email" json:"email"`
	Admin        bool      `bun:"admin" json:"admin"`
	Status       string    `bun:"status" json:"status"`
	Language     string    `bun:"language" json:"language"`
	PasswordHash string    `bun:"password_hash" json:"-"`
	CreatedAt    time.Time `bun:"created_at" json:"createdAt"`
	UpdatedAt    time.Time `bun:"updated_at" json:"updatedAt"`
}

// Name is the display name: first and last name, or the login without them.
func (u User) Name() string {
	if n := strings.TrimSpace(u.FirstName + " " + u.LastName); n != "" {
		return n
	}
	return u.Login
}

// Token is an API token's metadata; the secret itself is never stored.
type Token struct {
	bun.BaseModel `bun:"table:api_tokens"`

	ID         int64      `bun:"id,pk,autoincrement" json:"id"`
	UserID     int64      `bun:"user_id" json:"-"`
	Name       string     `bun:"name" json:"name"`
	Hash       string     `bun:"token_hash" json:"-"`
	Last4      string     `bun:"last4" json:"last4"`
	ExpiresAt  *time.Time `bun:"expires_at" json:"expiresAt"`
	LastUsedAt *time.Time `bun:"last_used_at" json:"lastUsedAt"`
	CreatedAt  time.Time  `bun:"created_at" json:"createdAt"`
}

type session struct {
	bun.BaseModel `bun:"table:sessions"`

	IDHash    string    `bun:"id_hash,pk"`
	UserID    int64     `bun:"user_id"`
	CSRFToken string    `bun:"csrf_token"`
	CreatedAt time.Time `bun:"created_at"`
	ExpiresAt time.Time `bun:"expires_at"`

	// User is joined in when a session is read: one query per request.
	User *User `bun:"rel:belongs-to,join:user_id=id"`
}

// Service is the accounts service.
type Service struct {
	st       *store.Store
	settings *settings.Service
	now      func() time.Time
	pepper   []byte

	// tokens caches token lookups (keyed hash → token) for cacheTTL, so that
	// an API request costs no authentication query. An entry holds the auth
	// change counter it was read under and is used only while the counter is
	// unchanged: a revocation in any process sharing the database bumps it
	// (settings.Service.Watch brings it here within a poll).
	tokens sync.Map

	limiter *loginLimiter
}

// cacheTTL bounds how long a cached token or user may be stale.
const cacheTTL = 5 * time.Second

type cachedToken struct {
	token   Token
	user    User
	fetched time.Time
	authGen int64
}

// New loads (or creates on first start) the key that token hashes are keyed with.
func New(ctx context.Context, st *store.Store, set *settings.Service, now func() time.Time) (*Service, error) {
	pepper := make([]byte, 32)
	if _, err := rand.Read(pepper); err != nil {
		return nil, err
	}
	if _, err := st.DB.NewRaw("INSERT INTO instance_secrets (name, value) VALUES ('token_pepper', ?) ON CONFLICT (name) DO NOTHING", pepper).Exec(ctx); err != nil {
		return nil, fmt.Errorf("store token key: %w", err)
	}
	if err := st.DB.NewRaw("SELECT value FROM instance_secrets WHERE name = 'token_pepper'").Scan(ctx, &pepper); err != nil {
		return nil, fmt.Errorf("load token key: %w", err)
	}
	return &Service{st: st, settings: set, now: now, pepper: pepper, limiter: newLoginLimiter(DefaultLoginLimits())}, nil
}

// SetLoginLimits replaces the sign-in limits (and forgets the counts so far);
// call it before serving.
func (s *Service) SetLoginLimits(l LoginLimits) { s.limiter = newLoginLimiter(l) }

func (s *Service) keyedHash(secret string) string {
	m := hmac.New(sha256.New, s.pepper)
	m.Write([]byte(secret))
	return hex.EncodeToString(m.Sum(nil))
}

// NewUser is the input of CreateUser.
type NewUser struct {
	Login     string `json:"login" validate:"required,max=256,excludesall= :"`
	Password  string `json:"password" validate:"required,min=10,max=1024"`
	FirstName string `json:"firstName" validate:"max=30"`
	LastName  string `json:"lastName" validate:"max=30"`
	Email     string `json:"email" validate:"omitempty,email,max=60"`
	Admin     bool   `json:"admin"`
}

// CreateUser adds an account.
func (s *Service) CreateUser(ctx context.Context, in NewUser) (User, error) {
	in.Login = strings.TrimSpace(in.Login)
	if err := domain.Validate(in); err != nil {
		return User{}, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return User{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	u := User{Login: in.Login, FirstName: in.FirstName, LastName: in.LastName, Email: in.Email, Admin: in.Admin,
		Status: "active", Language: "en", PasswordHash: hash, CreatedAt: now, UpdatedAt: now}
	err = s.st.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		n, err := tx.NewSelect().Model((*User)(nil)).Where("lower(login) = lower(?)", u.Login).Count(ctx)
		if err != nil {
			return err
		}
		if n > 0 {
			return domain.Invalid("login", "login %q has already been taken.", u.Login)
		}
		_, err = tx.NewInsert().Model(&u).Exec(ctx)
		return err
	})
	// Another instance may create the same login between the check and the
	// insert (PostgreSQL): the unique index answers, as the check would.
	return u, store.ConstraintError(err)
}

// EnsureAdmin creates the user "admin" with a random password when the
// database has no users yet; it returns the password only when it did.
func (s *Service) EnsureAdmin(ctx context.Context) (string, error) {
	n, err := s.st.DB.NewSelect().Model((*User)(nil)).Count(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	pw := RandomPassword()
	if _, err := s.CreateUser(ctx, NewUser{Login: "admin", Password: pw, FirstName: "OpenProject", LastName: "Admin", Admin: true}); err != nil {
		if fields := domain.FieldErrors(err); len(fields) == 1 && fields[0].Field == "login" {
			// Another instance, started at the same time on this empty
			// database, created the administrator first: it showed the
			// password.
			return "", nil
		}
		return "", fmt.Errorf("create admin: %w", err)
	}
	return pw, nil
}

// UserByID returns an account.
func (s *Service) UserByID(ctx context.Context, id int64) (User, error) {
	var u User
	err := s.st.Read.NewSelect().Model(&u).Where("id = ?", id).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return u, domain.ErrNotFound
	}
	return u, err
}

// UserByLogin returns an account by login (case-insensitive).
func (s *Service) UserByLogin(ctx context.Context, login string) (User, error) {
	var u User
	err := s.st.Read.NewSelect().Model(&u).Where("lower(login) = lower(?)", login).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return u, domain.ErrNotFound
	}
	return u, err
}

// UserFields are the users collection's filters and sort keys: OpenProject's
// login, name (first and last name, or e-mail), status and id.
var UserFields = query.Spec{
	"id":     {Column: "u.id", Kind: query.ID},
	"login":  {Column: "u.login", Kind: query.Text},
	"name":   {Column: "u.first_name || ' ' || u.last_name", Also: "u.email", Kind: query.Text},
	"status": {Column: "u.status", Kind: query.Text},
}

// ListUsers returns one page of the users that filters select, in the order
// sortBy asks (then by id), and their total. viewerID is what "me" means.
func (s *Service) ListUsers(ctx context.Context, page query.Page, filters, sortBy string, viewerID int64) ([]User, int, error) {
	conds, err := query.FiltersAt(filters, UserFields, viewerID, s.now())
	if err != nil {
		return nil, 0, err
	}
	order, err := query.SortBy(sortBy, UserFields, "u.id ASC")
	if err != nil {
		return nil, 0, err
	}
	base := func() *bun.SelectQuery {
		q := s.st.Read.NewSelect().TableExpr("users AS u")
		for _, c := range conds {
			q = q.Where(c.SQL, c.Args...)
		}
		return q
	}
	n64, err := base().Count(ctx)
	n := int(n64)
	if err != nil || page.Size == 0 {
		return []User{}, n, err
	}
	users := []User{}
	err = base().ColumnExpr("u.*").OrderExpr(strings.Join(order, ", ")).Offset(int64(page.SQLOffset())).Limit(int64(page.Size)).Scan(ctx, &users)
	return users, n, err
}

// DesktopUser is the account the desktop window acts as: the operating-system
// user who can open the database file is its administrator, so the window
// signs in as the first active administrator.
func (s *Service) DesktopUser(ctx context.Context) (User, error) {
	var u User
	err := s.st.Read.NewSelect().Model(&u).Where("admin AND status = 'active'").Order("id").Limit(1).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return u, fmt.Errorf("no active administrator: create one with 'hookpost user create --admin': %w", domain.ErrUnauthenticated)
	}
	return u, err
}

// NewToken is the input of CreateToken.
type NewToken struct {
	Name      string     `json:"name" validate:"required,max=100" label:"Name"`
	ExpiresAt *time.Time `json:"expiresAt" doc:"When the token stops working; in the future; null or left out for never."`
}

// CreatedToken is a new token with its secret, which is shown this once.
type CreatedToken struct {
	Token
	Secret string `json:"token"`
}

// ErrTokensDisabled is returned while the REST web service is disabled.
var ErrTokensDisabled = fmt.Errorf("API tokens are disabled: an administrator must enable the REST web service first: %w", domain.ErrForbidden)

// CreateToken issues a named API token for userID.
func (s *Service) CreateToken(ctx context.Context, userID int64, in NewToken) (CreatedToken, error) {
	if !s.settings.Current().RestAPIEnabled {
		return CreatedToken{}, ErrTokensDisabled
	}
	in.Name = strings.TrimSpace(in.Name)
	if err := domain.Validate(in); err != nil {
		return CreatedToken{}, err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	if in.ExpiresAt != nil && !in.ExpiresAt.After(now) {
		return CreatedToken{}, domain.Invalid("expiresAt", "expiresAt must be in the future.")
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return CreatedToken{}, err
	}
	secret := TokenPrefix + hex.EncodeToString(raw)
	t := Token{UserID: userID, Name: in.Name, Hash: s.keyedHash(secret), Last4: secret[len(secret)-4:], CreatedAt: now}
	if in.ExpiresAt != nil {
		exp := in.ExpiresAt.UTC()
		t.ExpiresAt = &exp
	}
	if _, err := s.st.DB.NewInsert().Model(&t).Exec(ctx); err != nil {
		return CreatedToken{}, err
	}
	return CreatedToken{Token: t, Secret: secret}, nil
}

// ListTokens returns userID's tokens, newest first.
func (s *Service) ListTokens(ctx context.Context, userID int64) ([]Token, error) {
	tokens := []Token{}
	err := s.st.Read.NewSelect().Model(&tokens).Where("user_id = ?", userID).Order("id DESC").Scan(ctx)
	return tokens, err
}

// RevokeToken deletes one of userID's tokens.
func (s *Service) RevokeToken(ctx context.Context, userID, tokenID int64) error {
	var n int64
	err := s.st.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewDelete().Model((*Token)(nil)).Where("id = ? AND user_id = ?", tokenID, userID).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ = res.RowsAffected(); n == 0 {
			return nil
		}
		// Other processes drop their cached tokens when they see this.
		return settings.Bump(ctx, tx, settings.CounterAuth)
	})
	if err != nil {
		return err
	}
	s.tokens.Range(func(k, v any) bool {
		if v.(*cachedToken).token.ID == tokenID {
			s.tokens.Delete(k)
		}
		return true
	})
	if n == 0 {
		return domain.ErrNotFound
	}
	return nil
}

// AuthenticateToken returns the active user owning secret.
func (s *Service) AuthenticateToken(ctx context.Context, secret string) (User, error) {
	if !s.settings.Current().RestAPIEnabled {
		return User{}, fmt.Errorf("the REST web service is disabled: %w", domain.ErrUnauthenticated)
	}
	if !strings.HasPrefix(secret, TokenPrefix) {
		return User{}, domain.ErrUnauthenticated
	}
	hash := s.keyedHash(secret)
	now := s.now().UTC()
	// Read before the token: an entry stored under this counter value holds
	// what the database said no earlier than the counter was read.
	authGen := s.settings.Changes().Auth
	if v, ok := s.tokens.Load(hash); ok {
		c := v.(*cachedToken)
		if c.authGen == authGen && now.Sub(c.fetched) < cacheTTL && now.Sub(c.fetched) >= 0 {
			if c.token.ExpiresAt != nil && !now.Before(*c.token.ExpiresAt) {
				return User{}, fmt.Errorf("the API token has expired: %w", domain.ErrUnauthenticated)
			}
			return c.user, nil
		}
	}
	var t Token
	err := s.st.Read.NewSelect().Model(&t).Where("token_hash = ?", hash).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, domain.ErrUnauthenticated
	}
	if err != nil {
		return User{}, err
	}
	if t.ExpiresAt != nil && !now.Before(*t.ExpiresAt) {
		return User{}, fmt.Errorf("the API token has expired: %w", domain.ErrUnauthenticated)
	}
	// Record use at most once a minute: a write per request would queue every
	// API call behind the single writer.
	if t.LastUsedAt == nil || now.Sub(*t.LastUsedAt) > time.Minute {
		_, _ = s.st.DB.NewUpdate().Model((*Token)(nil)).Set("last_used_at = ?", now.Truncate(time.Millisecond)).Where("id = ?", t.ID).Exec(ctx)
	}
	u, err := s.activeUser(ctx, t.UserID)
	if err != nil {
		return u, err
	}
	s.tokens.Store(hash, &cachedToken{token: t, user: u, fetched: now, authGen: authGen})
	return u, nil
}

func (s *Service) activeUser(ctx context.Context, id int64) (User, error) {
	u, err := s.UserByID(ctx, id)
	if errors.Is(err, domain.ErrNotFound) {
		return u, domain.ErrUnauthenticated
	}
	if err == nil && u.Status != "active" {
		return u, fmt.Errorf("the user account is locked: %w", domain.ErrUnauthenticated)
	}
	return u, err
}

// Session is a signed-in browser.
type Session struct {
	Cookie    string    `json:"-"`
	CSRFToken string    `json:"csrfToken"`
	ExpiresAt time.Time `json:"expiresAt"`
	User      User      `json:"user"`
}

// dummyHash is checked for unknown logins, so that timing does not reveal
// which logins exist.
const dummyHash = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0c2FsdA$MDEyMzQ1Njc4OTAxMjM0NTY3ODkwMTIzNDU2Nzg5MDE"

// Login checks a password and opens a session. client is the address the
// attempt came from; failed attempts are limited per address and per login,
// and refused ones (a *LimitError) cost no password hash.
func (s *Service) Login(ctx context.Context, login, password, client string) (Session, error) {
	refund, err := s.limiter.admit(client, login, s.now())
	if err != nil {
		return Session{}, err
	}
	signedIn := false
	defer func() {
		if signedIn {
			refund()
		}
	}()
	u, err := s.UserByLogin(ctx, strings.TrimSpace(login))
	known := err == nil
	if err != nil && !errors.Is(err, domain.ErrNotFound) {
		refund()
		return Session{}, err
	}
	hash := dummyHash
	if known {
		hash = u.PasswordHash
	}
	var ok bool
	var herr error
	if err := s.limiter.hash(ctx, func() { ok, herr = CheckPassword(hash, password) }); err != nil {
		refund() // not checked: the attempt does not count
		return Session{}, err
	}
	if herr != nil {
		return Session{}, herr
	}
	if !known || !ok || u.Status != "active" {
		return Session{}, fmt.Errorf("invalid login or password: %w", domain.ErrUnauthenticated)
	}
	signedIn = true
	now := s.now().UTC().Truncate(time.Millisecond)
	sess := Session{Cookie: randomString(32), CSRFToken: randomString(24), ExpiresAt: now.Add(SessionTTL), User: u}
	row := session{IDHash: s.keyedHash(sess.Cookie), UserID: u.ID, CSRFToken: sess.CSRFToken, CreatedAt: now, ExpiresAt: sess.ExpiresAt}
	if _, err := s.st.DB.NewInsert().Model(&row).Exec(ctx); err != nil {
		return Session{}, err
	}
	// Expired sessions are swept here rather than by a timer: sign-ins are rare.
	_, _ = s.st.DB.NewDelete().Model((*session)(nil)).Where("expires_at < ?", now).Exec(ctx)
	return sess, nil
}

// SessionByCookie returns the open session for a cookie value.
func (s *Service) SessionByCookie(ctx context.Context, cookie string) (Session, error) {
	if cookie == "" {
		return Session{}, domain.ErrUnauthenticated
	}
	var row session
	err := s.st.Read.NewSelect().Model(&row).Relation("User").Where("?TableAlias.id_hash = ?", s.keyedHash(cookie)).Scan(ctx)
	if errors.Is(err, sql.ErrNoRows) || err == nil && row.User == nil {
		return Session{}, domain.ErrUnauthenticated
	}
	if err != nil {
		return Session{}, err
	}
	if !s.now().Before(row.ExpiresAt) {
		return Session{}, fmt.Errorf("the session has expired: %w", domain.ErrUnauthenticated)
	}
	if row.User.Status != "active" {
		return Session{}, fmt.Errorf("the user account is locked: %w", domain.ErrUnauthenticated)
	}
	return Session{Cookie: cookie, CSRFToken: row.CSRFToken, ExpiresAt: row.ExpiresAt, User: *row.User}, nil
}

// CheckCSRF compares the header a non-GET request carried with the session's token.
func (sess Session) CheckCSRF(header string) bool {
	return header != "" && subtle.ConstantTimeCompare([]byte(header), []byte(sess.CSRFToken)) == 1
}

// Logout closes the session for a cookie value.
func (s *Service) Logout(ctx context.Context, cookie string) error {
	_, err := s.st.DB.NewDelete().Model((*session)(nil)).Where("id_hash = ?", s.keyedHash(cookie)).Exec(ctx)
	return err
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}
