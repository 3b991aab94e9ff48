package exportformat_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// TestVerifyNamesEachLimit finds each part of an export beyond what a
// reader holds, and names the limit, as damage: the report says what, and
// the files are checked as far as they can be.
func TestVerifyNamesEachLimit(t *testing.T) {
	long := strings.Repeat("x", 2<<20)
	cases := []struct {
		name     string
		format   string
		damage   func(t *testing.T, f *fixture)
		manifest []string // substrings of the manifest problems, in order
		unsafe   []string
	}{
		{
			name:     "a value of the manifest",
			damage:   func(t *testing.T, f *fixture) { f.editManifest(t, func(m map[string]any) { m["query"] = long }) },
			manifest: []string{"query in manifest.json is larger than 1 MiB"},
		},
		{
			name: "an entry of a list of the manifest",
			damage: func(t *testing.T, f *fixture) {
				f.editManifest(t, func(m map[string]any) {
					m["skipped"] = []any{map[string]any{"kind": "issue", "id": "1", "reason": "deleted", "detail": long[:20<<10]}}
				})
			},
			manifest: []string{"an entry of skipped in manifest.json is larger than 16 KiB"},
		},
		{
			name: "nesting in the manifest",
			damage: func(_ *testing.T, f *fixture) {
				f.manifest = append(bytes.TrimSuffix(bytes.TrimSpace(f.manifest), []byte("}")), `,"future":`+strings.Repeat("[", 20000)+strings.Repeat("]", 20000)+"}"...)
			},
			manifest: []string{"parse manifest.json: future nests deeper than 10000 levels"},
		},
		{
			name:     "more after the manifest",
			damage:   func(_ *testing.T, f *fixture) { f.manifest = append(bytes.Clone(f.manifest), "{}"...) },
			manifest: []string{"parse manifest.json: more after the manifest's object"},
		},
		{
			name: "a line of the index",
			damage: func(_ *testing.T, f *fixture) {
				f.index = append(f.index, `{"path":"issues/10003/issue.json","kind":"issue","id":"`+long[:70<<10]+`"}`+"\n"...)
			},
			manifest: []string{"index.jsonl line 7: the line is larger than 64 KiB: the files could not be checked"},
		},
		{
			name: "a path of the index",
			damage: func(_ *testing.T, f *fixture) {
				f.index = append([]byte(`{"path":"`+long[:5000]+`","kind":"issue","id":"1","size":0,"sha256":""}`+"\n"), f.index...)
			},
			manifest: []string{"index.jsonl line 1: its path is larger than 4 KiB: the files could not be checked"},
		},
		{
			name:   "a path of the archive",
			format: "tar",
			damage: func(_ *testing.T, f *fixture) {
				f.files = append(f.files, entry{"issues/10001/" + long[:5000], []byte("x")})
			},
			unsafe: []string{"issues/10001/" + long[:187] + "…: a path of 5013 bytes, longer than 4096"},
		},
	}
	for _, tc := range cases {
		format := tc.format
		if format == "" {
			format = "dir"
		}
		t.Run(tc.name, func(t *testing.T) {
			f := loadFixture(t)
			tc.damage(t, f)
			r, err := exportformat.Verify(t.Context(), f.write(t, format))
			if err != nil {
				t.Fatal(err)
			}
			checkProblems(t, r.Manifest, tc.manifest)
			checkSlice(t, "unsafe", r.Unsafe, tc.unsafe)
			if r.OK() {
				t.Error("OK() = true")
			}
		})
	}
}

