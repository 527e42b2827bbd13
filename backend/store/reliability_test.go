package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"billfold/backend"
)

// seedCustomer stores a customer with a subscription, invoice, charge with
// a refund, and events about them.
func seedCustomer(t testing.TB, db *DB, id, name, email string, created int64) {
	t.Helper()
	ctx := context.Background()
	savePage(t, db, raw(t, backend.TypeCustomers, 100, customerJSON(id, name, email, created, obj{"phone": "+44 20 7946 0958",
		"metadata": obj{"note": name + " vip"}})))
	savePage(t, db, raw(t, backend.TypeSubscriptions, 100, subscriptionJSON("sub_"+id, id, "active", created, 1)))
	savePage(t, db, raw(t, backend.TypeSubscriptions, 200, subscriptionJSON("sub_"+id, id, "active", created, 2)))
	savePage(t, db, raw(t, backend.TypeInvoices, 100, invoiceJSON("in_"+id, id, "sub_"+id, created, 2)))
	savePage(t, db, raw(t, backend.TypeCharges, 100, chargeJSON("ch_"+id, id, "in_"+id, created, 1)))
	c := customerJSON(id, name, email, created, nil)
	evs := []backend.Event{
		{ID: "evt_c_" + id, Type: "customer.updated", Created: 300, Data: backend.EventData{Object: mustJSON(t, c)}},
		{ID: "evt_r_" + id, Type: "charge.refunded", Created: 301, Data: backend.EventData{Object: mustJSON(t,
			obj{"id": "re_ch_" + id + "_0", "object": "refund", "charge": "ch_" + id, "receipt_email": email})}},
	}
	if err := db.ApplyEvents(ctx, evs, []backend.RawObject{raw(t, backend.TypeCustomers, 300, c)}, 300); err != nil {
		t.Fatal(err)
	}
}

