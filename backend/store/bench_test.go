package store

import (
	"context"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"billfold/backend"
)

var firstNames = []string{"James", "Mary", "José", "Zoë", "Li", "Aisha", "Olivia", "Noah", "Søren", "Chloé", "Mateo", "Yuki",
	"Fatima", "Lucas", "Emma", "Liam", "Ana", "Björn", "Priya", "Omar", "Grace", "Hugo", "Ines", "Jamal"}
var lastNames = []string{"Smith", "García", "Müller", "Nguyen", "Kowalski", "O'Brien", "Rossi", "Dubois", "Silva", "Kim",
	"Johnson", "Brown", "Tanaka", "Ivanov", "Hansen", "Novak", "Costa", "Jensen", "Lopez", "Martin", "Wilson", "Fischer"}
var domains = []string{"gmail.com", "outlook.com", "example.com", "acme.io", "proton.me", "company.co.uk", "yahoo.fr", "startup.dev"}

func benchCustomer(r *rand.Rand, i int) obj {
	fn, ln := firstNames[r.Intn(len(firstNames))], lastNames[r.Intn(len(lastNames))]
	email := fmt.Sprintf("%s.%s%d@%s", strings.ToLower(fn), strings.ToLower(strings.ReplaceAll(ln, "'", "")), i, domains[r.Intn(len(domains))])
	return customerJSON(fmt.Sprintf("cus_%014d", i), fn+" "+ln, email, int64(1500000000+i*30), obj{
		"phone": fmt.Sprintf("+1 555 %07d", r.Intn(10000000)), "description": "Customer since signup",
		"metadata": obj{"crm_id": fmt.Sprintf("HS-%d", i)}, "address": obj{"line1": "1 Main St", "city": "Springfield", "country": "US"},
		"invoice_prefix": fmt.Sprintf("%X", i)})
}

func benchPages(b *testing.B, typ backend.ObjectType, pages int, start int) [][]backend.RawObject {
	r := rand.New(rand.NewSource(int64(start)))
	out := make([][]backend.RawObject, pages)
	for p := range out {
		for i := 0; i < 100; i++ {
			n := start + p*100 + i
			var v obj
			switch typ {
			case backend.TypeCustomers:
				v = benchCustomer(r, n)
			case backend.TypeInvoices:
				v = invoiceJSON(fmt.Sprintf("in_%014d", n), fmt.Sprintf("cus_%014d", n%5000), fmt.Sprintf("sub_%d", n%5000), int64(1500000000+n), 2)
			}
			out[p] = append(out[p], raw(b, typ, 1700000000, v))
		}
	}
	return out
}

// BenchmarkSavePage stores pages of 100 new objects, one transaction each.
func BenchmarkSavePage(b *testing.B) {
	for _, typ := range []backend.ObjectType{backend.TypeCustomers, backend.TypeInvoices} {
		b.Run(string(typ), func(b *testing.B) {
			db := openTest(b, filepath.Join(b.TempDir(), "bench.db"))
			pages := benchPages(b, typ, b.N, 0)
			ctx := context.Background()
			b.ResetTimer()
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				r := backend.SyncRange{Type: typ, Gte: 0, Lt: 2000000000, Cursor: pages[i][99].ID, Count: int64(i * 100)}
				if err := db.SavePage(ctx, r, pages[i]); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*100)/b.Elapsed().Seconds(), "objects/s")
			// The machine may be shared: objects per second of this
			// process's CPU time is the capacity of one core.
			b.ReportMetric(float64(b.N*100)/(cpuTime()-cpu0).Seconds(), "objects/cpu-s")
		})
	}
}

const benchCustomers = 1_000_000

