package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "modernc.org/sqlite"

	"billfold/backend"
	"billfold/backend/sandbox"
	"billfold/backend/store"
)

// TestCrashResume runs the real binary's `billfold sync` against the sandbox
// and kill -9s it at random moments, again and again (BILLFOLD_CRASH_RUNS,
// default 20). After every kill the SQLite file passes integrity_check and
// the next run never re-lists a created range that was already finished.
// The last run completes; `billfold verify` then finds no drift.
func TestCrashResume(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the real binary")
	}
	runs := 20
	if s := os.Getenv("BILLFOLD_CRASH_RUNS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			t.Fatalf("BILLFOLD_CRASH_RUNS=%q: want a positive number", s)
		}
		runs = n
	}
	dir := t.TempDir()
	bin := buildBillfold(t, dir)

	data, err := sandbox.Generate(sandbox.GenOptions{Seed: 11, Customers: 300})
	if err != nil {
		t.Fatal(err)
	}
	rec := &listRecorder{}
	srv, err := sandbox.NewServer(data, sandbox.Options{Latency: 15 * time.Millisecond, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(rec.wrap(srv))
	defer ts.Close()

	dbPath := filepath.Join(dir, "cache.db")
	const apiKey = "sk_test_CANARYcrashresume0123456789"
	env := append(os.Environ(),
		"BILLFOLD_HOME="+filepath.Join(dir, "home"),
		"BILLFOLD_API_KEY="+apiKey,
		"BILLFOLD_API_BASE="+ts.URL,
		"BILLFOLD_DB="+dbPath,
	)
	var output bytes.Buffer // every run's stdout and stderr, for the key canary
	rng := rand.New(rand.NewPCG(2026, 11))
	killed, finished := 0, 0
	for i := 0; i < runs; i++ {
		done := doneRanges(t, dbPath)
		rec.reset()
		cmd := exec.Command(bin, "sync", "--json")
		cmd.Env = env
		cmd.Stdout, cmd.Stderr = &output, &output
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan error, 1)
		go func() { exited <- cmd.Wait() }()
		delay := time.Duration(50+rng.IntN(1500)) * time.Millisecond
		select {
		case err := <-exited:
			if err != nil {
				t.Fatalf("run %d: sync failed without a kill: %v", i, err)
			}
			finished++
		case <-time.After(delay):
			_ = cmd.Process.Signal(syscall.SIGKILL)
			<-exited
			killed++
		}
		checkIntegrity(t, dbPath)
		for _, req := range rec.lists() {
			for _, r := range done[req.typ] {
				if req.gte >= r.Gte && req.lt <= r.Lt && req.lt > req.gte {
					t.Errorf("run %d re-listed %s [%d,%d) inside the finished range [%d,%d)", i, req.typ, req.gte, req.lt, r.Gte, r.Lt)
				}
			}
		}
	}
	t.Logf("%d runs: %d killed mid-sync, %d finished before the kill", runs, killed, finished)
	if killed == 0 {
		t.Fatal("no run was killed mid-sync: the test proved nothing")
	}

	final := exec.Command(bin, "sync", "--json")
	final.Env = env
	out, err := final.CombinedOutput()
	output.Write(out)
	if err != nil {
		t.Fatalf("final sync: %v\n%s", err, out)
	}
	checkIntegrity(t, dbPath)
	verify := exec.Command(bin, "verify", "--json")
	verify.Env = env
	out, err = verify.CombinedOutput()
	output.Write(out)
	if err != nil {
		t.Fatalf("verify after %d kills found drift or failed: %v\n%s", killed, err, out)
	}
	assertExact(t, dbPath, srv.Data())
	assertNoKey(t, apiKey, dir, output.Bytes(), "cache.db")
}

