//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package cli

import "os"

// echoOff cannot hide input here: the key is read with echo on.
func echoOff(f *os.File) (restore func(), ok bool) { return func() {}, false }
