// Package table renders an export as one CSV file (render --as csv): a
// row per Jira issue, or per Confluence page and blog post (folders have
// none), in the catalog's order, under a header of column names.
//
// # Jira's columns
//
// key, summary, type, status, priority, resolution, assignee, reporter,
// created, updated, resolved, due, labels, components, fix versions,
// parent; then every other field of the export's fields.json under its
// display name: the system fields first, in the order fields.json lists
// them, then the custom fields by name. Every field has its column, even
// when no issue holds a value in it. A display name that two fields share,
// or that a column before it already has (compared without regard to
// case), is followed by the field's id: "Sprint (customfield_10020)".
// Three system fields are left out, being no value of the issue: thumbnail,
// issuerestriction and lastViewed (the time the exporting user last looked
// at it). Comment, Log Work and Attachment hold how many comments,
// worklogs and attachments the issue has.
//
// A cell holds what a reader of Jira sees: a person's display name, an
// option's value (a cascading select's parent and child as "Europe /
// Nordics"), a version's, a component's, a status's name, another issue's
// key, rich text (ADF) as its plain text on one line (adf.PlainText, with
// line breaks and runs of spaces written as one space), a number as
// written, true or false. Values of a multi-valued field are joined by
// "; ". Dates are as
// the JSON has them; times are written in RFC 3339 (Jira's
// 2026-02-28T06:46:04.408+0000 as 2026-02-28T06:46:04.408Z: the same
// instant, offset and precision).
//
// # Confluence's columns
//
// id, title, type (page or blogpost), space (the space's key), path (the
// titles of the pages and folders above the item, top first, joined by
// " / "), author, created, updated, version, labels (joined by "; "), url,
// attachments (how many the item has, as its JSON lists them).
//
// # Choosing columns
//
// Options.Columns picks columns and their order: a column is named by its
// name without regard to case or, for Jira, by its field id (fixVersions,
// customfield_10016). Columns lists what an export offers.
//
// # The file
//
// The file follows RFC 4180: comma-separated, fields quoted when they hold
// a comma, a quote or a line break, lines ended by CRLF, UTF-8. A line
// break inside a cell is written as CRLF too, which CSV readers read back
// as a line break; a carriage return alone in a cell is dropped. No byte order mark is written unless
// Options.BOM asks for one: Excel needs it to read UTF-8, but most CSV
// readers, Go's encoding/csv among them, would take it for a part of the
// first column's name.
//
// Spreadsheets run a cell that starts with =, +, -, @, a tab or a carriage
// return as a formula, and an issue's summary is anyone's to write. Unless
// Options.Raw is set, such a cell is written with an apostrophe before it
// ("'=HYPERLINK(…)"), which spreadsheets show as text and do not run — the
// header's names too. A cell that is a number, like -3 or +1.5, is left as
// it is: spreadsheets read it as the number it is. Raw writes every cell
// exactly, for programs that read the file.
//
// Rows are written as the export's items come. One that comes before an
// item the catalog orders above it waits, as its finished row, for that
// item: in memory up to 32 MiB of rows, then in a temporary file (in the
// system's temporary folder, TMPDIR; deleted when the file is written, or
// at once on systems that let an open file be deleted). In an export
// whose files are in the catalog's order, no row waits; in one of several
// projects, whose issues' ids interleave, many do.
package table

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/aumo-cli/aumo/internal/render"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// Options are what the csv view can be told.
type Options struct {
	// Columns are the columns to write, in order; none: every column.
	Columns []string
	// BOM starts the file with a UTF-8 byte order mark, which Excel
	// needs to read UTF-8.
	BOM bool
	// Raw writes every cell exactly as it is, with no apostrophe before
	// a cell that a spreadsheet would run as a formula.
	Raw bool
}

// Column is a column the csv view offers for an export.
type Column struct {
	Name string
	// Field is the id of the Jira field the column holds; "" for
	// Confluence's.
	Field       string
	Description string
}

// column is a Column and how to fill its cells.
type column struct {
	Column
	cell func(r *row) string
}

// row is an item whose row is being written.
type row struct {
	c  *render.Catalog
	it *render.Item
	// doc is an issue's "fields"; for a page or blog post, its
	// "attachments".
	doc map[string]any
}

// Columns are the columns an export offers, in the order the file has
// them when none are chosen.
func Columns(c *render.Catalog) []Column {
	cols := columns(c)
	out := make([]Column, len(cols))
	for i, col := range cols {
		out[i] = col.Column
	}
	return out
}

func columns(c *render.Catalog) []column {
	if isJira(c) {
		return jiraColumns(c.Fields)
	}
	return confluenceColumns()
}

func isJira(c *render.Catalog) bool { return c.Manifest.Product == "jira" }

// New makes the csv view, writing to w (the render.File).
func New(w io.Writer, opts Options) render.View {
	return &view{w: w, opts: opts, maxWaiting: maxWaiting}
}

type view struct {
	w    io.Writer
	opts Options
	c    *render.Catalog
	cols []column
	// index is each row's place in the file; next the place of the row
	// to write next; held the rows that came before their turn.
	index map[*render.Item]int
	next  int
	held  *waiting
	extra int
	// maxWaiting is how many bytes of rows may wait in memory.
	maxWaiting int
	buf        bytes.Buffer
	cw         *csv.Writer
}

