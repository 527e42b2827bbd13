package app

import (
	"context"
	"fmt"
	"sync"

	"github.com/wailsapp/wails/v2/pkg/runtime"
)

// Emitter sends an event with a typed payload to the webview.
type Emitter interface {
	Emit(name string, payload any)
}

// URLOpener opens an address in the user's default browser.
type URLOpener interface {
	OpenURL(url string) error
}

// WailsRuntime implements Emitter and URLOpener with the Wails runtime. It is
// usable once Start has received the context Wails passes to OnStartup;
// before that, events are dropped and OpenURL fails.
type WailsRuntime struct {
	mu  sync.RWMutex
	ctx context.Context
}

// NewWailsRuntime returns a runtime adapter waiting for Start.
func NewWailsRuntime() *WailsRuntime { return &WailsRuntime{} }

// Start records the Wails context (call it from OnStartup).
func (r *WailsRuntime) Start(ctx context.Context) {
	r.mu.Lock()
	r.ctx = ctx
	r.mu.Unlock()
}

func (r *WailsRuntime) context() context.Context {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.ctx
}

// Emit sends the event to the webview.
func (r *WailsRuntime) Emit(name string, payload any) {
	if ctx := r.context(); ctx != nil {
		runtime.EventsEmit(ctx, name, payload)
	}
}

// OpenURL opens url in the default browser.
func (r *WailsRuntime) OpenURL(url string) error {
	ctx := r.context()
	if ctx == nil {
		return fmt.Errorf("open url: the window is not ready")
	}
	runtime.BrowserOpenURL(ctx, url)
	return nil
}

// Quit closes the application.
func (r *WailsRuntime) Quit() {
	if ctx := r.context(); ctx != nil {
		runtime.Quit(ctx)
	}
}

// Reload reloads the webview (the application menu's Reload).
func (r *WailsRuntime) Reload() {
	if ctx := r.context(); ctx != nil {
		runtime.WindowReloadApp(ctx)
	}
}

// ShowAbout shows a native About dialog.
func (r *WailsRuntime) ShowAbout(title, message string) {
	ctx := r.context()
	if ctx == nil {
		return
	}
	_, _ = runtime.MessageDialog(ctx, runtime.MessageDialogOptions{
		Type:    runtime.InfoDialog,
		Title:   title,
		Message: message,
	})
}
