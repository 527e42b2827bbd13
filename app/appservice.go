package app

import (
	"fmt"
	"log/slog"
	"net/url"
	"path/filepath"
	"regexp"
	"runtime"

	"billfold/backend"
)

// AppService answers questions about the application itself and opens the
// few external pages the app links to.
type AppService struct {
	lc            *lifecycle
	version       string
	getenv        func(string) string
	userConfigDir func() (string, error)
	opener        URLOpener
	log           *slog.Logger
}

// InfoDTO describes the running application.
type InfoDTO struct {
	Version          string `json:"version"`
	StripeAPIVersion string `json:"stripeApiVersion"`
	DataDir          string `json:"dataDir"`
	OS               string `json:"os"`
	Arch             string `json:"arch"`
}

// Info returns the version, the Stripe API version and the data folder.
func (s *AppService) Info() (InfoDTO, error) {
	dir, err := DataDir(s.getenv, s.userConfigDir)
	if err != nil {
		return InfoDTO{}, err
	}
	return InfoDTO{
		Version:          s.version,
		StripeAPIVersion: backend.StripeAPIVersion,
		DataDir:          dir,
		OS:               runtime.GOOS,
		Arch:             runtime.GOARCH,
	}, nil
}

// DataDir returns BILLFOLD_HOME when set, otherwise the OS config folder
// followed by "Billfold". It does not create the folder.
func DataDir(getenv func(string) string, userConfigDir func() (string, error)) (string, error) {
	if home := getenv("BILLFOLD_HOME"); home != "" {
		abs, err := filepath.Abs(home)
		if err != nil {
			return "", backend.Errorf(backend.EINVALID, "BILLFOLD_HOME %q is not a usable path: %v", home, err)
		}
		return abs, nil
	}
	base, err := userConfigDir()
	if err != nil {
		return "", backend.Errorf(backend.EDISK, "no configuration folder on this system (%v): set BILLFOLD_HOME to a folder for Billfold's data", err)
	}
	return filepath.Join(base, "Billfold"), nil
}

// dashboardKind describes one object kind the app may link to: its path in
// the Stripe Dashboard and the shape of its ids.
type dashboardKind struct {
	path string
	id   *regexp.Regexp
}

// dashboardKinds is the allowlist of Stripe Dashboard pages. Ids are checked
// against Stripe's prefixes; coupons have ids chosen by the merchant.
var dashboardKinds = map[string]dashboardKind{
	"home":         {path: ""},
	"customer":     {path: "customers", id: regexp.MustCompile(`^cus_[A-Za-z0-9]{1,64}$`)},
	"subscription": {path: "subscriptions", id: regexp.MustCompile(`^sub_[A-Za-z0-9]{1,64}$`)},
	"invoice":      {path: "invoices", id: regexp.MustCompile(`^in_[A-Za-z0-9]{1,64}$`)},
	"charge":       {path: "payments", id: regexp.MustCompile(`^(ch|py)_[A-Za-z0-9]{1,64}$`)},
	"refund":       {path: "refunds", id: regexp.MustCompile(`^(re|pyr)_[A-Za-z0-9]{1,64}$`)},
	"product":      {path: "products", id: regexp.MustCompile(`^prod_[A-Za-z0-9]{1,64}$`)},
	"price":        {path: "prices", id: regexp.MustCompile(`^(price|plan)_[A-Za-z0-9]{1,64}$`)},
	"coupon":       {path: "coupons", id: regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)},
	"event":        {path: "events", id: regexp.MustCompile(`^evt_[A-Za-z0-9]{1,64}$`)},
}

// DashboardURL builds the Stripe Dashboard address of an object. kind must
// be in the allowlist, id must have that kind's shape, mode is "test" or
// "live". Everything else is EINVALID.
func DashboardURL(kind, id, mode string) (string, error) {
	k, ok := dashboardKinds[kind]
	if !ok {
		return "", backend.Errorf(backend.EINVALID, "no Stripe Dashboard page for objects of kind %q", kind)
	}
	var prefix string
	switch backend.Mode(mode) {
	case backend.ModeLive:
		prefix = "/"
	case backend.ModeTest:
		prefix = "/test/"
	case "demo":
		return "", backend.Errorf(backend.EINVALID, "demo workspace objects exist only on this computer: they have no Stripe Dashboard page")
	default:
		return "", backend.Errorf(backend.EINVALID, "mode must be test or live, not %q", mode)
	}
	u := url.URL{Scheme: "https", Host: "dashboard.stripe.com"}
	if k.id == nil {
		if id != "" {
			return "", backend.Errorf(backend.EINVALID, "the %s page takes no object id", kind)
		}
		u.Path = prefix + "dashboard"
		return u.String(), nil
	}
	if !k.id.MatchString(id) {
		return "", backend.Errorf(backend.EINVALID, "%q is not a valid %s id", truncate(id, 80), kind)
	}
	u.Path = prefix + k.path + "/" + id
	return u.String(), nil
}

// OpenStripeDashboard opens the Stripe Dashboard page of an object in the
// default browser and returns the address it opened. The webview never
// passes an address: it is built here from an allowlisted kind and a
// validated id.
func (s *AppService) OpenStripeDashboard(kind, id, mode string) (string, error) {
	u, err := DashboardURL(kind, id, mode)
	if err != nil {
		return "", err
	}
	if s.opener == nil {
		return "", backend.Errorf(backend.EUNAVAILABLE, "cannot open a browser from here: copy the address %s", u)
	}
	if err := s.opener.OpenURL(u); err != nil {
		s.log.Error("open dashboard", "url", u, "err", err)
		return "", &backend.Error{Code: backend.EUNAVAILABLE, Message: fmt.Sprintf("could not open the browser: copy the address %s", u), Err: err}
	}
	return u, nil
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
