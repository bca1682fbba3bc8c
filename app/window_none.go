//go:build !desktop && !dev && !bindings

package app

import (
	"context"
	"errors"
	"io/fs"
)

// Available reports whether this binary was built with the desktop shell.
const Available = false

// ErrNoDesktop is what the headless build answers to "hookpost desktop".
var ErrNoDesktop = errors.New("this hookpost binary was built without the desktop window; run 'hookpost serve' for the HTTP server")

// Run fails: the headless build has no window.
func Run(context.Context, *App, fs.FS) error { return ErrNoDesktop }
