// Package verify implements `aumo verify`.
package verify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"unicode"

	"filippo.io/age"
	"github.com/spf13/cobra"

	"github.com/aumo-cli/aumo/internal/bytesize"
	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/cli/exportcmd"
	"github.com/aumo-cli/aumo/internal/sink"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// Options are the dependencies and flags of `aumo verify`.
type Options struct {
	Factory  *cmdutil.Factory
	Path     string
	JSON     bool
	Identity string
	Repair   bool
	// Identities are the keys read from the Identity file when the
	// command's flags are checked; Run decrypts with them.
	Identities []age.Identity
}

// NewCmdVerify returns `aumo verify`. runF replaces the run in tests.
func NewCmdVerify(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "verify PATH|-",
		Short: "Check an export against its index: missing, extra and corrupt files",
		Long: `Re-hash every file of an export (a directory, or a tarball: .tar, .tar.gz,
.tgz, .tar.zst) against its index.jsonl, and check its manifest.json: the
format, that the run finished, that no item failed, and that the counts agree
with the index. PATH - reads a tar stream from standard input, as
aumo export --out - writes it (kept in a temporary file while it is checked).
Missing, extra and corrupt files are listed, and entries
that are no file of an export: a path that would land outside it when
extracted or too long, a link, a device, a path held twice.

A tarball is read once, from start to end, and a damaged one a second time
to name what is wrong: each list names the first 1000 by path, and counts
them all. Temporary files that an interrupted run left in a directory are
not counted as extra.

Whatever an export holds, verify's memory grows by some 130 bytes for
each of its files, however long the path, and is bounded otherwise: a
manifest.json larger than 1 GiB, an index line longer than 64 KiB, a path
longer than 4096 bytes are damage it reports, and a .tar.zst that needs a
window larger than 8 MiB one it cannot check.

An encrypted tarball (.age) is decrypted as it is read, with --identity (an
age identity file or an unencrypted SSH private key) or, for one encrypted
with --encrypt-passphrase, the passphrase in $AUMO_EXPORT_PASSPHRASE.

With --repair, a damaged directory export is mended: the issues, pages and
blog posts (and spaces, folders, field list) whose files are missing or
corrupt are fetched again by id, with the site, query and options the
export's manifest records, and nothing else is searched or fetched. It
needs a login, as an export does. An item gone from Jira or Confluence
meanwhile is moved under removed/, as an --incremental update does; files the index
does not name are left as they are, and named. The report printed is of
the export as found; what the repair does goes to standard error. A
tarball is mended by exporting it again.

Exit status 0 when the export is intact, 1 when it is damaged, 5 when it could
not be checked (no such path, not an export, unreadable), 6 when it is
unfinished and otherwise sound (a run stopped before its end, or items
failed): rerunning the export completes it. With --repair: 0
when the export is intact (repaired, or already so), 1 when damage is left
that nothing can fetch again (or the export cannot be repaired), 2 for a
tarball, 3 when some items failed after every retry (their files are left
as they were; run it again to retry them), 4 when a login is needed.`,
		Args: cobra.ExactArgs(1),
		RunE: cmdutil.RunE(opts, opts.validate, runF, Run),
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print the report as JSON")
	cmd.Flags().StringVar(&opts.Identity, "identity", "", "decrypt an encrypted export with the age identity or SSH private key in `FILE`")
	cmd.Flags().BoolVar(&opts.Repair, "repair", false, "mend a damaged directory export: fetch again the items whose files are missing or corrupt (needs a login, as an export does)")
	return cmd
}

// validate takes the path and reads the --identity file, so that a wrong
// one is refused before anything is read of the export.
func (o *Options) validate(args []string) error {
	o.Path = args[0]
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

// Report is `aumo verify --json`: the export's path, whether it is intact,
// and what exportformat.Verify found.
type Report struct {
	Path string `json:"path"`
	OK   bool   `json:"ok"`
	*exportformat.Report
}

// gcPercent is the garbage collector's target while verifying, unless
// GOGC says otherwise. What verify holds is mostly a table of a few dozen
// bytes a path, without pointers: the collector has nothing in it to
// scan, so collecting more often than Go's default (100, which lets the
// garbage of reading the archive grow as large as the table) costs
// little, and keeps the memory used near the table's size.
const gcPercent = 25

// Run verifies the export and prints the report; with --repair, it mends
// a damaged directory export.
func Run(ctx context.Context, opts *Options) error {
	var lock *sink.OutputLock
	if opts.Repair {
		var err error
		if lock, err = lockForRepair(opts.Path); err != nil {
			return err
		}
		defer func() { _ = lock.Release() }()
	}
	identities, err := cmdutil.ExportIdentities(opts.Identities)
	if err != nil {
		return err
	}
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(gcPercent))
	}
	path := opts.Path
	if path == "-" {
		spooled, remove, err := spool(opts.Factory.IO.In)
		if err != nil {
			return &cmdutil.UncheckableError{Err: err}
		}
		defer remove()
		path = spooled
	}
	r, err := exportformat.VerifyWith(ctx, path, identities)
	switch derr := cmdutil.DecryptError(opts.Path, err); {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case derr != nil:
		return &cmdutil.UncheckableError{Err: derr}
	case err != nil:
		return &cmdutil.UncheckableError{Err: err}
	}

	w := opts.Factory.IO.Out
	if opts.JSON {
		err = cmdutil.WriteJSON(w, Report{Path: opts.Path, OK: r.OK(), Report: r})
	} else {
		shown := opts.Path
		if shown == "-" {
			shown = "standard input"
		}
		err = printReport(w, shown, r)
	}
	if err != nil {
		return fmt.Errorf("print the report: %w", err)
	}
	switch {
	case opts.Repair && r.OK():
		fmt.Fprintln(opts.Factory.IO.Messages(), "Nothing to repair.")
	case opts.Repair:
		return exportcmd.Repair(ctx, opts.Factory, opts.Path, r, lock)
	case r.OnlyUnfinished():
		return &cmdutil.UnfinishedError{Path: opts.Path}
	case !r.OK():
		return &cmdutil.DamagedError{Path: opts.Path, Report: r}
	}
	return nil
}

