package exportcmd

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aumo-cli/aumo/internal/bytesize"
	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// reportOf is what the report of a run needs besides its manifest.
type reportOf struct {
	estimate int64
	scope    scope
	took     time.Duration
}

// report says what the run exported, and what it wants the user to know.
func report(f *cmdutil.Factory, opts *Options, p product, src source, prepared *export.Prepared, m *exportformat.Manifest, r reportOf) {
	summary(f.IO.Messages(), opts.Out, m, r.took)
	warnings := slices.Clone(prepared.Warnings)
	if w, ok := src.(interface{ Warnings() []string }); ok {
		warnings = append(warnings, w.Warnings()...)
	}
	for _, w := range warnings {
		fmt.Fprintln(f.IO.ErrOut, "warning: "+w)
	}
	if r.scope.updating {
		updateSummary(f.IO.Messages(), opts.Prune && !prepared.PruneLimited, m, r.scope.shortListing)
	} else {
		p.after(f.IO.ErrOut, src, r.estimate)
	}
}

func summary(w io.Writer, out string, m *exportformat.Manifest, took time.Duration) {
	if m == nil {
		return
	}
	if matchedNothing(m) {
		fmt.Fprintln(w, nothingMatched(out, m.Options["since"]))
		return
	}
	var parts []string
	for _, k := range []string{"issue", "page", "blogpost"} {
		if n := m.Counts[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %ss", n, strings.Replace(k, "blogpost", "blog post", 1)))
		}
	}
	if n := m.Counts["markdown"]; len(parts) == 0 && n > 0 { // --format md
		parts = append(parts, fmt.Sprintf("%d items as Markdown", n))
	}
	if n := m.Counts["attachment"]; n > 0 {
		parts = append(parts, fmt.Sprintf("%d attachments", n))
	}
	if len(parts) == 0 {
		parts = append(parts, "nothing")
	}
	where := out
	if out == "-" {
		where = "standard output"
	}
	if inc := m.Incremental; inc != nil && m.StartedAt.Equal(inc.StartedAt) {
		// An update: the export as a whole, then what the run changed.
		fmt.Fprintf(w, "Updated %s in %s; it holds %s (%s); %d requests, %d rate-limit points.\n",
			where, took.Round(time.Second), strings.Join(parts, ", "), bytesize.Format(m.Counts["bytes"]), m.Requests, m.Points)
	} else {
		fmt.Fprintf(w, "Exported %s (%s) to %s in %s; %d requests, %d rate-limit points.\n",
			strings.Join(parts, ", "), bytesize.Format(m.Counts["bytes"]), where, took.Round(time.Second), m.Requests, m.Points)
	}
	if len(m.Skipped) > 0 {
		fmt.Fprintf(w, "Skipped by design: %d (listed in the manifest's \"skipped\").\n", len(m.Skipped))
	}
	if len(m.Failed) > 0 {
		fmt.Fprintf(w, "Failed after every retry: %d (listed in the manifest's \"failed\"); run the same command again to retry them.\n", len(m.Failed))
	}
}

// matchedNothing reports an export, not an update, that holds no item and
// skipped or failed none: its query matched nothing.
func matchedNothing(m *exportformat.Manifest) bool {
	for _, k := range []string{"issue", "page", "blogpost", "markdown", "attachment"} {
		if m.Counts[k] > 0 {
			return false
		}
	}
	update := m.Incremental != nil && m.StartedAt.Equal(m.Incremental.StartedAt)
	return !update && len(m.Skipped) == 0 && len(m.Failed) == 0
}

// nothingMatched is the summary of an export of a query that matched
// nothing (in the --since window, when given): the size of a manifest
// says nothing to the user.
func nothingMatched(out, since string) string {
	what, where := "the query", "the export in "+out
	if since != "" {
		what += " (--since " + since + ")"
	}
	if out == "-" {
		where = "the export to standard output"
	}
	return fmt.Sprintf("Nothing matched %s; %s is complete and empty.", what, where)
}

// updateSummary says what an incremental run changed.
func updateSummary(w io.Writer, prune bool, m *exportformat.Manifest, unchecked bool) {
	inc := m.Incremental
	if inc == nil {
		return
	}
	where := "moved under " + export.RemovedDir + "/"
	if prune {
		where = "deleted"
	}
	switch {
	case unchecked:
		fmt.Fprintf(w, "Updated: %s written again or new; what is gone was not checked (see the warning).\n", items(inc.Updated))
	case inc.Updated == 0 && inc.Removed == 0 && len(m.Failed) == 0:
		fmt.Fprintln(w, "Nothing changed since the last run.")
	case inc.Removed == 0:
		fmt.Fprintf(w, "Updated: %s written again or new.\n", items(inc.Updated))
	default:
		fmt.Fprintf(w, "Updated: %s written again or new; %d gone from the query (%s, listed in the manifest's \"removed\").\n", items(inc.Updated), inc.Removed, where)
	}
}

func items(n int64) string {
	if n == 1 {
		return "1 item"
	}
	return fmt.Sprintf("%d items", n)
}

// auditLine is one line of the profile's audit trail: what was exported,
// from where, to where, how it ended. No content, no tokens.
type auditLine struct {
	Time     time.Time        `json:"time"`
	Profile  string           `json:"profile"`
	Site     string           `json:"site"`
	Product  string           `json:"product"`
	Query    string           `json:"query"`
	Out      string           `json:"out"`
	Complete bool             `json:"complete"`
	Counts   map[string]int64 `json:"counts,omitempty"`
	Seconds  float64          `json:"durationSeconds"`
	ExitCode int              `json:"exitCode"`
	Error    string           `json:"error,omitempty"`
	Repair   bool             `json:"repair,omitempty"`
}

// audited appends the line of a run to the profile's audit trail, with
// the exit code its error maps to, and returns the error. A run that
// stopped before its export began (no record) leaves no line.
func audited(rec *Record, runErr error) error {
	if rec == nil {
		return runErr
	}
	code, _ := cmdutil.ExitCode(runErr)
	rec.write(runErr, code)
	if rec.summary != nil {
		_ = cmdutil.WriteJSON(rec.summary, rec.jsonSummary(runErr, code))
	}
	return runErr
}

// write appends the record's line to the audit trail; failing to is no
// reason to fail the export.
func (r *Record) write(runErr error, exitCode int) {
	abs, err := filepath.Abs(r.opts.Out)
	if err != nil || r.opts.Out == "-" {
		abs = r.opts.Out
	}
	line := auditLine{
		Time: time.Now().UTC(), Profile: r.cfg.Profile, Site: r.opts.Site.URL, Product: r.opts.Product, Query: r.opts.Query, Out: abs,
		Seconds: time.Since(r.started).Round(time.Millisecond).Seconds(), ExitCode: exitCode, Repair: r.repair,
	}
	if r.manifest != nil {
		line.Complete, line.Counts = r.manifest.Complete, r.manifest.Counts
	}
	if runErr != nil {
		line.Error = runErr.Error()
	}
	b, err := json.Marshal(line)
	if err != nil {
		return
	}
	if err := os.MkdirAll(r.cfg.ProfileDir(), 0o700); err != nil {
		return
	}
	fh, err := os.OpenFile(filepath.Join(r.cfg.ProfileDir(), "audit.jsonl"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	_, _ = fh.Write(append(b, '\n'))
	_ = fh.Close()
}
