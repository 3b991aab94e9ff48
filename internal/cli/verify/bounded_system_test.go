//go:build linux && system

package verify_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// millionRSS is the most memory `aumo verify` may hold on an honest
// export of a million files.
const millionRSS = 200 << 20

// BenchmarkVerifyAMillionFiles verifies an honest tarball of a million
// files, as aumo writes them, and reports the memory it took (peak-MiB):
// about 125 MiB, where the code before these limits took 1.1 GiB. A
// benchmark, not a test: writing and checking the tarball takes minutes
// under the race detector.
//
//	go test -tags system -run '^$' -bench VerifyAMillionFiles -benchtime 1x ./internal/cli/verify
func BenchmarkVerifyAMillionFiles(b *testing.B) {
	t := b
	const files = 1_000_000
	p := filepath.Join(t.TempDir(), "million.tar.zst")
	var bytes int64
	// The index goes to a file of its own first: this process stays
	// small (see maxRSS).
	index, err := os.Create(filepath.Join(t.TempDir(), exportformat.IndexName))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = index.Close() }()
	lines := bufio.NewWriter(index)
	writeTarball(t, p, func(w *tarball) {
		for i := range files {
			path := fmt.Sprintf("issues/%d/attachments/%d-scan.txt", 100000+i/4, 200000+i)
			data := []byte(fmt.Sprintf("attachment %d of issue %d\n", 200000+i, 100000+i/4))
			w.put(path, data)
			sum := sha256.Sum256(data)
			line, _ := json.Marshal(exportformat.IndexLine{
				Path: path, Kind: exportformat.KindAttachment, ID: fmt.Sprint(200000 + i), Key: fmt.Sprintf("ABC-%d", i/4),
				Item: fmt.Sprint(100000 + i/4), Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:]),
			})
			_, _ = lines.Write(append(line, '\n'))
			bytes += int64(len(data))
		}
		if err := lines.Flush(); err != nil {
			t.Fatal(err)
		}
		size, err := index.Seek(0, io.SeekCurrent)
		if err == nil {
			_, err = index.Seek(0, io.SeekStart)
		}
		if err != nil {
			t.Fatal(err)
		}
		w.putFrom(exportformat.IndexName, size, index)
		manifest, _ := json.Marshal(exportformat.Manifest{
			Format: exportformat.Format, Product: "jira", Complete: true,
			Counts:  map[string]int64{exportformat.KindAttachment: files, "files": files, "bytes": bytes},
			Skipped: []exportformat.Problem{}, Failed: []exportformat.Problem{},
		})
		w.put(exportformat.ManifestName, manifest)
	})
	for b.Loop() {
		out, code, rss := verifyRun(b, p)
		if code != 0 || !strings.Contains(out, fmt.Sprintf("Checked %d files", files)) || !strings.Contains(out, "Intact") {
			b.Fatalf("exit %d:\n%s", code, clip(out))
		}
		if rss > millionRSS {
			b.Errorf("peak RSS %d MiB, want under %d MiB", rss>>20, millionRSS>>20)
		}
		b.ReportMetric(float64(rss>>20), "peak-MiB")
	}
}

// putFrom writes a file of size bytes read from r.
func (w *tarball) putFrom(name string, size int64, r io.Reader) {
	w.header(name, size)
	if w.err == nil {
		_, w.err = io.Copy(w.tw, r)
	}
}
