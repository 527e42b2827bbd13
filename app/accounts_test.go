package app

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"

	"billfold/backend"
	"billfold/backend/settings"
	"billfold/backend/syncer"
	"billfold/backend/vault"
)

const (
	appKey  = "rk_test_51AcmeReadOnlyAAAAAAAAAAAAAAAA1111"
	appKey2 = "rk_test_51AcmeReadOnlyBBBBBBBBBBBBBBBB2222"
)

// fakeVerifier plays Stripe: every key belongs to acct_1Acme, read-only
// except events; keys containing "revoked" get 401.
type fakeVerifier struct{}

func (fakeVerifier) Verify(ctx context.Context, k backend.APIKey, base string) (vault.Verified, error) {
	if strings.Contains(k.Reveal(), "revoked") {
		return vault.Verified{}, &backend.Error{Code: backend.EUNAUTHORIZED, RequestID: "req_401", Message: "invalid key"}
	}
	p := map[string]vault.Access{}
	for _, r := range vault.Resources() {
		p[r] = vault.AccessRead
	}
	p["events"] = vault.AccessNone
	return vault.Verified{AccountID: "acct_1Acme", Name: "Acme <b>Inc</b>", Mode: k.Mode(), DefaultCurrency: "EUR", Permissions: p}, nil
}

func newAccountsApp(t *testing.T, demo DemoBuilder) (*Services, *vault.Vault, *fakeEmitter) {
	t.Helper()
	keyring.MockInit()
	t.Cleanup(keyring.MockInit)
	home := t.TempDir()
	v, err := vault.New(vault.Options{Home: home, Verifier: fakeVerifier{}, Getenv: func(k string) string {
		return map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent"}[k]
	}})
	if err != nil {
		t.Fatal(err)
	}
	em := &fakeEmitter{}
	s := New(Options{Manager: v, Demo: demo, Emitter: em, Getenv: func(string) string { return "" }})
	return s, v, em
}

func TestAccountsServiceLifecycle(t *testing.T) {
	s, v, em := newAccountsApp(t, nil)
	acc := s.Accounts
	if _, err := acc.Add("sk_test_bad key", ""); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("bad format: %v", err)
	}
	if _, err := acc.Add("rk_test_revokedAAAAAAAAAAAAAAAA", ""); ToErrorDTO(err).Code != backend.EUNAUTHORIZED || ToErrorDTO(err).RequestID != "req_401" {
		t.Fatalf("revoked: %+v", ToErrorDTO(err))
	}
	a, err := acc.Add(appKey, "")
	if err != nil {
		t.Fatal(err)
	}
	if a.ID != "acct_1Acme:test" || a.Mode != "test" || a.Label != "Acme <b>Inc</b> (test)" || a.DefaultCurrency != "eur" ||
		!a.Restricted || a.KeyMasked != "rk_test_…1111" || strings.Join(a.MissingRead, ",") != "events" {
		t.Fatalf("added %+v", a)
	}
	if len(a.Permissions) != len(vault.Resources()) || a.Permissions[0] != (PermissionDTO{"customers", "read"}) {
		t.Errorf("permissions %+v", a.Permissions)
	}
	if _, err := acc.Add(appKey, ""); backend.ErrorCode(err) != backend.ECONFLICT {
		t.Errorf("second add: %v", err)
	}
	if a, err = acc.Rename(a.ID, "Acme staging"); err != nil || a.Label != "Acme staging" {
		t.Fatalf("rename %+v %v", a, err)
	}
	if a, err = acc.Rotate(a.ID, appKey2); err != nil || a.KeyMasked != "rk_test_…2222" {
		t.Fatalf("rotate %+v %v", a, err)
	}
	if k, _ := v.StoredKey(context.Background(), a.ID); k.Reveal() != appKey2 {
		t.Error("the keyring does not hold the new key")
	}
	if a, err = acc.VerifyAgain(a.ID); err != nil || a.VerifiedAt == "" {
		t.Fatalf("verify %+v %v", a, err)
	}
	// switch: saved in settings.json, announced
	if _, err := acc.Switch("acct_1Nope:test"); backend.ErrorCode(err) != backend.ENOTFOUND {
		t.Errorf("switch to unknown: %v", err)
	}
	if _, err := acc.Switch(a.ID); err != nil {
		t.Fatal(err)
	}
	if st, _ := settings.Load(v.Home()); st.CurrentAccount != a.ID {
		t.Errorf("settings %+v", st)
	}
	if cur, _ := acc.Current(); cur != a.ID {
		t.Errorf("current %q", cur)
	}
	// remove, keeping the data
	db, _ := v.DataPath(a.ID)
	os.MkdirAll(filepath.Dir(db), 0o700)
	os.WriteFile(db, []byte("cache"), 0o600)
	if err := acc.Remove(a.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(db); err != nil {
		t.Error("remove without deleteData deleted the cache")
	}
	if cur, _ := acc.Current(); cur != "" {
		t.Errorf("current after remove %q", cur)
	}
	if list, _ := acc.List(); len(list) != 0 {
		t.Errorf("list %+v", list)
	}
	// the key never crosses back: not in any reply or event
	var names []string
	for _, e := range em.all() {
		b, _ := json.Marshal(e.payload)
		if strings.Contains(string(b), appKey) || strings.Contains(string(b), appKey2) {
			t.Errorf("event %s holds the key", e.name)
		}
		names = append(names, e.name)
	}
	if !strings.Contains(strings.Join(names, ","), EventAccountsChanged) || !strings.Contains(strings.Join(names, ","), EventAccountCurrent) {
		t.Errorf("events %v", names)
	}
	// remove with data
	a, _ = acc.Add(appKey, "")
	if err := acc.Remove(a.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Error("remove with deleteData kept the cache")
	}
}