// TestVerifyManifestLargerThanTheLimit finds a directory's manifest.json
// too large by its size, without reading it.
func TestVerifyManifestLargerThanTheLimit(t *testing.T) {
	p := loadFixture(t).write(t, "dir")
	// A sparse file: it takes no room, and reading it would take long.
	if err := os.Truncate(filepath.Join(p, exportformat.ManifestName), exportformat.MaxManifestSize+1); err != nil {
		t.Fatal(err)
	}
	r, err := exportformat.Verify(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	checkProblems(t, r.Manifest, []string{"manifest.json is larger than 1 GiB"})
	if r.Indexed != 6 || len(r.Missing)+len(r.Extra)+len(r.Corrupt) != 0 {
		t.Errorf("the files were not checked as usual: %+v", r)
	}
}

// TestVerifyRemovedIndexLineLimit reports a line of removed/index.jsonl
// beyond the limit as damage, as one of index.jsonl.
func TestVerifyRemovedIndexLineLimit(t *testing.T) {
	p := loadFixture(t).write(t, "dir")
	removed := filepath.Join(p, filepath.FromSlash(exportformat.RemovedIndexName))
	if err := os.MkdirAll(filepath.Dir(removed), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(removed, bytes.Repeat([]byte("x"), exportformat.MaxIndexLine+1), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := exportformat.Verify(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	checkProblems(t, r.Manifest, []string{"removed/index.jsonl line 1: the line is larger than 64 KiB: the files could not be checked"})
}

// TestOpenRefusesALargeZstdWindow refuses a .tar.zst whose window is
// larger than a reader holds.
func TestOpenRefusesALargeZstdWindow(t *testing.T) {
	var tarball bytes.Buffer
	if err := writeTarball(&tarball, "tar", loadFixture(t).all()); err != nil {
		t.Fatal(err)
	}
	// A zstd frame stating a window of 16 MiB (as `zstd --long=24`
	// would), of uncompressed blocks: the magic number, a frame header
	// with no content size, the window as 2^(10+14), then blocks of at
	// most 128 KiB, each after its 3-byte header: size, type raw, last.
	frame := []byte{0x28, 0xb5, 0x2f, 0xfd, 0x00, 14 << 3}
	for data := tarball.Bytes(); len(data) > 0; {
		n := min(len(data), 128<<10)
		h := n << 3
		if n == len(data) {
			h |= 1
		}
		frame = append(append(frame, byte(h), byte(h>>8), byte(h>>16)), data[:n]...)
		data = data[n:]
	}
	p := filepath.Join(t.TempDir(), "export.tar.zst")
	if err := os.WriteFile(p, frame, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := exportformat.Verify(t.Context(), p)
	if err == nil || !strings.Contains(err.Error(), "the zstd stream's window is larger than 8 MiB") {
		t.Errorf("Verify = %v, want the window named", err)
	}
}

// TestVerifyListsTheFirstOfMany names the first MaxListed missing files
// by path, and counts them all.
func TestVerifyListsTheFirstOfMany(t *testing.T) {
	const n = exportformat.MaxListed + 500
	f := loadFixture(t)
	for i := range n {
		f.appendIndex(exportformat.KindAttachment, entry{path: fmt.Sprintf("issues/10001/attachments/%04d-gone.txt", i)})
	}
	f.remove("fields.json")
	r, err := exportformat.Verify(t.Context(), f.write(t, "tar"))
	if err != nil {
		t.Fatal(err)
	}
	if r.Totals.Missing != n+1 || len(r.Missing) != exportformat.MaxListed {
		t.Fatalf("missing: %d listed of %d, want %d of %d", len(r.Missing), r.Totals.Missing, exportformat.MaxListed, n+1)
	}
	if r.Missing[0] != "fields.json" || r.Missing[1] != "issues/10001/attachments/0000-gone.txt" || r.Missing[len(r.Missing)-1] != "issues/10001/attachments/0998-gone.txt" {
		t.Errorf("missing = %q … %q, want the first by path", r.Missing[:2], r.Missing[len(r.Missing)-1])
	}
}

// TestVerifyNamesCorruptFilesWhole gives a corrupt file's sha256 and its
// line's in full, though the first pass keeps neither.
func TestVerifyNamesCorruptFilesWhole(t *testing.T) {
	for _, format := range []string{"dir", "tar.zst"} {
		f := loadFixture(t)
		e := f.file(t, "issues/10001/issue.json")
		e.data = bytes.Clone(e.data)
		e.data[20] ^= 0x01
		r, err := exportformat.Verify(t.Context(), f.write(t, format))
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Corrupt) != 1 {
			t.Fatalf("%s: corrupt = %+v", format, r.Corrupt)
		}
		c := r.Corrupt[0]
		want := exportformat.CorruptFile{
			Path: e.path, Reason: exportformat.CorruptSHA256, Size: int64(len(e.data)), IndexSize: int64(len(e.data)),
			SHA256: sha256Hex(e.data), IndexSHA256: "f55e292f97acb46fa5cab0f7aae816e09e578be5cdac681615e37db32dddd444",
		}
		if c != want {
			t.Errorf("%s: corrupt = %+v, want %+v", format, c, want)
		}
	}
}

// TestVerifyTarballInAnyOrder checks a tarball whose files come after its
// index, and whose own files are held twice.
func TestVerifyTarballInAnyOrder(t *testing.T) {
	f := loadFixture(t)
	all := f.all()
	n := len(f.files)
	// Index, then the files, then the manifest twice.
	entries := append(append([]entry{all[n]}, all[:n]...), all[n+1], all[n+1])
	var buf bytes.Buffer
	if err := writeTarball(&buf, "tar", entries); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "export.tar")
	if err := os.WriteFile(p, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := exportformat.Verify(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	checkSlice(t, "unsafe", r.Unsafe, []string{"manifest.json: held twice (extracting keeps the later one)"})
	if r.Totals.Missing+r.Totals.Extra+r.Totals.Corrupt != 0 || len(r.Manifest) != 0 {
		t.Errorf("files after the index were not matched to it: %+v", r)
	}
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
