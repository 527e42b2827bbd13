//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package vault

import "os"

// lockFile only creates the lock file here: other systems rely on the
// in-process mutex (the registry is still replaced atomically).
func lockFile(path string) (unlock func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	return func() { f.Close() }, nil
}
