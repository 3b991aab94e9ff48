package site

import (
	"encoding/json"
	"fmt"
	"io"
)

// searchIndex streams assets/search-index.js as the items come: a script
// that sets window.AUMO_SEARCH to one record per item. Only a record at a
// time is in memory, whatever the export's size. A browser refuses to
// fetch a file of a page opened from disk, but runs a script it names.
type searchIndex struct {
	w io.WriteCloser
	n int
}

// searchRecord is an item in the search index. JSON escapes <, > and &,
// so a record is inert text inside the script.
type searchRecord struct {
	URL   string `json:"u"` // the item's page, relative to index.html
	Title string `json:"t"`
	Key   string `json:"k,omitempty"`
	Where string `json:"w,omitempty"` // the space's or project's name
	Order int    `json:"o"`           // the item's place in the export's reading order
	Text  string `json:"x"`           // the start of its text: maxText characters at most
}

func newSearchIndex(w io.WriteCloser) (*searchIndex, error) {
	_, err := io.WriteString(w, "// The search index of this site: one record per item.\nwindow.AUMO_SEARCH = [\n")
	return &searchIndex{w: w}, err
}

func (s *searchIndex) add(r searchRecord) error {
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	sep := ",\n"
	if s.n == 0 {
		sep = ""
	}
	s.n++
	if _, err := fmt.Fprintf(s.w, "%s%s", sep, data); err != nil {
		return fmt.Errorf("search index: %w", err)
	}
	return nil
}

func (s *searchIndex) close() error {
	if _, err := io.WriteString(s.w, "\n];\n"); err != nil {
		return err
	}
	return s.w.Close()
}
