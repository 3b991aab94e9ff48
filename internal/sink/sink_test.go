package sink

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestAbortTarball(t *testing.T) {
	for _, kind := range tarKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			tg := newTarget(t, kind)
			s := tg.open(t)
			ctx := context.Background()
			if _, err := s.Put(ctx, "issues/1/issue.json", strings.NewReader(`{}`)); err != nil {
				t.Fatal(err)
			}
			if _, err := s.Put(ctx, "issues/1/attachments/2-big.bin", bytes.NewReader(randomBytes(1, memSpoolMax+10))); err != nil {
				t.Fatal(err)
			}
			if err := s.AppendIndex([]byte(`{"path":"issues/1/issue.json"}`)); err != nil {
				t.Fatal(err)
			}
			if err := s.Abort(); err != nil {
				t.Fatalf("Abort: %v", err)
			}
			if _, err := os.Lstat(tg.out); kind != "stdout" && !errors.Is(err, os.ErrNotExist) {
				t.Errorf("after Abort, %s: %v; want it missing", tg.out, err)
			}
			if left := tg.leftovers(t); len(left) > 0 {
				t.Errorf("temporary files left after Abort: %q", left)
			}
			if tg.stdout != nil && tg.stdout.Len() > 0 {
				t.Errorf("%d bytes written to standard output by an aborted export", tg.stdout.Len())
			}
			if _, err := s.Put(ctx, "issues/3/issue.json", strings.NewReader(`{}`)); err == nil {
				t.Error("Put after Abort succeeded")
			}
			if err := s.AppendIndex([]byte(`{}`)); err == nil {
				t.Error("AppendIndex after Abort succeeded")
			}
			if err := s.Finish([]byte(finalManifest)); err == nil {
				t.Error("Finish after Abort succeeded")
			}
			if err := s.Abort(); err != nil {
				t.Errorf("second Abort: %v", err)
			}
		})
	}
}

