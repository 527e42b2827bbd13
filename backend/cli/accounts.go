package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"text/tabwriter"
	"time"

	"billfold/backend"
	"billfold/backend/vault"
)

// VerifierFactory returns the Verifier that checks keys with Stripe (the
// stripeapi adapter). main.go sets Env.Verifier; nil means keys cannot be
// verified, so add, rotate and verify fail with a clear message.
type VerifierFactory func() vault.Verifier

const accountsUsage = `billfold accounts list [--json]
  billfold accounts add [--label L] [--api-base URL] [--json] < key     (the key on standard input, never as an argument)
  billfold accounts rotate ID [--json] < key                            (replace the key of ID; same Stripe account)
  billfold accounts verify ID [--json]
  billfold accounts rename ID LABEL
  billfold accounts remove ID [--delete-data]`

func runAccounts(ctx context.Context, env *Env) error {
	if len(env.Args) == 0 {
		return Usage("missing subcommand: list, add, rotate, verify, rename or remove (see `billfold help accounts`)")
	}
	sub := env.Args[0]
	env.Args = env.Args[1:]
	switch sub {
	case "list", "ls":
		return accountsList(ctx, env)
	case "add":
		return accountsAdd(ctx, env)
	case "rotate":
		return accountsRotate(ctx, env)
	case "verify":
		return accountsVerify(ctx, env)
	case "rename":
		return accountsRename(ctx, env)
	case "remove", "rm":
		return accountsRemove(ctx, env)
	case "-h", "--help", "help":
		fmt.Fprintln(env.Stdout, accountsUsage)
		return nil
	}
	if looksLikeKey(sub) {
		return errKeyArgument
	}
	return Usage("unknown subcommand %q: use list, add, rotate, verify, rename or remove", sub)
}

func openVault(env *Env) (*vault.Vault, error) {
	var ver vault.Verifier
	if env.Verifier != nil {
		ver = env.Verifier()
	}
	return vault.New(vault.Options{Getenv: env.Getenv, Verifier: ver})
}

var keyArg = regexp.MustCompile(`(?i)(^|[^a-z])(sk|rk|pk)_(test|live)_`)

func looksLikeKey(s string) bool { return keyArg.MatchString(s) }

var errKeyArgument = Usage("never pass an API key as an argument (shell history and other processes can see it): give it on standard input, e.g. `billfold accounts add < key.txt`")

// positional checks the number of positional arguments without ever echoing
// one that looks like a key.
func positional(args []string, want int, usage string) error {
	for _, a := range args {
		if looksLikeKey(a) {
			return errKeyArgument
		}
	}
	if len(args) != want {
		return Usage("expected %s", usage)
	}
	return nil
}

// maxKeyInput bounds what is read from standard input.
const maxKeyInput = 4096

// readKey reads the key from standard input: one line; the line break that
// ends it is removed, nothing else (ParseAPIKey rejects other whitespace).
// From a terminal it prompts on standard error and reads with echo off.
func readKey(ctx context.Context, env *Env) (string, error) {
	if env.Stdin == nil {
		return "", nil
	}
	if f, ok := env.Stdin.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			return readKeyTerminal(ctx, env, f)
		}
	}
	b, err := io.ReadAll(io.LimitReader(env.Stdin, maxKeyInput+1))
	if err != nil {
		return "", Usage("could not read the key from standard input: %v", err)
	}
	if len(b) > maxKeyInput {
		return "", Usage("standard input is longer than %d bytes: give only the API key", maxKeyInput)
	}
	first, rest, _ := bytes.Cut(b, []byte("\n"))
	if len(bytes.TrimSpace(rest)) > 0 {
		return "", Usage("standard input has more than one line: give only the API key")
	}
	return trimLineEnd(string(first)), nil
}

