package exportformat_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/pkg/exportformat"
)

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
