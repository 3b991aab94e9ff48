//go:build linux

package verify_test

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// aumo is the real aumo, built once by the first test that needs it,
// without the race detector's instrumentation even under go test -race:
// its memory is what the tests measure.
var aumo = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(binDir, "aumo")
	// go test puts its own go first on the PATH.
	out, err := exec.Command("go", "build", "-o", bin, "github.com/aumo-cli/aumo/cmd/aumo").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
})

var binDir string

// spawnEnv makes the test binary, run again, a small process that runs
// the command its arguments name and writes that command's peak memory
// to the file spawnEnv names. Linux keeps, across fork and execve, the
// peak of the process a program starts in; this test's process may grow
// large (building the bombs, under the race detector's instrumentation
// all the more), and the peak measured must be aumo's alone.
const spawnEnv = "AUMO_VERIFY_TEST_RSS_FILE"

func TestMain(m *testing.M) {
	if file := os.Getenv(spawnEnv); file != "" {
		os.Exit(spawn(file, os.Args[1:]))
	}
	var err error
	if binDir, err = os.MkdirTemp("", "aumo-verify-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	_ = os.RemoveAll(binDir)
	os.Exit(code)
}

// spawn runs args, writes its peak RSS to file, and returns its exit
// code.
func spawn(file string, args []string) int {
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	err := cmd.Run()
	if cmd.ProcessState == nil {
		fmt.Fprintln(os.Stderr, err)
		return 127
	}
	// On Linux, Maxrss is in KiB.
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss << 10
	if err := os.WriteFile(file, []byte(strconv.FormatInt(rss, 10)), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 127
	}
	return cmd.ProcessState.ExitCode()
}

// maxRSS is the most memory `aumo verify` may hold on any of the bombs,
// whatever they claim.
const maxRSS = 100 << 20

// extraEntries is how many entries the index does not name one bomb
// holds: verify holds some 70 bytes for each (under 200 with the garbage
// the Go runtime lets grow beside them), the code before these limits
// held more than 500, and some 150 bytes more for each one it named.
const extraEntries = 300_000

// TestVerifyBombsInBoundedMemory runs `aumo verify` on small hostile
// tarballs built here: each claims gigabytes, or millions of entries, in
// a few megabytes of zstd. Each is damage named in the report (exit 1),
// or, for a manifest listing millions of skipped items, no damage at all;
// none takes more than maxRSS.
func TestVerifyBombsInBoundedMemory(t *testing.T) {
	ex := readIntact(t)
	cases := []struct {
		name string
		path func(t *testing.T) string // writes the bomb
		code int
		want []string // in the report, in order
	}{
		{
			name: "manifest larger than the limit",
			path: tarballOf(func(w *tarball) {
				ex.writeFiles(w)
				w.put(exportformat.IndexName, ex.index)
				w.putRepeated(exportformat.ManifestName, nil, " ", exportformat.MaxManifestSize+1, nil)
			}),
			code: 1,
			want: []string{"Manifest problems (1):", "manifest.json is larger than 1 GiB"},
		},
		{
			name: "a huge value in the manifest",
			path: tarballOf(func(w *tarball) {
				ex.writeFiles(w)
				w.put(exportformat.IndexName, ex.index)
				w.putRepeated(exportformat.ManifestName, []byte(`{"format":"aumo-export/1","query":"`), "a", 64<<20, []byte(`"}`))
			}),
			code: 1,
			want: []string{"query in manifest.json is larger than 1 MiB"},
		},
		{
			name: "a manifest skipping two million items",
			path: tarballOf(func(w *tarball) {
				ex.writeFiles(w)
				w.put(exportformat.IndexName, ex.index)
				// The intact manifest less its closing brace, then a list.
				head, _ := bytes.CutSuffix(bytes.TrimSpace(ex.manifest), []byte("}"))
				head = append(slices.Clip(head), `,"skipped":[{}`...)
				w.putRepeated(exportformat.ManifestName, head, `,{}`, 2_000_000, []byte("]}"))
			}),
			code: 0,
			want: []string{"Intact"},
		},
		{
			name: "a manifest just under every limit",
			path: tarballOf(func(w *tarball) {
				ex.writeFiles(w)
				w.put(exportformat.IndexName, ex.index)
				w.put(exportformat.ManifestName, manifestAtEveryLimit())
			}),
			code: 6, // unfinished, items failed, and nothing damaged
			want: []string{"the export is incomplete (complete=false): 200 item(s) failed", "failed: 100 more item(s), which the manifest lists"},
		},
		{
			name: "one huge index line",
			path: tarballOf(func(w *tarball) {
				ex.writeFiles(w)
				w.putRepeated(exportformat.IndexName, nil, "x", 128<<20, nil)
				w.put(exportformat.ManifestName, ex.manifest)
			}),
			code: 1,
			want: []string{"index.jsonl line 1: the line is larger than 64 KiB: the files could not be checked"},
		},
		{
			name: "entries by the hundred thousand the index does not name",
			// A plain tar: compressing 150 MB of headers here, under the
			// race detector, would take longer than the check itself.
			path: plainTarballOf(func(w *tarball) {
				ex.writeFiles(w)
				for i := range extraEntries {
					w.put(fmt.Sprintf("issues/%07d/attachments/%07d-not-in-the-index-and-a-long-name-all-the-same.txt", i/4, i), nil)
				}
				w.put(exportformat.IndexName, ex.index)
				w.put(exportformat.ManifestName, ex.manifest)
			}),
			code: 1,
			want: []string{
				fmt.Sprintf("Extra, in the export but not in the index (%d):", extraEntries),
				"  issues/0000000/attachments/0000000-not-in-the-index-and-a-long-name-all-the-same.txt",
				fmt.Sprintf("  … and %d more", extraEntries-exportformat.MaxListed),
			},
		},
		{
			name: "paths of a megabyte",
			path: tarballOf(func(w *tarball) {
				ex.writeFiles(w)
				name := []byte("000/" + strings.Repeat("p", 1_000_000-4))
				for i := range 150 {
					copy(name, fmt.Sprintf("%03d", i))
					w.putLongPath(name, []byte("x"))
				}
				w.put(exportformat.IndexName, ex.index)
				w.put(exportformat.ManifestName, ex.manifest)
			}),
			code: 1,
			want: []string{
				"Unsafe, no file of an export (a path outside it or too long, a link, a device, a path twice) (150):",
				"  000/ppp",
				"…: a path of 1000000 bytes, longer than 4096",
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkRun(t, tc.path(t), tc.code, tc.want, maxRSS)
		})
	}
}

// manifestAtEveryLimit is a manifest each of whose values at the top is
// just under the limit of one (1 MiB), with lists of entries each just
// under the limit of one (16 KiB), longer than a Summary keeps.
func manifestAtEveryLimit() []byte {
	const value, entry, entries = 1<<20 - 64, 16<<10 - 64, 2 * exportformat.SummaryEntries
	var b bytes.Buffer
	b.WriteString(`{"format":"aumo-export/1","complete":false,"query":"` + strings.Repeat("q", value) + `"`)
	for _, key := range []string{"counts", "options"} {
		fmt.Fprintf(&b, `,%q:{`, key)
		// Keys of a few bytes: the most entries a map can hold.
		for i, start := 0, b.Len(); b.Len()-start < value-32; i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			if key == "counts" {
				fmt.Fprintf(&b, `"k%x":1`, i)
			} else {
				fmt.Fprintf(&b, `"k%x":""`, i)
			}
		}
		b.WriteString("}")
	}
	long := strings.Repeat("d", entry)
	for _, key := range []string{"skipped", "failed", "removed"} {
		fmt.Fprintf(&b, `,%q:[`, key)
		for i := range entries {
			if i > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, `{"kind":"issue","id":"%d","reason":"x","detail":%q,"path":%q}`, i, long[:entry/2], long[:entry/2])
		}
		b.WriteString("]")
	}
	b.WriteString(`,"incremental":{"pending":[`)
	for i := range entries {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q", long)
	}
	b.WriteString("]}}")
	return b.Bytes()
}

