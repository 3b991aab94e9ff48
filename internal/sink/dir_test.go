package sink

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readFile(t *testing.T, p string) string {
	t.Helper()
	data, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func TestDirResumeDropsTornLine(t *testing.T) {
	for _, tc := range []struct {
		name, before, want string
	}{
		{"torn last line", "{\"n\":1}\n{\"n\":2}\n{\"path\":\"is", "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n"},
		{"only a torn line", "{\"path\":\"is", "{\"n\":3}\n"},
		{"whole lines", "{\"n\":1}\n", "{\"n\":1}\n{\"n\":3}\n"},
		{"empty", "", "{\"n\":3}\n"},
		{"torn line longer than a read", "{\"n\":1}\n" + strings.Repeat("x", 150<<10), "{\"n\":1}\n{\"n\":3}\n"},
		{"whole line longer than a read", "{\"n\":\"" + strings.Repeat("x", 150<<10) + "\"}\n{\"n", "{\"n\":\"" + strings.Repeat("x", 150<<10) + "\"}\n{\"n\":3}\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := newTarget(t, "dir")
			s := tg.open(t)
			if _, err := s.Put(context.Background(), "issues/1/issue.json", strings.NewReader(`{}`)); err != nil {
				t.Fatal(err)
			}
			if err := s.Abort(); err != nil {
				t.Fatal(err)
			}
			index := filepath.Join(tg.out, indexName)
			if err := os.WriteFile(index, []byte(tc.before), 0o600); err != nil {
				t.Fatal(err)
			}

			if _, err := Open(tg.out, tg.opts); err == nil {
				t.Fatal("Open without Resume accepted a directory holding an export")
			}
			tg.opts.Resume = true
			tg.opts.InitialManifest = []byte(`{"format":"aumo-export/1","complete":false,"startedAt":"later"}`)
			s = tg.open(t)
			if err := s.AppendIndex([]byte(`{"n":3}`)); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, index); got != tc.want {
				t.Errorf("index.jsonl = %.80q…, want %.80q…", got, tc.want)
			}
			if got := readFile(t, filepath.Join(tg.out, manifestName)); got != initialManifest {
				t.Errorf("resuming replaced manifest.json with %q", got)
			}
			if got := readFile(t, filepath.Join(tg.out, "issues/1/issue.json")); got != `{}` {
				t.Errorf("resuming lost a file: %q", got)
			}
			if err := s.Finish([]byte(finalManifest)); err != nil {
				t.Fatal(err)
			}
			if got := readFile(t, filepath.Join(tg.out, manifestName)); got != finalManifest {
				t.Errorf("manifest.json = %q after Finish", got)
			}
		})
	}
}

func TestDirResumeWithoutManifestWritesInitial(t *testing.T) {
	tg := newTarget(t, "dir")
	if err := os.Mkdir(tg.out, 0o700); err != nil {
		t.Fatal(err)
	}
	tg.opts.Resume = true
	s := tg.open(t)
	defer func() { _ = s.Abort() }()
	if got := readFile(t, filepath.Join(tg.out, manifestName)); got != initialManifest {
		t.Errorf("manifest.json = %q, want the initial one", got)
	}
}

func TestDirWritesManifestFirst(t *testing.T) {
	tg := newTarget(t, "dir")
	s := tg.open(t)
	defer func() { _ = s.Abort() }()
	if got := readFile(t, filepath.Join(tg.out, manifestName)); got != initialManifest {
		t.Errorf("manifest.json = %q right after Open", got)
	}
	if got := readFile(t, filepath.Join(tg.out, indexName)); got != "" {
		t.Errorf("index.jsonl = %q right after Open", got)
	}
	if err := s.AppendIndex([]byte(`{"a":1}`)); err != nil {
		t.Fatal(err)
	}
	// Appended and synced at once, not at Finish.
	if got := readFile(t, filepath.Join(tg.out, indexName)); got != "{\"a\":1}\n" {
		t.Errorf("index.jsonl = %q after AppendIndex", got)
	}
}

func TestDirReplacesExistingFile(t *testing.T) {
	tg := newTarget(t, "dir")
	s := tg.open(t)
	defer func() { _ = s.Abort() }()
	ctx := context.Background()
	for _, content := range []string{"first", "second, longer"} {
		if _, err := s.Put(ctx, "issues/1/issue.md", strings.NewReader(content)); err != nil {
			t.Fatal(err)
		}
	}
	if got := readFile(t, filepath.Join(tg.out, "issues/1/issue.md")); got != "second, longer" {
		t.Errorf("issue.md = %q", got)
	}
}

