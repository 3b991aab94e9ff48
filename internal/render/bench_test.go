package render_test

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/aumo-cli/aumo/internal/exporttest"
	"github.com/aumo-cli/aumo/internal/render"
	"github.com/aumo-cli/aumo/internal/render/mdtree"
	"github.com/aumo-cli/aumo/internal/render/records"
	"github.com/aumo-cli/aumo/internal/render/rendertest"
	"github.com/aumo-cli/aumo/internal/render/site"
	"github.com/aumo-cli/aumo/internal/render/table"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// BenchmarkRender renders a large export of each product to each kind:
// by default 20,000 issues and 5,000 pages (AUMO_BENCH_ISSUES,
// AUMO_BENCH_PAGES), grown from a small sandbox export. It reports items
// per second, the catalog's bytes per item (the memory that grows with
// the export) and the process's peak RSS — run one sub-benchmark per
// process for a peak of its own:
//
//	go test -run '^$' -bench 'Render/jira/html' -benchtime 1x ./internal/render/
func BenchmarkRender(b *testing.B) {
	for _, p := range []struct {
		name  string
		small func(testing.TB, int) string
		size  int
	}{
		{"jira", rendertest.Jira, exporttest.Size(b, "AUMO_BENCH_ISSUES", 20000)},
		{"confluence", rendertest.Confluence, exporttest.Size(b, "AUMO_BENCH_PAGES", 5000)},
	} {
		b.Run(p.name, func(b *testing.B) {
			dir := grown(b, p.small, p.size)
			for _, kind := range []string{"html", "markdown", "csv", "jsonl"} {
				b.Run(kind, func(b *testing.B) { benchKind(b, dir, kind) })
			}
		})
	}
}

// grown makes an export of about size items.
func grown(b *testing.B, small func(testing.TB, int) string, size int) string {
	b.Helper()
	src := small(b, 100)
	e, c := open(b, src)
	_ = e.Close()
	dir := filepath.Join(b.TempDir(), "export")
	rendertest.Grow(b, src, dir, max(1, (size+len(c.Items)-1)/len(c.Items)))
	return dir
}

func open(b *testing.B, dir string) (*exportformat.Export, *render.Catalog) {
	b.Helper()
	e, err := exportformat.Open(dir)
	if err != nil {
		b.Fatal(err)
	}
	c, err := render.Load(context.Background(), e)
	if err != nil {
		b.Fatal(err)
	}
	return e, c
}

func benchKind(b *testing.B, dir, kind string) {
	var items int
	var perItem float64
	for b.Loop() {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		e, c := open(b, dir)
		runtime.GC()
		runtime.ReadMemStats(&after)
		items = len(c.Items)
		perItem = float64(after.HeapAlloc-before.HeapAlloc) / float64(items)
		out := filepath.Join(b.TempDir(), "out")
		finish := renderKind(b, e, c, kind, out)
		finish()
		_ = e.Close()
		runtime.KeepAlive(c)
	}
	b.ReportMetric(float64(items*b.N)/b.Elapsed().Seconds(), "items/s")
	b.ReportMetric(perItem, "catalog-B/item")
	b.ReportMetric(float64(exporttest.PeakRSS(b))/(1<<20), "peak-RSS-MiB")
}

// renderKind renders the export as kind into out, and returns what
// finishes it.
func renderKind(b *testing.B, e *exportformat.Export, c *render.Catalog, kind, out string) func() {
	b.Helper()
	var v render.View
	var finish func() error
	switch kind {
	case "html", "markdown":
		d, err := render.OpenDir(out, kind)
		if err != nil {
			b.Fatal(err)
		}
		v = site.New(d)
		if kind == "markdown" {
			if v, err = mdtree.New(d, mdtree.Options{}); err != nil {
				b.Fatal(err)
			}
		}
		finish = d.Close
	default:
		f, err := os.Create(out)
		if err != nil {
			b.Fatal(err)
		}
		w := bufio.NewWriter(f)
		v = table.New(w, table.Options{})
		if kind == "jsonl" {
			v = records.New(w, records.Options{})
		}
		finish = func() error {
			if err := w.Flush(); err != nil {
				return err
			}
			return f.Close()
		}
	}
	if err := render.Render(context.Background(), e, c, v); err != nil {
		b.Fatal(err)
	}
	return func() {
		if err := finish(); err != nil {
			b.Fatal(err)
		}
	}
}
