package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/cli/cmdutil/cmdtest"
	"github.com/aumo-cli/aumo/internal/iostreams"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

const intactDir = "../../../testdata/exportformat/intact"

func testFactory() (*cmdutil.Factory, *bytes.Buffer) {
	ios, _, out, _ := iostreams.Test()
	return cmdutil.New(ios), out
}

// damagedExport copies the intact export and damages it: one file gone,
// one changed, one added.
func damagedExport(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "export")
	if err := os.CopyFS(dir, os.DirFS(intactDir)); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(dir, "issues", "10002", "issue.md")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "fields.json"), []byte("[]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "notes\x1b[2J.txt"), []byte("mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestFlags(t *testing.T) {
	dir := t.TempDir()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	key, notKey, noFile := filepath.Join(dir, "key.txt"), filepath.Join(dir, "notes.txt"), filepath.Join(dir, "none.txt")
	if err := os.WriteFile(key, []byte("# a key\n"+id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notKey, []byte("my own notes\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmdtest.Run(t, NewCmdVerify, func(o Options) Options { o.Factory = nil; return o }, []cmdtest.Case[Options]{
		{Name: "path", Args: []string{"out.tar.zst"}, Want: Options{Path: "out.tar.zst"}},
		{Name: "json", Args: []string{"--json", "out"}, Want: Options{Path: "out", JSON: true}},
		{Name: "repair", Args: []string{"--repair", "out"}, Want: Options{Path: "out", Repair: true}},
		{Name: "identity", Args: []string{"--identity", key, "out.tar.zst.age"},
			Want: Options{Path: "out.tar.zst.age", Identity: key, Identities: []age.Identity{id}}},
		{Name: "identity not a key", Args: []string{"--identity", notKey, "out.tar.zst.age"},
			Usage: "--identity " + notKey + ": neither an age identity file nor an unencrypted SSH private key"},
		{Name: "identity missing", Args: []string{"--identity", noFile, "out.tar.zst.age"}, Err: "--identity: open " + noFile},
		{Name: "no path", Err: "accepts 1 arg(s), received 0"},
		{Name: "two paths", Args: []string{"a", "b"}, Err: "accepts 1 arg(s), received 2"},
	})
}

func TestIntact(t *testing.T) {
	f, out := testFactory()
	if err := Run(t.Context(), &Options{Factory: f, Path: intactDir}); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Checked 6 files (", "against an index of 6", "Intact"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestDamaged(t *testing.T) {
	f, out := testFactory()
	path := damagedExport(t)
	err := Run(t.Context(), &Options{Factory: f, Path: path})
	var damaged *cmdutil.DamagedError
	if !errors.As(err, &damaged) {
		t.Fatalf("err = %v, want a DamagedError", err)
	}
	if want := "is damaged: 1 missing file, 1 extra file, 1 corrupt file"; !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
	for _, want := range []string{
		"Missing, in the index but not in the export (1):\n  issues/10002/issue.md\n",
		`  notes\x1b[2J.txt`, // quoted: a file name must not drive the terminal
		"Corrupt (1):\n  fields.json: 3 bytes, the index says 159\n",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out.String(), "\x1b") || strings.Contains(out.String(), "Intact") {
		t.Errorf("output:\n%s", out)
	}
}

func TestJSON(t *testing.T) {
	for _, tc := range []struct {
		path    func(t *testing.T) string
		ok      bool
		missing []string
	}{
		{func(*testing.T) string { return intactDir }, true, []string{}},
		{damagedExport, false, []string{"issues/10002/issue.md"}},
	} {
		f, out := testFactory()
		path := tc.path(t)
		cmd := NewCmdVerify(f, nil)
		cmd.SetArgs([]string{"--json", path})
		err := cmd.ExecuteContext(t.Context())
		var damaged *cmdutil.DamagedError
		if tc.ok != (err == nil) || !tc.ok && !errors.As(err, &damaged) {
			t.Errorf("%s: err = %v", path, err)
		}
		var got struct {
			Path    string                     `json:"path"`
			OK      bool                       `json:"ok"`
			Missing []string                   `json:"missing"`
			Extra   []string                   `json:"extra"`
			Corrupt []exportformat.CorruptFile `json:"corrupt"`
			Files   int                        `json:"files"`
		}
		if err := json.Unmarshal(out.Bytes(), &got); err != nil {
			t.Fatalf("%v in %s", err, out)
		}
		if got.Path != path || got.OK != tc.ok || strings.Join(got.Missing, ",") != strings.Join(tc.missing, ",") ||
			got.Missing == nil || got.Extra == nil || got.Corrupt == nil || got.Files == 0 {
			t.Errorf("--json = %s", out)
		}
		if !tc.ok && (len(got.Corrupt) != 1 || got.Corrupt[0].Reason != exportformat.CorruptSize || got.Corrupt[0].IndexSize != 159) {
			t.Errorf("corrupt = %+v", got.Corrupt)
		}
	}
}

func TestUncheckable(t *testing.T) {
	dir := t.TempDir()
	age := filepath.Join(dir, "export.tar.zst.age")
	if err := os.WriteFile(age, []byte("age-encryption.org/v1\n-> X25519 abc\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ path, want string }{
		{filepath.Join(dir, "nothing"), "no such file"},
		{dir, "not an aumo export"},
		{age, "is encrypted: give --identity FILE"},
	} {
		f, out := testFactory()
		err := Run(t.Context(), &Options{Factory: f, Path: tc.path, JSON: true})
		var unchecked *cmdutil.UncheckableError
		if !errors.As(err, &unchecked) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want an UncheckableError saying %q", tc.path, err, tc.want)
		}
		if out.Len() != 0 {
			t.Errorf("%s: printed %q", tc.path, out)
		}
	}
}

func TestCancelledIsNotUncheckable(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	f, _ := testFactory()
	err := Run(ctx, &Options{Factory: f, Path: intactDir})
	var unchecked *cmdutil.UncheckableError
	if !errors.Is(err, context.Canceled) || errors.As(err, &unchecked) {
		t.Errorf("err = %v, want the cancellation as it is", err)
	}
}

// --repair mends a directory in place: a tarball, or standard input, is
// refused before anything is read.
func TestRepairRefusesATarball(t *testing.T) {
	tarball := filepath.Join(t.TempDir(), "out.tar.zst")
	if err := os.WriteFile(tarball, []byte("not read"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{tarball, "-"} {
		f, out := testFactory()
		err := Run(t.Context(), &Options{Factory: f, Path: path, Repair: true})
		var usage *cmdutil.UsageError
		if !errors.As(err, &usage) || !strings.Contains(err.Error(), "a tarball is rewritten by exporting it again") || out.Len() != 0 {
			t.Errorf("%s: err = %v, printed %q", path, err, out)
		}
	}
}

// An intact export needs no repair: said, and nothing asked of anyone
// (the test's factory has no configuration, no grant).
func TestRepairOfAnIntactExport(t *testing.T) {
	ios, _, out, errOut := iostreams.Test()
	if err := Run(t.Context(), &Options{Factory: cmdutil.New(ios), Path: intactDir, Repair: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Intact") || !strings.Contains(errOut.String(), "Nothing to repair.") {
		t.Errorf("stdout %q, stderr %q", out, errOut)
	}
}

// A file the index does not name is no item to fetch: it is left as it
// is, and named; the export stays damaged until it goes.
func TestRepairLeavesExtraFilesAsTheyAre(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "export")
	if err := os.CopyFS(dir, os.DirFS(intactDir)); err != nil {
		t.Fatal(err)
	}
	extra := filepath.Join(dir, "issues", "10001", "notes.txt")
	if err := os.WriteFile(extra, []byte("mine\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ios, _, _, errOut := iostreams.Test()
	err := Run(t.Context(), &Options{Factory: cmdutil.New(ios), Path: dir, Repair: true})
	var damaged *cmdutil.DamagedError
	if !errors.As(err, &damaged) || !strings.Contains(err.Error(), "1 extra file") {
		t.Errorf("err = %v, want a DamagedError of the extra file", err)
	}
	for _, want := range []string{"Nothing to fetch again", "Left as it is: 1 file the index does not name", "  issues/10001/notes.txt\n"} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errOut)
		}
	}
	if _, err := os.Stat(extra); err != nil {
		t.Errorf("the extra file: %v", err)
	}
}

// TestPrintsHowManyAListLeavesOut prints the total of a list the report
// cuts short, and how many it leaves out.
func TestPrintsHowManyAListLeavesOut(t *testing.T) {
	r := &exportformat.Report{
		Missing: []string{"a.json", "b.json"}, Unsafe: []string{"c/" + strings.Repeat("p", 200) + "…: a path of 5000 bytes, longer than 4096"},
		Corrupt: []exportformat.CorruptFile{{Path: "d.json", Reason: exportformat.CorruptNotRegular}},
		Totals:  exportformat.Totals{Missing: 1500, Unsafe: 1, Corrupt: 3},
	}
	var out bytes.Buffer
	if err := printReport(&out, "x.tar", r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"Missing, in the index but not in the export (1500):\n  a.json\n  b.json\n  … and 1498 more\n",
		"Corrupt (3):\n  d.json: not a regular file\n  … and 2 more\n",
		"Unsafe, no file of an export (a path outside it or too long, a link, a device, a path twice) (1):\n  c/ppp",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	err := (&cmdutil.DamagedError{Path: "x.tar", Report: r}).Error()
	if want := "export x.tar is damaged: 1500 missing files, 3 corrupt files, 1 unsafe entry"; err != want {
		t.Errorf("error %q, want %q", err, want)
	}
}
