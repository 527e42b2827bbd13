package vault

import (
	"context"
	"time"

	"billfold/backend"
)

// DemoAccountID is the Stripe account id of the demo workspace (a sandbox
// business built on this computer by `billfold demo`). It differs from the
// sandbox's default account, so a sandbox account can be added beside it.
const DemoAccountID = "acct_1BillfoldDemo"

// DemoID is the registry id of the demo workspace.
var DemoID = Entry(DemoAccountID, backend.ModeTest)

// PutDemo registers (or refreshes) the demo workspace. It has no keyring
// entry: the demo's key is a fixed sandbox test key that is not a secret and
// is never stored; Verify and Rotate do not apply to it. Only name, default
// currency, key mask and API base come from demo; the label is kept when the
// user renamed it.
func (v *Vault) PutDemo(ctx context.Context, demo Account) (Account, error) {
	unlock, err := v.lock()
	if err != nil {
		return Account{}, err
	}
	defer unlock()
	accts, err := v.load()
	if err != nil {
		return Account{}, err
	}
	now := v.now().UTC().Truncate(time.Second)
	a := Account{ID: DemoID, AccountID: DemoAccountID, Mode: backend.ModeTest, Label: "Demo workspace", CreatedAt: now}
	i := find(accts, DemoID)
	if i >= 0 {
		a = accts[i]
	}
	a.Demo = true
	a.Name = demo.Name
	a.DefaultCurrency = demo.DefaultCurrency
	a.KeyMasked = demo.KeyMasked
	a.APIBase = demo.APIBase
	a.Restricted = false
	a.Permissions = map[string]Access{}
	for _, r := range resources {
		a.Permissions[r] = AccessRead
	}
	a.VerifiedAt = now
	if i >= 0 {
		accts[i] = a
	} else {
		if j := findLabel(accts, a.Label); j >= 0 {
			a.Label = defaultLabel(accts, Verified{Name: "Demo workspace", AccountID: DemoAccountID}, "demo")
		}
		accts = append(accts, a)
	}
	if err := v.save(accts); err != nil {
		return Account{}, err
	}
	return a, nil
}

var errDemoKey = backend.Errorf(backend.EINVALID, "the demo workspace has no Stripe key to verify or replace: run `billfold demo` to rebuild it, or add your own account")