// tarballOf returns a function writing a tar.zst of write's entries.
func tarballOf(write func(w *tarball)) func(t *testing.T) string {
	return func(t *testing.T) string {
		p := filepath.Join(t.TempDir(), "bomb.tar.zst")
		writeTarball(t, p, write)
		return p
	}
}

// plainTarballOf returns a function writing an uncompressed tar of
// write's entries.
func plainTarballOf(write func(w *tarball)) func(t *testing.T) string {
	return func(t *testing.T) string {
		p := filepath.Join(t.TempDir(), "bomb.tar")
		f, err := os.Create(p)
		if err != nil {
			t.Fatal(err)
		}
		bw := bufio.NewWriterSize(f, 1<<20)
		w := &tarball{tw: tar.NewWriter(bw), raw: bw}
		write(w)
		for _, err := range []error{w.err, w.tw.Close(), bw.Flush(), f.Close()} {
			if err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
}

// checkRun runs `aumo verify path` and checks its exit code, that its
// report says what want says in that order, and that it held less than
// most.
func checkRun(t testing.TB, path string, code int, want []string, most int64) {
	t.Helper()
	out, got, rss := verifyRun(t, path)
	if got != code {
		t.Errorf("exit code %d, want %d", got, code)
	}
	at := 0
	for _, w := range want {
		i := strings.Index(out[at:], w)
		if i < 0 {
			t.Errorf("the report lacks %q after what came before:\n%s", w, clip(out))
			break
		}
		at += i + len(w)
	}
	t.Logf("peak RSS %d MiB", rss>>20)
	if rss > most {
		t.Errorf("peak RSS %d MiB, want under %d MiB", rss>>20, most>>20)
	}
}

// verifyRun runs `aumo verify path` and returns its standard output, exit
// code and peak resident memory.
func verifyRun(t testing.TB, path string) (out string, code int, rss int64) {
	t.Helper()
	bin, err := aumo()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	rssFile := filepath.Join(t.TempDir(), "rss")
	cmd := exec.CommandContext(ctx, os.Args[0], bin, "verify", path)
	cmd.Env = append(os.Environ(), spawnEnv+"="+rssFile)
	// On a timeout, aumo goes with the process that started it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("aumo verify: %v", err)
	}
	if stderr.Len() > 0 {
		t.Logf("stderr: %s", clip(stderr.String()))
	}
	text, err := os.ReadFile(rssFile)
	if err != nil {
		t.Fatalf("aumo verify did not run: %v", err)
	}
	if rss, err = strconv.ParseInt(string(text), 10, 64); err != nil {
		t.Fatal(err)
	}
	return stdout.String(), cmd.ProcessState.ExitCode(), rss
}

func clip(s string) string {
	const keep = 4000
	if len(s) <= keep {
		return s
	}
	return s[:keep] + "…"
}

// intact is the small intact Jira export the bombs are built around.
type intact struct {
	files           []string // paths, in index order
	data            map[string][]byte
	index, manifest []byte
}

const intactDir = "../../../testdata/exportformat/intact"

func readIntact(t testing.TB) *intact {
	t.Helper()
	ex := &intact{data: map[string][]byte{}}
	var err error
	if ex.index, err = os.ReadFile(filepath.Join(intactDir, exportformat.IndexName)); err != nil {
		t.Fatal(err)
	}
	if ex.manifest, err = os.ReadFile(filepath.Join(intactDir, exportformat.ManifestName)); err != nil {
		t.Fatal(err)
	}
	lines, _, err := exportformat.ReadIndex(bytes.NewReader(ex.index))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		data, err := os.ReadFile(filepath.Join(intactDir, filepath.FromSlash(l.Path)))
		if err != nil {
			t.Fatal(err)
		}
		ex.files = append(ex.files, l.Path)
		ex.data[l.Path] = data
	}
	return ex
}

