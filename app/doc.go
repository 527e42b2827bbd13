// Package app is the Wails boundary: the only package that imports the Wails
// runtime. It holds thin services bound to the webview, their DTOs (JSON tags,
// money as int64 minor units, times as RFC 3339 strings), the event names and
// payloads, and the conversion of errors into {code, message}.
//
// Services never call the Wails runtime directly: they receive an Emitter and
// a URLOpener, so they are tested without a window (see fake_test.go).
// WailsRuntime implements both on top of the runtime package.
package app
