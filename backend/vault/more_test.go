package vault

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"billfold/backend"
)

func TestDefaultLabelFromUntrustedName(t *testing.T) {
	cases := map[string]string{
		"Acme\nInc\t ":             "Acme Inc (test)",
		"":                         "acct_1Acme (test)",
		"\x00\x01":                 "acct_1Acme (test)",
		"sk_live_lookslikeakey":    "acct_1Acme (test)",
		"Ünïcödé \u200b GmbH":      "Ünïcödé \u200b GmbH (test)",
		"bad\xffutf8":              "bad utf8 (test)",
		"a very long name indeed ": "a very long name indeed (test)",
	}
	for name, want := range cases {
		got := defaultLabel(nil, Verified{AccountID: "acct_1Acme", Name: name}, backend.ModeTest)
		if got != want || checkLabel(got) != nil {
			t.Errorf("defaultLabel(%q) = %q, want %q", name, got, want)
		}
	}
	taken := []Account{{Label: "Acme (test)"}, {Label: "Acme (test) 2"}}
	if got := defaultLabel(taken, Verified{AccountID: "acct_1B", Name: "Acme"}, backend.ModeTest); got != "Acme (test) 3" {
		t.Errorf("numbered label = %q", got)
	}
}

// TestConcurrentVaults: two Vaults on one folder (as the app and a CLI
// command would be) adding accounts at once lose no update.
func TestConcurrentVaults(t *testing.T) {
	e := newEnv(t)
	v2, err := New(Options{Home: e.home, Provider: e.mem, Verifier: e.ver, Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	const n = 16
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		key := fmt.Sprintf("sk_test_51Conc%02dXXXXXXXXXXXXXXXXXXXXXXXX", i)
		e.ver.answers[key] = Verified{AccountID: fmt.Sprintf("acct_1C%02d", i), Name: fmt.Sprintf("C%d", i)}
	}
	for i := 0; i < n; i++ {
		v := e.v
		if i%2 == 1 {
			v = v2
		}
		wg.Add(1)
		go func(i int, v *Vault) {
			defer wg.Done()
			_, err := v.Add(context.Background(), fmt.Sprintf("sk_test_51Conc%02dXXXXXXXXXXXXXXXXXXXXXXXX", i), AddOptions{})
			errs <- err
		}(i, v)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	l, err := e.v.List(context.Background())
	if err != nil || len(l) != n {
		t.Fatalf("List has %d accounts, want %d (%v)", len(l), n, err)
	}
}

func BenchmarkKeyringGet(b *testing.B) {
	mem := newMem()
	mem.m[Service+"/acct_1A:test"] = keyA
	k := NewKeyring(mem, 0, 0)
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := k.Get(ctx, "acct_1A:test"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkList50(b *testing.B) {
	mem := newMem()
	ver := &fakeVerifier{answers: map[string]Verified{}, errs: map[string]error{}}
	v, _ := New(Options{Home: b.TempDir(), Provider: mem, Verifier: ver, Getenv: func(string) string { return "" }})
	for i := 0; i < 50; i++ {
		key := fmt.Sprintf("sk_test_51Bench%02dXXXXXXXXXXXXXXXXXXXXXXX", i)
		ver.answers[key] = Verified{AccountID: fmt.Sprintf("acct_1B%02d", i)}
		if _, err := v.Add(context.Background(), key, AddOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if l, err := v.List(context.Background()); err != nil || len(l) != 50 {
			b.Fatal(len(l), err)
		}
	}
}

func BenchmarkAdd(b *testing.B) {
	mem := newMem()
	ver := &fakeVerifier{answers: map[string]Verified{}, errs: map[string]error{}}
	v, _ := New(Options{Home: b.TempDir(), Provider: mem, Verifier: ver, Getenv: func(string) string { return "" }})
	ctx := context.Background()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		key := fmt.Sprintf("sk_test_51Bench%08dXXXXXXXXXXXXXXXXX", i)
		ver.answers[key] = Verified{AccountID: "acct_1Bench"}
		if _, err := v.Add(ctx, key, AddOptions{}); err != nil {
			b.Fatal(err)
		}
		if err := v.Remove(ctx, "acct_1Bench:test", false); err != nil {
			b.Fatal(err)
		}
	}
}
