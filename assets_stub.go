//go:build !dev && !production

package main

import (
	"embed"
	"io/fs"
)

// noAssets is empty: binaries built without the Wails tags have no window,
// so `go build` and `go test` need no frontend build.
var noAssets embed.FS

func frontendAssets() fs.FS { return noAssets }

func appIcon() []byte { return nil }
