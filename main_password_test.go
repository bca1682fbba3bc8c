package main

import (
	"context"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/hookpost/hookpost/backend/auth"
	"github.com/hookpost/hookpost/backend/settings"
	"github.com/hookpost/hookpost/backend/store"
)

// 'hookpost user password' replaces a forgotten password — from stdin, or a
// printed random one — and ends that user's sessions.
func TestUserPassword(t *testing.T) {
	db := filepath.Join(t.TempDir(), "cli.db")
	if code, _, errOut := runCLI(t, "the first password\n", "user", "create", "--login", "bob", "--password-stdin", "--db", db); code != 0 {
		t.Fatalf("user create: %d %s", code, errOut)
	}
	ctx := context.Background()
	open := func() (*store.Store, *auth.Service) {
		st, err := store.Open(ctx, db)
		if err != nil {
			t.Fatal(err)
		}
		set, err := settings.New(ctx, st, time.Now, nil)
		if err != nil {
			t.Fatal(err)
		}
		a, err := auth.New(ctx, st, set, time.Now)
		if err != nil {
			t.Fatal(err)
		}
		return st, a
	}
	st, a := open()
	sess, err := a.Login(ctx, "bob", "the first password", "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	st.Close()

	if code, out, errOut := runCLI(t, "the second password\n", "user", "password", "--login", "bob", "--password-stdin", "--db", db); code != 0 || !strings.Contains(out, `"bob"`) || errOut != "" {
		t.Fatalf("user password: %d %q %q", code, out, errOut)
	}
	st, a = open()
	if _, err := a.SessionByCookie(ctx, sess.Cookie); err == nil {
		t.Error("bob's session survived the password change")
	}
	if _, err := a.Login(ctx, "bob", "the first password", "127.0.0.2"); err == nil {
		t.Error("the old password still signs in")
	}
	if _, err := a.Login(ctx, "bob", "the second password", "127.0.0.3"); err != nil {
		t.Errorf("the new password: %v", err)
	}
	st.Close()

	code, out, errOut := runCLI(t, "", "user", "password", "--login", "bob", "--db", db)
	m := regexp.MustCompile(`password for "bob": (\S+) \(shown only this once\)`).FindStringSubmatch(errOut)
	if code != 0 || m == nil || !strings.Contains(out, "changed") {
		t.Fatalf("random password: %d %q %q", code, out, errOut)
	}
	st, a = open()
	defer st.Close()
	if _, err := a.Login(ctx, "bob", m[1], "127.0.0.4"); err != nil {
		t.Errorf("the printed password does not sign in: %v", err)
	}

	for _, c := range []struct {
		stdin string
		args  []string
		code  int
		want  string
	}{
		{"short\n", []string{"user", "password", "--login", "bob", "--password-stdin"}, 1, "too short"},
		{"", []string{"user", "password", "--login", "nobody"}, 1, "nobody"},
		{"", []string{"user", "password"}, 2, "--login"},
	} {
		code, _, errOut := runCLI(t, c.stdin, append(c.args, "--db", db)...)
		if code != c.code || !strings.Contains(errOut, c.want) {
			t.Errorf("%v: %d %q", c.args, code, errOut)
		}
	}
}
