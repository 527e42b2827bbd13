package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"billfold/backend"
	"billfold/backend/settings"
	"billfold/backend/syncer"
	"billfold/backend/vault"
)

// AccountInfo is one registered account as the account registry describes
// it, for a read-only lister (Options.Accounts).
type AccountInfo struct {
	ID         string    // Stripe account id, acct_...
	Name       string    // the business's display name
	Mode       string    // "test", "live" or "demo"
	KeyMasked  string    // the key's masked form, sk_test_…abcd; never the key
	LastSyncAt time.Time // zero: never synced
}

// AccountLister lists the registered accounts (read-only).
type AccountLister interface {
	ListAccounts(ctx context.Context) ([]AccountInfo, error)
}

// AccountManager is the account registry and the keyring: backend/vault's
// *Vault implements it.
type AccountManager interface {
	List(ctx context.Context) ([]vault.Account, error)
	Add(ctx context.Context, key string, opts vault.AddOptions) (vault.Account, error)
	Rename(ctx context.Context, id, label string) (vault.Account, error)
	Rotate(ctx context.Context, id, key string) (vault.Account, error)
	Verify(ctx context.Context, id string) (vault.Account, error)
	Remove(ctx context.Context, id string, deleteData bool) error
	DeleteAllData(ctx context.Context, removeKeys bool) ([]string, error)
	Home() string
}

// DemoBuilder builds (or rebuilds) the demo workspace and returns its
// account (backend/demo.Build over the vault).
type DemoBuilder func(ctx context.Context, progress func(syncer.Progress)) (vault.Account, error)

// PermissionDTO is what a key may do with one Stripe resource.
type PermissionDTO struct {
	Resource string `json:"resource"`
	Access   string `json:"access"` // none | read | write
}

// AccountDTO is an account as the webview sees it. It never holds the key.
type AccountDTO struct {
	ID              string          `json:"id"` // registry id, acct_...:test
	Name            string          `json:"name"`
	Mode            string          `json:"mode"` // test | live | demo
	KeyMasked       string          `json:"keyMasked"`
	LastSyncAt      string          `json:"lastSyncAt"` // RFC 3339, "" when never synced
	Label           string          `json:"label"`
	AccountID       string          `json:"accountId"` // Stripe's acct_...
	DefaultCurrency string          `json:"defaultCurrency"`
	Restricted      bool            `json:"restricted"`
	VerifiedAt      string          `json:"verifiedAt"`
	CreatedAt       string          `json:"createdAt"`
	Permissions     []PermissionDTO `json:"permissions"`
	MissingRead     []string        `json:"missingRead"` // resources a sync needs but the key may not read
}

// DemoStatusDTO is the state of a demo build, and the payload of
// EventDemoProgress.
type DemoStatusDTO struct {
	State     string    `json:"state"` // idle | running | done | failed
	Phase     string    `json:"phase"`
	Objects   int64     `json:"objects"`
	Customers int64     `json:"customers"`
	ElapsedMS int64     `json:"elapsedMs"`
	Account   string    `json:"account"` // the demo's id when done
	Error     *ErrorDTO `json:"error"`
}

// AccountsService manages the accounts: list, add, rename, rotate, verify,
// remove, switch, and the demo workspace.
type AccountsService struct {
	lc      *lifecycle
	lister  AccountLister  // used when mgr is nil
	mgr     AccountManager // nil: no registry (tests, or not wired)
	demo    DemoBuilder
	apiBase string // Stripe API base for new accounts ("" Stripe's; BILLFOLD_API_BASE)
	emit    Emitter
	log     *slog.Logger
	now     func() time.Time

	mu         sync.Mutex
	demoStatus DemoStatusDTO
}

// List returns the registered accounts, an empty list when there are none.
func (s *AccountsService) List() ([]AccountDTO, error) {
	out := []AccountDTO{}
	if s.mgr != nil {
		accts, err := s.mgr.List(s.lc.context())
		if err != nil {
			s.log.Error("list accounts", "err", err)
			return nil, fmt.Errorf("list accounts: %w", err)
		}
		for _, a := range accts {
			out = append(out, VaultAccountDTO(a))
		}
		return out, nil
	}
	if s.lister == nil {
		return out, nil
	}
	accts, err := s.lister.ListAccounts(s.lc.context())
	if err != nil {
		s.log.Error("list accounts", "err", err)
		return nil, fmt.Errorf("list accounts: %w", err)
	}
	for _, a := range accts {
		out = append(out, ToAccountDTO(a))
	}
	return out, nil
}

