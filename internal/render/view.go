package render

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"

	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// A View turns the items of an export into one kind of rendition.
// Render calls Begin once, then Attachment and Item as the export's
// files come, in the export's order (a view must not count on any), then
// End. Only intact items and their attachments are handed over; folders
// are in the catalog alone.
type View interface {
	Begin(c *Catalog) error
	// Attachment reads an attachment of it; r is valid until it returns.
	Attachment(it *Item, a *Attachment, r io.Reader) error
	// Item is the item's own JSON, as exported.
	Item(it *Item, doc []byte) error
	End() error
}

// Render reads the export a second time and hands its items to v.
func Render(ctx context.Context, e *exportformat.Export, c *Catalog, v View) error {
	if err := v.Begin(c); err != nil {
		return err
	}
	seen := map[string]int{}
	err := e.Walk(ctx, func(f *exportformat.File) error {
		if want, dup := c.want[f.Path]; dup {
			// A path held more than once: only the entry the index
			// lists is the export's.
			n := seen[f.Path]
			seen[f.Path]++
			if n != want {
				return nil
			}
		}
		if a, ok := c.files[f.Path]; ok {
			if a.item.Damaged {
				return nil
			}
			return v.Attachment(a.item, a, f)
		}
		it, ok := c.byPath[f.Path]
		if !ok || it.Damaged || it.Kind == exportformat.KindFolder {
			return nil
		}
		// One that grew past what pass one read fails the hash below.
		doc, err := io.ReadAll(io.LimitReader(f, maxItemJSON+1))
		if err != nil {
			return fmt.Errorf("read %s: %w", f.Path, err)
		}
		if h := sha256.Sum256(doc); hex.EncodeToString(h[:]) != it.sha {
			// Changed since the first pass read it.
			it.Damaged = true
			c.Problems = append(c.Problems, Problem{Path: f.Path, Item: it.ID, Reason: "changed while it was rendered"})
			return nil
		}
		return v.Item(it, doc)
	})
	if err != nil {
		return err
	}
	return v.End()
}
