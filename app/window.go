//go:build desktop || dev || bindings

package app

import (
	"context"
	"io/fs"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/options/linux"
	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/hookpost/hookpost/build"
)

// Available reports whether this binary was built with the desktop shell.
const Available = true

// Run opens the window and blocks until it is closed or ctx ends (SIGINT or
// SIGTERM in main), whichever comes first. The title is "Hookpost" until the
// SPA names the page ("Hookpost — Webhooks") through WindowSetTitle.
func Run(ctx context.Context, a *App, assets fs.FS) error {
	return wails.Run(&options.App{
		Title:            "Hookpost",
		Width:            1100,
		Height:           760,
		MinWidth:         720,
		MinHeight:        520,
		AssetServer:      &assetserver.Options{Assets: assets},
		BackgroundColour: &options.RGBA{R: 255, G: 255, B: 255, A: 255},
		Linux: &linux.Options{
			Icon: build.AppIcon,
			// No ProgramName: Wails sets it after the window exists, too late
			// for its WM_CLASS, which stays the binary's name ("hookpost",
			// "Hookpost"), as the desktop entry's StartupWMClass expects.
			// What Wails picks when Linux is nil: with any other policy
			// WebKit may need a GPU that Xvfb and many VMs do not have.
			WebviewGpuPolicy: linux.WebviewGpuPolicyNever,
		},
		OnStartup: func(wctx context.Context) {
			a.Startup(wctx)
			a.forwardLive(wctx)
			go func() {
				<-ctx.Done()
				runtime.Quit(wctx)
			}()
		},
		OnShutdown: func(context.Context) {},
		Bind:       []interface{}{a},
	})
}
