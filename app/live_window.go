//go:build desktop || dev || bindings

package app

import (
	"context"

	"github.com/wailsapp/wails/v2/pkg/runtime"

	"github.com/hookpost/hookpost/backend/live"
)

// windowBuffer bounds the events waiting for the window, as the HTTP
// stream's buffer bounds a browser's.
const windowBuffer = 256

// forwardLive sends the live updates to the window as Wails events of the
// same names and data as the HTTP stream's, until ctx ends. When the window
// fell behind it gets resync, as a browser does.
func (a *App) forwardLive(ctx context.Context) {
	if a.live == nil {
		return
	}
	sub := a.live.Subscribe(windowBuffer)
	go func() {
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case <-sub.Done():
				return
			case m := <-sub.C:
				runtime.EventsEmit(ctx, m.Name, m.Data)
			}
			if len(sub.C) == 0 && sub.Missed() {
				runtime.EventsEmit(ctx, live.EventResync)
			}
		}
	}()
}
