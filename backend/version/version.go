// Package version holds the build's version string, set at link time with
// -ldflags "-X github.com/hookpost/hookpost/backend/version.Version=v1.2.3".
package version

// Version is the release this binary was built from; "dev" for local builds.
var Version = "dev"
