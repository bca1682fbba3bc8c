package auth

import (
	"context"
	"fmt"
	"time"
	"unicode/utf8"

	"github.com/uptrace/bun"

	"github.com/hookpost/hookpost/backend/domain"
	"github.com/hookpost/hookpost/backend/settings"
)

// MinPasswordLength is the shortest password a user may choose (SPEC §4).
const MinPasswordLength = 10

// PasswordChange is the body of PATCH /api/account/password.
type PasswordChange struct {
	CurrentPassword string `json:"currentPassword" validate:"max=1024" label:"Current password" doc:"Required in a browser; the desktop window, which acts as the local administrator, may leave it empty."`
	NewPassword     string `json:"newPassword" validate:"max=1024" label:"New password" doc:"At least 10 characters."`
}

// ChangePassword sets a user's password after checking the current one, and
// ends the user's other sessions: every one but keepCookie's (the browser
// that asked; "" ends them all). Wrong current passwords count against the
// sign-in limits of client and the user's login, as failed sign-ins do.
func (s *Service) ChangePassword(ctx context.Context, userID int64, in PasswordChange, keepCookie, client string) error {
	u, err := s.UserByID(ctx, userID)
	if err != nil {
		return err
	}
	var errs domain.ValidationErrors
	if in.CurrentPassword == "" {
		errs = append(errs, domain.Invalid("currentPassword", "Current password can't be blank."))
	}
	if msg := checkNewPassword(in.NewPassword); msg != "" {
		errs = append(errs, domain.Invalid("newPassword", "%s", msg))
	}
	if err := errs.Err(); err != nil {
		return err
	}
	refund, err := s.limiter.admit(client, u.Login, s.now())
	if err != nil {
		return err
	}
	var ok bool
	var herr error
	if err := s.limiter.hash(ctx, func() { ok, herr = CheckPassword(u.PasswordHash, in.CurrentPassword) }); err != nil {
		refund()
		return err
	}
	if herr != nil {
		return herr
	}
	if !ok {
		return domain.Invalid("currentPassword", "Current password is not correct.")
	}
	refund()
	return s.setPassword(ctx, u.ID, in.NewPassword, keepCookie)
}

// SetPassword sets a user's password without the current one — for the
// desktop window, whose user is the local administrator, and for
// 'hookpost user password' — and ends all of the user's sessions.
func (s *Service) SetPassword(ctx context.Context, userID int64, password string) error {
	if msg := checkNewPassword(password); msg != "" {
		return domain.Invalid("newPassword", "%s", msg)
	}
	return s.setPassword(ctx, userID, password, "")
}

func checkNewPassword(pw string) string {
	switch n := utf8.RuneCountInString(pw); {
	case n < MinPasswordLength:
		return fmt.Sprintf("New password is too short (minimum is %d characters).", MinPasswordLength)
	case len(pw) > 1024:
		return "New password is too long (maximum is 1024 bytes)."
	}
	return ""
}

func (s *Service) setPassword(ctx context.Context, userID int64, password, keepCookie string) error {
	hash, err := HashPassword(password)
	if err != nil {
		return err
	}
	now := s.now().UTC().Truncate(time.Millisecond)
	return s.st.DB.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		res, err := tx.NewUpdate().Model((*User)(nil)).Set("password_hash = ?", hash).Set("updated_at = ?", now).
			Where("id = ?", userID).Exec(ctx)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return domain.ErrNotFound
		}
		q := tx.NewDelete().Model((*session)(nil)).Where("user_id = ?", userID)
		if keepCookie != "" {
			q = q.Where("id_hash <> ?", s.keyedHash(keepCookie))
		}
		if _, err := q.Exec(ctx); err != nil {
			return err
		}
		// Other processes on the database drop what they cached of this
		// user's credentials when they see the counter move.
		return settings.Bump(ctx, tx, settings.CounterAuth)
	})
}
