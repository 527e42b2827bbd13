//go:build dev || production

package main

import (
	"embed"
	"io/fs"
)

//go:embed all:frontend/dist
var embeddedAssets embed.FS

//go:embed build/appicon.png
var appIconPNG []byte

// appIcon is the window icon (Linux; Wails builds the others from build/).
func appIcon() []byte { return appIconPNG }

// frontendAssets is the built frontend (frontend/dist), embedded in the binary.
func frontendAssets() fs.FS {
	sub, err := fs.Sub(embeddedAssets, "frontend/dist")
	if err != nil {
		panic("frontend assets: " + err.Error()) // fs.Sub fails only on an invalid path literal
	}
	return sub
}