// readKeyTerminal prompts and reads one line with echo off. Ctrl-C (ctx
// cancelled) returns at once with the terminal restored; the reading
// goroutine ends with the process.
func readKeyTerminal(ctx context.Context, env *Env, f *os.File) (string, error) {
	restore, hidden := echoOff(f)
	defer restore()
	if hidden {
		fmt.Fprint(env.Stderr, "Paste the Stripe API key (sk_… or rk_…; a read-only restricted key is recommended; input is hidden), then press Enter: ")
	} else {
		fmt.Fprint(env.Stderr, "Paste the Stripe API key (sk_… or rk_…; a read-only restricted key is recommended), then press Enter: ")
	}
	type result struct {
		line string
		err  error
	}
	done := make(chan result, 1)
	go func() {
		line, err := bufio.NewReader(io.LimitReader(f, maxKeyInput+1)).ReadString('\n')
		done <- result{line, err}
	}()
	select {
	case r := <-done:
		if hidden {
			fmt.Fprintln(env.Stderr)
		}
		if r.err != nil && r.err != io.EOF {
			return "", Usage("could not read the key from the terminal: %v", r.err)
		}
		if len(r.line) > maxKeyInput {
			return "", Usage("the input is longer than %d bytes: give only the API key", maxKeyInput)
		}
		return trimLineEnd(r.line), nil
	case <-ctx.Done():
		fmt.Fprintln(env.Stderr)
		return "", backend.Errorf(backend.ECANCELED, "cancelled: no key was read and nothing was stored")
	}
}

func trimLineEnd(s string) string {
	s = strings.TrimSuffix(s, "\n")
	return strings.TrimSuffix(s, "\r")
}

func apiBase(env *Env, flagValue string) string {
	if flagValue != "" {
		return flagValue
	}
	return env.Getenv("BILLFOLD_API_BASE")
}

func accountsList(ctx context.Context, env *Env) error {
	fs := NewFlagSet(env, "accounts list")
	asJSON := fs.Bool("json", false, "print JSON")
	args, err := ParseFlags(fs, env)
	if err != nil {
		return err
	}
	if err := positional(args, 0, "no arguments: billfold accounts list [--json]"); err != nil {
		return err
	}
	v, err := openVault(env)
	if err != nil {
		return err
	}
	accts, err := v.List(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env.Stdout, accts)
	}
	if len(accts) == 0 {
		fmt.Fprintln(env.Stdout, "No accounts yet. Add one with: billfold accounts add < key.txt")
		return nil
	}
	tw := tabwriter.NewWriter(env.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tMODE\tLABEL\tNAME\tKEY\tCURRENCY\tVERIFIED\tAPI BASE")
	for _, a := range accts {
		mode, key := strings.ToUpper(string(a.Mode)), a.KeyMasked
		if a.Demo {
			mode, key = "DEMO", "(none: demo)"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", a.ID, mode, oneLine(a.Label), oneLine(a.Name), key,
			a.DefaultCurrency, a.VerifiedAt.UTC().Format(time.RFC3339), a.APIBase)
	}
	return tw.Flush()
}

// oneLine keeps untrusted text (names come from Stripe) on one table row.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func accountsAdd(ctx context.Context, env *Env) error {
	fs := NewFlagSet(env, "accounts add")
	label := fs.String("label", "", "a name for the account (default: the business name and mode)")
	base := fs.String("api-base", "", "Stripe API base URL (default https://api.stripe.com, or BILLFOLD_API_BASE)")
	asJSON := fs.Bool("json", false, "print JSON")
	args, err := ParseFlags(fs, env)
	if err != nil {
		return err
	}
	if len(args) > 0 {
		if looksLikeKey(strings.Join(args, " ")) {
			return errKeyArgument
		}
		return Usage("`accounts add` takes no arguments: it reads the key from standard input, e.g. `billfold accounts add < key.txt`")
	}
	key, err := readKey(ctx, env)
	if err != nil {
		return err
	}
	v, err := openVault(env)
	if err != nil {
		return err
	}
	a, err := v.Add(ctx, key, vault.AddOptions{Label: *label, APIBase: apiBase(env, *base)})
	if err != nil {
		return err
	}
	return reportAccount(env, "added", a, *asJSON)
}

