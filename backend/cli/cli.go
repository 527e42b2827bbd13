// Package cli is Billfold's headless face: `billfold COMMAND ...`. It parses
// arguments, wires the backend packages and converts errors once into a
// one-line message and an exit status (0 ok, 1 a problem found, 2 bad usage).
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"billfold/backend"
)

// Exit statuses of the contract.
const (
	ExitOK      = 0
	ExitProblem = 1
	ExitUsage   = 2
)

// Env is what a command may touch of the outside world. main.go fills it from
// the process; tests fill it by hand.
type Env struct {
	Args   []string // arguments after the command name
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer
	Getenv func(string) string
	// Version is the build's version string.
	Version string
	// Verifier checks Stripe keys for `accounts` (accounts.go); nil: not wired.
	Verifier VerifierFactory
}

// Command is one headless command.
type Command struct {
	Name    string
	Summary string
	Usage   string
	Run     func(ctx context.Context, env *Env) error
}

// commands is the command table. Add a command by adding its line here and
// its Run function in a file of its own.
func commands() []Command {
	return []Command{
		{Name: "help", Summary: "show the commands and their usage", Usage: "billfold help [COMMAND]", Run: runHelp},
		{Name: "version", Summary: "print the version", Usage: "billfold version [--json]", Run: runVersion},
		{Name: "sandbox", Summary: "run the Stripe API emulator on loopback, or dump a generated business", Usage: sandboxUsage, Run: runSandbox},
		{Name: "accounts", Summary: "list, add, rotate, verify, rename or remove Stripe accounts and their keys", Usage: accountsUsage, Run: runAccounts},
		{Name: "sync", Summary: "backfill or incrementally sync a Stripe account into its local SQLite cache", Usage: syncUsage, Run: runSync},
		{Name: "verify", Summary: "compare the local cache with Stripe (counts and content hashes); exit 1 on drift", Usage: verifyUsage, Run: runVerify},
		{Name: "demo", Summary: "build the demo workspace: a sandbox business synced through the real engine", Usage: demoUsage, Run: runDemo},
		{Name: "metrics", Summary: "revenue metrics (MRR, movements, churn, NRR) from the local cache", Usage: metricsUsage, Run: runMetrics},
		{Name: "customers", Summary: "search customers in the local cache (Stripe's search syntax, offline)", Usage: customersUsage, Run: runCustomers},
		{Name: "export", Summary: "export customers, subscriptions, invoices or charges as CSV", Usage: exportUsage(), Run: runExport},
	}
}

// IsCommand reports whether args name a headless command (so main.go knows
// not to open the window).
func IsCommand(args []string) bool { return len(args) > 0 }

// Run runs args[0] with the rest and returns the exit status.
func Run(ctx context.Context, args []string, env *Env) int {
	if env.Getenv == nil {
		env.Getenv = os.Getenv
	}
	if len(args) == 0 {
		fmt.Fprintln(env.Stderr, "billfold: no command given: run `billfold help` for the list")
		return ExitUsage
	}
	name := args[0]
	switch name {
	case "-h", "--help":
		name = "help"
	case "-v", "--version":
		name = "version"
	}
	for _, c := range commands() {
		if c.Name == name {
			env.Args = args[1:]
			return exitStatus(env.Stderr, c.Name, c.Run(ctx, env))
		}
	}
	fmt.Fprintf(env.Stderr, "billfold: unknown command %q: run `billfold help` for the list\n", name)
	return ExitUsage
}

// ErrProblem marks an error that means "the command ran and found a problem"
// (exit 1) rather than bad input (exit 2).
var errSilent = errors.New("silent")

// Problem returns an error that exits with status 1 and prints msg.
func Problem(format string, args ...any) error {
	return &backend.Error{Code: "problem", Message: fmt.Sprintf(format, args...)}
}

// Usage returns an error that exits with status 2 and prints msg.
func Usage(format string, args ...any) error {
	return backend.Errorf(backend.EINVALID, format, args...)
}

func exitStatus(stderr io.Writer, name string, err error) int {
	if err == nil {
		return ExitOK
	}
	if errors.Is(err, errSilent) {
		return ExitProblem
	}
	if errors.Is(err, flag.ErrHelp) {
		return ExitOK
	}
	msg := strings.ReplaceAll(backend.ErrorMessage(err), "\n", " ")
	fmt.Fprintf(stderr, "billfold %s: %s\n", name, msg)
	switch backend.ErrorCode(err) {
	case backend.EINVALID, backend.EUNAUTHORIZED, backend.EFORBIDDEN:
		return ExitUsage
	default:
		return ExitProblem
	}
}

// NewFlagSet returns a flag set that reports errors as usage errors instead
// of printing and exiting. Parse it with ParseFlags.
func NewFlagSet(env *Env, name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// ParseFlags parses env.Args into fs; a bad flag becomes a one-line usage error.
// Flags may come before or after positional arguments.
func ParseFlags(fs *flag.FlagSet, env *Env) ([]string, error) {
	var pos []string
	args := env.Args
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				printFlags(env.Stdout, fs)
				return nil, flag.ErrHelp
			}
			return nil, Usage("%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func printFlags(w io.Writer, fs *flag.FlagSet) {
	fs.SetOutput(w)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

func runHelp(ctx context.Context, env *Env) error {
	cmds := commands()
	if len(env.Args) > 0 {
		for _, c := range cmds {
			if c.Name == env.Args[0] {
				fmt.Fprintf(env.Stdout, "%s\n\n  %s\n", c.Usage, c.Summary)
				return nil
			}
		}
		return Usage("unknown command %q: run `billfold help` for the list", env.Args[0])
	}
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })
	fmt.Fprintln(env.Stdout, "Billfold: a local-first desktop admin for Stripe businesses.")
	fmt.Fprintln(env.Stdout)
	fmt.Fprintln(env.Stdout, "Usage:")
	fmt.Fprintln(env.Stdout, "  billfold            open the desktop app")
	fmt.Fprintln(env.Stdout, "  billfold COMMAND    run a command headless")
	fmt.Fprintln(env.Stdout)
	fmt.Fprintln(env.Stdout, "Commands:")
	for _, c := range cmds {
		fmt.Fprintf(env.Stdout, "  %-10s %s\n", c.Name, c.Summary)
	}
	fmt.Fprintln(env.Stdout)
	fmt.Fprintln(env.Stdout, "Variables: BILLFOLD_HOME (data folder), BILLFOLD_API_KEY (key for headless use, never stored),")
	fmt.Fprintln(env.Stdout, "BILLFOLD_API_BASE (Stripe API base URL), BILLFOLD_DB (SQLite file to use).")
	fmt.Fprintln(env.Stdout, "Exit status: 0 success, 1 the command found a problem, 2 bad usage or bad input.")
	return nil
}

func runVersion(ctx context.Context, env *Env) error {
	fs := NewFlagSet(env, "version")
	asJSON := fs.Bool("json", false, "print JSON")
	if _, err := ParseFlags(fs, env); err != nil {
		return err
	}
	if *asJSON {
		return writeJSON(env.Stdout, map[string]string{"version": env.Version, "stripe_api_version": backend.StripeAPIVersion})
	}
	fmt.Fprintf(env.Stdout, "billfold %s (Stripe API %s)\n", env.Version, backend.StripeAPIVersion)
	return nil
}
