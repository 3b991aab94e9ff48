package exportformat_test

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"

	"github.com/aumo-cli/aumo/pkg/exportformat"
)

func TestVerify(t *testing.T) {
	cases := []struct {
		name     string
		damage   func(t *testing.T, f *fixture)
		missing  []string
		extra    []string
		corrupt  map[string]string // path → reason
		manifest []string          // substrings of the problems, in order
		torn     bool
	}{
		{name: "intact", damage: func(*testing.T, *fixture) {}},
		{
			name: "flipped byte",
			damage: func(t *testing.T, f *fixture) {
				e := f.file(t, "issues/10001/issue.json")
				e.data = bytes.Clone(e.data)
				e.data[20] ^= 0x01
			},
			corrupt: map[string]string{"issues/10001/issue.json": exportformat.CorruptSHA256},
		},
		{
			name: "shortened file",
			damage: func(t *testing.T, f *fixture) {
				e := f.file(t, "issues/10002/issue.md")
				e.data = e.data[:len(e.data)-1]
			},
			corrupt: map[string]string{"issues/10002/issue.md": exportformat.CorruptSize},
		},
		{
			name:    "deleted file",
			damage:  func(_ *testing.T, f *fixture) { f.remove("issues/10001/attachments/20001-report.txt") },
			missing: []string{"issues/10001/attachments/20001-report.txt"},
		},
		{
			name: "added file",
			damage: func(_ *testing.T, f *fixture) {
				f.files = append(f.files, entry{"issues/10001/notes.txt", []byte("not exported by aumo\n")})
			},
			extra: []string{"issues/10001/notes.txt"},
		},
		{
			name: "torn last index line",
			damage: func(_ *testing.T, f *fixture) {
				f.index = append(f.index, `{"path":"issues/10003/issue.json","kind":"iss`...)
			},
			torn: true,
		},
		{
			name: "torn last index line with its newline",
			damage: func(_ *testing.T, f *fixture) {
				f.index = append(f.index, "{\"path\":\"issues/10003/issue.json\",\x00\n"...)
			},
			torn: true,
		},
		{
			name: "last line for a path wins",
			damage: func(t *testing.T, f *fixture) {
				e := f.file(t, "issues/10001/issue.md")
				added := "Edited after a resume.\n"
				e.data = append(bytes.Clone(e.data), added...)
				f.appendIndex(exportformat.KindMarkdown, *e)
				f.editManifest(t, func(m map[string]any) {
					m["counts"].(map[string]any)["bytes"] = 736 + len(added)
				})
			},
		},
		{
			name: "bad index line before the last",
			damage: func(_ *testing.T, f *fixture) {
				f.index = append([]byte("{not json}\n"), f.index...)
			},
			manifest: []string{"index.jsonl line 1"},
		},
		{
			name: "unfinished",
			damage: func(t *testing.T, f *fixture) {
				f.editManifest(t, func(m map[string]any) { m["complete"] = false })
			},
			manifest: []string{"unfinished (complete=false)"},
		},
		{
			name: "failed items",
			damage: func(t *testing.T, f *fixture) {
				f.editManifest(t, func(m map[string]any) {
					m["complete"] = false
					m["failed"] = []any{map[string]any{"kind": "attachment", "id": "20002", "item": "10002", "reason": "download", "detail": "HTTP 500"}}
				})
			},
			manifest: []string{"1 item(s) failed", "failed attachment 20002: download (HTTP 500)"},
		},
		{
			name: "unknown format",
			damage: func(t *testing.T, f *fixture) {
				f.editManifest(t, func(m map[string]any) { m["format"] = "aumo-export/9" })
			},
			manifest: []string{`format is "aumo-export/9"`},
		},
		{
			name: "counts disagree",
			damage: func(t *testing.T, f *fixture) {
				f.editManifest(t, func(m map[string]any) {
					m["counts"] = map[string]any{"issue": 3, "attachment": 1, "markdown": 2, "fields": 1, "files": 6, "bytes": 700, "skipped": 4}
				})
			},
			manifest: []string{"counts.bytes is 700, but the index lists 736", "counts.issue is 3, but the index lists 2"},
		},
		{
			name:     "manifest not JSON",
			damage:   func(_ *testing.T, f *fixture) { f.manifest = []byte("{") },
			manifest: []string{"parse manifest.json"},
		},
	}
	for _, format := range formats {
		for _, tc := range cases {
			t.Run(format+"/"+tc.name, func(t *testing.T) {
				f := loadFixture(t)
				tc.damage(t, f)
				r, err := exportformat.Verify(t.Context(), f.write(t, format))
				if err != nil {
					t.Fatal(err)
				}
				checkSlice(t, "missing", r.Missing, tc.missing)
				checkSlice(t, "extra", r.Extra, tc.extra)
				corrupt := map[string]string{}
				for _, c := range r.Corrupt {
					corrupt[c.Path] = c.Reason
				}
				if len(corrupt) != len(tc.corrupt) {
					t.Errorf("corrupt = %+v, want %v", r.Corrupt, tc.corrupt)
				}
				for p, reason := range tc.corrupt {
					if corrupt[p] != reason {
						t.Errorf("corrupt[%s] = %q, want %q (%+v)", p, corrupt[p], reason, r.Corrupt)
					}
				}
				checkProblems(t, r.Manifest, tc.manifest)
				if r.TornIndex != tc.torn {
					t.Errorf("torn = %v, want %v", r.TornIndex, tc.torn)
				}
				want := len(tc.missing) == 0 && len(tc.extra) == 0 && len(tc.corrupt) == 0 && len(tc.manifest) == 0
				if r.OK() != want {
					t.Errorf("OK() = %v, want %v: %+v", r.OK(), want, r)
				}
			})
		}
	}
}