func (v *view) Begin(c *render.Catalog) error {
	v.c = c
	cols, err := pick(columns(c), v.opts.Columns)
	if err != nil {
		return err
	}
	v.cols = cols
	v.index, v.held = map[*render.Item]int{}, newWaiting(v.maxWaiting)
	for _, it := range c.Items {
		if it.Kind != exportformat.KindFolder {
			v.index[it] = len(v.index)
		}
	}
	v.cw = csv.NewWriter(&v.buf)
	v.cw.UseCRLF = true
	if v.opts.BOM {
		if _, err := io.WriteString(v.w, "\uFEFF"); err != nil {
			return err
		}
	}
	header := make([]string, len(cols))
	for i, col := range cols {
		header[i] = col.Name
	}
	return v.write(v.encode(header))
}

// pick finds the columns named, in the order named.
func pick(all []column, names []string) ([]column, error) {
	var picked []column
	var unknown []string
	for _, name := range names {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		col, ok := find(all, name)
		if !ok {
			unknown = append(unknown, fmt.Sprintf("%q", name))
			continue
		}
		picked = append(picked, col)
	}
	switch {
	case len(unknown) == 1:
		return nil, render.Usagef("no column is named %s in this export: --list-columns lists them", unknown[0])
	case len(unknown) > 1:
		return nil, render.Usagef("no columns are named %s in this export: --list-columns lists them", strings.Join(unknown, ", "))
	case len(picked) == 0:
		return all, nil
	}
	return picked, nil
}

// find is the column with name, else the one of the field with that id,
// without regard to case.
func find(all []column, name string) (column, bool) {
	for _, byID := range []bool{false, true} {
		for _, col := range all {
			key := col.Name
			if byID {
				key = col.Field
			}
			if key != "" && strings.EqualFold(key, name) {
				return col, true
			}
		}
	}
	return column{}, false
}

func (v *view) Attachment(*render.Item, *render.Attachment, io.Reader) error { return nil }

func (v *view) Item(it *render.Item, doc []byte) error {
	// What the columns read of the item's JSON: an issue's fields, a
	// page's list of attachments.
	var top struct {
		Fields      map[string]any `json:"fields"`
		Attachments any            `json:"attachments"`
	}
	if err := json.Unmarshal(doc, &top); err != nil {
		return fmt.Errorf("read %s: %w", it.Path, err)
	}
	r := &row{c: v.c, it: it, doc: top.Fields}
	if it.Kind != exportformat.KindIssue {
		r.doc = map[string]any{"attachments": top.Attachments}
	}
	cells := make([]string, len(v.cols))
	for i, col := range v.cols {
		cells[i] = col.cell(r)
	}
	line := v.encode(cells)
	i, ok := v.index[it]
	if !ok {
		// Not in the catalog: after every row that is.
		i = len(v.index) + v.extra
		v.extra++
	}
	if i != v.next {
		return v.held.put(i, line)
	}
	if err := v.write(line); err != nil {
		return err
	}
	v.next++
	for {
		line, ok, err := v.held.take(v.next)
		if err != nil || !ok {
			return err
		}
		v.next++
		if err := v.write(line); err != nil {
			return err
		}
	}
}

// End writes the rows still waiting: those whose items above them never
// came.
func (v *view) End() error {
	for _, i := range v.held.places() {
		line, _, err := v.held.take(i)
		if err == nil {
			err = v.write(line)
		}
		if err != nil {
			_ = v.held.close()
			return err
		}
	}
	return v.held.close()
}

// encode makes a line of the file of cells; it is valid until the next
// call.
func (v *view) encode(cells []string) []byte {
	if !v.opts.Raw {
		for i, s := range cells {
			cells[i] = defuse(s)
		}
	}
	v.buf.Reset()
	_ = v.cw.Write(cells) // writes to a bytes.Buffer, which cannot fail
	v.cw.Flush()
	return v.buf.Bytes()
}

func (v *view) write(line []byte) error {
	_, err := v.w.Write(line)
	return err
}

// defuse puts an apostrophe before a cell that a spreadsheet would run as
// a formula: one that starts with =, +, -, @, a tab or a carriage return
// and is not a number.
func defuse(s string) string {
	if s == "" || !strings.ContainsRune("=+-@\t\r", rune(s[0])) || isNumber(s) {
		return s
	}
	return "'" + s
}

// isNumber tells a decimal number, signed, with a fraction or an
// exponent: what a spreadsheet reads as a number.
func isNumber(s string) bool {
	mant, exp, hasExp := strings.Cut(strings.ToLower(unsigned(s)), "e")
	whole, frac, _ := strings.Cut(mant, ".")
	if whole == "" && frac == "" || !digits(whole) || !digits(frac) {
		return false
	}
	exp = unsigned(exp)
	return !hasExp || exp != "" && digits(exp)
}

// unsigned is s less one leading sign.
func unsigned(s string) string {
	if s != "" && (s[0] == '+' || s[0] == '-') {
		return s[1:]
	}
	return s
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
