package exportformat_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// intactDir is a small, intact Jira export every test starts from.
const intactDir = "../../testdata/exportformat/intact"

// formats are the containers an export comes in, named by the file name
// ending they are written under ("dir" for a directory).
var formats = []string{"dir", "tar", "tar.gz", "tgz", "tar.zst"}

// fixture is an export in memory, to be damaged and then written out.
type fixture struct {
	files    []entry // in write order
	index    []byte
	manifest []byte
}

type entry struct {
	path string
	data []byte
}

func loadFixture(t testing.TB) *fixture {
	t.Helper()
	f := &fixture{}
	var err error
	if f.index, err = os.ReadFile(filepath.Join(intactDir, exportformat.IndexName)); err != nil {
		t.Fatal(err)
	}
	if f.manifest, err = os.ReadFile(filepath.Join(intactDir, exportformat.ManifestName)); err != nil {
		t.Fatal(err)
	}
	lines, _, err := exportformat.ReadIndex(bytes.NewReader(f.index))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		data, err := os.ReadFile(filepath.Join(intactDir, filepath.FromSlash(l.Path)))
		if err != nil {
			t.Fatal(err)
		}
		f.files = append(f.files, entry{l.Path, data})
	}
	return f
}

func (f *fixture) file(t testing.TB, p string) *entry {
	t.Helper()
	for i := range f.files {
		if f.files[i].path == p {
			return &f.files[i]
		}
	}
	t.Fatalf("fixture has no %s", p)
	return nil
}

func (f *fixture) remove(p string) {
	f.files = slices.DeleteFunc(f.files, func(e entry) bool { return e.path == p })
}

// appendIndex appends the index line of a file as it is now.
func (f *fixture) appendIndex(kind string, e entry) {
	sum := sha256.Sum256(e.data)
	line, _ := json.Marshal(exportformat.IndexLine{
		Path: e.path, Kind: kind, ID: path.Base(e.path), Size: int64(len(e.data)), SHA256: hex.EncodeToString(sum[:]),
	})
	f.index = append(append(f.index, line...), '\n')
}

// editManifest changes the manifest through its generic JSON form, so that
// fields this package does not know survive.
func (f *fixture) editManifest(t testing.TB, edit func(m map[string]any)) {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(f.manifest, &m); err != nil {
		t.Fatal(err)
	}
	edit(m)
	var err error
	if f.manifest, err = json.Marshal(m); err != nil {
		t.Fatal(err)
	}
}

// write writes the export in a format of formats and returns its path.
func (f *fixture) write(t testing.TB, format string) string {
	t.Helper()
	dir := t.TempDir()
	if format == "dir" {
		out := filepath.Join(dir, "export")
		for _, e := range f.all() {
			p := filepath.Join(out, filepath.FromSlash(e.path))
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, e.data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return out
	}
	out := filepath.Join(dir, "export."+format)
	fh, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	if err := writeTarball(fh, format, f.all()); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
	return out
}

// all is every entry, the index and the manifest last as in a tarball.
func (f *fixture) all() []entry {
	return append(slices.Clone(f.files), entry{exportformat.IndexName, f.index}, entry{exportformat.ManifestName, f.manifest})
}

// writeTarball writes entries as a tarball compressed as format says.
func writeTarball(w io.Writer, format string, entries []entry) error {
	bw := bufio.NewWriter(w)
	var (
		dst    io.Writer = bw
		finish func() error
	)
	switch format {
	case "tar":
	case "tar.gz", "tgz":
		zw := gzip.NewWriter(bw)
		dst, finish = zw, zw.Close
	case "tar.zst":
		zw, err := zstd.NewWriter(bw)
		if err != nil {
			return err
		}
		dst, finish = zw, zw.Close
	default:
		return fmt.Errorf("unknown format %q", format)
	}
	tw := tar.NewWriter(dst)
	for _, e := range entries {
		hdr := &tar.Header{
			Name: e.path, Mode: 0o644, Size: int64(len(e.data)), Typeflag: tar.TypeReg,
			ModTime: time.Date(2025, 3, 3, 8, 0, 0, 0, time.UTC), Format: tar.FormatPAX,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if _, err := tw.Write(e.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if finish != nil {
		if err := finish(); err != nil {
			return err
		}
	}
	return bw.Flush()
}
