package cli

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"billfold/backend"
	"billfold/backend/sandbox"
	"billfold/backend/store"
	"billfold/backend/vault"
)

// TestDemo runs `billfold demo` twice against a temp BILLFOLD_HOME: the
// cache holds exactly the generated business, the registry lists the DEMO
// account without a keyring entry, and the second run rebuilds in place.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a business and syncs it")
	}
	h := newAccounts(t)
	const customers = 40
	var first demoJSON
	for run := 0; run < 2; run++ {
		code, out, errs := h.run("", "demo", "--customers", "40", "--json")
		if code != 0 {
			t.Fatalf("demo: %d %s", code, errs)
		}
		var got demoJSON
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatal(err, out)
		}
		if got.Account != vault.DemoID || got.Mode != "demo" || got.Objects["customers"] < customers*9/10 {
			t.Fatalf("run %d: %+v", run, got)
		}
		if run == 0 {
			first = got
		} else {
			for k, n := range first.Objects {
				if got.Objects[k] != n {
					t.Errorf("rebuild: %s %d, first %d", k, got.Objects[k], n)
				}
			}
		}
	}
	// the database has what the generator made
	d, err := sandbox.Generate(sandbox.GenOptions{Seed: 20240101, Customers: customers, Years: 3, Now: nowDay()})
	if err != nil {
		t.Fatal(err)
	}
	d, err = d.Unpacked()
	if err != nil {
		t.Fatal(err)
	}
	path, err := store.Path(h.home, vault.DemoAccountID, backend.ModeTest)
	if err != nil || path != first.DB {
		t.Fatalf("db %q, want %q (%v)", first.DB, path, err)
	}
	db, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	counts, err := db.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	live := 0
	for _, c := range d.Customers {
		if !c.Deleted {
			live++
		}
	}
	want := map[backend.ObjectType]int{backend.TypeCustomers: live, backend.TypeSubscriptions: len(d.Subscriptions),
		backend.TypeInvoices: len(d.Invoices), backend.TypeCharges: len(d.Charges), backend.TypeProducts: len(d.Products)}
	for typ, n := range want {
		if counts[typ] != int64(n) {
			t.Errorf("%s: %d in the cache, %d generated", typ, counts[typ], n)
		}
	}
	// the registry lists it as the demo, with no key in the keyring
	code, out, _ := h.run("", "accounts", "list", "--json")
	var accts []vault.Account
	if err := json.Unmarshal([]byte(out), &accts); code != 0 || err != nil || len(accts) != 1 || !accts[0].Demo || accts[0].ID != vault.DemoID {
		t.Fatalf("accounts list: %d %s (%v)", code, out, err)
	}
	v, err := vault.New(vault.Options{Home: h.home, Getenv: func(k string) string { return h.vars[k] }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.StoredKey(context.Background(), vault.DemoID); err == nil {
		t.Error("the demo has a keyring entry")
	}
	if code, out, _ := h.run("", "accounts", "list"); code != 0 || !strings.Contains(out, "DEMO") {
		t.Errorf("accounts list does not show DEMO: %s", out)
	}
	// with the demo as the only account, sync says what the demo is instead of
	// looking for a key that does not exist
	if code, _, errs := h.run("", "sync"); code != ExitUsage || !strings.Contains(errs, "demo workspace") || strings.Count(errs, "\n") != 1 {
		t.Errorf("sync of the demo: %d %q", code, errs)
	}
	if code, _, errs := h.run("", "demo", "--customers", "0"); code != ExitUsage || !strings.Contains(errs, "--customers") {
		t.Errorf("bad flag: %d %s", code, errs)
	}
}

func nowDay() time.Time { return time.Now().UTC().Truncate(24 * time.Hour) }
