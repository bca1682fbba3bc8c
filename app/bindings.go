//go:build bindings

package app

// GeneratingBindings is true in the build that "wails build" and "wails
// generate module" compile and run only to write frontend/wailsjs: main then
// opens no database and starts no server.
const GeneratingBindings = true
