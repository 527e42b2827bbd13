package main

import (
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"
)

// TestImportRules enforces architecture.md's import rules with `go list`:
// backend never depends on app/ or Wails; only stripeapi imports stripe-go;
// only vault imports the keyring; only app imports the Wails runtime;
// metrics does no I/O; syncer knows neither stripe-go nor SQL; the domain
// package uses the standard library only.
func TestImportRules(t *testing.T) {
	pkgs := listPackages(t)
	if len(pkgs) < 3 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	const (
		mod      = "billfold"
		stripe   = "github.com/stripe/stripe-go"
		keyring  = "github.com/zalando/go-keyring"
		wails    = "github.com/wailsapp/wails"
		runtime_ = "github.com/wailsapp/wails/v2/pkg/runtime"
		sqlite   = "modernc.org/sqlite"
	)
	ioPkgs := []string{"os", "os/exec", "net", "net/http", "database/sql", "syscall", "io/ioutil", "io/fs", "log"}
	for _, p := range pkgs {
		path := p.ImportPath
		inBackend := path == mod+"/backend" || strings.HasPrefix(path, mod+"/backend/")
		for _, dep := range p.Deps {
			if inBackend && (dep == mod+"/app" || strings.HasPrefix(dep, wails)) {
				t.Errorf("%s depends on %s: backend must not know app/ or Wails", path, dep)
			}
			if path == mod+"/backend/syncer" && (strings.HasPrefix(dep, stripe) || dep == "database/sql" || strings.HasPrefix(dep, sqlite)) {
				t.Errorf("%s depends on %s: syncer must know neither stripe-go nor SQL", path, dep)
			}
			if path == mod+"/backend/metrics" && (strings.HasPrefix(dep, mod+"/backend/") || dep == "database/sql" || dep == "net/http") {
				t.Errorf("%s depends on %s: metrics is pure", path, dep)
			}
		}
		for _, imp := range p.Imports {
			if strings.HasPrefix(imp, stripe) && path != mod+"/backend/stripeapi" {
				t.Errorf("%s imports %s: only backend/stripeapi may import stripe-go", path, imp)
			}
			if strings.HasPrefix(imp, keyring) && path != mod+"/backend/vault" {
				t.Errorf("%s imports %s: only backend/vault may import the keyring", path, imp)
			}
			if strings.HasPrefix(imp, runtime_) && path != mod+"/app" {
				t.Errorf("%s imports %s: only app/ may import the Wails runtime", path, imp)
			}
			if path == mod+"/backend" && strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") {
				t.Errorf("%s imports %s: the domain package uses the standard library only", path, imp)
			}
			if path == mod+"/backend/metrics" {
				for _, bad := range ioPkgs {
					if imp == bad {
						t.Errorf("%s imports %s: metrics does no I/O", path, imp)
					}
				}
			}
			if path == mod+"/backend/store" && strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") && !strings.HasPrefix(imp, sqlite) {
				t.Errorf("%s imports %s: store imports backend and SQLite only", path, imp)
			}
			if path == mod+"/backend/store" && strings.HasPrefix(imp, mod+"/") && imp != mod+"/backend" {
				t.Errorf("%s imports %s: store imports backend and SQLite only", path, imp)
			}
		}
	}
}

type goPackage struct {
	ImportPath string
	Imports    []string
	Deps       []string
}

func listPackages(t *testing.T) []goPackage {
	t.Helper()
	out, err := exec.Command("go", "list", "-json", "./...").Output()
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			t.Fatalf("go list: %v: %s", err, ee.Stderr)
		}
		t.Fatalf("go list: %v", err)
	}
	var pkgs []goPackage
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var p goPackage
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decode go list: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}