func TestAbortDirKeepsFiles(t *testing.T) {
	tg := newTarget(t, "dir")
	s := tg.open(t)
	ctx := context.Background()
	if _, err := s.Put(ctx, "issues/1/issue.json", strings.NewReader(`{"id":"1"}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendIndex([]byte(`{"path":"issues/1/issue.json"}`)); err != nil {
		t.Fatal(err)
	}
	if err := s.Abort(); err != nil {
		t.Fatalf("Abort: %v", err)
	}
	got, _ := tg.readBack(t)
	if string(got["issues/1/issue.json"]) != `{"id":"1"}` {
		t.Errorf("issue.json = %q after Abort", got["issues/1/issue.json"])
	}
	if string(got[manifestName]) != initialManifest {
		t.Errorf("manifest.json = %q after Abort, want the initial one", got[manifestName])
	}
	if string(got[indexName]) != "{\"path\":\"issues/1/issue.json\"}\n" {
		t.Errorf("index.jsonl = %q after Abort", got[indexName])
	}
	if _, err := s.Put(ctx, "issues/2/issue.json", strings.NewReader(`{}`)); err == nil {
		t.Error("Put after Abort succeeded")
	}
	if err := s.Finish([]byte(finalManifest)); err == nil {
		t.Error("Finish after Abort succeeded")
	}
}

func TestAbortAfterFinishIsNoOp(t *testing.T) {
	for _, kind := range allKinds {
		t.Run(kind, func(t *testing.T) {
			tg := newTarget(t, kind)
			s := tg.open(t)
			if _, err := s.Put(context.Background(), "a.json", strings.NewReader("{}")); err != nil {
				t.Fatal(err)
			}
			if err := s.Finish([]byte(finalManifest)); err != nil {
				t.Fatal(err)
			}
			if err := s.Abort(); err != nil {
				t.Errorf("Abort after Finish: %v", err)
			}
			if err := s.Finish([]byte(finalManifest)); err == nil {
				t.Error("second Finish succeeded")
			}
			got, _ := tg.readBack(t)
			if string(got[manifestName]) != finalManifest || string(got["a.json"]) != "{}" {
				t.Errorf("export changed by Abort after Finish: %q", got)
			}
		})
	}
}

// slowReader hands out its content a byte at a time, like a stalled
// download, so that Abort can catch a Put in the middle.
type slowReader struct {
	started chan struct{}
	once    sync.Once
}

func (r *slowReader) Read(p []byte) (int, error) {
	r.once.Do(func() { close(r.started) })
	time.Sleep(time.Millisecond)
	p[0] = 'x'
	return 1, nil
}

func TestAbortInterruptsPut(t *testing.T) {
	for _, kind := range allKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			tg := newTarget(t, kind)
			s := tg.open(t)
			r := &slowReader{started: make(chan struct{})}
			done := make(chan error, 1)
			go func() {
				_, err := s.Put(context.Background(), "issues/1/attachments/2-endless.bin", r)
				done <- err
			}()
			<-r.started
			if err := s.Abort(); err != nil {
				t.Fatalf("Abort: %v", err)
			}
			if err := <-done; !errors.Is(err, errAborted) {
				t.Errorf("interrupted Put = %v, want an abort error", err)
			}
			if kind == "dir" {
				if tmp := tempFilesUnder(t, tg.out); len(tmp) > 0 {
					t.Errorf("temporary files left: %q", tmp)
				}
				if _, err := os.Lstat(filepath.Join(tg.out, "issues/1/attachments/2-endless.bin")); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("interrupted file exists under its final name: %v", err)
				}
			} else if left := tg.leftovers(t); len(left) > 0 {
				t.Errorf("temporary files left: %q", left)
			}
		})
	}
}

func TestPutHonoursContext(t *testing.T) {
	for _, kind := range allKinds {
		t.Run(kind, func(t *testing.T) {
			tg := newTarget(t, kind)
			s := tg.open(t)
			defer func() { _ = s.Abort() }()
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			_, err := s.Put(ctx, "a.json", strings.NewReader("{}"))
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Put with a cancelled context = %v", err)
			}
		})
	}
}

// TestFailingSource covers a source or disk that fails part-way (a full
// disk, a broken download): the error names the path, and nothing is left
// under the final name; the export goes on.
func TestFailingSource(t *testing.T) {
	for _, kind := range allKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			tg := newTarget(t, kind)
			s := tg.open(t)
			ctx := context.Background()
			for _, n := range []int{0, 1000, memSpoolMax + 1000} {
				p := "issues/1/attachments/2-broken.bin"
				_, err := s.Put(ctx, p, &failingReader{n: n, err: syscall.ENOSPC})
				if !errors.Is(err, syscall.ENOSPC) {
					t.Fatalf("Put failing after %d bytes = %v, want ENOSPC", n, err)
				}
				if !strings.Contains(err.Error(), p) {
					t.Errorf("error %q does not name %s", err, p)
				}
				if kind == "dir" {
					if _, err := os.Lstat(filepath.Join(tg.out, filepath.FromSlash(p))); !errors.Is(err, os.ErrNotExist) {
						t.Errorf("half-written file under its final name: %v", err)
					}
					if tmp := tempFilesUnder(t, tg.out); len(tmp) > 0 {
						t.Errorf("temporary files left: %q", tmp)
					}
				}
			}
			if _, err := s.Put(ctx, "issues/1/issue.json", strings.NewReader(`{}`)); err != nil {
				t.Fatalf("Put after a failed one: %v", err)
			}
			if err := s.Finish([]byte(finalManifest)); err != nil {
				t.Fatal(err)
			}
			got, _ := tg.readBack(t)
			if _, ok := got["issues/1/attachments/2-broken.bin"]; ok {
				t.Error("the failed file is in the export")
			}
			if string(got["issues/1/issue.json"]) != `{}` {
				t.Error("the file written after the failure is missing")
			}
			if left := tg.leftovers(t); len(left) > 0 {
				t.Errorf("left next to the output: %q", left)
			}
		})
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }

func TestStdoutWriteFails(t *testing.T) {
	tg := newTarget(t, "stdout")
	tg.opts.Stdout = failingWriter{err: syscall.EPIPE}
	s := tg.open(t)
	if _, err := s.Put(context.Background(), "a.json", strings.NewReader("{}")); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish([]byte(finalManifest)); !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("Finish = %v, want EPIPE", err)
	}
	if err := s.Abort(); err != nil {
		t.Errorf("Abort after a failed Finish: %v", err)
	}
	if left := tg.leftovers(t); len(left) > 0 {
		t.Errorf("spool left: %q", left)
	}
}

// TestFullDevice writes the stream to /dev/full, which fails every write
// with ENOSPC as a full disk does.
func TestFullDevice(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full here: %v", err)
	}
	defer func() { _ = full.Close() }()
	tg := newTarget(t, "stdout")
	tg.opts.Stdout = full
	s := tg.open(t)
	if _, err := s.Put(context.Background(), "a.json", strings.NewReader("{}")); err != nil {
		t.Fatal(err)
	}
	if err := s.Finish([]byte(finalManifest)); !errors.Is(err, syscall.ENOSPC) {
		t.Fatalf("Finish = %v, want ENOSPC", err)
	}
	if err := s.Abort(); err != nil {
		t.Errorf("Abort: %v", err)
	}
	if left := tg.leftovers(t); len(left) > 0 {
		t.Errorf("spool left: %q", left)
	}
}

func TestRefusedPaths(t *testing.T) {
	for _, kind := range allKinds {
		t.Run(kind, func(t *testing.T) {
			tg := newTarget(t, kind)
			s := tg.open(t)
			for _, p := range []string{"../../etc/passwd", "/etc/passwd", "a/../../b", "a//b", `a\b`, "con.txt", manifestName, indexName} {
				if _, err := s.Put(context.Background(), p, strings.NewReader("x")); !errors.Is(err, ErrBadPath) {
					t.Errorf("Put(%q) = %v, want ErrBadPath", p, err)
				}
			}
			if err := s.Finish([]byte(finalManifest)); err != nil {
				t.Fatal(err)
			}
			got, _ := tg.readBack(t)
			if len(got) != 2 {
				t.Errorf("export holds %d files, want only the manifest and index", len(got))
			}
		})
	}
}

func TestBadIndexLinesAndManifest(t *testing.T) {
	for _, kind := range allKinds {
		t.Run(kind, func(t *testing.T) {
			tg := newTarget(t, kind)
			s := tg.open(t)
			defer func() { _ = s.Abort() }()
			for _, line := range []string{"", "{", "{}\n{}", "{\"a\":\r1}", "not json"} {
				if err := s.AppendIndex([]byte(line)); err == nil {
					t.Errorf("AppendIndex(%q) succeeded", line)
				}
			}
			if err := s.Finish([]byte("{")); err == nil {
				t.Error("Finish with a broken manifest succeeded")
			}
			// The refused manifest leaves the export open for a good one.
			if err := s.Finish([]byte(finalManifest)); err != nil {
				t.Errorf("Finish after a refused manifest: %v", err)
			}
		})
	}
}

func TestEmptyAndNilContent(t *testing.T) {
	for _, kind := range allKinds {
		t.Run(kind, func(t *testing.T) {
			tg := newTarget(t, kind)
			s := tg.open(t)
			e, err := s.Put(context.Background(), "empty.json", nil)
			if err != nil {
				t.Fatal(err)
			}
			if e.Size != 0 || e.SHA256 != sha256Hex(nil) {
				t.Errorf("Put(nil) = %+v", e)
			}
			if err := s.Finish([]byte(finalManifest)); err != nil {
				t.Fatal(err)
			}
			got, _ := tg.readBack(t)
			if data, ok := got["empty.json"]; !ok || len(data) != 0 {
				t.Errorf("empty file = %q, %v", data, ok)
			}
		})
	}
}

// TestTarballEntryOrder checks that entries follow the order of the Puts,
// with the index and manifest last even when nothing else was written.
func TestTarballEntryOrder(t *testing.T) {
	for _, kind := range tarKinds {
		t.Run(kind, func(t *testing.T) {
			tg := newTarget(t, kind)
			s := tg.open(t)
			names := []string{"fields.json", "issues/1/issue.md", "issues/1/issue.json", "spaces/7.json"}
			for _, n := range names {
				if _, err := s.Put(context.Background(), n, strings.NewReader(n)); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Finish([]byte(finalManifest)); err != nil {
				t.Fatal(err)
			}
			_, order := tg.readBack(t)
			want := append(names, indexName, manifestName)
			if strings.Join(order, ",") != strings.Join(want, ",") {
				t.Errorf("entries %q, want %q", order, want)
			}
		})
	}
}

func TestEmptyTarball(t *testing.T) {
	tg := newTarget(t, "tar.zst")
	s := tg.open(t)
	if err := s.Finish([]byte(finalManifest)); err != nil {
		t.Fatal(err)
	}
	got, order := tg.readBack(t)
	if len(order) != 2 || order[0] != indexName || order[1] != manifestName || len(got[indexName]) != 0 {
		t.Errorf("entries %q, index %q", order, got[indexName])
	}
}
