package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	env := &Env{Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb, Version: "1.2.3",
		Getenv: func(k string) string {
			if k == "BILLFOLD_HOME" {
				return t.TempDir()
			}
			return ""
		}}
	code = Run(context.Background(), args, env)
	return code, out.String(), errb.String()
}

func TestHelpAndVersion(t *testing.T) {
	tests := []struct {
		args     []string
		code     int
		stdout   string
		stderrRe string
	}{
		{[]string{"help"}, ExitOK, "Commands:", ""},
		{[]string{"--help"}, ExitOK, "Exit status: 0 success", ""},
		{[]string{"help", "version"}, ExitOK, "billfold version [--json]", ""},
		{[]string{"help", "nosuch"}, ExitUsage, "", "unknown command \"nosuch\""},
		{[]string{"version"}, ExitOK, "billfold 1.2.3 (Stripe API 2023-10-16)", ""},
		{[]string{"version", "--bogus"}, ExitUsage, "", "flag provided but not defined"},
		{[]string{"nosuch"}, ExitUsage, "", "unknown command \"nosuch\""},
		{nil, ExitUsage, "", "no command given"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			code, out, errOut := run(t, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d (stderr %q)", code, tt.code, errOut)
			}
			if !strings.Contains(out, tt.stdout) {
				t.Errorf("stdout %q lacks %q", out, tt.stdout)
			}
			if tt.stderrRe != "" && !strings.Contains(errOut, tt.stderrRe) {
				t.Errorf("stderr %q lacks %q", errOut, tt.stderrRe)
			}
			if tt.code != ExitOK && strings.Count(strings.TrimRight(errOut, "\n"), "\n") != 0 {
				t.Errorf("error output is not one line: %q", errOut)
			}
		})
	}
}

func TestVersionJSON(t *testing.T) {
	code, out, _ := run(t, "version", "--json")
	if code != ExitOK {
		t.Fatalf("exit %d", code)
	}
	var v map[string]string
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("not JSON: %v: %q", err, out)
	}
	if v["version"] != "1.2.3" || v["stripe_api_version"] != "2023-10-16" {
		t.Errorf("got %v", v)
	}
}

func TestHelpListsEveryCommand(t *testing.T) {
	_, out, _ := run(t, "help")
	for _, c := range commands() {
		if !strings.Contains(out, "  "+c.Name+" ") {
			t.Errorf("help does not list %q", c.Name)
		}
	}
}