// benchDB returns a cache of 1,000,000 customers (the first 2,000 with a
// subscription, 12 invoices and 12 charges each), built once and kept under
// os.TempDir() between runs.
func benchDB(b *testing.B) *DB {
	ctx := context.Background()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("billfold-store-bench-%d-v%d.db", benchCustomers, SchemaVersion()))
	ready := path + ".ready"
	if _, err := os.Stat(ready); err != nil {
		for _, s := range []string{"", "-wal", "-shm"} {
			os.Remove(path + s)
		}
		db, err := Open(ctx, path, Options{})
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		r := rand.New(rand.NewSource(1))
		rg := backend.SyncRange{Type: backend.TypeCustomers, Gte: 0, Lt: 2000000000}
		for p := 0; p < benchCustomers/100; p++ {
			var page []backend.RawObject
			for i := 0; i < 100; i++ {
				page = append(page, raw(b, backend.TypeCustomers, 1700000000, benchCustomer(r, p*100+i)))
			}
			if err := db.SavePage(ctx, rg, page); err != nil {
				b.Fatal(err)
			}
		}
		for c := 0; c < 2000; c++ {
			cus := fmt.Sprintf("cus_%014d", c)
			objs := []backend.RawObject{raw(b, backend.TypeSubscriptions, 1700000000, subscriptionJSON("sub_"+cus, cus, "active", 1600000000, 1))}
			for m := 0; m < 12; m++ {
				id := fmt.Sprintf("%s_%d", cus, m)
				objs = append(objs, raw(b, backend.TypeInvoices, 1700000000, invoiceJSON("in_"+id, cus, "sub_"+cus, int64(1600000000+m*2592000), 1)),
					raw(b, backend.TypeCharges, 1700000000, chargeJSON("ch_"+id, cus, "in_"+id, int64(1600000000+m*2592000), m%4/3)))
			}
			if err := db.ApplyEvents(ctx, nil, objs, 0); err != nil {
				b.Fatal(err)
			}
		}
		db.Checkpoint(ctx)
		db.Close()
		b.Logf("built %s in %v", path, time.Since(start))
		os.WriteFile(ready, nil, 0o600)
	}
	db, err := Open(ctx, path, Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	return db
}

// cpuTime is the process's user+system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func percentiles(b *testing.B, d []time.Duration) {
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	at := func(p float64) float64 { return float64(d[int(p*float64(len(d)-1))].Microseconds()) / 1000 }
	b.ReportMetric(at(0.50), "p50-ms")
	b.ReportMetric(at(0.95), "p95-ms")
	b.ReportMetric(at(1), "max-ms")
}

// BenchmarkSearch1M measures customer search over 1,000,000 customers with
// queries as typed: prefixes of names and emails, ids, full emails.
func BenchmarkSearch1M(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	queries := []string{
		"j", "ja", "jam", "james", "james smi", "james smith", "zoe", "zoë mül", "garcia", "o'brien",
		"mary.kowalski", "mary.kowalski12", "olivia.rossi4242", "@proton", "proton.me", "acme",
		"cus_00000000123", "cus_00000000999999", "hs-77", "5551", "noah.silva500000@", "customer since",
		"emma.martin999@gmail.com", "xyzzy", "søren hansen", "fischer 9999",
	}
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := queries[i%len(queries)]
		t0 := time.Now()
		if _, err := db.SearchCustomers(ctx, q, 20); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	percentiles(b, lat)
}

// BenchmarkCustomerDetail reads a customer with its subscription, 12
// invoices and 12 charges from the 1,000,000-customer cache.
func BenchmarkCustomerDetail(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		d, err := db.Customer(ctx, fmt.Sprintf("cus_%014d", (i*7919)%2000))
		if err != nil {
			b.Fatal(err)
		}
		if len(d.Invoices) != 12 {
			b.Fatalf("invoices = %d", len(d.Invoices))
		}
		lat = append(lat, time.Since(t0))
	}
	percentiles(b, lat)
}

// BenchmarkListCustomers reads the first page of the list sorted by name,
// and a page deep in it.
func BenchmarkListCustomers(b *testing.B) {
	db := benchDB(b)
	ctx := context.Background()
	p, err := db.ListCustomers(ctx, CustomerListOptions{Sort: SortName, Limit: 100})
	if err != nil {
		b.Fatal(err)
	}
	next := p.Next
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		p, err := db.ListCustomers(ctx, CustomerListOptions{Sort: SortName, Limit: 100, After: next})
		if err != nil {
			b.Fatal(err)
		}
		if p.Next != "" {
			next = p.Next
		}
		lat = append(lat, time.Since(t0))
	}
	percentiles(b, lat)
}