func (ex *intact) writeFiles(w *tarball) {
	for _, p := range ex.files {
		w.put(p, ex.data[p])
	}
}

// tarball writes entries to a tar.zst, stopping at the first error.
type tarball struct {
	tw  *tar.Writer
	raw io.Writer // under tw, for what it will not write
	err error
	// zw compresses into out; putRepeated ends its frame and writes
	// frames of its own between.
	zw  *zstd.Encoder
	out io.Writer
}

// writeTarball writes a tar.zst at path with write's entries.
func writeTarball(t testing.TB, path string, write func(w *tarball)) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	// One encoder and a small window: this process stays small.
	zw, err := zstd.NewWriter(bw, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1), zstd.WithWindowSize(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	w := &tarball{tw: tar.NewWriter(zw), raw: zw, zw: zw, out: bw}
	write(w)
	for _, err := range []error{w.err, w.tw.Close(), zw.Close(), bw.Flush(), f.Close()} {
		if err != nil {
			t.Fatal(err)
		}
	}
}

func (w *tarball) put(name string, data []byte) { w.putParts(name, data) }

// putParts writes a file whose content is parts, one after the other.
func (w *tarball) putParts(name string, parts ...[]byte) {
	size := 0
	for _, p := range parts {
		size += len(p)
	}
	w.header(name, int64(size))
	for _, p := range parts {
		if w.err == nil {
			_, w.err = w.tw.Write(p)
		}
	}
}

