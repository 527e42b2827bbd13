package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"billfold/backend/sandbox"
)

const sandboxUsage = "billfold sandbox [--addr 127.0.0.1:12111] [--seed N] [--customers N] [--fixture FILE] [--dump FILE] [--truth FILE] [--now RFC3339] [--rps N|stripe] [--limit-mode test|live] [--latency DUR] [--fault-rate F] [--faults LIST] [--event-lag DUR]"

// runSandbox serves the Stripe API emulator on loopback, or dumps the
// generated business (--dump, --truth) and exits.
func runSandbox(ctx context.Context, env *Env) error {
	fs := NewFlagSet(env, "sandbox")
	addr := fs.String("addr", "127.0.0.1:12111", "loopback address to listen on")
	seed := fs.Uint64("seed", 1, "generator seed")
	customers := fs.Int("customers", 200, "number of generated customers")
	years := fs.Int("years", 3, "years of generated history before --now")
	fixture := fs.String("fixture", "", "serve the objects of this fixture file instead of generating")
	dump := fs.String("dump", "", "write the business to this file in fixture format and exit")
	truth := fs.String("truth", "", "write the generated business's true daily MRR (CSV date,currency,mrr) to this file")
	nowFlag := fs.String("now", "", "the business's now (RFC3339; default "+sandbox.DefaultNow.Format(time.RFC3339)+")")
	rps := fs.String("rps", "0", "rate limit: 0 off, N global requests/s, or 'stripe' for Stripe's limit of --limit-mode (per endpoint 25/s)")
	limitMode := fs.String("limit-mode", "test", "which Stripe limits apply: test (25/s global) or live (100/s)")
	latency := fs.Duration("latency", 0, "delay every response")
	faultRate := fs.Float64("fault-rate", 0, "probability 0..1 of a fault per request")
	faults := fs.String("faults", strings.Join(sandbox.AllFaults, ","), "faults to inject: "+strings.Join(sandbox.AllFaults, ","))
	eventLag := fs.Duration("event-lag", 0, "hide events made by writes from /v1/events this long")
	allowLive := fs.Bool("allow-live", false, "accept sk_live_ keys (refused by default)")
	pos, err := ParseFlags(fs, env)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return Usage("unexpected argument %q (usage: %s)", pos[0], sandboxUsage)
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if *customers < 1 {
		return Usage("--customers %d: must be at least 1", *customers)
	}
	if *faultRate < 0 || *faultRate > 1 {
		return Usage("--fault-rate %v: must be between 0 and 1", *faultRate)
	}
	var faultList []string
	for _, f := range strings.Split(*faults, ",") {
		if f = strings.TrimSpace(f); f != "" {
			faultList = append(faultList, f)
		}
	}
	opt := sandbox.Options{Mode: *limitMode, Latency: *latency, FaultRate: *faultRate, Faults: faultList,
		Seed: *seed, EventLag: *eventLag, AllowLive: *allowLive}
	switch *rps {
	case "0", "off", "":
	case "stripe":
		opt.RPS = -1
	default:
		n, perr := strconv.ParseFloat(*rps, 64)
		if perr != nil || n <= 0 {
			return Usage("--rps %q: want a positive number, 0 or stripe", *rps)
		}
		opt.RPS = n
	}
	var data *sandbox.Data
	if *fixture != "" {
		if set["seed"] || set["customers"] || set["now"] || set["years"] {
			return Usage("--fixture serves the file as is: drop --seed, --customers, --years and --now")
		}
		if *truth != "" {
			return Usage("--truth needs a generated business, not --fixture")
		}
		f, err := os.Open(*fixture)
		if err != nil {
			return Usage("--fixture: %v", err)
		}
		data, err = sandbox.LoadFixture(f)
		f.Close()
		if err != nil {
			return Usage("--fixture %s: %v", *fixture, err)
		}
	} else {
		var now time.Time
		if *nowFlag != "" {
			if now, err = time.Parse(time.RFC3339, *nowFlag); err != nil {
				return Usage("--now %q: want RFC3339, e.g. 2025-11-01T12:00:00Z", *nowFlag)
			}
		}
		if os.Getenv("GOMEMLIMIT") == "" && *customers >= 10000 {
			// keep the peak near the live heap (a big business: 100,000
			// customers live in about 1.6 GiB)
			debug.SetMemoryLimit(sandbox.MemoryLimit(*customers))
		}
		data, err = sandbox.Generate(sandbox.GenOptions{Seed: *seed, Customers: *customers, Now: now, Years: *years})
		if err != nil {
			return Usage("%v", err)
		}
	}
	if *truth != "" {
		if err := writeFileAtomic(*truth, data.WriteTruth); err != nil {
			return err
		}
	}
	if *dump != "" {
		return writeFileAtomic(*dump, data.WriteFixture)
	}
	if *truth != "" && !set["addr"] {
		return nil
	}
	host, _, err := net.SplitHostPort(*addr)
	if err != nil {
		return Usage("--addr %q: %v", *addr, err)
	}
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return Usage("--addr %q: the sandbox listens on loopback only (127.0.0.1, ::1, localhost)", *addr)
	}
	srv, err := sandbox.NewServer(data, opt)
	if err != nil {
		return Usage("%v", err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return Problem("listen %s: %v", *addr, err)
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(env.Stderr, "billfold sandbox: serving Stripe API 2023-10-16 on http://%s (%d customers; any sk_test_ key)\n", ln.Addr(), len(data.Customers))
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		hs.Shutdown(sctx)
		return nil
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return Problem("serve: %v", err)
	}
}

// writeFileAtomic writes path through a temporary file and a rename, so a
// failed write leaves no half file behind.
func writeFileAtomic(path string, write func(w io.Writer) error) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return Usage("%s: %v", path, err)
	}
	tmp := f.Name()
	f.Chmod(0o644)
	if err := write(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return Problem("%s: %v", path, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return Problem("%s: %v", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return Problem("%s: %v", path, err)
	}
	return nil
}
