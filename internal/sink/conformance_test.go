package sink

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// testFile is one file the conformance suite writes.
type testFile struct {
	path    string
	content []byte
}

func conformanceFiles() []testFile {
	// A few large files cross the in-memory spool's limit; the many small
	// ones make the Puts race each other.
	large := map[int]int{5: memSpoolMax, 10: memSpoolMax + 1, 20: 3 << 20, 30: 5<<20 + 3}
	small := []int{0, 1, 17, 4096, 64 << 10, 0, 200 << 10}
	var files []testFile
	for i := range 48 {
		n, ok := large[i]
		if !ok {
			n = small[i%len(small)]
		}
		var p string
		switch i % 4 {
		case 0:
			p = fmt.Sprintf("issues/%d/issue.json", 10000+i)
		case 1:
			p = AttachmentPath(fmt.Sprintf("issues/%d", 10000+i), fmt.Sprint(20000+i), fmt.Sprintf("résumé 文書 %d.pdf", i))
		case 2:
			p = fmt.Sprintf("pages/%d/page.md", 30000+i)
		default:
			p = AttachmentPath(fmt.Sprintf("pages/%d", 30000+i), fmt.Sprint(40000+i), strings.Repeat("é", 150)+".png")
		}
		files = append(files, testFile{path: p, content: randomBytes(uint64(i), n)})
	}
	files = append(files, testFile{path: "fields.json", content: []byte(`{"fields":[]}`)})
	return files
}

func indexLine(path string, n int) []byte {
	line, _ := json.Marshal(map[string]any{"path": path, "n": n})
	return line
}

// TestConformance runs the same export through every kind of sink and
// reads it back.
func TestConformance(t *testing.T) {
	for _, kind := range allKinds {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			tg := newTarget(t, kind)
			s := tg.open(t)
			files := conformanceFiles()

			var wg sync.WaitGroup
			errs := make(chan error, len(files))
			for _, f := range files {
				wg.Go(func() {
					e, err := s.Put(context.Background(), f.path, bytes.NewReader(f.content))
					if err != nil {
						errs <- err
						return
					}
					if e.Path != f.path || e.Size != int64(len(f.content)) || e.SHA256 != sha256Hex(f.content) {
						errs <- fmt.Errorf("Put(%q) = %+v, want size %d sha256 %s", f.path, e, len(f.content), sha256Hex(f.content))
						return
					}
					// Each caller's own lines keep their order.
					for n := 1; n <= 2; n++ {
						if err := s.AppendIndex(indexLine(f.path, n)); err != nil {
							errs <- err
							return
						}
					}
				})
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				t.Error(err)
			}
			var tail [][]byte
			for n := range 5 {
				line := indexLine("tail", n)
				tail = append(tail, line)
				if err := s.AppendIndex(line); err != nil {
					t.Fatal(err)
				}
			}
			if err := s.Finish([]byte(finalManifest)); err != nil {
				t.Fatalf("Finish: %v", err)
			}

			got, order := tg.readBack(t)
			want := map[string][]byte{}
			for _, f := range files {
				want[f.path] = f.content
			}
			for p, content := range want {
				data, ok := got[p]
				if !ok {
					t.Errorf("%s is missing", p)
					continue
				}
				if sha256Hex(data) != sha256Hex(content) {
					t.Errorf("%s: content differs (%d bytes, want %d)", p, len(data), len(content))
				}
			}
			for p := range got {
				if _, ok := want[p]; !ok && p != manifestName && p != indexName {
					t.Errorf("unexpected file %q", p)
				}
			}
			if string(got[manifestName]) != finalManifest {
				t.Errorf("manifest.json = %q, want %q", got[manifestName], finalManifest)
			}
			checkIndex(t, got[indexName], files, tail)

			if kind != "dir" {
				if n := len(order); n < 2 || order[n-2] != indexName || order[n-1] != manifestName {
					t.Errorf("last entries are %q, want index.jsonl then manifest.json", order[max(len(order)-2, 0):])
				}
				for _, name := range order {
					if strings.HasPrefix(name, "/") || strings.HasPrefix(name, "./") || strings.HasPrefix(name, "export") {
						t.Errorf("entry %q is not relative to the archive's root", name)
					}
				}
			}
			if left := tg.leftovers(t); len(left) > 0 {
				t.Errorf("left next to the output: %q", left)
			}
			if kind == "dir" {
				if tmp := tempFilesUnder(t, tg.out); len(tmp) > 0 {
					t.Errorf("temporary files left: %q", tmp)
				}
			}
			if kind == "stdout" && tg.stdout.Len() == 0 {
				t.Error("nothing written to standard output")
			}
		})
	}
}

// checkIndex checks that every line is there once, each caller's lines in
// its order, and the lines appended last at the end in order.
func checkIndex(t *testing.T, index []byte, files []testFile, tail [][]byte) {
	t.Helper()
	if len(index) == 0 || index[len(index)-1] != '\n' {
		t.Fatalf("index.jsonl does not end with a newline: %q", index)
	}
	lines := strings.Split(strings.TrimSuffix(string(index), "\n"), "\n")
	if want := 2*len(files) + len(tail); len(lines) != want {
		t.Fatalf("index.jsonl has %d lines, want %d", len(lines), want)
	}
	pos := map[string]int{}
	for i, l := range lines {
		if _, dup := pos[l]; dup {
			t.Errorf("index line %q appears twice", l)
		}
		pos[l] = i
	}
	for _, f := range files {
		first, ok1 := pos[string(indexLine(f.path, 1))]
		second, ok2 := pos[string(indexLine(f.path, 2))]
		if !ok1 || !ok2 {
			t.Errorf("index lines of %s missing", f.path)
			continue
		}
		if first > second {
			t.Errorf("index lines of %s out of order", f.path)
		}
	}
	for i, l := range tail {
		if got := lines[len(lines)-len(tail)+i]; got != string(l) {
			t.Errorf("index line %d from the end = %q, want %q", len(tail)-i, got, l)
		}
	}
}
