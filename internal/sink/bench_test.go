package sink

import (
	"bytes"
	"context"
	"io"
	"strconv"
	"testing"
)

// BenchmarkPut measures one Put at a time of incompressible content, the
// common case of attachments. A directory Put includes its two fsyncs.
func BenchmarkPut(b *testing.B) {
	for _, kind := range []string{"dir", "tar", "tar.gz", "tar.zst", "stdout"} {
		b.Run(kind, func(b *testing.B) {
			for _, size := range []int{64 << 10, 1 << 20} {
				b.Run(sizeName(size), func(b *testing.B) {
					tg := newTarget(b, kind)
					if tg.opts.Stdout != nil {
						tg.opts.Stdout = io.Discard
					}
					s := tg.open(b)
					content := randomBytes(7, size)
					r := bytes.NewReader(content)
					ctx := context.Background()
					name := make([]byte, 0, 64)
					b.SetBytes(int64(size))
					b.ReportAllocs()
					i := 0
					for b.Loop() {
						// A few directories of many files, as an export has.
						name = append(name[:0], "issues/"...)
						name = strconv.AppendInt(name, int64(i%16), 10)
						name = append(name, "/attachments/"...)
						name = strconv.AppendInt(name, int64(i), 10)
						name = append(name, "-file.bin"...)
						r.Reset(content)
						if _, err := s.Put(ctx, string(name), r); err != nil {
							b.Fatal(err)
						}
						i++
					}
					b.StopTimer()
					if err := s.Abort(); err != nil {
						b.Fatal(err)
					}
				})
			}
		})
	}
}

func sizeName(n int) string {
	if n >= 1<<20 {
		return strconv.Itoa(n>>20) + "MiB"
	}
	return strconv.Itoa(n>>10) + "KiB"
}
