package render_test

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aumo-cli/aumo/internal/render"
	"github.com/aumo-cli/aumo/internal/render/rendertest"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// writeExport writes a small Confluence directory export: its files, an
// index of them and a finished manifest.
func writeExport(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	var index strings.Builder
	for p, content := range files {
		full := filepath.Join(dir, filepath.FromSlash(p))
		must(t, os.MkdirAll(filepath.Dir(full), 0o700))
		must(t, os.WriteFile(full, []byte(content), 0o600))
		parts := strings.Split(p, "/")
		kind, id := exportformat.KindFields, "fields"
		if len(parts) > 1 {
			kind, id = strings.TrimSuffix(parts[0], "s"), strings.TrimSuffix(parts[1], ".json")
		}
		sum := sha256.Sum256([]byte(content))
		line, _ := json.Marshal(exportformat.IndexLine{Path: p, Kind: kind, ID: id, Item: id, Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:])})
		index.Write(append(line, '\n'))
	}
	must(t, os.WriteFile(filepath.Join(dir, exportformat.IndexName), []byte(index.String()), 0o600))
	m, _ := json.Marshal(exportformat.Manifest{Format: exportformat.Format, Product: "confluence", Complete: true,
		StartedAt: time1, FinishedAt: time1, Site: exportformat.Site{URL: "https://acme.atlassian.net"}})
	must(t, os.WriteFile(filepath.Join(dir, exportformat.ManifestName), m, 0o600))
	return dir
}

func page(id, parent, title string) string {
	return `{"id":"` + id + `","spaceId":"1","parentId":"` + parent + `","title":"` + title + `","_links":{"webui":"/spaces/S/pages/` + id + `"}}`
}

// TestCatalogBreaksParentCycles keeps pages whose parents lead back to
// them in the tree, each once.
func TestCatalogBreaksParentCycles(t *testing.T) {
	dir := writeExport(t, map[string]string{
		"spaces/1.json":              `{"id":"1","key":"S","name":"Space"}`,
		"pages/11/page.json":         page("11", "12", "A"),
		"pages/12/page.json":         page("12", "11", "B"),
		"pages/13/page.json":         page("13", "11", "C"),
		"pages/14/page.json":         page("14", "14", "Self"),
		"pages/15/page.json":         page("15", "99", "Orphan"),
		"folders/16.json":            `{"id":"16","parentId":"13","title":"Folder"}`,
		"pages/17/page.json":         `{"id":"17","parentId":"16","parentType":"folder","title":"In folder","spaceId":"1"}`,
		"blogposts/18/blogpost.json": `{"id":"18","spaceId":"1","title":"News","createdAt":"2026-01-01T00:00:00Z"}`,
		"pages/19/page.json":         page("19", "18", "Under a blog post"),
	})
	_, c := rendertest.Open(t, dir)
	got := map[string]int{}
	for _, it := range c.Items {
		got[it.Title]++
	}
	for _, title := range []string{"A", "B", "C", "Self", "Orphan", "Folder", "In folder", "News", "Under a blog post"} {
		if got[title] != 1 {
			t.Errorf("%q listed %d times in %v", title, got[title], got)
		}
	}
	folder, _ := c.Item("16")
	if folder.Space != "1" {
		t.Errorf("the folder's space is %q, want its parent's", folder.Space)
	}
	in, _ := c.Item("17")
	var titles []string
	for _, a := range c.Ancestors(in) {
		titles = append(titles, a.Title)
	}
	if strings.Join(titles, "/") != "B/A/C/Folder" && strings.Join(titles, "/") != "A/C/Folder" {
		t.Errorf("ancestors of the page in the folder: %v", titles)
	}
}

// TestCatalogOfBadExports refuses an export of a newer format and one
// without JSON, and leaves out an item whose file is damaged.
func TestCatalogOfBadExports(t *testing.T) {
	dir := writeExport(t, map[string]string{
		"spaces/1.json":      `{"id":"1","key":"S","name":"Space"}`,
		"pages/11/page.json": page("11", "", "A"),
		"pages/12/page.json": page("12", "", "B"),
	})
	must(t, os.WriteFile(filepath.Join(dir, "pages", "12", "page.json"), []byte(page("12", "", "C")), 0o600))
	_, c := rendertest.Open(t, dir)
	if len(c.Items) != 1 || c.Items[0].Title != "A" || len(c.Problems) != 1 || c.Problems[0].Path != "pages/12/page.json" {
		t.Errorf("items %d, problems %+v", len(c.Items), c.Problems)
	}

	m, _ := os.ReadFile(filepath.Join(dir, exportformat.ManifestName))
	must(t, os.WriteFile(filepath.Join(dir, exportformat.ManifestName), []byte(strings.Replace(string(m), "aumo-export/1", "aumo-export/2", 1)), 0o600))
	var fe *render.FormatError
	if _, err := load(t, dir); !errors.As(err, &fe) {
		t.Errorf("a newer format: %v", err)
	}

	md := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(md, "pages", "1"), 0o700))
	must(t, os.WriteFile(filepath.Join(md, "pages", "1", "page.md"), []byte("# A\n"), 0o600))
	sum := sha256.Sum256([]byte("# A\n"))
	line, _ := json.Marshal(exportformat.IndexLine{Path: "pages/1/page.md", Kind: "markdown", ID: "1", Item: "1", Size: 4, SHA256: hex.EncodeToString(sum[:])})
	must(t, os.WriteFile(filepath.Join(md, exportformat.IndexName), append(line, '\n'), 0o600))
	must(t, os.WriteFile(filepath.Join(md, exportformat.ManifestName), m, 0o600))
	if _, err := load(t, md); !errors.Is(err, render.ErrNoJSON) {
		t.Errorf("an export of Markdown alone: %v", err)
	}
}