var errNoRegistry = backend.Errorf(backend.EUNAVAILABLE, "accounts cannot be managed in this build (no account registry is wired): use `billfold accounts` on the command line")

func (s *AccountsService) manager() (AccountManager, error) {
	if s.mgr == nil {
		return nil, errNoRegistry
	}
	return s.mgr, nil
}

// Add verifies key with Stripe, stores it in the keyring and registers the
// account. The key crosses from the webview once and is never returned:
// the reply holds only its masked form. label "" takes the business name.
func (s *AccountsService) Add(key, label string) (AccountDTO, error) {
	m, err := s.manager()
	if err != nil {
		return AccountDTO{}, err
	}
	a, err := m.Add(s.lc.context(), key, vault.AddOptions{Label: label, APIBase: s.apiBase})
	if err != nil {
		return AccountDTO{}, err
	}
	s.log.Info("account added", "account", a.ID)
	s.changed()
	return VaultAccountDTO(a), nil
}

// Rename sets an account's label.
func (s *AccountsService) Rename(id, label string) (AccountDTO, error) {
	return s.mutate(func(ctx context.Context, m AccountManager) (vault.Account, error) { return m.Rename(ctx, id, label) })
}

// Rotate replaces an account's key after verifying the new one belongs to
// the same Stripe account and mode.
func (s *AccountsService) Rotate(id, key string) (AccountDTO, error) {
	return s.mutate(func(ctx context.Context, m AccountManager) (vault.Account, error) { return m.Rotate(ctx, id, key) })
}

// VerifyAgain checks the stored key with Stripe again (permissions, name,
// default currency).
func (s *AccountsService) VerifyAgain(id string) (AccountDTO, error) {
	return s.mutate(func(ctx context.Context, m AccountManager) (vault.Account, error) { return m.Verify(ctx, id) })
}

func (s *AccountsService) mutate(f func(context.Context, AccountManager) (vault.Account, error)) (AccountDTO, error) {
	m, err := s.manager()
	if err != nil {
		return AccountDTO{}, err
	}
	a, err := f(s.lc.context(), m)
	if err != nil {
		return AccountDTO{}, err
	}
	s.changed()
	return VaultAccountDTO(a), nil
}

// Remove deletes an account's key from the keyring and the account from the
// registry; with deleteData also its local cache, exactly that. When it was
// the current account, the app switches to the first remaining one.
func (s *AccountsService) Remove(id string, deleteData bool) error {
	m, err := s.manager()
	if err != nil {
		return err
	}
	if err := m.Remove(s.lc.context(), id, deleteData); err != nil {
		return err
	}
	if cur, _ := s.Current(); cur == id {
		_ = s.setCurrent("")
	}
	s.changed()
	return nil
}

// Current returns the id of the account the app shows: the saved choice if
// it is still registered, else the first account, else "".
func (s *AccountsService) Current() (string, error) {
	list, err := s.List()
	if err != nil {
		return "", err
	}
	if len(list) == 0 {
		return "", nil
	}
	if s.mgr != nil {
		st, _ := settings.Load(s.mgr.Home())
		for _, a := range list {
			if a.ID == st.CurrentAccount {
				return a.ID, nil
			}
		}
	}
	return list[0].ID, nil
}

// Switch makes id the account the other screens show, saves the choice and
// emits EventAccountCurrent.
func (s *AccountsService) Switch(id string) (AccountDTO, error) {
	list, err := s.List()
	if err != nil {
		return AccountDTO{}, err
	}
	for _, a := range list {
		if a.ID == id {
			if err := s.setCurrent(id); err != nil {
				return AccountDTO{}, err
			}
			return a, nil
		}
	}
	return AccountDTO{}, backend.Errorf(backend.ENOTFOUND, "no account %q is registered: choose one from the list", truncate(id, 80))
}

func (s *AccountsService) setCurrent(id string) error {
	if s.mgr != nil {
		home := s.mgr.Home()
		st, _ := settings.Load(home) // an unreadable file is replaced
		st.CurrentAccount = id
		if err := settings.Save(home, st); err != nil {
			return err
		}
	}
	s.emit.Emit(EventAccountCurrent, AccountCurrentDTO{ID: id})
	return nil
}

