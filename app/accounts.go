package app

import (
	"context"
	"fmt"
	"log/slog"
	"time"
)

// AccountInfo is one registered account as the account registry describes
// it. The registry (backend/vault) is adapted to AccountLister in main.
type AccountInfo struct {
	ID         string    // Stripe account id, acct_...
	Name       string    // the business's display name
	Mode       string    // "test", "live" or "demo"
	KeyMasked  string    // the key's masked form, sk_test_…abcd; never the key
	LastSyncAt time.Time // zero: never synced
}

// AccountLister lists the registered accounts.
type AccountLister interface {
	ListAccounts(ctx context.Context) ([]AccountInfo, error)
}

// AccountDTO is an account as the webview sees it.
type AccountDTO struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Mode       string `json:"mode"` // test | live | demo
	KeyMasked  string `json:"keyMasked"`
	LastSyncAt string `json:"lastSyncAt"` // RFC 3339, "" when never synced
}

// AccountsService lists and, in later versions, manages accounts.
type AccountsService struct {
	lc     *lifecycle
	lister AccountLister // nil: no account registry, so no accounts
	log    *slog.Logger
}

// List returns the registered accounts, an empty list when there are none.
func (s *AccountsService) List() ([]AccountDTO, error) {
	out := []AccountDTO{}
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

// FormatTime renders t as RFC 3339 in UTC, "" for the zero time.
func FormatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