// assertEmpty fails when anything was written into dir.
func assertEmpty(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("written outside the export: %s", filepath.Join(dir, e.Name()))
	}
}

func TestDirDoesNotFollowSymlinks(t *testing.T) {
	ctx := context.Background()
	tg := newTarget(t, "dir")
	elsewhere := t.TempDir()
	s := tg.open(t)
	defer func() { _ = s.Abort() }()
	if _, err := s.Put(ctx, "issues/1/issue.json", strings.NewReader(`{}`)); err != nil {
		t.Fatal(err)
	}

	// A symlink planted where a directory will be created.
	if err := os.Symlink(elsewhere, filepath.Join(tg.out, "issues/1/attachments")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "issues/1/attachments/2-a.bin", strings.NewReader("secret")); err == nil {
		t.Error("Put through a planted symlink succeeded")
	}

	// A symlink to a directory inside the export is refused too: what is
	// in an export is what its paths say.
	if err := os.Mkdir(filepath.Join(tg.out, "inside"), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("inside", filepath.Join(tg.out, "pages")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "pages/1/page.json", strings.NewReader("{}")); err == nil {
		t.Error("Put through a symlink to a directory inside the export succeeded")
	}

	// A symlink under the final name is replaced, not written through.
	target := filepath.Join(elsewhere, "victim")
	if err := os.WriteFile(target, []byte("untouched"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(tg.out, "issues/1/issue.md")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "issues/1/issue.md", strings.NewReader("new")); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, target); got != "untouched" {
		t.Errorf("the symlink's target was written: %q", got)
	}
	if fi, err := os.Lstat(link); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("issue.md is not a regular file after Put: %v", err)
	}
	if err := os.Remove(target); err != nil {
		t.Fatal(err)
	}

	// A directory swapped for a symlink after the sink has used it.
	if err := os.Rename(filepath.Join(tg.out, "issues"), filepath.Join(tg.out, "moved")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, filepath.Join(tg.out, "issues")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Put(ctx, "issues/1/issue.json", strings.NewReader("secret")); err == nil {
		t.Error("Put through a swapped-in symlink succeeded")
	}
	if _, err := s.Put(ctx, "issues/9/issue.json", strings.NewReader("secret")); err == nil {
		t.Error("Put through a swapped-in symlink succeeded")
	}
	assertEmpty(t, elsewhere)
}

func TestDirResumeRefusesPlantedSymlink(t *testing.T) {
	tg := newTarget(t, "dir")
	elsewhere := t.TempDir()
	s := tg.open(t)
	if err := s.Abort(); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(elsewhere, filepath.Join(tg.out, "spaces")); err != nil {
		t.Fatal(err)
	}
	tg.opts.Resume = true
	s = tg.open(t)
	defer func() { _ = s.Abort() }()
	if _, err := s.Put(context.Background(), "spaces/1.json", strings.NewReader("{}")); err == nil {
		t.Error("Put through a planted symlink succeeded")
	}
	assertEmpty(t, elsewhere)
}

func TestDirPathFileConflict(t *testing.T) {
	tg := newTarget(t, "dir")
	s := tg.open(t)
	defer func() { _ = s.Abort() }()
	ctx := context.Background()
	if _, err := s.Put(ctx, "issues", strings.NewReader("a file")); err != nil {
		t.Fatal(err)
	}
	_, err := s.Put(ctx, "issues/1/issue.json", strings.NewReader("{}"))
	if err == nil || !strings.Contains(err.Error(), "issues/1/issue.json") {
		t.Errorf("Put under a file = %v", err)
	}
	if errors.Is(err, ErrBadPath) {
		t.Errorf("a conflict on disk reported as a bad path: %v", err)
	}
}

// An incremental run's moves and removals tolerate what an earlier run,
// cut short, already did.
func TestMirrorMoveAndRemoveRepeat(t *testing.T) {
	out := filepath.Join(t.TempDir(), "export")
	s, err := Open(out, Options{InitialManifest: []byte("{}")})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Abort() }()
	if _, err := s.Put(context.Background(), "issues/1/attachments/a.bin", strings.NewReader("a")); err != nil {
		t.Fatal(err)
	}
	m := s.(Mirror)
	for range 2 { // the second time, already moved
		if err := m.Move("issues/1/attachments/a.bin", "removed/issues/1/attachments/a.bin"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "issues")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the emptied directories stay: %v", err)
	}
	for range 2 { // the second time, already gone, and its directories too
		if err := m.Remove("removed/issues/1/attachments/a.bin"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "removed")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("removed/ stays: %v", err)
	}
}