// putRepeated writes a file of head, then n times unit, then tail. A
// zstd stream may hold many frames: the repeats are one frame of about
// 4 MiB of whole units, compressed once and written again and again, so
// that a gigabyte costs no more to make than 4 MiB.
func (w *tarball) putRepeated(name string, head []byte, unit string, n int64, tail []byte) {
	size := int64(len(head)) + n*int64(len(unit)) + int64(len(tail))
	var hdr bytes.Buffer
	if w.err == nil {
		w.err = tar.NewWriter(&hdr).WriteHeader(&tar.Header{Name: name, Size: size, Mode: 0o644, Typeflag: tar.TypeReg, ModTime: time.Date(2025, 3, 3, 8, 0, 0, 0, time.UTC)})
	}
	if w.err == nil {
		w.err = w.tw.Flush()
	}
	w.write(w.raw, hdr.Bytes(), head)
	per := int64(max(4<<20/len(unit), 1))
	block := []byte(strings.Repeat(unit, int(min(per, n))))
	frame := w.zw.EncodeAll(block, nil)
	if w.err == nil {
		w.err = w.zw.Close()
	}
	for range n / per {
		w.write(w.out, frame)
	}
	w.zw.Reset(w.out)
	w.write(w.raw, []byte(strings.Repeat(unit, int(n%per))), tail, make([]byte, -size&511))
}

// write writes parts to dst, stopping at the first error.
func (w *tarball) write(dst io.Writer, parts ...[]byte) {
	for _, p := range parts {
		if w.err == nil {
			_, w.err = dst.Write(p)
		}
	}
}

// putLongPath writes a file whose path only a PAX record holds, written
// here by hand: archive/tar's writer takes tens of milliseconds over a
// path of a megabyte, and copies it.
func (w *tarball) putLongPath(name, data []byte) {
	const key = " path="
	n := len(key) + len(name) + 1 // and the digits of n itself
	for n < len(key)+len(name)+1+len(strconv.Itoa(n)) {
		n = len(key) + len(name) + 1 + len(strconv.Itoa(n))
	}
	hdr := make([]byte, 512)
	copy(hdr, "PaxHeader")
	for at, field := range map[int]string{100: "0000644", 108: "0000000", 116: "0000000", 136: "00000000000", 257: "ustar\x0000"} {
		copy(hdr[at:], field)
	}
	copy(hdr[124:], fmt.Sprintf("%011o", n))
	hdr[156] = tar.TypeXHeader
	copy(hdr[148:156], "        ")
	sum := 0
	for _, b := range hdr {
		sum += int(b)
	}
	copy(hdr[148:], fmt.Sprintf("%06o\x00", sum))
	if w.err == nil {
		w.err = w.tw.Flush()
	}
	for _, part := range [][]byte{hdr, []byte(strconv.Itoa(n) + key), name, []byte("\n"), make([]byte, -n&511)} {
		if w.err == nil {
			_, w.err = w.raw.Write(part)
		}
	}
	// The record names the entry whose header follows.
	w.put("long", data)
}

func (w *tarball) header(name string, size int64) {
	if w.err == nil {
		w.err = w.tw.WriteHeader(&tar.Header{Name: name, Size: size, Mode: 0o644, Typeflag: tar.TypeReg, ModTime: time.Date(2025, 3, 3, 8, 0, 0, 0, time.UTC)})
	}
}
