// Package frontend embeds the built SPA (frontend/dist, made by
// "npm run build") in the Go binary. Without a build it holds only
// dist/.gitkeep and the server answers 404 for the SPA's pages.
package frontend

import (
	"embed"
	"io/fs"
)

//go:embed all:dist
var dist embed.FS

// Dist is the built SPA: index.html, docs.html and assets/.
func Dist() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // "dist" is a literal that go:embed guarantees
	}
	return sub
}
