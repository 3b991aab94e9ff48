// Package rendercmd implements `aumo render`: an export turned, offline,
// into a website, a Markdown tree, a spreadsheet or JSONL records.
package rendercmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/progress"
	"github.com/aumo-cli/aumo/internal/render"
	"github.com/aumo-cli/aumo/internal/render/mdtree"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// Kinds of rendition, as --as names them.
const (
	KindHTML     = "html"
	KindMarkdown = "markdown"
	KindCSV      = "csv"
	KindJSONL    = "jsonl"
)

// Kinds lists the renditions in the order --help gives them.
var Kinds = []string{KindHTML, KindMarkdown, KindCSV, KindJSONL}

// Options are the dependencies and flags of `aumo render`.
type Options struct {
	Factory *cmdutil.Factory
	Export  string
	As      string
	Out     string

	Identity   string
	Identities []age.Identity

	Style       string
	Wikilinks   bool
	Columns     []string
	ListColumns bool
	Chunk       int
	BOM         bool
	Raw         bool
	NoProgress  bool
}

// NewCmdRender returns `aumo render`. runF replaces the run in tests.
func NewCmdRender(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "render EXPORT --as html|markdown|csv|jsonl --out DEST",
		Short: "Turn an export into a website, a Markdown tree, a spreadsheet or JSONL, offline",
		Long: `Read an export (a directory, a tarball, or an encrypted tarball) and write
what people use, without one API request:

  html      a static website: DEST/index.html opens from disk, with the page
            tree or a table of issues, a page per item and a search box
  markdown  a folder Obsidian or a docs site opens: pages under SPACE/ along the
            page tree by title, issues as PROJ/PROJ-123 Summary.md
  csv       one row per issue (every field, by its name) or per page
  jsonl     one JSON record per item (or per chunk, with --chunk), for search
            and AI pipelines

For html and markdown, DEST is a folder: new, empty, or an earlier render of
the same kind, which is brought up to date (unchanged files are not
rewritten; files of items gone from the export are deleted; files render did
not write are never touched). For csv and jsonl, DEST is a file, or - for
standard output.

Every file is checked against the export's index: an item whose files do not
match is left out and named, and the exit status is 1.

An encrypted tarball (.age) is decrypted with --identity (an age identity file
or an unencrypted SSH private key) or, for one encrypted with
--encrypt-passphrase, the passphrase in $AUMO_EXPORT_PASSPHRASE.

Exit status 0 when everything rendered, 1 when files of the export are damaged
(the rest is rendered) or writing failed, 2 for bad input (nothing written).`,
		Example: `  aumo render eng --as html --out eng-site
  aumo render eng.tar.zst --as markdown --out vault --style obsidian --wikilinks
  aumo render abc --as csv --out abc.csv --columns key,summary,status,assignee
  aumo render abc --as jsonl --out - --chunk 2000 | head`,
		Args: cobra.ExactArgs(1),
		RunE: cmdutil.RunE(opts, opts.validate, runF, Run),
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.As, "as", "", "what to render: "+strings.Join(Kinds, ", "))
	fl.StringVarP(&opts.Out, "out", "o", "", "where: a folder (html, markdown), a file or - (csv, jsonl)")
	fl.StringVar(&opts.Identity, "identity", "", "decrypt an encrypted export with the age identity or SSH private key in `FILE`")
	fl.StringVar(&opts.Style, "style", "", "markdown: a page with children as Parent.md beside Parent/ (obsidian, the default) or as Parent/index.md (index)")
	fl.BoolVar(&opts.Wikilinks, "wikilinks", false, "markdown: link items with [[…]] wikilinks")
	fl.StringSliceVar(&opts.Columns, "columns", nil, "csv: the columns, in order (names or Jira field ids; see --list-columns)")
	fl.BoolVar(&opts.ListColumns, "list-columns", false, "csv: print the columns the export offers, and nothing else")
	fl.BoolVar(&opts.BOM, "bom", false, "csv: start with a UTF-8 byte order mark, which Excel needs to read UTF-8")
	fl.BoolVar(&opts.Raw, "raw", false, "csv: write cells as they are, without the ' that stops a spreadsheet reading =, +, - or @ as a formula")
	fl.IntVar(&opts.Chunk, "chunk", 0, "jsonl: split each item at headings into records of at most `N` characters")
	fl.BoolVar(&opts.NoProgress, "no-progress", false, "no progress line")
	_ = cmd.RegisterFlagCompletionFunc("as", cobra.FixedCompletions(Kinds, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("style", cobra.FixedCompletions([]string{"obsidian", "index"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

// validate checks that the flags fit together, and reads --identity.
func (o *Options) validate(args []string) error {
	o.Export = args[0]
	if err := o.checkFlags(); err != nil {
		return err
	}
	if o.Identity == "" {
		return nil
	}
	ids, err := cmdutil.ReadIdentities(o.Identity)
	if err != nil {
		return err
	}
	o.Identities = ids
	return nil
}

func (o *Options) checkFlags() error {
	if o.ListColumns {
		if o.As != "" && o.As != KindCSV {
			return cmdutil.Usagef("--list-columns lists the columns of --as csv")
		}
		o.As = KindCSV
		return nil
	}
	switch {
	case o.As == "":
		return cmdutil.Usagef("say what to render with --as %s", strings.Join(Kinds, "|"))
	case !slices.Contains(Kinds, o.As):
		return cmdutil.Usagef("--as %q: render one of %s", o.As, strings.Join(Kinds, ", "))
	case o.Out == "":
		return cmdutil.Usagef("say where with --out: %s", outHint(o.As))
	case o.Out == "-" && (o.As == KindHTML || o.As == KindMarkdown):
		return cmdutil.Usagef("--as %s writes a folder: give --out a folder, not -", o.As)
	case o.Chunk < 0:
		return cmdutil.Usagef("--chunk %d: give a number of characters, or 0 for one record per item", o.Chunk)
	case o.Style != "" && o.Style != mdtree.StyleObsidian && o.Style != mdtree.StyleIndex:
		return cmdutil.Usagef("--style %q: give %s or %s", o.Style, mdtree.StyleObsidian, mdtree.StyleIndex)
	}
	for _, f := range []struct {
		set  bool
		name string
		kind string
	}{
		{o.Style != "", "--style", KindMarkdown}, {o.Wikilinks, "--wikilinks", KindMarkdown},
		{len(o.Columns) > 0, "--columns", KindCSV}, {o.BOM, "--bom", KindCSV}, {o.Raw, "--raw", KindCSV},
		{o.Chunk > 0, "--chunk", KindJSONL},
	} {
		if f.set && o.As != f.kind {
			return cmdutil.Usagef("%s is for --as %s", f.name, f.kind)
		}
	}
	return nil
}

func outHint(kind string) string {
	if kind == KindHTML || kind == KindMarkdown {
		return "a new or empty folder, or an earlier render's"
	}
	return "a file, or - for standard output"
}

// Run renders the export.
func Run(ctx context.Context, opts *Options) error {
	e, err := openExport(opts)
	if err != nil {
		return err
	}
	defer func() { _ = e.Close() }()
	if err := checkOut(opts); err != nil {
		return err
	}
	if err := checkDest(opts); err != nil {
		return err
	}
	msg := opts.Factory.IO.Messages()
	if !opts.ListColumns {
		fmt.Fprintf(msg, "Reading %s…\n", opts.Export)
	}
	c, err := render.Load(ctx, e)
	if err != nil {
		return loadError(opts.Export, err)
	}
	if opts.ListColumns {
		return listColumns(opts.Factory.IO.Out, c)
	}
	if note := c.Unfinished(); note != "" {
		fmt.Fprintf(opts.Factory.IO.ErrOut, "Note: %s.\n", note)
	}
	out, err := renderTo(ctx, opts, e, c)
	if err != nil {
		return err
	}
	summarize(msg, opts, c, out)
	missing := kept(opts.Factory.IO.ErrOut, out.dir)
	if err := damaged(c); err != nil || missing == 0 {
		return err
	}
	if missing == 1 {
		return &DamagedError{Msg: "1 file of the rendition was not written: a file render did not write, or that changed since, is in its place (named above)"}
	}
	return &DamagedError{Msg: fmt.Sprintf("%d files of the rendition were not written: files render did not write, or that changed since, are in their place (listed above)", missing)}
}

// kept lists the files render left as they were although the rendition
// has (or had) a file there, and returns how many of the rendition's
// files are missing because of them.
func kept(w io.Writer, d *render.Dir) (missing int) {
	if d == nil || len(d.Kept) == 0 {
		return 0
	}
	fmt.Fprintf(w, "Kept as they are, not written over or deleted (%d):\n", len(d.Kept))
	for i, k := range d.Kept {
		if !k.Gone {
			missing++
		}
		if i < maxListed {
			what := "not written"
			if k.Gone {
				what = "its item is gone from the export"
			}
			fmt.Fprintf(w, "  %s: %s; %s\n", filepath.Join(d.Path(), filepath.FromSlash(k.Path)), k.Reason, what)
		}
	}
	if len(d.Kept) > maxListed {
		fmt.Fprintf(w, "  and %d more\n", len(d.Kept)-maxListed)
	}
	return missing
}

// openExport opens the export, decrypting it if need be.
func openExport(opts *Options) (*exportformat.Export, error) {
	identities, err := cmdutil.ExportIdentities(opts.Identities)
	if err != nil {
		return nil, err
	}
	e, err := exportformat.OpenWith(opts.Export, identities)
	if derr := cmdutil.DecryptError(opts.Export, err); derr != nil {
		return nil, cmdutil.Usagef("%v", derr)
	}
	switch {
	case errors.Is(err, exportformat.ErrNotExport), errors.Is(err, os.ErrNotExist):
		return nil, cmdutil.Usagef("%v", err)
	case err != nil:
		return nil, err
	}
	return e, nil
}

// checkOut refuses a destination inside the export, or the export itself.
func checkOut(opts *Options) error {
	if opts.ListColumns || opts.Out == "-" {
		return nil
	}
	src, err1 := filepath.Abs(opts.Export)
	dst, err2 := filepath.Abs(opts.Out)
	if err := errors.Join(err1, err2); err != nil {
		return err
	}
	src, dst = resolve(src), resolve(dst)
	if rel, err := filepath.Rel(src, dst); err == nil && filepath.IsLocal(rel) || rel == "." {
		return cmdutil.Usagef("--out %s is inside the export %s: render somewhere else", opts.Out, opts.Export)
	}
	if rel, err := filepath.Rel(dst, src); err == nil && filepath.IsLocal(rel) {
		return cmdutil.Usagef("the export %s is inside --out %s: render somewhere else", opts.Export, opts.Out)
	}
	return nil
}

// checkDest refuses a destination render could not write, before the
// export is read: a file or a foreign folder for a folder rendition, a
// folder for a file.
func checkDest(opts *Options) error {
	var err error
	switch {
	case opts.ListColumns || opts.Out == "-":
	case opts.As == KindHTML || opts.As == KindMarkdown:
		err = render.CheckDir(opts.Out, opts.As)
	default:
		err = render.CheckFile(opts.Out)
	}
	var usage *render.UsageError
	if errors.As(err, &usage) {
		return cmdutil.Usagef("%s", usage.Msg)
	}
	return err
}

// resolve follows symbolic links in as much of p as exists.
func resolve(p string) string {
	rest := ""
	for {
		if r, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Join(r, rest)
		}
		parent := filepath.Dir(p)
		if parent == p {
			return filepath.Join(p, rest)
		}
		rest = filepath.Join(filepath.Base(p), rest)
		p = parent
	}
}

// loadError maps what reading the export met to the user's next step.
func loadError(path string, err error) error {
	var fe *render.FormatError
	var ae *exportformat.ArchiveError
	switch {
	case errors.As(err, &fe):
		return cmdutil.Usagef("%s: %v", path, err)
	case errors.Is(err, render.ErrNoJSON):
		return cmdutil.Usagef("%s: %v", path, err)
	case errors.Is(err, exportformat.ErrNotExport):
		return cmdutil.Usagef("%v", err)
	case errors.As(err, &ae):
		return fmt.Errorf("%s is damaged (%w): nothing rendered; `aumo verify %s` says more", path, err, path)
	}
	return err
}

// output is where a rendition went.
type output struct {
	dir   *render.Dir
	file  *render.File
	items int
}

// renderTo writes the rendition.
func renderTo(ctx context.Context, opts *Options, e *exportformat.Export, c *render.Catalog) (*output, error) {
	out := &output{}
	var err error
	if opts.As == KindHTML || opts.As == KindMarkdown {
		out.dir, err = render.OpenDir(opts.Out, opts.As)
	} else {
		out.file, err = render.CreateFile(opts.Out, opts.Factory.IO.Out)
	}
	var usage *render.UsageError
	if errors.As(err, &usage) {
		return nil, cmdutil.Usagef("%s", usage.Msg)
	}
	if err != nil {
		return nil, err
	}
	v, err := newView(opts, out)
	if err == nil {
		var bar *progress.Bar
		if opts.Factory.IO.IsStderrTTY() && !opts.NoProgress && !opts.Factory.IO.Quiet {
			bar = progress.New(opts.Factory.IO.ErrOut, progress.Options{
				Items: "items", Kinds: []string{exportformat.KindIssue, exportformat.KindPage, exportformat.KindBlogpost, exportformat.KindFolder},
				Total: int64(len(c.Items)), Width: opts.Factory.IO.ErrWidth,
			})
		}
		err = render.Render(ctx, e, c, &counted{View: v, out: out, bar: bar})
		bar.Finish()
	}
	if err != nil {
		out.abort()
		if errors.As(err, &usage) {
			return nil, cmdutil.Usagef("%s", usage.Msg)
		}
		return nil, err
	}
	return out, out.close()
}

func (o *output) abort() {
	if o.dir != nil {
		o.dir.Abort()
	} else {
		o.file.Abort()
	}
}

func (o *output) close() error {
	if o.dir != nil {
		return o.dir.Close()
	}
	return o.file.Close()
}

// counted counts the items a view renders, on the progress line too.
type counted struct {
	render.View
	out *output
	bar *progress.Bar
}

func (v *counted) Item(it *render.Item, doc []byte) error {
	if err := v.View.Item(it, doc); err != nil {
		return err
	}
	v.out.items++
	v.bar.Wrote(it.Kind, 0, int64(len(doc)))
	return nil
}

// summarize says what was rendered where.
func summarize(w io.Writer, opts *Options, c *render.Catalog, out *output) {
	what := fmt.Sprintf("%d items", out.items)
	if c.Manifest.Product == "jira" {
		what = fmt.Sprintf("%d issues", out.items)
	}
	switch {
	case out.dir != nil:
		fmt.Fprintf(w, "Rendered %s to %s: %d files written, %d unchanged, %d removed.\n",
			what, opts.Out, out.dir.Written, out.dir.Unchanged, out.dir.Removed)
		if opts.As == KindHTML {
			fmt.Fprintf(w, "Open %s in a browser.\n", filepath.Join(opts.Out, "index.html"))
		}
	case opts.Out != "-":
		fmt.Fprintf(w, "Rendered %s to %s.\n", what, opts.Out)
	}
}

// damaged reports the files that did not match the index.
func damaged(c *render.Catalog) error {
	if len(c.Problems) == 0 {
		return nil
	}
	var b strings.Builder
	if len(c.Problems) == 1 {
		b.WriteString("1 file of the export does not match its index; its item was left out:")
	} else {
		fmt.Fprintf(&b, "%d files of the export do not match its index; their items were left out:", len(c.Problems))
	}
	for i, p := range c.Problems {
		if i == maxListed {
			fmt.Fprintf(&b, "\n  and %d more (`aumo verify` lists them all)", len(c.Problems)-i)
			break
		}
		fmt.Fprintf(&b, "\n  %s: %s", p.Path, p.Reason)
	}
	return &DamagedError{Msg: b.String()}
}

// maxListed is how many damaged files the error names.
const maxListed = 20

// DamagedError is an export rendered without its damaged items: exit 1.
type DamagedError struct{ Msg string }

func (e *DamagedError) Error() string { return e.Msg }
