package render_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aumo-cli/aumo/internal/render"
)

// TestDirRerender writes a rendition, then another: unchanged files keep
// their time, changed ones are replaced, files gone from the second are
// deleted, and the user's own files stay.
func TestDirRerender(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "site")
	d, err := render.OpenDir(dest, "html")
	if err != nil {
		t.Fatal(err)
	}
	must(t, d.WriteFile("a/keep.html", []byte("same")))
	must(t, d.WriteFile("a/change.html", []byte("old")))
	must(t, d.WriteFile("gone/old.html", []byte("old")))
	w, err := d.Create("assets/search.js")
	must(t, err)
	_, _ = w.Write([]byte("index"))
	must(t, w.Close())
	must(t, d.Close())
	must(t, os.MkdirAll(filepath.Join(dest, ".obsidian"), 0o750))
	must(t, os.WriteFile(filepath.Join(dest, ".obsidian", "app.json"), []byte("{}"), 0o600))
	must(t, os.WriteFile(filepath.Join(dest, "a", "mine.md"), []byte("mine"), 0o600))
	old := time.Now().Add(-time.Hour)
	must(t, os.Chtimes(filepath.Join(dest, "a", "keep.html"), old, old))

	d, err = render.OpenDir(dest, "html")
	must(t, err)
	must(t, d.WriteFile("a/keep.html", []byte("same")))
	must(t, d.WriteFile("a/change.html", []byte("new")))
	w, err = d.Create("assets/search.js")
	must(t, err)
	_, _ = w.Write([]byte("index"))
	must(t, w.Close())
	must(t, d.Close())
	if d.Written != 1 || d.Unchanged != 2 || d.Removed != 1 {
		t.Errorf("written %d, unchanged %d, removed %d; want 1, 2, 1", d.Written, d.Unchanged, d.Removed)
	}
	if info, _ := os.Stat(filepath.Join(dest, "a", "keep.html")); !info.ModTime().Equal(old) {
		t.Error("an unchanged file was written again")
	}
	if b, _ := os.ReadFile(filepath.Join(dest, "a", "change.html")); string(b) != "new" {
		t.Errorf("changed file holds %q", b)
	}
	for _, p := range []string{"gone/old.html", "gone"} {
		if _, err := os.Stat(filepath.Join(dest, p)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there", p)
		}
	}
	for _, p := range []string{".obsidian/app.json", "a/mine.md"} {
		if _, err := os.Stat(filepath.Join(dest, p)); err != nil {
			t.Errorf("the user's %s: %v", p, err)
		}
	}
}

// TestDirRefusesAForeignFolder refuses a non-empty folder that holds no
// render, and a render of another kind, writing nothing.
func TestDirRefusesAForeignFolder(t *testing.T) {
	dest := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dest, "notes.txt"), []byte("mine"), 0o600))
	_, err := render.OpenDir(dest, "markdown")
	var usage *render.UsageError
	if !errors.As(err, &usage) {
		t.Fatalf("a folder of someone's files: %v, want a usage error", err)
	}
	if names, _ := os.ReadDir(dest); len(names) != 1 {
		t.Errorf("something was written: %v", names)
	}
	other := filepath.Join(t.TempDir(), "out")
	d, err := render.OpenDir(other, "html")
	must(t, err)
	must(t, d.WriteFile("index.html", []byte("x")))
	must(t, d.Close())
	if _, err := render.OpenDir(other, "markdown"); !errors.As(err, &usage) {
		t.Errorf("a render of another kind: %v, want a usage error", err)
	}
}