func TestAccountsServiceWithoutRegistry(t *testing.T) {
	s := New(Options{})
	if _, err := s.Accounts.Add(appKey, ""); backend.ErrorCode(err) != backend.EUNAVAILABLE {
		t.Errorf("add: %v", err)
	}
	if _, err := s.Accounts.CreateDemo(); backend.ErrorCode(err) != backend.EUNAVAILABLE {
		t.Errorf("demo: %v", err)
	}
	if st := s.Accounts.DemoStatus(); st.State != "idle" {
		t.Errorf("demo status %+v", st)
	}
}

// chanEmitter forwards demo progress to a channel.
type chanEmitter struct {
	fakeEmitter
	demo chan DemoStatusDTO
}

func (c *chanEmitter) Emit(name string, payload any) {
	c.fakeEmitter.Emit(name, payload)
	if d, ok := payload.(DemoStatusDTO); ok {
		c.demo <- d
	}
}

func TestCreateDemo(t *testing.T) {
	var v *vault.Vault
	release := make(chan struct{})
	builder := func(ctx context.Context, progress func(syncer.Progress)) (vault.Account, error) {
		progress(syncer.Progress{State: "running", Phase: "backfill", Objects: 42,
			Types: []syncer.TypeProgress{{Type: backend.TypeCustomers, Done: 7}}})
		<-release
		return v.PutDemo(ctx, vault.Account{Name: "Billfold Demo Co.", DefaultCurrency: "usd"})
	}
	s, vv, _ := newAccountsApp(t, builder)
	v = vv
	em := &chanEmitter{demo: make(chan DemoStatusDTO, 16)}
	s.Accounts.emit = em
	st, err := s.Accounts.CreateDemo()
	if err != nil || st.State != "running" {
		t.Fatalf("start %+v %v", st, err)
	}
	<-em.demo // running
	p := <-em.demo
	if p.Phase != "backfill" || p.Objects != 42 || p.Customers != 7 {
		t.Errorf("progress %+v", p)
	}
	if again, _ := s.Accounts.CreateDemo(); again.State != "running" {
		t.Errorf("second call %+v", again)
	}
	close(release)
	done := <-em.demo
	if done.State != "done" || done.Account != vault.DemoID {
		t.Fatalf("done %+v", done)
	}
	list, _ := s.Accounts.List()
	if len(list) != 1 || list[0].Mode != "demo" || list[0].KeyMasked != "" {
		t.Fatalf("list %+v", list)
	}
	if cur, _ := s.Accounts.Current(); cur != vault.DemoID {
		t.Errorf("current %q", cur)
	}
	var switched bool
	for _, e := range em.all() {
		if e.name == EventAccountCurrent && e.payload.(AccountCurrentDTO).ID == vault.DemoID {
			switched = true
		}
	}
	if !switched {
		t.Error("no switch to the demo was announced")
	}
}

