package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"billfold/backend/export"
)

// exportUsage lists the exports of backend/export.Tables (a new export,
// metrics for one, is a Table there and appears here by itself).
func exportUsage() string {
	var names []string
	for _, t := range export.Tables() {
		names = append(names, t.Name)
	}
	return "billfold export " + strings.Join(names, "|") + " --format csv [--out FILE] [--db FILE] [--account ACCOUNT]"
}

func runExport(ctx context.Context, env *Env) error {
	fs := NewFlagSet(env, "export")
	format := fs.String("format", "csv", "output format: csv")
	out := fs.String("out", "", "write to this file (default: standard output); written whole or not at all")
	dbFlag := fs.String("db", "", "SQLite file to use instead of the account's own (or BILLFOLD_DB)")
	account := fs.String("account", "", "account whose cache to use (default: the only one)")
	pos, err := ParseFlags(fs, env)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return Usage("usage: %s", exportUsage())
	}
	if *format != "csv" {
		return Usage("--format %q: only csv is supported", *format)
	}
	t, err := export.Find(pos[0])
	if err != nil {
		return err
	}
	if *out != "" {
		if st, err := os.Stat(filepath.Dir(*out)); err != nil || !st.IsDir() {
			return Usage("--out %s: folder %s does not exist", *out, filepath.Dir(*out))
		}
		if st, err := os.Stat(*out); err == nil && st.IsDir() {
			return Usage("--out %s is a folder: give a file name", *out)
		}
	}
	db, err := openCache(ctx, env, *dbFlag, *account)
	if err != nil {
		return err
	}
	defer db.Close()
	if *out == "" {
		_, err := export.CSV(ctx, db, t, env.Stdout)
		return err
	}
	n, err := writeExportFile(*out, func(w io.Writer) (int64, error) { return export.CSV(ctx, db, t, w) })
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stderr, "exported %d %s to %s\n", n, t.Name, *out)
	return nil
}

// writeExportFile writes a temporary file next to path and renames it over
// path once complete, so a failure leaves path as it was.
func writeExportFile(path string, write func(io.Writer) (int64, error)) (int64, error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	n, err := write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o600)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("write %s: %w", path, err)
	}
	return n, nil
}
