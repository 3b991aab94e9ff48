package exportcmd

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/iostreams"
)

// parse runs `aumo export jira` or `aumo export confluence` with args up
// to the run, and returns the options the run would get.
func parse(t *testing.T, product string, args []string) (*Options, *JiraOptions, *ConfluenceOptions, error) {
	t.Helper()
	ios, _, _, _ := iostreams.Test()
	f := cmdutil.New(ios)
	var (
		opts *Options
		jo   *JiraOptions
		co   *ConfluenceOptions
	)
	cmd := NewCmdJira(f, func(_ context.Context, o *JiraOptions) error { jo, opts = o, &o.Options; return nil })
	if product == "confluence" {
		cmd = NewCmdConfluence(f, func(_ context.Context, o *ConfluenceOptions) error { co, opts = o, &o.Options; return nil })
	}
	cmd.SetArgs(args)
	cmd.SetOut(&strings.Builder{})
	cmd.SetErr(&strings.Builder{})
	err := cmd.Execute()
	return opts, jo, co, err
}

func TestExportFlags(t *testing.T) {
	t.Setenv(cmdutil.ExportPassphraseEnv, "")
	const jql, cql = "--jql=project = ABC", "--cql=space = ENG"
	cases := []struct {
		name    string
		product string
		args    []string
		check   func(*Options, *JiraOptions, *ConfluenceOptions) bool
		usage   string // a usage error with this text
	}{
		{name: "jira defaults", product: "jira", args: []string{jql, "--out", "abc"},
			check: func(o *Options, j *JiraOptions, _ *ConfluenceOptions) bool {
				return j.JQL == "project = ABC" && o.Out == "abc" && o.Concurrency == 4 && strings.Join(j.Fields, ",") == "*all" &&
					!o.NoJSON && !o.NoMarkdown && o.MaxAttachmentBytes == 0 && o.Recipients == nil && o.SinceTime.IsZero() &&
					!o.NoAttachments && !o.KeepAccountIDs && !o.Incremental && !o.Prune && !o.NoProgress
			}},
		{name: "jira fields and options", product: "jira",
			args: []string{jql, "-o", "abc.tar.zst", "--fields", "summary,comment", "--concurrency", "8", "--no-attachments",
				"--keep-account-ids", "--no-progress", "--max-attachment-size", "2MB", "--format", "md"},
			check: func(o *Options, j *JiraOptions, _ *ConfluenceOptions) bool {
				return strings.Join(j.Fields, ",") == "summary,comment" && o.Concurrency == 8 && o.NoAttachments && o.KeepAccountIDs &&
					o.NoProgress && o.MaxAttachmentBytes == 2_000_000 && o.NoJSON && !o.NoMarkdown
			}},
		{name: "confluence defaults", product: "confluence", args: []string{cql, "--out", "eng"},
			check: func(o *Options, _ *JiraOptions, c *ConfluenceOptions) bool {
				return c.CQL == "space = ENG" && !c.IncludeArchived && o.Out == "eng" && !o.NoJSON && !o.NoMarkdown
			}},
		{name: "confluence archived, json only", product: "confluence", args: []string{cql, "--out", "eng", "--include-archived", "--format", "json"},
			check: func(o *Options, _ *JiraOptions, c *ConfluenceOptions) bool {
				return c.IncludeArchived && o.NoMarkdown && !o.NoJSON
			}},
		{name: "incremental with prune", product: "jira", args: []string{jql, "--out", "abc", "--incremental", "--prune"},
			check: func(o *Options, _ *JiraOptions, _ *ConfluenceOptions) bool { return o.Incremental && o.Prune }},
		{name: "since an age", product: "confluence", args: []string{cql, "--out", "eng.tar", "--since", "36h"},
			check: func(o *Options, _ *JiraOptions, _ *ConfluenceOptions) bool {
				ago := time.Since(o.SinceTime)
				return o.Since == "36h" && ago > 35*time.Hour && ago < 37*time.Hour
			}},
		{name: "encrypt to a recipient", product: "jira",
			args:  []string{jql, "--out", "abc.tar.age", "--encrypt-to", "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"},
			check: func(o *Options, _ *JiraOptions, _ *ConfluenceOptions) bool { return len(o.Recipients) == 1 }},
		{name: "no query", product: "jira", args: []string{"--out", "abc"}, usage: "--jql is required"},
		{name: "blank query", product: "confluence", args: []string{"--cql", "  ", "--out", "eng"}, usage: "--cql is required"},
		{name: "no out", product: "jira", args: []string{jql}, usage: "--out is required (e.g. --out abc"},
		{name: "no out, confluence", product: "confluence", args: []string{cql}, usage: "--out is required"},
		{name: "neither query nor out", product: "jira", args: []string{}, usage: "--jql is required"},
		{name: "the query as an argument", product: "jira", args: []string{"project = DEMO", "--out", "demo"},
			usage: "put the query in --jql: aumo export jira --jql 'project = DEMO' --out demo"},
		{name: "the query as arguments, no out", product: "jira", args: []string{"project", "=", "DEMO"},
			usage: "put the query in --jql: aumo export jira --jql 'project = DEMO' --out …"},
		{name: "a quote in the query", product: "confluence", args: []string{`title ~ "it's"`},
			usage: `put the query in --cql: aumo export confluence --cql 'title ~ "it'\''s"' --out …`},
		{name: "the path as an argument", product: "jira", args: []string{jql, "abc"},
			usage: "put the path in --out: aumo export jira --jql 'project = ABC' --out abc"},
		{name: "an argument too many", product: "confluence", args: []string{cql, "--out", "eng", "extra"},
			usage: `unexpected argument "extra"`},
		{name: "concurrency 0", product: "jira", args: []string{jql, "--out", "abc", "--concurrency", "0"}, usage: "--concurrency 0: use 1 to 16"},
		{name: "concurrency 17", product: "jira", args: []string{jql, "--out", "abc", "--concurrency", "17"}, usage: "--concurrency 17"},
		{name: "bad size", product: "jira", args: []string{jql, "--out", "abc", "--max-attachment-size", "lots"}, usage: "--max-attachment-size"},
		{name: "bad format", product: "confluence", args: []string{cql, "--out", "eng", "--format", "pdf"}, usage: `--format "pdf"`},
		{name: "prune alone", product: "jira", args: []string{jql, "--out", "abc", "--prune"}, usage: "--prune goes with --incremental"},
		{name: "incremental and since", product: "jira", args: []string{jql, "--out", "abc", "--incremental", "--since", "7d"}, usage: "leave out --since"},
		{name: "incremental tarball", product: "jira", args: []string{jql, "--out", "abc.tar", "--incremental"}, usage: "updates a directory export in place"},
		{name: "vague since", product: "jira", args: []string{jql, "--out", "abc", "--since", "last tuesday"}, usage: `--since "last tuesday"`},
		{name: "since in the future", product: "jira", args: []string{jql, "--out", "abc", "--since", "2999-01-01"}, usage: "is in the future"},
		{name: "encrypted directory", product: "jira", args: []string{jql, "--out", "abc", "--encrypt-passphrase"}, usage: "directory exports are never encrypted"},
		{name: ".age without a key", product: "jira", args: []string{jql, "--out", "abc.tar.age"}, usage: "ends in .age"},
		{name: "encryption without .age", product: "jira", args: []string{jql, "--out", "abc.tar", "--encrypt-passphrase"}, usage: "ends in .age: --out abc.tar.age"},
		{name: "both encryptions", product: "jira",
			args: []string{jql, "--out", "abc.tar.age", "--encrypt-passphrase", "--encrypt-to", "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"}, usage: "cannot be combined"},
		{name: "a budget and a pace", product: "confluence", args: []string{cql, "--out", "eng", "--max-points", "20000", "--points-per-hour", "10000"},
			check: func(o *Options, _ *JiraOptions, _ *ConfluenceOptions) bool {
				return o.MaxPoints == 20000 && o.PointsPerHour == 10000
			}},
		{name: "a pace to a stream", product: "jira", args: []string{jql, "--out", "-", "--points-per-hour", "5000"},
			check: func(o *Options, _ *JiraOptions, _ *ConfluenceOptions) bool {
				return o.PointsPerHour == 5000 && o.MaxPoints == 0
			}},
		{name: "a budget for a tarball", product: "jira", args: []string{jql, "--out", "abc.tar.zst", "--max-points", "500"}, usage: "export to a directory"},
		{name: "a budget for a stream", product: "confluence", args: []string{cql, "--out", "-", "--max-points", "500"}, usage: "tarball or standard output cut short"},
		{name: "a negative budget", product: "jira", args: []string{jql, "--out", "abc", "--max-points", "-1"}, usage: "--max-points -1"},
		{name: "a negative pace", product: "jira", args: []string{jql, "--out", "abc", "--points-per-hour", "-5"}, usage: "--points-per-hour -5"},
		{name: "passphrase unset", product: "jira", args: []string{jql, "--out", "-", "--encrypt-passphrase"}, usage: "set AUMO_EXPORT_PASSPHRASE"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			o, j, c, err := parse(t, tc.product, tc.args)
			if tc.usage != "" {
				var usage *cmdutil.UsageError
				if !errors.As(err, &usage) || !strings.Contains(err.Error(), tc.usage) {
					t.Fatalf("got %v, want a usage error with %q", err, tc.usage)
				}
				if o != nil {
					t.Error("the run was reached despite the error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(o, j, c) {
				t.Errorf("options: %+v", o)
			}
		})
	}
}

// A missing --out is refused in aumo's words, not cobra's, before any run.
func TestExportNeedsOut(t *testing.T) {
	o, _, _, err := parse(t, "jira", []string{"--jql", "project = ABC"})
	if err == nil || o != nil || strings.Contains(err.Error(), "required flag") {
		t.Errorf("without --out: %v", err)
	}
}

// TestOutMustBeAKindAumoWrites refuses an --out naming an archive aumo
// does not write, or an existing file, before anything runs; a
// directory, even one named like an archive, and the tarballs pass.
func TestOutMustBeAKindAumoWrites(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "afile")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	oddDir := filepath.Join(dir, "backup.gz")
	if err := os.Mkdir(oddDir, 0o700); err != nil {
		t.Fatal(err)
	}
	for out, refused := range map[string]string{
		"x.zip": "does not write zip archives", "x.tar.bz2": "does not write tar.bz2 archives", "X.TAR.XZ": "does not write tar.xz",
		"x.7z": "does not write 7z", "x.rar": "does not write rar", "x.gz": "does not write gz", "x.zip.age": "does not write zip",
		file:    "is a file, not a directory",
		"x.tar": "", "x.tar.gz": "", "x.tgz": "", "x.tar.zst": "", "mirror": "", oddDir: "", "-": "",
	} {
		_, _, _, err := parse(t, "jira", []string{"--jql=project = ABC", "--out", out})
		var usage *cmdutil.UsageError
		switch {
		case refused == "" && err != nil:
			t.Errorf("--out %s: %v", out, err)
		case refused != "" && (!errors.As(err, &usage) || !strings.Contains(err.Error(), refused) || !strings.Contains(err.Error(), ".tar.zst")):
			t.Errorf("--out %s: %v, want a usage error saying %q and the kinds aumo writes", out, err, refused)
		}
	}
}
