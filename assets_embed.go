//go:build dev || production

package main

import (
	"embed"
	"io/fs"
)

//go:embed all:frontend/dist
var embeddedAssets embed.FS

// frontendAssets is the built frontend (frontend/dist), embedded in the binary.
func frontendAssets() fs.FS {
	sub, err := fs.Sub(embeddedAssets, "frontend/dist")
	if err != nil {
		panic("frontend assets: " + err.Error()) // fs.Sub fails only on an invalid path literal
	}
	return sub
}