func accountsRotate(ctx context.Context, env *Env) error {
	fs := NewFlagSet(env, "accounts rotate")
	asJSON := fs.Bool("json", false, "print JSON")
	args, err := ParseFlags(fs, env)
	if err != nil {
		return err
	}
	if err := positional(args, 1, "one account: billfold accounts rotate ID < key.txt"); err != nil {
		return err
	}
	key, err := readKey(ctx, env)
	if err != nil {
		return err
	}
	v, err := openVault(env)
	if err != nil {
		return err
	}
	a, err := v.Rotate(ctx, args[0], key)
	if err != nil {
		return err
	}
	return reportAccount(env, "replaced the key of", a, *asJSON)
}

func accountsVerify(ctx context.Context, env *Env) error {
	fs := NewFlagSet(env, "accounts verify")
	asJSON := fs.Bool("json", false, "print JSON")
	args, err := ParseFlags(fs, env)
	if err != nil {
		return err
	}
	if err := positional(args, 1, "one account: billfold accounts verify ID"); err != nil {
		return err
	}
	v, err := openVault(env)
	if err != nil {
		return err
	}
	a, err := v.Verify(ctx, args[0])
	if err != nil {
		return err
	}
	return reportAccount(env, "verified", a, *asJSON)
}

func accountsRename(ctx context.Context, env *Env) error {
	fs := NewFlagSet(env, "accounts rename")
	args, err := ParseFlags(fs, env)
	if err != nil {
		return err
	}
	if err := positional(args, 2, "an account and a label: billfold accounts rename ID LABEL"); err != nil {
		return err
	}
	v, err := openVault(env)
	if err != nil {
		return err
	}
	a, err := v.Rename(ctx, args[0], args[1])
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "renamed %s to %q\n", a.ID, a.Label)
	return nil
}

func accountsRemove(ctx context.Context, env *Env) error {
	fs := NewFlagSet(env, "accounts remove")
	deleteData := fs.Bool("delete-data", false, "also delete the account's local cache (this mode only)")
	args, err := ParseFlags(fs, env)
	if err != nil {
		return err
	}
	if err := positional(args, 1, "one account: billfold accounts remove ID [--delete-data]"); err != nil {
		return err
	}
	v, err := openVault(env)
	if err != nil {
		return err
	}
	a, err := v.Get(ctx, args[0])
	if err != nil {
		return err
	}
	db, err := v.DataPath(a.ID)
	if err != nil {
		return err
	}
	if err := v.Remove(ctx, a.ID, *deleteData); err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "removed %s (%s) and its key from the system keyring\n", a.ID, oneLine(a.Label))
	if *deleteData {
		fmt.Fprintf(env.Stdout, "deleted its local data %s\n", db)
	} else {
		fmt.Fprintf(env.Stdout, "kept its local data %s (use --delete-data to delete it)\n", db)
	}
	return nil
}

func reportAccount(env *Env, verb string, a vault.Account, asJSON bool) error {
	if asJSON {
		if err := writeJSON(env.Stdout, a); err != nil {
			return err
		}
	} else {
		name := a.Name
		if name == "" {
			name = a.AccountID
		}
		fmt.Fprintf(env.Stdout, "%s %s %q: %s, %s mode, key %s, default currency %s\n",
			verb, a.ID, oneLine(a.Label), oneLine(name), a.Mode, a.KeyMasked, a.DefaultCurrency)
	}
	if missing := a.MissingRead(); len(missing) > 0 {
		fmt.Fprintf(env.Stderr, "warning: this key cannot read %s: sync needs Read access to them; edit the restricted key in the Stripe Dashboard\n", strings.Join(missing, ", "))
	}
	if !a.Restricted {
		fmt.Fprintln(env.Stderr, "tip: a read-only restricted key (rk_) is safer for syncing than a secret key")
	}
	return nil
}
