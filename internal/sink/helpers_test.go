package sink

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// allKinds are the --out forms every sink test runs for; "tgz" is the
// other spelling of tar.gz.
var allKinds = []string{"dir", "tar", "tar.gz", "tgz", "tar.zst", "stdout"}

var tarKinds = []string{"tar", "tar.gz", "tgz", "tar.zst", "stdout"}

const (
	initialManifest = `{"format":"aumo-export/1","complete":false}`
	finalManifest   = `{"format":"aumo-export/1","complete":true}`
)

// target is one sink under test and where to find what it wrote.
type target struct {
	kind   string
	out    string        // the --out value
	base   string        // the directory holding out (or the spool directory)
	stdout *bytes.Buffer // what a "-" sink wrote
	opts   Options
}

func newTarget(t testing.TB, kind string) *target {
	t.Helper()
	base := t.TempDir()
	tg := &target{kind: kind, base: base}
	switch kind {
	case "dir":
		tg.out = filepath.Join(base, "export")
	case "stdout":
		tg.out = "-"
		tg.stdout = &bytes.Buffer{}
		tg.opts.Stdout = tg.stdout
		tg.opts.TempDir = base
	default:
		tg.out = filepath.Join(base, "export."+kind)
	}
	tg.opts.InitialManifest = []byte(initialManifest)
	return tg
}

func (tg *target) open(t testing.TB) Sink {
	t.Helper()
	s, err := Open(tg.out, tg.opts)
	if err != nil {
		t.Fatalf("Open(%q): %v", tg.out, err)
	}
	return s
}

// archiveBytes returns the finished tarball, decompressed.
func (tg *target) archiveBytes(t testing.TB) []byte {
	t.Helper()
	var raw []byte
	if tg.kind == "stdout" {
		raw = tg.stdout.Bytes()
	} else {
		var err error
		raw, err = os.ReadFile(tg.out)
		if err != nil {
			t.Fatalf("read the tarball: %v", err)
		}
	}
	switch KindOf(tg.out) {
	case KindTarGz:
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("open gzip: %v", err)
		}
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("read gzip: %v", err)
		}
		return plain
	case KindTarZst:
		zr, err := zstd.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("open zstd: %v", err)
		}
		defer zr.Close()
		plain, err := io.ReadAll(zr)
		if err != nil {
			t.Fatalf("read zstd: %v", err)
		}
		return plain
	}
	return raw
}

// readBack returns what the finished export holds, and for a tarball the
// order of its entries.
func (tg *target) readBack(t testing.TB) (files map[string][]byte, order []string) {
	t.Helper()
	files = map[string][]byte{}
	if tg.kind == "dir" {
		err := filepath.WalkDir(tg.out, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			if !d.Type().IsRegular() {
				return fmt.Errorf("%s is not a regular file", p)
			}
			rel, err := filepath.Rel(tg.out, p)
			if err != nil {
				return err
			}
			data, err := os.ReadFile(p)
			files[filepath.ToSlash(rel)] = data
			return err
		})
		if err != nil {
			t.Fatalf("walk the export: %v", err)
		}
		return files, nil
	}
	tr := tar.NewReader(bytes.NewReader(tg.archiveBytes(t)))
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("read the tarball: %v", err)
		}
		if hdr.Typeflag != tar.TypeReg {
			t.Errorf("entry %q has type %q, want a regular file", hdr.Name, hdr.Typeflag)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("read entry %q: %v", hdr.Name, err)
		}
		if _, dup := files[hdr.Name]; dup {
			t.Errorf("entry %q appears twice", hdr.Name)
		}
		files[hdr.Name] = data
		order = append(order, hdr.Name)
	}
	return files, order
}

// leftovers lists what is in the directory holding the output besides the
// output itself: temporary files that should not be there.
func (tg *target) leftovers(t testing.TB) []string {
	t.Helper()
	ents, err := os.ReadDir(tg.base)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range ents {
		if filepath.Join(tg.base, e.Name()) != tg.out {
			names = append(names, e.Name())
		}
	}
	return names
}

// tempFilesUnder lists the sink's temporary files anywhere under dir.
func tempFilesUnder(t testing.TB, dir string) []string {
	t.Helper()
	var found []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if strings.HasPrefix(d.Name(), tmpPrefix) || strings.Contains(d.Name(), ".partial-") {
			found = append(found, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(found)
	return found
}

func randomBytes(seed uint64, n int) []byte {
	var s [32]byte
	s[0], s[1] = byte(seed), byte(seed>>8)
	b := make([]byte, n)
	_, _ = rand.NewChaCha8(s).Read(b)
	return b
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// failingReader returns n bytes of content, then err: a source or disk
// that gives out part-way.
type failingReader struct {
	n   int
	err error
}

func (r *failingReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, r.err
	}
	k := min(len(p), r.n)
	for i := range p[:k] {
		p[i] = 'x'
	}
	r.n -= k
	return k, nil
}
