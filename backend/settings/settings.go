// Package settings keeps Billfold's preferences in settings.json under the
// data folder (mode 0600, folder 0700, written atomically). It holds no
// secret: keys live in the OS keyring (backend/vault).
package settings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"

	"billfold/backend"
)

// FileName is the settings file in the data folder.
const FileName = "settings.json"

// Settings are the user's preferences.
type Settings struct {
	// SyncIntervalMinutes is how often the app syncs in the background;
	// 0 means only when asked. One of Intervals.
	SyncIntervalMinutes int `json:"sync_interval_minutes"`
	// Gentle uses about 40% of Stripe's rate limits instead of 80%.
	Gentle bool `json:"gentle"`
	// CurrentAccount is the registry id of the account the app shows
	// ("acct_...:test"); "" means the first one.
	CurrentAccount string `json:"current_account"`
}

// Intervals are the allowed sync intervals in minutes (0: manual).
var Intervals = []int{0, 5, 15, 30, 60, 360, 1440}

// Default are the settings before the user changes any.
func Default() Settings { return Settings{SyncIntervalMinutes: 15} }

var accountRef = regexp.MustCompile(`^acct_[A-Za-z0-9]+:(test|live)$`)

// Validate checks s and returns a one-line EINVALID error naming the field.
func (s Settings) Validate() error {
	ok := false
	for _, m := range Intervals {
		ok = ok || m == s.SyncIntervalMinutes
	}
	if !ok {
		return backend.Errorf(backend.EINVALID, "the sync interval %d minutes is not offered: choose one of %v (0 means only when asked)", s.SyncIntervalMinutes, Intervals)
	}
	if s.CurrentAccount != "" && !accountRef.MatchString(s.CurrentAccount) {
		return backend.Errorf(backend.EINVALID, "%q is not an account id: expected acct_...:test or acct_...:live", s.CurrentAccount)
	}
	return nil
}

// Load reads HOME/settings.json. A missing file gives Default(); an
// unreadable or invalid one gives Default() and an ECORRUPT error saying so
// (the caller may show it and carry on; Save replaces the file).
func Load(home string) (Settings, error) {
	path := filepath.Join(home, FileName)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Default(), nil
	}
	if err != nil {
		return Default(), &backend.Error{Code: backend.EDISK, Err: err, Message: fmt.Sprintf("could not read %s (%v): check the folder's permissions", path, err)}
	}
	s := Default()
	dec := json.NewDecoder(bytes.NewReader(b))
	if err := dec.Decode(&s); err != nil || dec.More() {
		return Default(), backend.Errorf(backend.ECORRUPT, "the settings file %s is not valid JSON: defaults are used; saving the settings replaces it", path)
	}
	if err := s.Validate(); err != nil {
		return Default(), backend.Errorf(backend.ECORRUPT, "the settings file %s has an invalid value (%s): defaults are used; saving the settings replaces it", path, backend.ErrorMessage(err))
	}
	return s, nil
}

// Save validates s and writes it atomically to HOME/settings.json (0600),
// creating HOME (0700) if needed.
func Save(home string, s Settings) error {
	if err := s.Validate(); err != nil {
		return err
	}
	if err := os.MkdirAll(home, 0o700); err != nil {
		return diskErr(home, err)
	}
	if err := os.Chmod(home, 0o700); err != nil {
		return diskErr(home, err)
	}
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return fmt.Errorf("encode settings: %w", err)
	}
	path := filepath.Join(home, FileName)
	f, err := os.CreateTemp(home, "."+FileName+".tmp-*")
	if err != nil {
		return diskErr(path, err)
	}
	tmp := f.Name()
	ok := false
	defer func() {
		if !ok {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(0o600); err != nil {
		return diskErr(path, err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		return diskErr(path, err)
	}
	if err := f.Sync(); err != nil {
		return diskErr(path, err)
	}
	if err := f.Close(); err != nil {
		return diskErr(path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return diskErr(path, err)
	}
	ok = true
	return nil
}

func diskErr(path string, err error) error {
	return &backend.Error{Code: backend.EDISK, Err: err, Message: fmt.Sprintf("could not write %s (%v): check that the disk has room and the folder is writable", path, err)}
}
