package main

import (
	"fmt"
	"os"
)

// runDesktop opens the Billfold window. (The frontend work replaces this
// placeholder with the Wails application.)
func runDesktop(version string) int {
	fmt.Fprintln(os.Stderr, "billfold: the desktop app is not built into this binary yet: run `make run`")
	return 1
}