// lockForRepair takes the export's lock, so that no export writes there
// between the check and the repair, once the path is known to be a
// directory --repair can mend.
func lockForRepair(path string) (*sink.OutputLock, error) {
	if err := repairablePath(path); err != nil {
		return nil, err
	}
	if _, err := os.Stat(path); err != nil {
		return nil, &cmdutil.UncheckableError{Err: err}
	}
	lock, err := sink.LockOutput(path)
	switch {
	case errors.Is(err, sink.ErrLocked):
		return nil, cmdutil.Usagef("%s: %v; repair it once that export has ended", path, err)
	case err != nil:
		return nil, &cmdutil.UncheckableError{Err: err}
	}
	return lock, nil
}

// spool copies a tar stream from standard input (what `aumo export --out
// -` writes) to a private temporary file, which verify reads twice when
// the export is damaged: once to check it, once to name what is wrong.
func spool(in io.Reader) (string, func(), error) {
	f, err := os.CreateTemp("", "aumo-verify-*.tar")
	if err != nil {
		return "", nil, fmt.Errorf("keep standard input to check it: %w", err)
	}
	remove := func() { _ = os.Remove(f.Name()) }
	_, err = io.Copy(f, in)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		remove()
		return "", nil, fmt.Errorf("keep standard input to check it: %w", err)
	}
	return f.Name(), remove, nil
}

// repairablePath refuses, before anything is read, a path that --repair
// cannot mend: a tarball, or standard input. A path that is not there is
// left to the check, which says so.
func repairablePath(path string) error {
	fi, err := os.Stat(path)
	if path == "-" || (err == nil && !fi.IsDir()) {
		return cmdutil.Usagef("--repair mends a directory export in place; a tarball is rewritten by exporting it again (aumo export … --out %s)", path)
	}
	return nil
}

func printReport(w io.Writer, path string, r *exportformat.Report) error {
	p := &printer{w: w}
	p.linef("Checked %d files (%s) of %s against an index of %d.", r.Files, bytesize.Format(r.Bytes), path, r.Indexed)
	p.list("Missing, in the index but not in the export", r.Missing, r.Totals.Missing)
	p.list("Extra, in the export but not in the index", r.Extra, r.Totals.Extra)
	if len(r.Corrupt) > 0 {
		p.linef("Corrupt (%d):", r.Totals.Corrupt)
		for _, c := range r.Corrupt {
			switch c.Reason {
			case exportformat.CorruptSize:
				p.linef("  %s: %d bytes, the index says %d", c.Path, c.Size, c.IndexSize)
			case exportformat.CorruptSHA256:
				p.linef("  %s: sha256 %s, the index says %s", c.Path, c.SHA256, c.IndexSHA256)
			default:
				p.linef("  %s: %s", c.Path, c.Reason)
			}
		}
		p.more(r.Totals.Corrupt - len(r.Corrupt))
	}
	p.list("Unsafe, no file of an export (a path outside it or too long, a link, a device, a path twice)", r.Unsafe, r.Totals.Unsafe)
	p.list("Manifest problems", r.Manifest, len(r.Manifest))
	if r.TornIndex {
		p.linef("Note: the index's last line, torn by an interrupted write, was ignored.")
	}
	switch {
	case r.OK():
		p.linef("Intact: every file matches the index.")
	case r.OnlyUnfinished():
		p.linef("Unfinished: every file so far matches the index; rerun the export to complete it.")
	}
	return p.err
}

// printer writes lines until the first error, which it keeps.
type printer struct {
	w   io.Writer
	err error
}

// linef prints a line. Paths and manifest details come from the export,
// which may hold anything: control characters are quoted so they cannot
// drive the terminal.
func (p *printer) linef(format string, args ...any) {
	if p.err != nil {
		return
	}
	line := fmt.Sprintf(format, args...)
	if strings.IndexFunc(line, func(r rune) bool { return !unicode.IsPrint(r) }) >= 0 {
		q := strconv.Quote(line)
		line = q[1 : len(q)-1]
	}
	_, p.err = fmt.Fprintln(p.w, line)
}

// list prints the items of a list of total, which names the first.
func (p *printer) list(title string, items []string, total int) {
	if len(items) == 0 {
		return
	}
	p.linef("%s (%d):", title, total)
	for _, it := range items {
		p.linef("  %s", it)
	}
	p.more(total - len(items))
}

// more says how many a list leaves out.
func (p *printer) more(n int) {
	if n > 0 {
		p.linef("  … and %d more", n)
	}
}