// TestDirCutShort finds what a render cut short wrote, and deletes it
// when the next render no longer writes it.
func TestDirCutShort(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "out")
	d, err := render.OpenDir(dest, "html")
	must(t, err)
	must(t, d.WriteFile("x.html", []byte("x")))
	d.Abort()
	d, err = render.OpenDir(dest, "html")
	must(t, err)
	must(t, d.WriteFile("y.html", []byte("y")))
	must(t, d.Close())
	if _, err := os.Stat(filepath.Join(dest, "x.html")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a file of the render cut short stayed")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestDirKeepsTheUsersFiles never writes over or deletes a file render
// did not write, or one changed since it wrote it: each is kept and
// listed.
func TestDirKeepsTheUsersFiles(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "vault")
	d, err := render.OpenDir(dest, "markdown")
	must(t, err)
	must(t, d.WriteFile("S/edited.md", []byte("rendered")))
	must(t, d.WriteFile("S/gone-edited.md", []byte("rendered")))
	must(t, d.WriteFile("S/gone.md", []byte("rendered")))
	must(t, d.Close())
	for name, content := range map[string]string{"S/edited.md": "rendered, and my notes", "S/gone-edited.md": "rendered, and mine", "S/Mine.md": "my plan"} {
		must(t, os.WriteFile(filepath.Join(dest, filepath.FromSlash(name)), []byte(content), 0o600))
	}

	d, err = render.OpenDir(dest, "markdown")
	must(t, err)
	must(t, d.WriteFile("S/edited.md", []byte("rendered again")))
	must(t, d.WriteFile("S/Mine.md", []byte("a page titled Mine")))
	w, err := d.Create("S/index.md")
	must(t, err)
	_, _ = w.Write([]byte("x"))
	must(t, w.Close())
	must(t, d.Close())
	for name, want := range map[string]string{"S/edited.md": "rendered, and my notes", "S/gone-edited.md": "rendered, and mine", "S/Mine.md": "my plan", "S/index.md": "x"} {
		if b, _ := os.ReadFile(filepath.Join(dest, filepath.FromSlash(name))); string(b) != want {
			t.Errorf("%s holds %q, want %q", name, b, want)
		}
	}
	if _, err := os.Stat(filepath.Join(dest, "S", "gone.md")); !errors.Is(err, os.ErrNotExist) {
		t.Error("a file of an item gone, unchanged since written, stayed")
	}
	want := []render.Kept{
		{Path: "S/edited.md", Reason: render.KeptChanged},
		{Path: "S/Mine.md", Reason: render.KeptNotOurs},
		{Path: "S/gone-edited.md", Reason: render.KeptChanged, Gone: true},
	}
	if fmt.Sprint(d.Kept) != fmt.Sprint(want) {
		t.Errorf("kept %v, want %v", d.Kept, want)
	}
	// The files kept are the user's now: a third render leaves them too.
	d, err = render.OpenDir(dest, "markdown")
	must(t, err)
	must(t, d.Close())
	if len(d.Kept) != 0 || d.Removed != 1 {
		t.Errorf("third render: kept %v, removed %d (the index.md only)", d.Kept, d.Removed)
	}
}

// TestDirKilled finds, after a render killed without a word (its journal
// torn, its temporary files left), what it wrote, and clears the rest.
func TestDirKilled(t *testing.T) {
	dest := filepath.Join(t.TempDir(), "site")
	d, err := render.OpenDir(dest, "html")
	must(t, err)
	must(t, d.WriteFile("a.html", []byte("a")))
	_, err = d.Create("assets/search.js") // never closed
	must(t, err)
	// Killed: no Close, no Abort. The journal's first line is lost too.
	j := filepath.Join(dest, ".aumo-render.journal")
	b, err := os.ReadFile(j)
	must(t, err)
	_, rest, _ := strings.Cut(string(b), "\n")
	must(t, os.WriteFile(j, []byte(rest), 0o600))

	d, err = render.OpenDir(dest, "html")
	must(t, err)
	must(t, d.WriteFile("b.html", []byte("b")))
	must(t, d.Close())
	names, _ := filepath.Glob(filepath.Join(dest, "*", ".aumo-render-tmp-*"))
	if _, err := os.Stat(filepath.Join(dest, "a.html")); !errors.Is(err, os.ErrNotExist) || len(names) > 0 {
		t.Errorf("left behind: a.html (%v), temporary files %v", err, names)
	}
}

// TestCheckDirRefusesAFile refuses a file as the folder, writing nothing.
func TestCheckDirRefusesAFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "afile")
	must(t, os.WriteFile(f, []byte("x"), 0o600))
	var usage *render.UsageError
	if err := render.CheckDir(f, "html"); !errors.As(err, &usage) {
		t.Errorf("a file: %v", err)
	}
	if err := render.CheckDir(filepath.Join(t.TempDir(), "new"), "html"); err != nil {
		t.Errorf("a new folder: %v", err)
	}
}