func grepFiles(t *testing.T, path string, needles ...string) []string {
	t.Helper()
	var found []string
	for _, p := range []string{path, path + "-wal", path + "-shm", path + "-journal"} {
		b, err := os.ReadFile(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range needles {
			if bytes.Contains(bytes.ToLower(b), bytes.ToLower([]byte(n))) {
				found = append(found, filepath.Base(p)+": "+n)
			}
		}
	}
	return found
}

func TestForgetCustomer(t *testing.T) {
	ctx := context.Background()
	path := dbPath(t)
	db := openTest(t, path)
	seedCustomer(t, db, "cus_forget", "Zebulon Forgetme", "zebulon.forgetme@privacy.test", 1000)
	seedCustomer(t, db, "cus_keep", "Keeper Person", "keeper@privacy.test", 1001)
	// An older name and email too: stale copies must not survive either.
	savePage(t, db, raw(t, backend.TypeCustomers, 400, customerJSON("cus_forget", "Zebulon Renamed", "zeb.renamed@privacy.test", 1000, nil)))

	res, err := db.ForgetCustomer(ctx, "cus_forget")
	if err != nil {
		t.Fatal(err)
	}
	if res.Subscriptions != 1 || res.Invoices != 1 || res.Charges != 1 || res.Refunds != 1 || res.Events != 2 || res.Versions != 2 {
		t.Fatalf("result = %+v", res)
	}
	for _, q := range []string{
		"SELECT count(*) FROM customers WHERE id = 'cus_forget'",
		"SELECT count(*) FROM subscriptions WHERE customer = 'cus_forget'",
		"SELECT count(*) FROM subscription_items WHERE subscription = 'sub_cus_forget'",
		"SELECT count(*) FROM subscription_versions WHERE subscription = 'sub_cus_forget'",
		"SELECT count(*) FROM invoices WHERE customer = 'cus_forget'",
		"SELECT count(*) FROM invoice_lines WHERE invoice = 'in_cus_forget'",
		"SELECT count(*) FROM charges WHERE customer = 'cus_forget'",
		"SELECT count(*) FROM refunds WHERE charge = 'ch_cus_forget'",
		"SELECT count(*) FROM discounts WHERE customer = 'cus_forget'",
		"SELECT count(*) FROM events WHERE id LIKE '%cus_forget'",
	} {
		if n := count(t, db, q); n != 0 {
			t.Errorf("%s = %d", q, n)
		}
	}
	if hits, _ := db.SearchCustomers(ctx, "zebulon", 10); len(hits) != 0 {
		t.Fatalf("search still finds: %v", hits)
	}
	if hits, _ := db.SearchCustomers(ctx, "keeper", 10); len(hits) != 1 {
		t.Fatalf("other customer lost: %v", hits)
	}
	if _, err := db.Customer(ctx, "cus_forget"); backend.ErrorCode(err) != backend.ENOTFOUND {
		t.Fatalf("detail after forget: %v", err)
	}
	// Nothing of it is left in the files.
	if found := grepFiles(t, path, "zebulon", "forgetme", "renamed@privacy"); len(found) > 0 {
		b, _ := os.ReadFile(path)
		i := bytes.Index(bytes.ToLower(b), []byte("zebulon"))
		t.Logf("page %d offset %d: %q", i/4096, i%4096, b[max(0, i-200):i+100])
		t.Fatalf("found after forget: %v", found)
	}
	if st, err := os.Stat(path + "-wal"); err == nil && st.Size() != 0 {
		t.Fatalf("WAL not truncated: %d bytes", st.Size())
	}
	// A later sync does not bring it (or its objects) back.
	seedCustomer(t, db, "cus_forget", "Zebulon Forgetme", "zebulon.forgetme@privacy.test", 1000)
	savePage(t, db, raw(t, backend.TypeInvoices, 900, invoiceJSON("in_new", "cus_forget", "", 2000, 1)))
	savePage(t, db, raw(t, backend.TypeRefunds, 900, obj{"id": "re_ch_cus_forget_0", "object": "refund", "created": int64(5), "charge": "ch_cus_forget"}))
	counts, _ := db.Counts(ctx)
	want := map[backend.ObjectType]int64{backend.TypeCustomers: 1, backend.TypeSubscriptions: 1, backend.TypeInvoices: 1,
		backend.TypeCharges: 1, backend.TypeRefunds: 1, backend.TypeEvents: 2}
	for typ, n := range want {
		if counts[typ] != n {
			t.Errorf("after resync %s = %d, want %d", typ, counts[typ], n)
		}
	}
	db.Checkpoint(ctx)
	if found := grepFiles(t, path, "zebulon", "forgetme"); len(found) > 0 {
		t.Fatalf("found after resync: %v", found)
	}
	if _, err := db.ForgetCustomer(ctx, "cus_never"); backend.ErrorCode(err) != backend.ENOTFOUND {
		t.Fatalf("forget unknown: %v", err)
	}
}

func TestCorruptFileMovedAside(t *testing.T) {
	ctx := context.Background()
	cases := []struct {
		name   string
		damage func(t *testing.T, path string)
	}{
		{"garbage", func(t *testing.T, path string) {
			os.WriteFile(path, bytes.Repeat([]byte("this is not sqlite "), 500), 0o600)
		}},
		{"damaged pages", func(t *testing.T, path string) {
			db := openTest(t, path)
			for i := 0; i < 300; i++ {
				savePage(t, db, raw(t, backend.TypeCustomers, 1, customerJSON(fmt.Sprintf("cus_%d", i), strings.Repeat("n", 200), "e@x.io", int64(i), nil)))
			}
			db.Checkpoint(ctx)
			db.Close()
			f, err := os.OpenFile(path, os.O_RDWR, 0)
			if err != nil {
				t.Fatal(err)
			}
			st, _ := f.Stat()
			// Scribble over the second half of the file, keeping the header.
			junk := bytes.Repeat([]byte{0xA5, 0x13, 0x77}, int(st.Size()/6))
			f.WriteAt(junk, st.Size()/2)
			f.Close()
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := dbPath(t)
			os.MkdirAll(filepath.Dir(path), 0o700)
			c.damage(t, path)
			before, _ := os.ReadFile(path)
			db, err := Open(ctx, path, Options{Now: func() time.Time { return testNow }})
			if err != nil {
				t.Fatalf("open damaged: %v", err)
			}
			defer db.Close()
			rec := db.Recovery()
			if rec == nil {
				t.Fatal("no recovery reported")
			}
			if !strings.Contains(rec.Message(), "rebuilt") || !strings.Contains(rec.Message(), "full sync") {
				t.Errorf("message = %q", rec.Message())
			}
			want := path + ".corrupt-20261123T120000Z"
			if rec.MovedTo[0] != want {
				t.Fatalf("moved to %v, want %s", rec.MovedTo, want)
			}
			kept, _ := os.ReadFile(want)
			if !bytes.Equal(kept, before) {
				t.Fatal("damaged file not kept as it was")
			}
			// The fresh cache works and is empty.
			counts, err := db.Counts(ctx)
			if err != nil || counts[backend.TypeCustomers] != 0 {
				t.Fatalf("fresh cache: %v, %v", counts, err)
			}
			savePage(t, db, raw(t, backend.TypeCustomers, 1, customerJSON("cus_new", "New", "n@x.io", 1, nil)))
			if cur, _ := db.EventsCursor(ctx); cur != 0 {
				t.Fatal("events cursor survived: the next sync would not be full")
			}
		})
	}
}

func TestDiskFullKeepsLastGoodData(t *testing.T) {
	ctx := context.Background()
	db := openTest(t, dbPath(t))
	savePage(t, db, raw(t, backend.TypeCustomers, 1, customerJSON("cus_ok", "Good", "good@x.io", 1, nil)))
	var pages int64
	db.w.QueryRow("PRAGMA page_count").Scan(&pages)
	// The writer connection is the only one; cap the file at its size.
	if _, err := db.w.Exec(fmt.Sprintf("PRAGMA max_page_count = %d", pages)); err != nil {
		t.Fatal(err)
	}
	var big []backend.RawObject
	for i := 0; i < 200; i++ {
		big = append(big, raw(t, backend.TypeCustomers, 2, customerJSON(fmt.Sprintf("cus_%d", i), strings.Repeat("x", 500), "x@x.io", int64(i), nil)))
	}
	big = append(big, raw(t, backend.TypeCustomers, 2, customerJSON("cus_ok", "Changed", "good@x.io", 1, nil)))
	err := db.SavePage(ctx, rng(backend.TypeCustomers), big)
	if backend.ErrorCode(err) != backend.EDISK {
		t.Fatalf("err = %v, want EDISK", err)
	}
	if msg := backend.ErrorMessage(err); !strings.Contains(msg, "full") {
		t.Errorf("message = %q", msg)
	}
	if n := count(t, db, "SELECT count(*) FROM customers"); n != 1 {
		t.Fatalf("customers = %d, want 1", n)
	}
	d, err := db.Customer(ctx, "cus_ok")
	if err != nil || d.Customer.Name != "Good" {
		t.Fatalf("last good data lost: %+v %v", d, err)
	}
	if r, _ := db.Ranges(ctx, backend.TypeCustomers); len(r) != 1 {
		t.Fatalf("ranges = %v", r)
	}
}

// TestReadOnlyFolder opens a cache whose folder became read-only. As root
// the permission bits do not apply, so the check runs in a child process
// as the nobody user.
func TestReadOnlyFolder(t *testing.T) {
	if os.Getenv("BILLFOLD_STORE_RO_CHILD") != "" {
		t.Skip("child mode")
	}
	ctx := context.Background()
	base := t.TempDir()
	os.Chmod(base, 0o755)
	os.Chmod(filepath.Dir(base), 0o755) // the test's own temp root
	path := filepath.Join(base, "accounts", "acct_RO", "test.db")
	db := openTest(t, path)
	savePage(t, db, raw(t, backend.TypeCustomers, 1, customerJSON("cus_ro", "Read Only", "ro@x.io", 1, nil)))
	db.Close()
	dir := filepath.Dir(path)
	os.Chmod(filepath.Dir(dir), 0o755)
	if err := os.Chmod(dir, 0o500); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o700)

	var code, msg string
	if os.Geteuid() != 0 {
		_, err := Open(ctx, path, Options{})
		code, msg = backend.ErrorCode(err), backend.ErrorMessage(err)
	} else {
		// Hand the files to nobody and run the open in a child as nobody.
		const nobody = 65534
		for _, p := range []string{path, path + "-wal", path + "-shm", dir} {
			os.Chown(p, nobody, nobody)
		}
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		bin := filepath.Join(base, "store.test")
		b, _ := os.ReadFile(exe)
		if err := os.WriteFile(bin, b, 0o755); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(bin, "-test.run", "^TestReadOnlyChild$", "-test.v")
		cmd.Env = append(os.Environ(), "BILLFOLD_STORE_RO_CHILD="+path, "HOME=/tmp", "GOCACHE=/tmp")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
		out, err := cmd.CombinedOutput()
		if err != nil {
			var modes []string
			for p := bin; p != "/"; p = filepath.Dir(p) {
				if st, err := os.Stat(p); err == nil {
					modes = append(modes, fmt.Sprintf("%s %v", p, st.Mode()))
				}
			}
			t.Fatalf("child: %v\n%s\n%s", err, out, strings.Join(modes, "\n"))
		}
		for _, line := range strings.Split(string(out), "\n") {
			if c, ok := strings.CutPrefix(strings.TrimSpace(line), "RESULT "); ok {
				code, msg, _ = strings.Cut(c, " ")
			}
		}
		for _, p := range []string{path, path + "-wal", path + "-shm", dir} {
			os.Chown(p, 0, 0)
		}
	}
	if code != backend.EDISK {
		t.Fatalf("code = %q (%s), want %q", code, msg, backend.EDISK)
	}
	if !strings.Contains(msg, "read-only") {
		t.Errorf("message = %q", msg)
	}
	os.Chmod(dir, 0o700)
	db = openTest(t, path)
	if d, err := db.Customer(ctx, "cus_ro"); err != nil || d.Customer.Name != "Read Only" {
		t.Fatalf("data lost: %v", err)
	}
	if db.Recovery() != nil {
		t.Fatal("a read-only folder was taken for damage")
	}
}

