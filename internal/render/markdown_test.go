package render_test

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/internal/render"
	"github.com/aumo-cli/aumo/internal/render/rendertest"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// sameAsExport renders each item's Markdown with the export's own layout.
type sameAsExport struct {
	t     *testing.T
	dir   string
	c     *render.Catalog
	items int
	files int
}

func (v *sameAsExport) Begin(c *render.Catalog) error { v.c = c; return nil }
func (v *sameAsExport) End() error                    { return nil }

func (v *sameAsExport) Attachment(_ *render.Item, a *render.Attachment, r io.Reader) error {
	got, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	want, _ := os.ReadFile(filepath.Join(v.dir, a.Path))
	if !bytes.Equal(got, want) {
		v.t.Errorf("%s: the attachment handed over differs from the file", a.Path)
	}
	v.files++
	return nil
}

func (v *sameAsExport) Item(it *render.Item, doc []byte) error {
	got := v.c.Markdown(it, doc, render.ExportLinks)
	want, err := os.ReadFile(filepath.Join(v.dir, exportformat.MarkdownPath(it.Kind, it.ID)))
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		v.t.Errorf("%s: the Markdown rendered differs from the export's:\n%s\nwant:\n%s", it.Path, got, want)
	}
	v.items++
	return nil
}

// TestMarkdownAsTheExportWroteIt renders every item of a Jira and a
// Confluence export from its JSON and the catalog alone, and finds the
// export's own Markdown byte for byte: the views and the export cannot
// drift apart.
func TestMarkdownAsTheExportWroteIt(t *testing.T) {
	for name, dir := range map[string]string{
		"jira":       rendertest.Jira(t, 40),
		"confluence": rendertest.Confluence(t, 40),
	} {
		t.Run(name, func(t *testing.T) {
			v := &sameAsExport{t: t, dir: dir}
			c := rendertest.Render(t, dir, v)
			if v.items < 30 || v.items != len(c.Items)-folders(c) {
				t.Errorf("%d items rendered, the catalog holds %d", v.items, len(c.Items))
			}
			if v.files == 0 {
				t.Error("no attachment handed over")
			}
			if len(c.Problems) > 0 {
				t.Errorf("problems in an intact export: %v", c.Problems)
			}
		})
	}
}

func folders(c *render.Catalog) int {
	n := 0
	for _, it := range c.Items {
		if it.Kind == exportformat.KindFolder {
			n++
		}
	}
	return n
}

// TestCatalogTree finds every page under its parent and the titles above
// it, and the Jira issues in key order.
func TestCatalogTree(t *testing.T) {
	_, c := rendertest.Open(t, rendertest.Confluence(t, 60))
	if len(c.Spaces) != 1 || c.Spaces[0].Key != "DEMO" || len(c.Spaces[0].Top) == 0 {
		t.Fatalf("spaces: %+v", c.Spaces)
	}
	seen := map[string]bool{}
	deep := 0
	for _, it := range c.Items {
		if seen[it.ID] {
			t.Errorf("%s listed twice", it.ID)
		}
		seen[it.ID] = true
		up := c.Ancestors(it)
		if len(up) > 1 {
			deep++
		}
		if it.Parent != "" && (len(up) == 0 || up[len(up)-1].ID != it.Parent) {
			t.Errorf("%s: ancestors %v do not end with its parent %s", it.ID, up, it.Parent)
		}
		if it.Title == "" || !strings.HasPrefix(it.URL, "https://") {
			t.Errorf("%s: title %q, url %q", it.ID, it.Title, it.URL)
		}
	}
	if deep == 0 {
		t.Error("no page two levels down")
	}
}
