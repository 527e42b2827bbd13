package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"testing"

	"github.com/zalando/go-keyring"
	"golang.org/x/sys/unix"

	"billfold/backend/vault"
)

// openPTY returns a pseudo-terminal pair: what the user types goes into
// master; the command reads slave as its standard input.
func openPTY(t *testing.T) (master, slave *os.File) {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	if err := unix.IoctlSetPointerInt(int(m.Fd()), unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetInt(int(m.Fd()), unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("cannot open the pty's slave: %v", err)
	}
	t.Cleanup(func() { m.Close(); s.Close() })
	return m, s
}

func echoOn(t *testing.T, f *os.File) bool {
	t.Helper()
	tio, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	return tio.Lflag&unix.ECHO != 0
}

// TestAccountsAddFromTerminal pastes a key into a real pseudo-terminal: the
// key is stored, never echoed back, and the terminal's echo is restored.
func TestAccountsAddFromTerminal(t *testing.T) {
	h := newAccounts(t)
	master, slave := openPTY(t)
	if !echoOn(t, slave) {
		t.Fatal("a new pty should echo")
	}
	echoed := make(chan []byte, 1)
	go func() { b, _ := io.ReadAll(master); echoed <- b }()

	const key = "sk_test_51TTYpasteAAAAAAAAAAAAAAAAAAAAAAA9999"
	var out, errb bytes.Buffer
	env := &Env{Stdin: slave, Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return h.vars[k] },
		Verifier: func() vault.Verifier { return h.ver }}
	// Type only once echo is off, as a user types after the prompt.
	done := make(chan int, 1)
	go func() { done <- Run(context.Background(), []string{"accounts", "add"}, env) }()
	waitFor(t, func() bool { return !echoOn(t, slave) })
	master.Write([]byte(key + "\n"))
	if code := <-done; code != 0 {
		t.Fatalf("exit %d: %s", code, errb.String())
	}
	if !echoOn(t, slave) {
		t.Error("echo not restored")
	}
	slave.Close()
	got := <-echoed
	if bytes.Contains(got, []byte(key)) {
		t.Errorf("the terminal echoed the key: %q", got)
	}
	if !strings.Contains(errb.String(), "input is hidden") || strings.Contains(errb.String()+out.String(), key) {
		t.Errorf("stderr %q stdout %q", errb.String(), out.String())
	}
	if v, _ := keyring.Get("Billfold", "acct_1Acme:test"); v != key {
		t.Errorf("keyring holds %q", v)
	}
}

// TestAccountsAddTerminalCancel: Ctrl-C at the prompt returns at once,
// stores nothing and restores echo.
func TestAccountsAddTerminalCancel(t *testing.T) {
	h := newAccounts(t)
	_, slave := openPTY(t)
	ctx, cancel := context.WithCancel(context.Background())
	var out, errb bytes.Buffer
	env := &Env{Stdin: slave, Stdout: &out, Stderr: &errb, Getenv: func(k string) string { return h.vars[k] },
		Verifier: func() vault.Verifier { return h.ver }}
	done := make(chan int, 1)
	go func() { done <- Run(ctx, []string{"accounts", "add"}, env) }()
	waitFor(t, func() bool { return !echoOn(t, slave) })
	cancel()
	if code := <-done; code != ExitProblem || !strings.Contains(errb.String(), "cancelled: no key was read") {
		t.Fatalf("exit %d: %q", code, errb.String())
	}
	if !echoOn(t, slave) {
		t.Error("echo not restored after cancel")
	}
	if _, err := keyring.Get("Billfold", "acct_1Acme:test"); err == nil {
		t.Error("a key was stored")
	}
}

// waitFor polls cond; the bound only keeps a broken build from hanging.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for i := 0; !cond(); i++ {
		if i > 30000 {
			t.Fatal("the terminal's echo was never turned off")
		}
		syscall.Nanosleep(&syscall.Timespec{Nsec: 1e6}, nil)
	}
}
