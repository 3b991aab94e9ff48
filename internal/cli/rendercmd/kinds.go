package rendercmd

import (
	"fmt"
	"io"

	"github.com/aumo-cli/aumo/internal/render"
)

// newView makes the view --as names, writing to out.
func newView(opts *Options, out *output) (render.View, error) {
	return nil, fmt.Errorf("--as %s: not available", opts.As)
}

// listColumns prints the columns --as csv offers for the export.
func listColumns(w io.Writer, c *render.Catalog) error {
	return nil
}
