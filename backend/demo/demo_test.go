package demo

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/zalando/go-keyring"

	"billfold/backend"
	"billfold/backend/store"
	"billfold/backend/syncer"
	"billfold/backend/vault"
)

func newVault(t testing.TB) *vault.Vault {
	keyring.MockInit()
	v, err := vault.New(vault.Options{Home: t.TempDir(), Getenv: func(k string) string {
		return map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent"}[k]
	}})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

var fixedNow = func() time.Time { return time.Date(2026, 11, 23, 15, 4, 5, 0, time.UTC) }

func TestBuildAndFailedRebuild(t *testing.T) {
	v := newVault(t)
	ctx := context.Background()
	var reports int
	res, err := Build(ctx, v, Options{Customers: 25, Now: fixedNow, Progress: func(syncer.Progress) { reports++ }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Account.ID != vault.DemoID || !res.Account.Demo || res.Account.Name != Name || res.Objects[backend.TypeCustomers] == 0 || reports == 0 {
		t.Fatalf("result %+v (%d reports)", res, reports)
	}
	if _, err := os.Stat(res.DBPath + ".building"); !os.IsNotExist(err) {
		t.Error("the build file was left behind")
	}
	// a cancelled rebuild leaves the last good demo as it was
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := Build(cctx, v, Options{Customers: 25, Now: fixedNow}); backend.ErrorCode(err) != backend.ECANCELED {
		t.Fatalf("cancelled build: %v", err)
	}
	db, err := store.Open(ctx, res.DBPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	counts, err := db.Counts(ctx)
	if err != nil || counts[backend.TypeCustomers] != res.Objects[backend.TypeCustomers] {
		t.Errorf("after a cancelled rebuild: %v %v", counts, err)
	}
	if _, err := os.Stat(res.DBPath + ".building"); !os.IsNotExist(err) {
		t.Error("the cancelled build file was left behind")
	}
}

// BenchmarkBuild measures a demo build (generate, serve, sync through the
// engine into SQLite) of 300 customers.
func BenchmarkBuild(b *testing.B) {
	v := newVault(b)
	for b.Loop() {
		if _, err := Build(context.Background(), v, Options{Customers: 300, Now: fixedNow}); err != nil {
			b.Fatal(err)
		}
	}
}
