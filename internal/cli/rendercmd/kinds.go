package rendercmd

import (
	"fmt"
	"io"
	"text/tabwriter"

	"github.com/aumo-cli/aumo/internal/render"
	"github.com/aumo-cli/aumo/internal/render/mdtree"
	"github.com/aumo-cli/aumo/internal/render/records"
	"github.com/aumo-cli/aumo/internal/render/site"
	"github.com/aumo-cli/aumo/internal/render/table"
)

// newView makes the view --as names, writing to out.
func newView(opts *Options, out *output) (render.View, error) {
	switch opts.As {
	case KindHTML:
		return site.New(out.dir), nil
	case KindMarkdown:
		return mdtree.New(out.dir, mdtree.Options{Style: opts.Style, Wikilinks: opts.Wikilinks})
	case KindCSV:
		return table.New(out.file, table.Options{Columns: opts.Columns, BOM: opts.BOM, Raw: opts.Raw}), nil
	case KindJSONL:
		return records.New(out.file, records.Options{Chunk: opts.Chunk}), nil
	}
	return nil, fmt.Errorf("--as %s: no such view", opts.As)
}

// listColumns prints the columns --as csv offers for the export.
func listColumns(w io.Writer, c *render.Catalog) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, col := range table.Columns(c) {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", col.Name, col.Field, col.Description)
	}
	return tw.Flush()
}
