package sink

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"
)

// spoolFiles reads the temporary files this process holds open in dir,
// named or already unlinked, through /proc/self/fd.
func spoolFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, fd := range fds {
		link, err := os.Readlink(filepath.Join("/proc/self/fd", fd.Name()))
		if err != nil || !strings.HasPrefix(link, dir+string(os.PathSeparator)+tmpPrefix) {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc/self/fd", fd.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[link] = b
	}
	return out
}

// probeReader yields a large entry's content and, before its end, looks
// at what the sink has spooled so far.
type probeReader struct {
	r     io.Reader
	probe func()
	done  bool
}

func (p *probeReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if err == io.EOF && !p.done {
		p.done = true
		p.probe()
	}
	return n, err
}

// An encrypted archive's temporary files (a large entry's spool, the
// index) hold no plaintext.
func TestEncryptedTarballSpoolsNoPlaintext(t *testing.T) {
	dir := t.TempDir()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(filepath.Join(dir, "x.tar.zst.age"), Options{Recipients: []age.Recipient{id.Recipient()}, InitialManifest: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	const secret = "the-quarterly-numbers-"
	big := bytes.Repeat([]byte(secret), (3<<20)/len(secret))
	for range 1000 { // more than a buffer's worth reaches the file
		if err := s.AppendIndex([]byte(`{"path":"` + secret + `"}`)); err != nil {
			t.Fatal(err)
		}
	}
	probed := 0
	r := &probeReader{r: bytes.NewReader(big), probe: func() {
		for name, b := range spoolFiles(t, dir) {
			probed++
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("temporary file %s holds plaintext", name)
			}
		}
	}}
	if _, err := s.Put(context.Background(), "big.bin", r); err != nil {
		t.Fatal(err)
	}
	if probed < 2 { // the index spool and the entry's
		t.Fatalf("found %d temporary files to look into, want the index's and the entry's", probed)
	}
	if err := s.Finish([]byte(`{"format":"x"}`)); err != nil {
		t.Fatal(err)
	}
	// And the archive decrypts to the entry and the index as written.
	f, err := os.Open(filepath.Join(dir, "x.tar.zst.age"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = f.Close() }()
	plain, err := age.Decrypt(f, id)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zstd.NewReader(plain)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	got := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if got[h.Name], err = io.ReadAll(tr); err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(got["big.bin"], big) || !strings.Contains(string(got[indexName]), secret) {
		t.Errorf("archive: big.bin %d bytes (want %d), index %q", len(got["big.bin"]), len(big), got[indexName])
	}
}

// However many Puts of larger files run at once, only memSpoolLarge of
// them wait for the archive in memory; the others wait in temporary
// files, and every file arrives whole.
func TestConcurrentLargePutsSpoolToFiles(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "x.tar")
	s, err := Open(out, Options{InitialManifest: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	const puts = 2 * memSpoolLarge
	var arrived sync.WaitGroup
	arrived.Add(puts)
	release := make(chan struct{})
	contents := make([][]byte, puts)
	errs := make(chan error, puts)
	for i := range puts {
		contents[i] = randomBytes(uint64(i), 1<<20)
		r := &probeReader{r: bytes.NewReader(contents[i]), probe: func() {
			arrived.Done()
			<-release // every Put holds its whole content now
		}}
		go func() {
			_, err := s.Put(context.Background(), fmt.Sprintf("f%d.bin", i), r)
			errs <- err
		}()
	}
	arrived.Wait()
	// The index spool is one file; the other Puts spooled one each.
	if n := len(spoolFiles(t, dir)) - 1; n != puts-memSpoolLarge {
		t.Errorf("%d Puts spooled to files, want %d", n, puts-memSpoolLarge)
	}
	close(release)
	for range puts {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Finish([]byte(`{"format":"x"}`)); err != nil {
		t.Fatal(err)
	}
	tg := &target{kind: "tar", out: out}
	files, _ := tg.readBack(t)
	for i, want := range contents {
		if !bytes.Equal(files[fmt.Sprintf("f%d.bin", i)], want) {
			t.Errorf("f%d.bin: %d bytes, want %d as written", i, len(files[fmt.Sprintf("f%d.bin", i)]), len(want))
		}
	}
}