// buildBillfold builds the real binary (headless face) into dir.
func buildBillfold(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "billfold")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// assertNoKey is reliability.md's canary: after syncs, kills and a verify,
// the full key is in no file under dir (the cache, its WAL, BILLFOLD_HOME)
// and in no output. A file whose name ends in cacheSuffix must be among
// those read, so the check cannot pass on an empty folder.
func assertNoKey(t *testing.T, key, dir string, output []byte, cacheSuffix string) {
	t.Helper()
	if bytes.Contains(output, []byte(key)) {
		t.Errorf("the API key %s… appears in the command output", key[:12])
	}
	sawCache := false
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Name() == "billfold" {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		sawCache = sawCache || strings.HasSuffix(path, cacheSuffix)
		if bytes.Contains(b, []byte(key)) {
			t.Errorf("the API key %s… appears in %s", key[:12], path)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !sawCache {
		t.Fatalf("the canary read no *%s file under %s", cacheSuffix, dir)
	}
}

// assertExact compares every stored object with the sandbox's own, by
// content hash: nothing missing, nothing extra, nothing different.
func assertExact(t *testing.T, dbPath string, data *sandbox.Data) {
	t.Helper()
	var buf bytes.Buffer
	if err := data.WriteFixture(&buf); err != nil {
		t.Fatal(err)
	}
	var fx map[string]json.RawMessage
	if err := json.Unmarshal(buf.Bytes(), &fx); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), dbPath, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, typ := range backend.SyncedTypes {
		var items []json.RawMessage
		if err := json.Unmarshal(fx[string(typ)], &items); err != nil {
			t.Fatalf("fixture %s: %v", typ, err)
		}
		got, err := db.Hashes(context.Background(), typ, 0, 1<<62)
		if err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, it := range items {
			var h struct {
				ID      string `json:"id"`
				Deleted bool   `json:"deleted"`
			}
			if err := json.Unmarshal(it, &h); err != nil {
				t.Fatal(err)
			}
			if h.Deleted {
				continue
			}
			want++
			hash, err := backend.ContentHash(it)
			if err != nil {
				t.Fatal(err)
			}
			if got[h.ID] != hash {
				t.Errorf("%s %s: stored %q, sandbox %q", typ, h.ID, got[h.ID], hash)
			}
		}
		if len(got) != want {
			t.Errorf("%s: %d stored, %d in the sandbox", typ, len(got), want)
		}
	}
}

type listReq struct {
	typ     backend.ObjectType
	gte, lt int64
}

// listRecorder records the created range of every top-level list request.
type listRecorder struct {
	mu   sync.Mutex
	reqs []listReq
}

func (l *listRecorder) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet {
			parts := strings.Split(strings.Trim(r.URL.Path, "/"), "/")
			q := r.URL.Query()
			if len(parts) == 2 && q.Get("created[gte]") != "" && q.Get("created[lt]") != "" {
				gte, _ := strconv.ParseInt(q.Get("created[gte]"), 10, 64)
				lt, _ := strconv.ParseInt(q.Get("created[lt]"), 10, 64)
				l.mu.Lock()
				l.reqs = append(l.reqs, listReq{backend.ObjectType(parts[1]), gte, lt})
				l.mu.Unlock()
			}
		}
		h.ServeHTTP(w, r)
	})
}

func (l *listRecorder) reset() { l.mu.Lock(); l.reqs = nil; l.mu.Unlock() }

func (l *listRecorder) lists() []listReq {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]listReq(nil), l.reqs...)
}

func doneRanges(t *testing.T, path string) map[backend.ObjectType][]backend.SyncRange {
	t.Helper()
	out := map[backend.ObjectType][]backend.SyncRange{}
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return out
	}
	db, err := store.Open(context.Background(), path, store.Options{})
	if err != nil {
		t.Fatalf("open after kill: %v", err)
	}
	defer db.Close()
	for _, typ := range backend.SyncedTypes {
		rs, err := db.Ranges(context.Background(), typ)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Done {
				out[typ] = append(out[typ], r)
			}
		}
	}
	return out
}

func checkIntegrity(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return
	}
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil {
		t.Fatalf("integrity_check: %v", err)
	}
	if res != "ok" {
		t.Fatalf("integrity_check after a kill: %s", res)
	}
	if matches, _ := filepath.Glob(path + ".corrupt-*"); len(matches) > 0 {
		t.Fatalf("the cache was found corrupt and moved aside after a kill: %v", matches)
	}
}
