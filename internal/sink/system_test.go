//go:build system

package sink

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// These tests read the tarballs back with the system's tar (and zstd), the
// tools people will use on them. A missing tool fails the test: a run with
// the system tag is meant to prove compatibility, not to pass without it.

func lookTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is needed by the system tests and was not found: %v", name, err)
	}
	return p
}

// systemFiles exercise what tar implementations disagree on: names over
// 100 bytes, non-ASCII names, empty and multi-MiB files.
func systemFiles() []testFile {
	long := AttachmentPath("pages/123456", "789012", strings.Repeat("長い名前", 30)+".pdf")
	return []testFile{
		{"fields.json", []byte(`{"fields":[]}`)},
		{"issues/10001/attachments/20001-empty.txt", nil},
		{AttachmentPath("issues/10001", "20002", "résumé 文書.pdf"), randomBytes(1, 70<<10)},
		{long, randomBytes(2, 3<<20+5)},
		{"issues/10001/issue.md", []byte("# Title\n")},
		{"issues/10001/issue.json", []byte(`{"id":"10001"}`)},
	}
}

func writeSystemExport(t *testing.T, tg *target) []testFile {
	t.Helper()
	s := tg.open(t)
	files := systemFiles()
	for i, f := range files {
		if _, err := s.Put(context.Background(), f.path, bytes.NewReader(f.content)); err != nil {
			t.Fatal(err)
		}
		if err := s.AppendIndex(indexLine(f.path, i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Finish([]byte(finalManifest)); err != nil {
		t.Fatal(err)
	}
	return files
}

// runPipeline runs cmds in turn, each one's output the next one's input,
// without a shell in between.
func runPipeline(t *testing.T, input []byte, cmds ...*exec.Cmd) []byte {
	t.Helper()
	in := input
	for _, c := range cmds {
		var out, errOut bytes.Buffer
		c.Stdin = bytes.NewReader(in)
		c.Stdout, c.Stderr = &out, &errOut
		if err := c.Run(); err != nil {
			t.Fatalf("%s: %v\n%s", strings.Join(c.Args, " "), err, errOut.String())
		}
		in = out.Bytes()
	}
	return in
}

// decompressCmds returns the commands that turn the raw output of kind
// into a plain tar stream on their standard output.
func decompressCmds(t *testing.T, kind string) []*exec.Cmd {
	switch KindOf("x." + kind) {
	case KindTarGz:
		return []*exec.Cmd{exec.Command(lookTool(t, "gzip"), "-d", "-c")}
	case KindTarZst:
		return []*exec.Cmd{exec.Command(lookTool(t, "zstd"), "-d", "-q", "-c")}
	}
	return nil
}

func rawOutput(t *testing.T, tg *target) []byte {
	t.Helper()
	if tg.stdout != nil {
		return tg.stdout.Bytes()
	}
	raw, err := os.ReadFile(tg.out)
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

func TestSystemTarList(t *testing.T) {
	tarPath := lookTool(t, "tar")
	for _, kind := range tarKinds {
		t.Run(kind, func(t *testing.T) {
			tg := newTarget(t, kind)
			files := writeSystemExport(t, tg)
			cmds := append(decompressCmds(t, kind), exec.Command(tarPath, "-tf", "-"))
			listing := strings.Split(strings.TrimSuffix(string(runPipeline(t, rawOutput(t, tg), cmds...)), "\n"), "\n")
			var want []string
			for _, f := range files {
				want = append(want, f.path)
			}
			want = append(want, indexName, manifestName)
			if strings.Join(listing, "\n") != strings.Join(want, "\n") {
				t.Errorf("tar -tf lists\n%q\nwant\n%q", listing, want)
			}
		})
	}
}

func TestSystemTarExtract(t *testing.T) {
	tarPath := lookTool(t, "tar")
	for _, kind := range tarKinds {
		t.Run(kind, func(t *testing.T) {
			tg := newTarget(t, kind)
			files := writeSystemExport(t, tg)
			dest := t.TempDir()
			cmds := append(decompressCmds(t, kind), exec.Command(tarPath, "-xf", "-", "-C", dest))
			runPipeline(t, rawOutput(t, tg), cmds...)
			for _, f := range files {
				got, err := os.ReadFile(filepath.Join(dest, filepath.FromSlash(f.path)))
				if err != nil {
					t.Errorf("extracted %s: %v", f.path, err)
					continue
				}
				if !bytes.Equal(got, f.content) {
					t.Errorf("extracted %s differs: %d bytes, want %d", f.path, len(got), len(f.content))
				}
			}
			if got := readFile(t, filepath.Join(dest, manifestName)); got != finalManifest {
				t.Errorf("extracted manifest.json = %q", got)
			}
			ents, err := os.ReadDir(dest)
			if err != nil {
				t.Fatal(err)
			}
			var top []string
			for _, e := range ents {
				top = append(top, e.Name())
			}
			if strings.Join(top, ",") != "fields.json,index.jsonl,issues,manifest.json,pages" {
				t.Errorf("top level after extraction: %q (a tarball has no top-level folder)", top)
			}
		})
	}
}

// TestSystemTarExtractsFile runs the tools on the file itself, as a user
// would, rather than on a stream.
func TestSystemTarExtractsFile(t *testing.T) {
	tarPath := lookTool(t, "tar")
	for _, tc := range []struct{ kind, flag string }{{"tar", "-xf"}, {"tar.gz", "-xzf"}, {"tgz", "-xzf"}} {
		t.Run(tc.kind, func(t *testing.T) {
			tg := newTarget(t, tc.kind)
			files := writeSystemExport(t, tg)
			dest := t.TempDir()
			runPipeline(t, nil, exec.Command(tarPath, tc.flag, tg.out, "-C", dest))
			for _, f := range files {
				if got, err := os.ReadFile(filepath.Join(dest, filepath.FromSlash(f.path))); err != nil || !bytes.Equal(got, f.content) {
					t.Errorf("extracted %s: %v", f.path, err)
				}
			}
		})
	}
	t.Run("zstd test", func(t *testing.T) {
		tg := newTarget(t, "tar.zst")
		writeSystemExport(t, tg)
		runPipeline(t, nil, exec.Command(lookTool(t, "zstd"), "-t", "-q", tg.out))
	})
}