func load(t *testing.T, dir string) (*render.Catalog, error) {
	e, err := exportformat.Open(dir)
	must(t, err)
	defer func() { _ = e.Close() }()
	return render.Load(t.Context(), e)
}

var time1 = mustTime("2026-01-02T03:04:05Z")

func mustTime(s string) (t time.Time) {
	t, _ = time.Parse(time.RFC3339, s)
	return t
}

// TestCatalogLeavesOutWhatIsTooLarge reads neither an item's JSON nor
// fields.json past what render holds: the item is left out, and a problem
// says why.
func TestCatalogLeavesOutWhatIsTooLarge(t *testing.T) {
	dir := writeExport(t, map[string]string{
		"spaces/1.json":      `{"id":"1","key":"S","name":"Space"}`,
		"pages/11/page.json": page("11", "", "A"),
		"pages/12/page.json": page("12", "", strings.Repeat("B", 64<<20)),
		"fields.json":        `[{"id":"summary","name":"` + strings.Repeat("S", 16<<20) + `"}]`,
	})
	_, c := rendertest.Open(t, dir)
	got := map[string]string{}
	for _, p := range c.Problems {
		got[p.Path] = p.Reason
	}
	want := map[string]string{
		"pages/12/page.json": "larger than 64 MiB, more than render reads",
		"fields.json":        "larger than 16 MiB, more than render reads",
	}
	if !maps.Equal(got, want) {
		t.Errorf("problems %q, want %q", got, want)
	}
	if len(c.Items) != 1 || c.Items[0].Title != "A" {
		t.Errorf("items %+v, want A alone", c.Items)
	}
}

// TestCatalogLeavesOutWhatTheIndexDoesNotList leaves out an item whose
// file the index does not list, and names it.
func TestCatalogLeavesOutWhatTheIndexDoesNotList(t *testing.T) {
	dir := writeExport(t, map[string]string{
		"spaces/1.json":      `{"id":"1","key":"S","name":"Space"}`,
		"pages/11/page.json": page("11", "", "A"),
	})
	must(t, os.MkdirAll(filepath.Join(dir, "pages", "99"), 0o700))
	must(t, os.WriteFile(filepath.Join(dir, "pages", "99", "page.json"), []byte(page("99", "", "Slipped in")), 0o600))
	_, c := rendertest.Open(t, dir)
	if len(c.Items) != 1 || len(c.Problems) != 1 || c.Problems[0].Path != "pages/99/page.json" || !strings.Contains(c.Problems[0].Reason, "not in the index") {
		t.Errorf("items %d, problems %+v", len(c.Items), c.Problems)
	}
}

// TestTarballWithAPathTwice renders, of a path a tarball holds twice,
// only the entry the index lists, once.
func TestTarballWithAPathTwice(t *testing.T) {
	dir := writeExport(t, map[string]string{
		"spaces/1.json":      `{"id":"1","key":"S","name":"Space"}`,
		"pages/11/page.json": page("11", "", "Genuine"),
	})
	forged := page("11", "", "Forged")
	archive := filepath.Join(t.TempDir(), "export.tar")
	f, err := os.Create(archive)
	must(t, err)
	tw := tar.NewWriter(f)
	add := func(name string, data []byte) {
		must(t, tw.WriteHeader(&tar.Header{Name: name, Mode: 0o600, Size: int64(len(data)), Typeflag: tar.TypeReg}))
		_, err := tw.Write(data)
		must(t, err)
	}
	add("pages/11/page.json", []byte(forged))
	for _, name := range []string{"spaces/1.json", "pages/11/page.json", "pages/11/page.json", exportformat.IndexName, exportformat.ManifestName} {
		data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		must(t, err)
		add(name, data)
	}
	must(t, tw.Close())
	must(t, f.Close())
	v := &titles{}
	c := rendertest.Render(t, archive, v)
	if len(c.Items) != 1 || c.Items[0].Title != "Genuine" || strings.Join(v.got, ",") != "Genuine" {
		t.Errorf("catalog %v, rendered %v; want the genuine page once", c.Items, v.got)
	}
}

// titles records the titles of the items a view is handed.
type titles struct{ got []string }

func (v *titles) Begin(*render.Catalog) error                                  { return nil }
func (v *titles) End() error                                                   { return nil }
func (v *titles) Attachment(*render.Item, *render.Attachment, io.Reader) error { return nil }
func (v *titles) Item(_ *render.Item, doc []byte) error {
	var d struct{ Title string }
	if err := json.Unmarshal(doc, &d); err != nil {
		return err
	}
	v.got = append(v.got, d.Title)
	return nil
}