func TestCreateDemoFails(t *testing.T) {
	builder := func(ctx context.Context, progress func(syncer.Progress)) (vault.Account, error) {
		return vault.Account{}, backend.Errorf(backend.EDISK, "disk full: free some space")
	}
	s, _, _ := newAccountsApp(t, builder)
	em := &chanEmitter{demo: make(chan DemoStatusDTO, 16)}
	s.Accounts.emit = em
	if _, err := s.Accounts.CreateDemo(); err != nil {
		t.Fatal(err)
	}
	<-em.demo
	end := <-em.demo
	if end.State != "failed" || end.Error == nil || end.Error.Code != backend.EDISK {
		t.Fatalf("end %+v", end)
	}
}

func TestSettingsService(t *testing.T) {
	s, v, _ := newAccountsApp(t, nil)
	st, err := s.Settings.Get()
	if err != nil || st.SyncIntervalMinutes != 15 || st.Gentle || st.DataDir != v.Home() || len(st.Intervals) == 0 {
		t.Fatalf("defaults %+v %v", st, err)
	}
	if _, err := s.Settings.Save(7, true); backend.ErrorCode(err) != backend.EINVALID {
		t.Errorf("bad interval: %v", err)
	}
	if st, err = s.Settings.Save(60, true); err != nil || st.SyncIntervalMinutes != 60 || !st.Gentle {
		t.Fatalf("save %+v %v", st, err)
	}
	if st, _ = s.Settings.Get(); st.SyncIntervalMinutes != 60 || !st.Gentle {
		t.Errorf("reload %+v", st)
	}
	os.WriteFile(filepath.Join(v.Home(), settings.FileName), []byte("{"), 0o600)
	if st, _ = s.Settings.Get(); st.Warning == "" || st.SyncIntervalMinutes != 15 {
		t.Errorf("corrupt %+v", st)
	}

	// delete all local data, keeping the keys
	a, err := s.Accounts.Add(appKey, "")
	if err != nil {
		t.Fatal(err)
	}
	db, _ := v.DataPath(a.ID)
	os.MkdirAll(filepath.Dir(db), 0o700)
	os.WriteFile(db, []byte("cache"), 0o600)
	res, err := s.Settings.DeleteAllLocalData(false)
	if err != nil || res.Files != 1 || res.KeysRemoved {
		t.Fatalf("delete %+v %v", res, err)
	}
	if _, err := os.Stat(db); !os.IsNotExist(err) {
		t.Error("the cache is still there")
	}
	if k, err := v.StoredKey(context.Background(), a.ID); err != nil || k.Reveal() != appKey {
		t.Errorf("the key was not kept: %v", err)
	}
	// and removing the keys
	if _, err := s.Settings.DeleteAllLocalData(true); err != nil {
		t.Fatal(err)
	}
	if list, _ := s.Accounts.List(); len(list) != 0 {
		t.Errorf("accounts left %+v", list)
	}
	if _, err := keyring.Get("Billfold", a.ID); err == nil {
		t.Error("the keyring entry is still there")
	}
}
