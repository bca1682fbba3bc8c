//go:build desktop || dev || bindings

package app

import (
	"context"
	"io/fs"

	"github.com/wailsapp/wails/v2"
	"github.com/wailsapp/wails/v2/pkg/options"
	"github.com/wailsapp/wails/v2/pkg/options/assetserver"
	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// Available reports whether this binary was built with the desktop shell.
const Available = true

// Run opens the window and blocks until it is closed or ctx ends (SIGINT or
// SIGTERM in main), whichever comes first.
func Run(ctx context.Context, a *App, assets fs.FS) error {
	return wails.Run(&options.App{
		Title:            "Hookpost",
		Width:            1100,
		Height:           760,
		MinWidth:         720,
		MinHeight:        520,
		AssetServer:      &assetserver.Options{Assets: assets},
		BackgroundColour: &options.RGBA{R: 255, G: 255, B: 255, A: 255},
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
