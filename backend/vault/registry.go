package vault

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"time"

	"billfold/backend"
)

// Account is one registered Stripe account and mode. It never holds the key:
// only its masked form. The key is in the keyring under Entry(AccountID, Mode).
type Account struct {
	ID              string            `json:"id"` // "<acct_id>:<mode>", also the keyring entry
	Label           string            `json:"label"`
	AccountID       string            `json:"account_id"`
	Name            string            `json:"name"`
	Mode            backend.Mode      `json:"mode"`
	DefaultCurrency string            `json:"default_currency"`
	KeyMasked       string            `json:"key_masked"`
	Restricted      bool              `json:"restricted"` // an rk_ key
	APIBase         string            `json:"api_base"`
	Permissions     map[string]Access `json:"permissions"`
	VerifiedAt      time.Time         `json:"verified_at"`
	CreatedAt       time.Time         `json:"created_at"`
	// Demo marks the demo workspace (see PutDemo): a sandbox business on
	// this computer, with no key in the keyring.
	Demo bool `json:"demo,omitempty"`
}

// MissingRead lists the sync resources the key may not read (sorted).
func (a Account) MissingRead() []string {
	var out []string
	for _, r := range resources {
		if !a.Permissions[r].CanRead() {
			out = append(out, r)
		}
	}
	sort.Strings(out)
	return out
}

// registryFile is the on-disk form of accounts.json.
type registryFile struct {
	Version  int       `json:"version"`
	Accounts []Account `json:"accounts"`
}

const (
	registryName    = "accounts.json"
	registryVersion = 1
	maxRegistrySize = 8 << 20
)

// ensureDir creates dir with mode 0700 (also under umask 000) and tightens an
// existing one that is open to others.
func ensureDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return diskError("create the data folder "+dir, err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		return diskError("read the data folder "+dir, err)
	}
	if fi.Mode().Perm() != 0o700 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return diskError("restrict the data folder "+dir, err)
		}
	}
	return nil
}

func diskError(what string, err error) error {
	return &backend.Error{Code: backend.EDISK, Message: fmt.Sprintf("could not %s (%v): check that the disk has room and the folder is writable", what, unwrapPathErr(err)), Err: err}
}

func unwrapPathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// load reads the registry. A missing file is an empty registry. A corrupt one
// is moved aside to accounts.json.corrupt-<time> and reported as ECORRUPT
// (the next load starts empty; the keys stay in the keyring).
func (v *Vault) load() ([]Account, error) {
	path := filepath.Join(v.home, registryName)
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, diskError("read "+path, err)
	}
	var rf registryFile
	dec := json.NewDecoder(bytes.NewReader(b))
	perr := error(nil)
	if len(b) > maxRegistrySize {
		perr = errors.New("file too large")
	} else if err := dec.Decode(&rf); err != nil {
		perr = err
	} else if dec.More() {
		perr = errors.New("trailing data")
	} else if rf.Version > registryVersion {
		return nil, backend.Errorf(backend.ECORRUPT, "the account registry %s was written by a newer Billfold (version %d): update Billfold", path, rf.Version)
	} else if rf.Version != registryVersion {
		perr = fmt.Errorf("unknown version %d", rf.Version)
	} else if err := validAccounts(rf.Accounts); err != nil {
		perr = err
	}
	if perr == nil {
		return rf.Accounts, nil
	}
	aside := fmt.Sprintf("%s.corrupt-%s", path, v.now().UTC().Format("20060102T150405Z"))
	if err := os.Rename(path, aside); err != nil {
		return nil, &backend.Error{Code: backend.ECORRUPT, Message: fmt.Sprintf("the account registry %s is unreadable (%v) and could not be moved aside (%v): move or delete it, then add the accounts again", path, perr, unwrapPathErr(err)), Err: perr}
	}
	v.log.Error("account registry corrupt: moved aside", "path", path, "aside", aside, "err", perr)
	return nil, &backend.Error{Code: backend.ECORRUPT, Message: fmt.Sprintf("the account registry %s was unreadable (%v): it was moved to %s; the keys are still in the system keyring, add the accounts again with `billfold accounts add`", path, perr, aside), Err: perr}
}

func validAccounts(accts []Account) error {
	seen := map[string]bool{}
	for i, a := range accts {
		if !accountIDFormat.MatchString(a.AccountID) || (a.Mode != backend.ModeTest && a.Mode != backend.ModeLive) || a.ID != Entry(a.AccountID, a.Mode) {
			return fmt.Errorf("account %d has an invalid id", i+1)
		}
		if seen[a.ID] {
			return fmt.Errorf("account %s is listed twice", a.ID)
		}
		seen[a.ID] = true
	}
	return nil
}

// save writes the registry atomically: a temp file in the same folder,
// fsync, rename over accounts.json, fsync of the folder.
func (v *Vault) save(accts []Account) error {
	if err := ensureDir(v.home); err != nil {
		return err
	}
	sort.Slice(accts, func(i, j int) bool { return accts[i].ID < accts[j].ID })
	if accts == nil {
		accts = []Account{}
	}
	b, err := json.MarshalIndent(registryFile{Version: registryVersion, Accounts: accts}, "", "  ")
	if err != nil {
		return fmt.Errorf("encode registry: %w", err)
	}
	return writeFileAtomic(filepath.Join(v.home, registryName), append(b, '\n'), v.beforeRename)
}

// writeFileAtomic replaces path with data (mode 0600). hook, if set, runs
// after the temp file is synced and before the rename (tests use it).
func writeFileAtomic(path string, data []byte, hook func(tmp string) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return diskError("write "+path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return diskError("write "+path, err)
	}
	if _, err = f.Write(data); err != nil {
		return diskError("write "+path, err)
	}
	if err = f.Sync(); err != nil {
		return diskError("write "+path, err)
	}
	if err = f.Close(); err != nil {
		return diskError("write "+path, err)
	}
	if hook != nil {
		if err = hook(tmp); err != nil {
			return diskError("write "+path, err)
		}
	}
	if err = os.Rename(tmp, path); err != nil {
		return diskError("write "+path, err)
	}
	if d, derr := os.Open(dir); derr == nil {
		_ = d.Sync() // best effort: not every OS can sync a folder
		d.Close()
	}
	return nil
}
