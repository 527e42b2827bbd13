package cli_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"billfold/backend"
	"billfold/backend/analytics/sandboxdb"
	"billfold/backend/cli"
)

func runCLI(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &cli.Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv: func(k string) string { return vars[k] }}
	code := cli.Run(context.Background(), args, env)
	return code, out.String(), errb.String()
}

// TestCustomersSearchAndExport runs the commands over a cache synced from
// the sandbox, offline and with no key.
func TestCustomersSearchAndExport(t *testing.T) {
	home := t.TempDir()
	t.Setenv("BILLFOLD_HOME", home)
	e := sandboxdb.New(t, 7, 60, nil)
	counts, err := e.DB.Counts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var c backend.Customer
	for _, o := range e.Data.Customers {
		raw, _ := json.Marshal(o)
		if err := json.Unmarshal(raw, &c); err == nil && c.Email != "" && strings.Contains(c.Email, "@") {
			break
		}
	}
	if c.Email == "" {
		t.Fatal("no customer with an email in the sandbox")
	}
	e.DB.Close()
	vars := map[string]string{"BILLFOLD_HOME": home, "BILLFOLD_DB": e.Path}

	// part of a known email, as typed
	part := c.Email[:strings.IndexByte(c.Email, '@')]
	code, out, errs := runCLI(t, vars, "customers", "search", part, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var res struct {
		Customers []struct {
			ID, Email string
			Exact     bool
		}
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, r := range res.Customers {
		found = found || r.ID == c.ID
	}
	if !found {
		t.Fatalf("%q did not find %s: %s", part, c.ID, out)
	}
	// the exact email ranks first; the table form prints it
	code, out, _ = runCLI(t, vars, "customers", "search", "--db", e.Path, c.Email)
	if code != 0 || !strings.Contains(strings.SplitN(out, "\n", 3)[1], c.ID) || !strings.Contains(out, "exact email") {
		t.Fatalf("exact email: exit %d\n%s", code, out)
	}
	// bad input: one line, exit 2, before touching anything
	for _, args := range [][]string{
		{"customers", "search", "status:dead"},
		{"customers", "search", `"open`},
		{"customers", "search"},
		{"customers", "find", "x"},
		{"customers", "search", "x", "--limit", "0"},
		{"export", "products", "--format", "csv"},
		{"export", "customers", "--format", "xlsx"},
		{"export", "customers", "--out", filepath.Join(home, "no", "such", "dir", "x.csv")},
	} {
		code, out, errs := runCLI(t, vars, args...)
		if code != 2 || out != "" || strings.Count(strings.TrimSpace(errs), "\n") != 0 || errs == "" {
			t.Errorf("%v: exit %d, stdout %q, stderr %q", args, code, out, errs)
		}
	}
	// no cache: a clear error, no file created
	code, _, errs = runCLI(t, map[string]string{"BILLFOLD_HOME": home, "BILLFOLD_DB": filepath.Join(home, "none.db")}, "customers", "search", "x")
	if code != 2 || !strings.Contains(errs, "no local cache") {
		t.Fatalf("no cache: exit %d %s", code, errs)
	}
	if _, err := os.Stat(filepath.Join(home, "none.db")); err == nil {
		t.Fatal("a cache was created")
	}

	// exports: a header and one row per stored object, RFC 4180 parsable
	for _, typ := range []backend.ObjectType{backend.TypeCustomers, backend.TypeSubscriptions, backend.TypeInvoices, backend.TypeCharges} {
		outFile := filepath.Join(home, string(typ)+".csv")
		code, _, errs := runCLI(t, vars, "export", string(typ), "--format", "csv", "--out", outFile)
		if code != 0 {
			t.Fatalf("export %s: exit %d %s", typ, code, errs)
		}
		f, err := os.Open(outFile)
		if err != nil {
			t.Fatal(err)
		}
		recs, err := csv.NewReader(f).ReadAll()
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", typ, err)
		}
		if int64(len(recs)-1) != counts[typ] || counts[typ] == 0 {
			t.Fatalf("%s: %d rows, %d stored", typ, len(recs)-1, counts[typ])
		}
		if recs[0][0] != "id" {
			t.Fatalf("%s header %v", typ, recs[0])
		}
		st, _ := os.Stat(outFile)
		if st.Mode().Perm() != 0o600 {
			t.Fatalf("%s mode %v", typ, st.Mode())
		}
		// the same bytes on standard output
		code, out, _ := runCLI(t, vars, "export", string(typ))
		want, _ := os.ReadFile(outFile)
		if code != 0 || out != string(want) {
			t.Fatalf("%s to stdout differs", typ)
		}
	}
}
