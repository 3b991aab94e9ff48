package exportformat_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// BenchmarkVerify verifies a 64 MiB export: 256 files of 256 KiB, half
// incompressible (attachments) and half repetitive JSON (items).
func BenchmarkVerify(b *testing.B) {
	const files, size = 256, 256 << 10
	f := &fixture{}
	text := bytes.Repeat([]byte(`{"id":"10001","fields":{"summary":"Export the quarterly report","status":{"name":"Done"}}}`+"\n"), size/90+1)[:size]
	for i := range files {
		data := text
		if i%2 == 0 {
			data = noise(size)
			data[0] = byte(i) // no two files alike
		}
		e := entry{fmt.Sprintf("issues/%d/attachments/%d-file.bin", 10000+i/4, 20000+i), data}
		f.files = append(f.files, e)
		f.appendIndex(exportformat.KindAttachment, e)
	}
	f.manifest = loadFixture(b).manifest
	f.editManifest(b, func(m map[string]any) { m["counts"] = map[string]any{"attachment": files} })

	for _, format := range []string{"dir", "tar", "tar.gz", "tar.zst"} {
		p := f.write(b, format)
		b.Run(format, func(b *testing.B) {
			b.SetBytes(files * size)
			for b.Loop() {
				r, err := exportformat.Verify(b.Context(), p)
				if err != nil || !r.OK() {
					b.Fatalf("Verify = %+v, %v", r, err)
				}
			}
		})
	}
}
