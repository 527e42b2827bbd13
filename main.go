// Billfold: a local-first desktop admin for Stripe businesses.
//
// main is the composition root: with no arguments it opens the desktop app,
// with a command it runs the headless face (backend/cli). It wires and holds
// no logic.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"billfold/backend/cli"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

func main() {
	args := os.Args[1:]
	if !cli.IsCommand(args) {
		os.Exit(runDesktop(version))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, args, &cli.Env{
		Stdin:   os.Stdin,
		Stdout:  os.Stdout,
		Stderr:  os.Stderr,
		Getenv:  os.Getenv,
		Version: version,
		// keys are checked with Stripe through stripeapi (backend/cli/verifier.go)
		Verifier: cli.StripeVerifier,
	})
	stop()
	os.Exit(code)
}
