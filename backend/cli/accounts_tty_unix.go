//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package cli

import (
	"os"

	"golang.org/x/sys/unix"
)

// echoOff turns off the terminal's echo on f (so a pasted key is not shown)
// and returns the function that restores it. ok is false when f is not a
// terminal whose settings can be changed.
func echoOff(f *os.File) (restore func(), ok bool) {
	fd := int(f.Fd())
	old, err := unix.IoctlGetTermios(fd, ioctlGetTermios)
	if err != nil {
		return func() {}, false
	}
	t := *old
	t.Lflag &^= unix.ECHO
	t.Lflag |= unix.ICANON | unix.ISIG
	if err := unix.IoctlSetTermios(fd, ioctlSetTermios, &t); err != nil {
		return func() {}, false
	}
	return func() { _ = unix.IoctlSetTermios(fd, ioctlSetTermios, old) }, true
}
