// Package build holds Hookpost's packaging files (the icons, the Linux
// desktop entry); Go code takes the application icon from here so that the
// window, `wails build` and the desktop entry show the same picture.
package build

import _ "embed"

// AppIcon is appicon.png: 256×256 PNG, the desktop window's icon.
//
//go:embed appicon.png
var AppIcon []byte