func checkSlice(t *testing.T, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %q, want %q", what, got, want)
	}
}

// checkProblems checks that there are as many problems as wanted, each
// containing the wanted text.
func checkProblems(t *testing.T, got, want []string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("manifest problems = %q, want %d like %q", got, len(want), want)
		return
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("manifest problem %d = %q, want it to contain %q", i, got[i], want[i])
		}
	}
}

func TestVerifyCountsFilesAndBytes(t *testing.T) {
	f := loadFixture(t)
	var size int64
	for _, e := range f.files {
		size += int64(len(e.data))
	}
	for _, format := range formats {
		r, err := exportformat.Verify(t.Context(), f.write(t, format))
		if err != nil {
			t.Fatal(err)
		}
		if r.Files != len(f.files) || r.Bytes != size || r.Indexed != len(f.files) {
			t.Errorf("%s: files %d, bytes %d, indexed %d; want %d, %d, %d", format, r.Files, r.Bytes, r.Indexed, len(f.files), size, len(f.files))
		}
	}
}

func TestVerifyTruncatedTarball(t *testing.T) {
	for _, format := range []string{"tar", "tar.gz", "tar.zst"} {
		for _, keep := range []float64{0.01, 0.1, 0.5, 0.9} {
			f := loadFixture(t)
			// Incompressible content, so that a cut in the compressed file
			// falls inside the tarball rather than in its trailing zeros.
			f.files = append(f.files, entry{"issues/10002/attachments/20009-noise.bin", noise(64 << 10)})
			f.appendIndex(exportformat.KindAttachment, f.files[len(f.files)-1])
			p := f.write(t, format)
			cut(t, p, keep)
			r, err := exportformat.Verify(t.Context(), p)
			if err != nil {
				t.Fatalf("%s cut at %.0f%%: %v", format, keep*100, err)
			}
			if r.OK() || len(r.Manifest) == 0 || !strings.Contains(r.Manifest[0], "archive truncated") {
				t.Errorf("%s cut at %.0f%%: %+v; want the first problem to be a truncated archive", format, keep*100, r)
			}
		}
	}
}

