package cli

import (
	"context"
	"time"

	"billfold/backend"
	"billfold/backend/stripeapi"
	"billfold/backend/vault"
)

// StripeVerifier is the vault.Verifier over Stripe's API (the stripeapi
// client): main.go sets Env.Verifier to it, and the desktop app uses it too.
func StripeVerifier() vault.Verifier { return stripeVerifier{} }

type stripeVerifier struct{}

// Verify asks Stripe whose key is and what it may do (stripeapi.Inspect).
func (stripeVerifier) Verify(ctx context.Context, key backend.APIKey, apiBase string) (vault.Verified, error) {
	c, err := stripeapi.New(stripeapi.Options{Key: key, BaseURL: apiBase, Timeout: 20 * time.Second, MaxRetries: 3})
	if err != nil {
		return vault.Verified{}, err
	}
	info, err := c.Inspect(ctx)
	if err != nil {
		return vault.Verified{}, err
	}
	return toVerified(info), nil
}

func toVerified(info stripeapi.KeyInfo) vault.Verified {
	v := vault.Verified{AccountID: info.AccountID, Name: info.Name, Mode: info.Mode, DefaultCurrency: info.DefaultCurrency}
	if info.Permissions != nil {
		v.Permissions = map[string]vault.Access{}
		for r, p := range info.Permissions {
			v.Permissions[r] = vault.Access(p)
		}
	}
	return v
}
