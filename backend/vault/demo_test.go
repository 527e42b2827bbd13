package vault

import (
	"context"
	"testing"

	"github.com/zalando/go-keyring"

	"billfold/backend"
)

func TestPutDemo(t *testing.T) {
	keyring.MockInit()
	t.Cleanup(keyring.MockInit)
	home := t.TempDir()
	v, err := New(Options{Home: home, Getenv: func(k string) string {
		return map[string]string{"DBUS_SESSION_BUS_ADDRESS": "unix:path=/nonexistent"}[k]
	}})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	a, err := v.PutDemo(ctx, Account{Name: "Billfold Demo Co.", DefaultCurrency: "usd", KeyMasked: "sk_test_…demo"})
	if err != nil {
		t.Fatal(err)
	}
	if !a.Demo || a.ID != DemoID || a.Label != "Demo workspace" || a.Mode != backend.ModeTest || !a.Permissions["customers"].CanRead() {
		t.Fatalf("demo %+v", a)
	}
	if _, err := v.Rename(ctx, DemoID, "Playground"); err != nil {
		t.Fatal(err)
	}
	a, err = v.PutDemo(ctx, Account{Name: "Billfold Demo Co.", DefaultCurrency: "eur"})
	if err != nil || a.Label != "Playground" || a.DefaultCurrency != "eur" {
		t.Fatalf("refresh keeps the label: %+v %v", a, err)
	}
	list, err := v.List(ctx)
	if err != nil || len(list) != 1 || !list[0].Demo {
		t.Fatalf("list %+v %v", list, err)
	}
	if _, err := v.Verify(ctx, DemoID); backend.ErrorCode(err) != backend.EINVALID {
		t.Errorf("verify demo: %v", err)
	}
	if _, err := v.Rotate(ctx, DemoID, "sk_test_abcdefghijklmnop"); backend.ErrorCode(err) != backend.EINVALID {
		t.Errorf("rotate demo: %v", err)
	}
	// no keyring entry: removing it is fine
	if err := v.Remove(ctx, DemoID, true); err != nil {
		t.Fatal(err)
	}
	if list, _ := v.List(ctx); len(list) != 0 {
		t.Errorf("after remove %+v", list)
	}
}