func TestVerifyTarballCutBetweenEntries(t *testing.T) {
	f := loadFixture(t)
	var (
		buf   bytes.Buffer
		atIdx int
	)
	tw := tar.NewWriter(&buf)
	for _, e := range f.all() {
		if e.path == exportformat.IndexName {
			if err := tw.Flush(); err != nil {
				t.Fatal(err)
			}
			atIdx = buf.Len()
		}
		if err := tw.WriteHeader(&tar.Header{Name: e.path, Mode: 0o644, Size: int64(len(e.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	whole := buf.Bytes()

	// archive/tar takes a cut at a block boundary for the end of the
	// archive; only the missing end marker tells it apart.
	p := filepath.Join(t.TempDir(), "export.tar")
	if err := os.WriteFile(p, whole[:atIdx], 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := exportformat.Verify(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	checkProblems(t, r.Manifest, []string{"archive truncated", "index.jsonl is missing", "manifest.json is missing"})
	if r.Files != len(f.files) {
		t.Errorf("files = %d, want the %d before the cut", r.Files, len(f.files))
	}

	// Without its end marker alone, every file checks out.
	if err := os.WriteFile(p, whole[:len(whole)-2*512], 0o644); err != nil {
		t.Fatal(err)
	}
	r, err = exportformat.Verify(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	checkProblems(t, r.Manifest, []string{"archive truncated"})
	if len(r.Missing)+len(r.Extra)+len(r.Corrupt) != 0 {
		t.Errorf("report %+v, want only the truncation", r)
	}
}

func TestVerifyCorruptCompression(t *testing.T) {
	for _, format := range []string{"tar.gz", "tar.zst"} {
		f := loadFixture(t)
		f.files = append(f.files, entry{"issues/10002/attachments/20009-noise.bin", noise(64 << 10)})
		f.appendIndex(exportformat.KindAttachment, f.files[len(f.files)-1])
		p := f.write(t, format)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		data[len(data)/2] ^= 0xff
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		r, err := exportformat.Verify(t.Context(), p)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if r.OK() {
			t.Errorf("%s: a flipped byte in the compressed stream went unnoticed", format)
		}
	}
}

func TestVerifyDirectoryTemporaryFiles(t *testing.T) {
	p := loadFixture(t).write(t, "dir")
	for _, name := range []string{"issues/10001/.issue.json.tmp-4021", ".manifest.json.tmp-77", "issues/10002/.aumo-tmp-X7QK2M"} {
		if err := os.WriteFile(filepath.Join(p, filepath.FromSlash(name)), []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	r, err := exportformat.Verify(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Errorf("temporary files of an interrupted run made the export damaged: %+v", r)
	}
}

// The lock file of the run writing a directory export, or the one a killed
// run left, is no part of the export; only the one at its top is the lock.
func TestVerifyDirectoryLockFile(t *testing.T) {
	p := loadFixture(t).write(t, "dir")
	if exportformat.LockName != ".aumo.lock" {
		t.Errorf("LockName = %q: aumo writes .aumo.lock", exportformat.LockName)
	}
	if err := os.WriteFile(filepath.Join(p, ".aumo.lock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	r, err := exportformat.Verify(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Errorf("the lock file made the export damaged: %+v", r)
	}
	if err := os.WriteFile(filepath.Join(p, "issues", "10001", ".aumo.lock"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if r, err = exportformat.Verify(t.Context(), p); err != nil {
		t.Fatal(err)
	}
	checkSlice(t, "extra", r.Extra, []string{"issues/10001/.aumo.lock"})
}

func TestVerifySymlinkIsNotAFile(t *testing.T) {
	p := loadFixture(t).write(t, "dir")
	target := filepath.Join(p, "issues", "10002", "issue.md")
	if err := os.Remove(target); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(intactDir, "issues", "10002", "issue.md"), target); err != nil {
		t.Skipf("no symbolic links here: %v", err)
	}
	r, err := exportformat.Verify(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Corrupt) != 1 || r.Corrupt[0].Reason != exportformat.CorruptNotRegular {
		t.Errorf("corrupt = %+v, want issue.md as not a regular file", r.Corrupt)
	}
}

func TestVerifyOneFileOfTwo(t *testing.T) {
	// A directory interrupted before its first file has a manifest but no
	// index yet: an unfinished export, not something else.
	f := loadFixture(t)
	f.editManifest(t, func(m map[string]any) { m["complete"] = false })
	p := f.write(t, "dir")
	if err := os.Remove(filepath.Join(p, exportformat.IndexName)); err != nil {
		t.Fatal(err)
	}
	r, err := exportformat.Verify(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	checkProblems(t, r.Manifest, []string{"index.jsonl is missing", "unfinished"})
}

func TestVerifyCannotCheck(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write([]byte("a gzip file, but no tarball inside\n"))
	_ = zw.Close()
	var otherTar bytes.Buffer
	if err := writeTarball(&otherTar, "tar", []entry{{"export/manifest.json", []byte("{}")}, {"notes.txt", []byte("hi")}}); err != nil {
		t.Fatal(err)
	}
	intact := loadFixture(t).write(t, "dir")

	cases := []struct {
		name string
		path string
		want error
	}{
		{"nonexistent", filepath.Join(dir, "nothing-here"), fs.ErrNotExist},
		{"empty directory", t.TempDir(), exportformat.ErrNotExport},
		{"text file", write("notes.txt", []byte("hello\n")), exportformat.ErrNotExport},
		{"empty file", write("empty.tar", nil), exportformat.ErrNotExport},
		{"gzip without a tarball", write("x.tar.gz", gz.Bytes()), exportformat.ErrNotExport},
		{"xz", write("x.tar.xz", []byte("\xfd7zXZ\x00\x00\x04")), exportformat.ErrNotExport},
		{"tarball of something else", write("other.tar", otherTar.Bytes()), exportformat.ErrNotExport},
		{"age", write("x.tar.zst.age", []byte("age-encryption.org/v1\n-> X25519 abc\n")), exportformat.ErrEncrypted},
		{"armored age", write("x.age", []byte("-----BEGIN AGE ENCRYPTED FILE-----\nYWdl\n")), exportformat.ErrEncrypted},
		{"a file inside an export", filepath.Join(intact, "fields.json"), exportformat.ErrNotExport},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, err := exportformat.Verify(t.Context(), tc.path)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %+v, %v; want an error that is %v", r, err, tc.want)
			}
		})
	}
}

func TestVerifyCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	for _, format := range []string{"dir", "tar.zst"} {
		_, err := exportformat.Verify(ctx, loadFixture(t).write(t, format))
		if !errors.Is(err, context.Canceled) {
			t.Errorf("%s: err = %v, want context.Canceled", format, err)
		}
	}
}

func TestOpenTellsCompressionByContent(t *testing.T) {
	f := loadFixture(t)
	for format, want := range map[string]string{"tar.zst": "tar.zst", "tgz": "tar.gz", "tar": "tar", "dir": ""} {
		src := f.write(t, format)
		p := src
		if format != "dir" {
			p = filepath.Join(t.TempDir(), "misnamed.tar")
			if err := os.Rename(src, p); err != nil {
				t.Fatal(err)
			}
		}
		e, err := exportformat.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		if got := e.Archive(); got != want {
			t.Errorf("%s: Archive() = %q, want %q", format, got, want)
		}
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	}
}

func TestWalkIsTheSameForEveryFormat(t *testing.T) {
	f := loadFixture(t)
	want := map[string]string{}
	for _, e := range f.files {
		want[e.path] = string(e.data)
	}
	for _, format := range formats {
		e, err := exportformat.Open(f.write(t, format))
		if err != nil {
			t.Fatal(err)
		}
		// A tarball's manifest and index come last: asking first costs a
		// pass of its own, and must leave Walk working.
		m, err := e.Manifest()
		if err != nil || m.Format != exportformat.Format || !m.Complete {
			t.Errorf("%s: Manifest() = %+v, %v", format, m, err)
		}
		got := map[string]string{}
		for pass := range 2 {
			clear(got)
			err = e.Walk(t.Context(), func(file *exportformat.File) error {
				data, err := io.ReadAll(file)
				if int64(len(data)) != file.Size {
					t.Errorf("%s: %s: read %d bytes, header says %d", format, file.Path, len(data), file.Size)
				}
				got[file.Path] = string(data)
				return err
			})
			if err != nil {
				t.Fatalf("%s pass %d: %v", format, pass, err)
			}
			if len(got) != len(want) {
				t.Errorf("%s pass %d: walked %d files, want %d", format, pass, len(got), len(want))
			}
			for p, data := range want {
				if got[p] != data {
					t.Errorf("%s pass %d: %s = %q, want %q", format, pass, p, got[p], data)
				}
			}
		}
		lines, torn, err := e.Index()
		if err != nil || torn || len(lines) != len(want) {
			t.Errorf("%s: Index() = %d lines, torn %v, %v", format, len(lines), torn, err)
		}
		if err := e.Close(); err != nil {
			t.Error(err)
		}
	}
}

func TestWalkStopsAtCallbackError(t *testing.T) {
	stop := errors.New("enough")
	for _, format := range []string{"dir", "tar.gz"} {
		e, err := exportformat.Open(loadFixture(t).write(t, format))
		if err != nil {
			t.Fatal(err)
		}
		calls := 0
		err = e.Walk(t.Context(), func(*exportformat.File) error { calls++; return stop })
		if !errors.Is(err, stop) || calls != 1 {
			t.Errorf("%s: Walk = %v after %d calls, want %v after 1", format, err, calls, stop)
		}
		_ = e.Close()
	}
}

// cut truncates the file at path to the fraction keep of its size.
func cut(t testing.TB, path string, keep float64) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, int64(float64(info.Size())*keep)); err != nil {
		t.Fatal(err)
	}
}

// noise returns n bytes no compressor can shrink.
func noise(n int) []byte {
	b := make([]byte, n)
	var x uint64 = 0x9e3779b97f4a7c15
	for i := range b {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b[i] = byte(x)
	}
	return b
}

// TestVerifyRefusesEntriesThatAreNoFile finds damage in a tarball whose
// index names entries that would land outside the export when extracted,
// a path held twice, and a link and a device, though every hash matches.
func TestVerifyRefusesEntriesThatAreNoFile(t *testing.T) {
	f := loadFixture(t)
	for _, e := range []entry{
		{"../evil.txt", []byte("up")}, {"/etc/evil", []byte("root")}, {`issues\evil.txt`, []byte("windows")},
		{"issues/10001/../../up.txt", []byte("up again")},
	} {
		f.files = append(f.files, e)
		f.appendIndex("attachment", e)
	}
	f.files = append(f.files, f.files[0]) // the same path and content again
	out := filepath.Join(t.TempDir(), "export.tar")
	fh, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(fh)
	special := []*tar.Header{
		{Name: "issues/10001/attachments/link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"},
		{Name: "issues/10001/attachments/tty", Typeflag: tar.TypeChar, Devmajor: 5},
	}
	for i, e := range f.all() {
		if i == len(f.files) { // before the index and the manifest
			for _, h := range special {
				if err := tw.WriteHeader(h); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := tw.WriteHeader(&tar.Header{Name: e.path, Mode: 0o644, Size: int64(len(e.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := exportformat.Verify(t.Context(), out)
	if err != nil {
		t.Fatal(err)
	}
	if r.OK() {
		t.Fatal("an archive of escaping paths, a link and a device is called intact")
	}
	want := []string{
		"../evil.txt: a path outside the export when extracted",
		"/etc/evil: a path outside the export when extracted",
		`issues\evil.txt: a backslash in the path (a folder separator on Windows)`,
		"issues/10001/../../up.txt: a path outside the export when extracted",
		f.files[0].path + ": held twice (extracting keeps the later one)",
		"issues/10001/attachments/link: a link",
		"issues/10001/attachments/tty: a device or other special file",
	}
	slices.Sort(want)
	got := slices.Sorted(slices.Values(r.Unsafe))
	if !slices.Equal(got, want) {
		t.Errorf("unsafe:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestVerifyUnfinishedIsNoDamage(t *testing.T) {
	unfinished := func(t *testing.T, f *fixture) {
		f.editManifest(t, func(m map[string]any) { m["complete"] = false })
	}
	for _, tc := range []struct {
		name   string
		damage func(*testing.T, *fixture)
		want   bool
	}{
		{"complete", func(*testing.T, *fixture) {}, false},
		{"unfinished", unfinished, true},
		{"failed items", func(t *testing.T, f *fixture) {
			f.editManifest(t, func(m map[string]any) {
				m["complete"] = false
				m["failed"] = []any{map[string]any{"kind": "issue", "id": "10003", "item": "10003", "reason": "bulkfetch"}}
			})
		}, true},
		{"unfinished and corrupt", func(t *testing.T, f *fixture) {
			unfinished(t, f)
			e := f.file(t, "issues/10001/issue.md")
			e.data = append(bytes.Clone(e.data), "edited\n"...)
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := loadFixture(t)
			tc.damage(t, f)
			r, err := exportformat.Verify(t.Context(), f.write(t, "dir"))
			if err != nil {
				t.Fatal(err)
			}
			if got := r.OnlyUnfinished(); got != tc.want {
				t.Errorf("OnlyUnfinished() = %v, want %v (report %+v)", got, tc.want, r)
			}
		})
	}
}