func TestReadOnlyChild(t *testing.T) {
	path := os.Getenv("BILLFOLD_STORE_RO_CHILD")
	if path == "" {
		t.Skip("runs only as TestReadOnlyFolder's child")
	}
	db, err := Open(context.Background(), path, Options{})
	if err == nil {
		err = db.SavePage(context.Background(), rng(backend.TypeCustomers),
			[]backend.RawObject{raw(t, backend.TypeCustomers, 5, customerJSON("cus_ro", "Changed", "ro@x.io", 1, nil))})
		db.Close()
	}
	fmt.Printf("RESULT %s %s\n", backend.ErrorCode(err), backend.ErrorMessage(err))
}

func TestFileModesWithUmask000(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	ctx := context.Background()
	home := t.TempDir()
	path, _ := Path(home, "acct_MODES", backend.ModeLive)
	db, err := Open(ctx, path, Options{Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	savePage(t, db, raw(t, backend.TypeCustomers, 1, customerJSON("cus_1", "M", "m@x.io", 1, nil)))
	backup := filepath.Join(home, "backup.db")
	if err := db.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	check := func(p string, want os.FileMode) {
		t.Helper()
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode().Perm() != want {
			t.Errorf("%s mode = %v, want %v", filepath.Base(p), st.Mode().Perm(), want)
		}
	}
	check(filepath.Join(home, "accounts"), 0o700)
	check(filepath.Dir(path), 0o700)
	check(path, 0o600)
	check(path+"-wal", 0o600)
	check(path+"-shm", 0o600)
	check(backup, 0o600)
	db.Close()

	// Files left by something else with loose modes are tightened on open,
	// and so is the account folder; a shared folder holding a --db file is
	// left alone.
	os.Chmod(path, 0o666)
	os.Chmod(filepath.Dir(path), 0o755)
	db = openTest(t, path)
	check(path, 0o600)
	check(filepath.Dir(path), 0o700)
	shared := filepath.Join(home, "shared")
	os.Mkdir(shared, 0o777)
	os.Chmod(shared, os.ModePerm|os.ModeSticky)
	other := openTest(t, filepath.Join(shared, "cache.db"))
	other.Close()
	if st, _ := os.Stat(shared); st.Mode()&(os.ModePerm|os.ModeSticky) != 0o777|os.ModeSticky {
		t.Errorf("shared folder mode changed to %v", st.Mode())
	}
	check(filepath.Join(shared, "cache.db"), 0o600)
	check(path+"-wal", 0o600)
	db.Close()
	// Moved-aside files stay private too.
	os.WriteFile(path, []byte("garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage garbage"), 0o600)
	db = openTest(t, path)
	check(db.Recovery().MovedTo[0], 0o600)
	check(path, 0o600)
}

func TestConcurrentReadsDuringWrites(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	db := openTest(t, dbPath(t))
	seedCustomer(t, db, "cus_seed", "Seed Person", "seed@x.io", 1)
	var wg sync.WaitGroup
	errc := make(chan error, 100)
	readers := []func() error{
		func() error { _, err := db.SearchCustomers(ctx, "person", 20); return err },
		func() error { _, err := db.Customer(ctx, "cus_seed"); return err },
		func() error { _, err := db.ListCustomers(ctx, CustomerListOptions{Sort: SortName}); return err },
		func() error { _, err := db.Counts(ctx); return err },
		func() error {
			return db.EachInvoice(ctx, EachOptions{}, func(*backend.Invoice) error { return nil })
		},
	}
	stop := make(chan struct{})
	for i, r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := r(); err != nil {
					errc <- fmt.Errorf("reader %d: %w", i, err)
					return
				}
			}
		}()
	}
	// Writers: two goroutines sharing the one writer connection.
	var ww sync.WaitGroup
	for w := 0; w < 2; w++ {
		ww.Add(1)
		go func() {
			defer ww.Done()
			for p := 0; p < 40; p++ {
				var objs []backend.RawObject
				for i := 0; i < 50; i++ {
					id := fmt.Sprintf("cus_w%d_%d_%d", w, p, i)
					objs = append(objs, raw(t, backend.TypeCustomers, 1, customerJSON(id, "Person "+id, id+"@x.io", int64(p*100+i), nil)))
				}
				if err := db.SavePage(ctx, rng(backend.TypeCustomers), objs); err != nil {
					errc <- fmt.Errorf("writer: %w", err)
					return
				}
				inv := raw(t, backend.TypeInvoices, 1, invoiceJSON(fmt.Sprintf("in_w%d_%d", w, p), "cus_seed", "", int64(p), 5))
				if err := db.ApplyEvents(ctx, nil, []backend.RawObject{inv}, int64(p)); err != nil {
					errc <- fmt.Errorf("writer: %w", err)
					return
				}
			}
		}()
	}
	ww.Wait()
	close(stop)
	wg.Wait()
	close(errc)
	for err := range errc {
		t.Error(err)
	}
	if n := count(t, db, "SELECT count(*) FROM customers"); n != 1+2*40*50 {
		t.Fatalf("customers = %d", n)
	}
}
