package vault

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
)

// cacheFile matches the files of a SQLite cache in an account folder:
// <mode>.db, its -wal/-shm/-journal, the copies moved aside as corrupt and
// the demo's unfinished build.
var cacheFile = regexp.MustCompile(`^(test|live)\.db($|-wal$|-shm$|-journal$|\.corrupt-|\.building)`)

// DeleteAllData deletes every local cache under HOME/accounts (registered or
// not), and nothing else: the registry, the settings and the keyring stay.
// With removeKeys it first removes every account (its keyring entry and its
// registry line) with Remove. It returns the deleted files.
func (v *Vault) DeleteAllData(ctx context.Context, removeKeys bool) ([]string, error) {
	if removeKeys {
		accts, err := v.List(ctx)
		if err != nil {
			return nil, err
		}
		for _, a := range accts {
			if err := v.Remove(ctx, a.ID, true); err != nil {
				return nil, err
			}
		}
	}
	root := filepath.Join(v.home, "accounts")
	dirs, err := os.ReadDir(root)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, diskError("read "+root, err)
	}
	var removed []string
	for _, d := range dirs {
		if !d.IsDir() || !accountIDFormat.MatchString(d.Name()) {
			continue
		}
		dir := filepath.Join(root, d.Name())
		files, err := os.ReadDir(dir)
		if err != nil {
			return removed, diskError("read "+dir, err)
		}
		for _, f := range files {
			if f.IsDir() || !cacheFile.MatchString(f.Name()) {
				continue
			}
			p := filepath.Join(dir, f.Name())
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				return removed, diskError("delete "+p, err)
			}
			removed = append(removed, p)
		}
		_ = os.Remove(dir) // only when empty
	}
	v.log.Info("local data deleted", "files", len(removed), "remove_keys", removeKeys)
	return removed, nil
}