// CreateDemo starts building the demo workspace in the background and
// returns at once; EventDemoProgress reports progress (at most every
// 100 ms) and the end. When it is done the app switches to the demo. A
// second call while a build runs returns the running build's status.
func (s *AccountsService) CreateDemo() (DemoStatusDTO, error) {
	if s.demo == nil {
		return DemoStatusDTO{}, backend.Errorf(backend.EUNAVAILABLE, "the demo workspace cannot be built in this build: run `billfold demo` on the command line")
	}
	s.mu.Lock()
	if s.demoStatus.State == "running" {
		st := s.demoStatus
		s.mu.Unlock()
		return st, nil
	}
	s.demoStatus = DemoStatusDTO{State: "running", Phase: "generate"}
	st := s.demoStatus
	s.mu.Unlock()
	s.emit.Emit(EventDemoProgress, st)
	ctx := s.lc.context()
	started := s.now()
	go func() {
		a, err := s.demo(ctx, func(p syncer.Progress) {
			if p.State != "running" {
				return // the final status follows below
			}
			s.setDemo(func(d *DemoStatusDTO) {
				d.Phase, d.Objects, d.ElapsedMS = p.Phase, p.Objects, s.now().Sub(started).Milliseconds()
				for _, t := range p.Types {
					if t.Type == backend.TypeCustomers {
						d.Customers = t.Done
					}
				}
			})
		})
		if err != nil {
			s.log.Error("demo build failed", "err", err)
			e := ToErrorDTO(err)
			s.setDemo(func(d *DemoStatusDTO) { d.State, d.Error = "failed", &e })
			return
		}
		s.changed()
		if err := s.setCurrent(a.ID); err != nil {
			s.log.Error("switch to the demo", "err", err)
		}
		s.setDemo(func(d *DemoStatusDTO) {
			d.State, d.Account, d.Phase, d.ElapsedMS = "done", a.ID, "", s.now().Sub(started).Milliseconds()
		})
	}()
	return st, nil
}

// DemoStatus returns the state of the last demo build.
func (s *AccountsService) DemoStatus() DemoStatusDTO {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.demoStatus.State == "" {
		return DemoStatusDTO{State: "idle"}
	}
	return s.demoStatus
}

func (s *AccountsService) setDemo(f func(*DemoStatusDTO)) {
	s.mu.Lock()
	f(&s.demoStatus)
	st := s.demoStatus
	s.mu.Unlock()
	s.emit.Emit(EventDemoProgress, st)
}

// changed emits EventAccountsChanged with the new list.
func (s *AccountsService) changed() {
	list, err := s.List()
	if err != nil {
		return
	}
	s.emit.Emit(EventAccountsChanged, AccountsChangedDTO{Accounts: list})
}

// ToAccountDTO converts an AccountInfo for the webview.
func ToAccountDTO(a AccountInfo) AccountDTO {
	return AccountDTO{
		ID:         a.ID,
		Name:       a.Name,
		Mode:       a.Mode,
		KeyMasked:  a.KeyMasked,
		LastSyncAt: FormatTime(a.LastSyncAt),
	}
}

// VaultAccountDTO converts a registry account for the webview: the demo's
// mode is "demo"; permissions in vault.Resources order.
func VaultAccountDTO(a vault.Account) AccountDTO {
	d := AccountDTO{
		ID: a.ID, Name: a.Name, Mode: string(a.Mode), KeyMasked: a.KeyMasked, Label: a.Label, AccountID: a.AccountID,
		DefaultCurrency: a.DefaultCurrency, Restricted: a.Restricted, VerifiedAt: FormatTime(a.VerifiedAt),
		CreatedAt: FormatTime(a.CreatedAt), Permissions: []PermissionDTO{}, MissingRead: []string{},
	}
	if a.Demo {
		d.Mode = "demo"
		d.KeyMasked = ""
	}
	for _, r := range vault.Resources() {
		acc := a.Permissions[r]
		if acc == "" {
			acc = vault.AccessNone
		}
		d.Permissions = append(d.Permissions, PermissionDTO{Resource: r, Access: string(acc)})
	}
	if m := a.MissingRead(); m != nil {
		d.MissingRead = m
	}
	return d
}

// FormatTime renders t as RFC 3339 in UTC, "" for the zero time.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
