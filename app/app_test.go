package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"billfold/backend"
)

func env(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestInfo(t *testing.T) {
	home := t.TempDir()
	s := New(Options{Version: "1.2.3", Getenv: env(map[string]string{"BILLFOLD_HOME": home})})
	info, err := s.App.Info()
	if err != nil {
		t.Fatal(err)
	}
	if info.Version != "1.2.3" || info.StripeAPIVersion != "2023-10-16" || info.DataDir != home || info.OS == "" {
		t.Fatalf("info = %+v", info)
	}
	b, _ := json.Marshal(info)
	for _, k := range []string{`"version"`, `"stripeApiVersion"`, `"dataDir"`} {
		if !strings.Contains(string(b), k) {
			t.Errorf("json %s lacks %s", b, k)
		}
	}
}

func TestDataDir(t *testing.T) {
	cfg := func() (string, error) { return "/cfg", nil }
	noCfg := func() (string, error) { return "", errors.New("$HOME is not defined") }
	tests := []struct {
		name    string
		env     map[string]string
		cfg     func() (string, error)
		want    string
		wantErr string
	}{
		{"home wins", map[string]string{"BILLFOLD_HOME": "/data/bf"}, cfg, "/data/bf", ""},
		{"config folder", nil, cfg, filepath.Join("/cfg", "Billfold"), ""},
		{"no config folder", nil, noCfg, "", backend.EDISK},
		{"home without config folder", map[string]string{"BILLFOLD_HOME": "/x"}, noCfg, "/x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DataDir(env(tt.env), tt.cfg)
			if tt.wantErr != "" {
				if backend.ErrorCode(err) != tt.wantErr {
					t.Fatalf("err = %v, want code %s", err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), "BILLFOLD_HOME") {
					t.Errorf("message %q does not say what to do", err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("DataDir = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
	rel, err := DataDir(env(map[string]string{"BILLFOLD_HOME": "rel/dir"}), cfg)
	if err != nil || !filepath.IsAbs(rel) {
		t.Fatalf("relative BILLFOLD_HOME gave %q, %v; want an absolute path", rel, err)
	}
}

func TestDashboardURL(t *testing.T) {
	tests := []struct {
		kind, id, mode string
		want           string // "" means EINVALID expected
	}{
		{"customer", "cus_NffrFeUfNV2Hib", "live", "https://dashboard.stripe.com/customers/cus_NffrFeUfNV2Hib"},
		{"customer", "cus_NffrFeUfNV2Hib", "test", "https://dashboard.stripe.com/test/customers/cus_NffrFeUfNV2Hib"},
		{"subscription", "sub_1MowQVLkdIwHu7ix", "test", "https://dashboard.stripe.com/test/subscriptions/sub_1MowQVLkdIwHu7ix"},
		{"invoice", "in_1MtHbELkdIwHu7ix", "live", "https://dashboard.stripe.com/invoices/in_1MtHbELkdIwHu7ix"},
		{"charge", "ch_3MmlLrLkdIwHu7ix", "live", "https://dashboard.stripe.com/payments/ch_3MmlLrLkdIwHu7ix"},
		{"charge", "py_3MmlLrLkdIwHu7ix", "test", "https://dashboard.stripe.com/test/payments/py_3MmlLrLkdIwHu7ix"},
		{"refund", "re_1Nispe2eZvKYlo2Cd31jOCgZ", "live", "https://dashboard.stripe.com/refunds/re_1Nispe2eZvKYlo2Cd31jOCgZ"},
		{"product", "prod_NWjs8kKbJWmuuc", "test", "https://dashboard.stripe.com/test/products/prod_NWjs8kKbJWmuuc"},
		{"price", "price_1MoBy5LkdIwHu7ix", "live", "https://dashboard.stripe.com/prices/price_1MoBy5LkdIwHu7ix"},
		{"coupon", "SUMMER-25_off", "live", "https://dashboard.stripe.com/coupons/SUMMER-25_off"},
		{"event", "evt_1NG8Du2eZvKYlo2CUI79vXWy", "test", "https://dashboard.stripe.com/test/events/evt_1NG8Du2eZvKYlo2CUI79vXWy"},
		{"home", "", "live", "https://dashboard.stripe.com/dashboard"},
		{"home", "", "test", "https://dashboard.stripe.com/test/dashboard"},
		// Refused.
		{"home", "cus_1", "live", ""},
		{"customer", "sub_1MowQVLkdIwHu7ix", "live", ""},           // wrong prefix
		{"customer", "cus_", "live", ""},                           // empty tail
		{"customer", "cus_abc/../../settings", "live", ""},         // path injection
		{"customer", "cus_abc?x=1", "live", ""},                    // query injection
		{"customer", "cus_abc#x", "live", ""},                      // fragment
		{"customer", "cus_ab c", "live", ""},                       // space
		{"customer", "", "live", ""},                               // missing
		{"customer", "cus_" + strings.Repeat("a", 65), "live", ""}, // too long
		{"coupon", "a/b", "live", ""},                              // slash
		{"coupon", "https://evil.example", "live", ""},             // raw url
		{"url", "https://evil.example", "live", ""},                // unknown kind
		{"", "cus_abc", "live", ""},                                // no kind
		{"Customer", "cus_abc", "live", ""},                        // kinds are exact
		{"customer", "cus_abc", "demo", ""},                        // demo data is local
		{"customer", "cus_abc", "", ""},                            // no mode
		{"customer", "cus_abc", "LIVE", ""},                        // modes are exact
	}
	for _, tt := range tests {
		name := fmt.Sprintf("%s/%s/%s", tt.kind, tt.id, tt.mode)
		got, err := DashboardURL(tt.kind, tt.id, tt.mode)
		if tt.want == "" {
			if backend.ErrorCode(err) != backend.EINVALID || got != "" {
				t.Errorf("%s: got %q, %v; want EINVALID", name, got, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%s: got %q, %v; want %q", name, got, err, tt.want)
		}
	}
}

func TestOpenStripeDashboard(t *testing.T) {
	op := &fakeOpener{}
	s := New(Options{Opener: op})
	u, err := s.App.OpenStripeDashboard("customer", "cus_123", "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(op.opened) != 1 || op.opened[0] != u || u != "https://dashboard.stripe.com/test/customers/cus_123" {
		t.Fatalf("opened %v, returned %q", op.opened, u)
	}

	// A refused id opens nothing.
	if _, err := s.App.OpenStripeDashboard("customer", "https://evil.example", "test"); backend.ErrorCode(err) != backend.EINVALID {
		t.Fatalf("err = %v, want EINVALID", err)
	}
	if len(op.opened) != 1 {
		t.Fatalf("opened %v after a refused id", op.opened)
	}

	// The browser failing is EUNAVAILABLE and gives the address to copy.
	failing := New(Options{Opener: &fakeOpener{err: errBoom}})
	_, err = failing.App.OpenStripeDashboard("invoice", "in_1", "live")
	if backend.ErrorCode(err) != backend.EUNAVAILABLE || !strings.Contains(err.Error(), "https://dashboard.stripe.com/invoices/in_1") {
		t.Fatalf("err = %v", err)
	}

	// No opener at all (not started in a window).
	_, err = New(Options{}).App.OpenStripeDashboard("invoice", "in_1", "live")
	if backend.ErrorCode(err) != backend.EUNAVAILABLE {
		t.Fatalf("err = %v", err)
	}
}

func TestAccountsList(t *testing.T) {
	t.Run("no registry means no accounts", func(t *testing.T) {
		got, err := New(Options{}).Accounts.List()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(got)
		if string(b) != "[]" {
			t.Fatalf("List = %s, want [] (never null)", b)
		}
	})
	t.Run("registry with accounts", func(t *testing.T) {
		synced := time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600))
		l := &fakeLister{accts: []AccountInfo{
			{ID: "acct_1", Name: "Acme", Mode: "live", KeyMasked: "rk_live_…abcd", LastSyncAt: synced},
			{ID: "acct_2", Name: "Demo", Mode: "demo"},
		}}
		s := New(Options{Accounts: l})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s.Startup(ctx)
		got, err := s.Accounts.List()
		if err != nil {
			t.Fatal(err)
		}
		want := []AccountDTO{
			{ID: "acct_1", Name: "Acme", Mode: "live", KeyMasked: "rk_live_…abcd", LastSyncAt: "2026-03-04T04:06:07Z"},
			{ID: "acct_2", Name: "Demo", Mode: "demo", LastSyncAt: ""},
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("List = %+v\nwant %+v", got, want)
		}
		if l.ctx != ctx {
			t.Fatal("the lister did not get the application context")
		}
	})
	t.Run("registry failure", func(t *testing.T) {
		l := &fakeLister{err: backend.Errorf(backend.EKEYRING, "the keyring is locked: unlock it and try again")}
		_, err := New(Options{Accounts: l}).Accounts.List()
		dto := ToErrorDTO(err)
		if dto.Code != backend.EKEYRING || dto.Message != "the keyring is locked: unlock it and try again" {
			t.Fatalf("dto = %+v", dto)
		}
	})
}

func TestSyncStatusAndEvents(t *testing.T) {
	em := &fakeEmitter{}
	s := New(Options{Emitter: em})
	st := s.Sync.Status()
	if st.State != SyncIdle || st.LastSyncAt != "" || st.LastError != nil {
		t.Fatalf("initial status = %+v, want idle and never synced", st)
	}
	b, _ := json.Marshal(st)
	if string(b) != `{"state":"idle","accountId":"","lastSyncAt":"","lastError":null}` {
		t.Fatalf("json = %s", b)
	}
	if n := len(em.all()); n != 0 {
		t.Fatalf("%d events before any change", n)
	}

	s.Tracker.Set(SyncStatus{State: SyncRunning, AccountID: "acct_1"})
	s.Tracker.Set(SyncStatus{State: SyncRunning, AccountID: "acct_1"}) // unchanged: no event
	done := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	s.Tracker.Set(SyncStatus{State: SyncFailed, AccountID: "acct_1", LastSyncAt: done,
		LastError: backend.Errorf(backend.ERATELIMIT, "Stripe kept answering 429: try again in a minute")})

	ev := em.all()
	if len(ev) != 2 {
		t.Fatalf("events = %+v, want 2", ev)
	}
	for _, e := range ev {
		if e.name != EventSyncStatus {
			t.Fatalf("event name %q", e.name)
		}
	}
	last := ev[1].payload.(SyncStatusDTO)
	if last.State != SyncFailed || last.LastSyncAt != "2026-01-02T03:04:05Z" || last.LastError == nil || last.LastError.Code != backend.ERATELIMIT {
		t.Fatalf("payload = %+v", last)
	}
	if got := s.Sync.Status(); got.State != SyncFailed || got.LastError.Code != backend.ERATELIMIT {
		t.Fatalf("Status = %+v", got)
	}
}

func TestErrorDTO(t *testing.T) {
	tests := []struct {
		err  error
		want ErrorDTO
	}{
		{nil, ErrorDTO{}},
		{backend.Errorf(backend.ENOTFOUND, "no account acct_9: run billfold accounts list"), ErrorDTO{Code: "not_found", Message: "no account acct_9: run billfold accounts list"}},
		{fmt.Errorf("list accounts: %w", backend.Errorf(backend.EKEYRING, "locked")), ErrorDTO{Code: "keyring", Message: "locked"}},
		{&backend.Error{Code: backend.EFORBIDDEN, Message: "the key lacks customers read", RequestID: "req_1"}, ErrorDTO{Code: "forbidden", Message: "the key lacks customers read", RequestID: "req_1"}},
		{&backend.Error{Code: backend.EDISK, Err: errors.New("no space left on device")}, ErrorDTO{Code: "disk", Message: "no space left on device"}},
		{errBoom, ErrorDTO{Code: "internal", Message: "internal error: boom"}},
	}
	for _, tt := range tests {
		if got := FormatError(tt.err); tt.err != nil && got != tt.want {
			t.Errorf("FormatError(%v) = %+v, want %+v", tt.err, got, tt.want)
		}
		if got := ToErrorDTO(tt.err); got != tt.want {
			t.Errorf("ToErrorDTO(%v) = %+v, want %+v", tt.err, got, tt.want)
		}
	}
	b, _ := json.Marshal(ToErrorDTO(backend.Errorf(backend.EINVALID, "bad")))
	if string(b) != `{"code":"invalid","message":"bad"}` {
		t.Fatalf("json = %s", b)
	}
}

func TestWailsRuntimeBeforeStart(t *testing.T) {
	r := NewWailsRuntime()
	r.Emit(EventSyncStatus, nil) // dropped, must not panic
	if err := r.OpenURL("https://dashboard.stripe.com/dashboard"); err == nil {
		t.Fatal("OpenURL before Start succeeded")
	}
}
