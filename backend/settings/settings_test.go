package settings

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"billfold/backend"
)

func TestLoadSave(t *testing.T) {
	home := filepath.Join(t.TempDir(), "Billfold")
	s, err := Load(home)
	if err != nil || s != Default() {
		t.Fatalf("missing file: %+v %v", s, err)
	}
	if _, err := os.Stat(home); !os.IsNotExist(err) {
		t.Error("Load created the folder")
	}
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	want := Settings{SyncIntervalMinutes: 60, Gentle: true, CurrentAccount: "acct_1X:live"}
	if err := Save(home, want); err != nil {
		t.Fatal(err)
	}
	got, err := Load(home)
	if err != nil || got != want {
		t.Fatalf("round trip %+v %v", got, err)
	}
	for p, mode := range map[string]os.FileMode{home: 0o700, filepath.Join(home, FileName): 0o600} {
		fi, err := os.Stat(p)
		if err != nil || fi.Mode().Perm() != mode {
			t.Errorf("%s: %v %v, want %v", p, fi.Mode().Perm(), err, mode)
		}
	}
	ents, _ := os.ReadDir(home)
	if len(ents) != 1 {
		t.Errorf("temp files left: %v", ents)
	}
}

func TestInvalid(t *testing.T) {
	home := t.TempDir()
	for _, s := range []Settings{{SyncIntervalMinutes: 7}, {SyncIntervalMinutes: -1}, {CurrentAccount: "acct_1X"}, {CurrentAccount: "../x:test"}} {
		if err := Save(home, s); backend.ErrorCode(err) != backend.EINVALID {
			t.Errorf("%+v: %v", s, err)
		}
	}
	if _, err := os.Stat(filepath.Join(home, FileName)); !os.IsNotExist(err) {
		t.Error("an invalid save wrote the file")
	}
	for _, body := range []string{"{", `{"sync_interval_minutes": 3}`, `{} {}`} {
		os.WriteFile(filepath.Join(home, FileName), []byte(body), 0o600)
		s, err := Load(home)
		if backend.ErrorCode(err) != backend.ECORRUPT || s != Default() {
			t.Errorf("%q: %+v %v", body, s, err)
		}
	}
}
