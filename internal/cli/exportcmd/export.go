// Package export implements `aumo export jira` (and, later, confluence).
package export

import (
	"filippo.io/age"

	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/auth"
	"github.com/aumo-cli/aumo/internal/buildinfo"
	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/config"
	"github.com/aumo-cli/aumo/internal/confluence"
	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/internal/jira"
	"github.com/aumo-cli/aumo/internal/progress"
	"github.com/aumo-cli/aumo/internal/sink"
	"github.com/aumo-cli/aumo/internal/tokenstore"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// Options are the flags both exports share, and the dependencies.
type Options struct {
	Factory           *cmdutil.Factory
	Out               string
	NoAttachments     bool
	MaxAttachmentSize string
	Concurrency       int
	KeepAccountIDs    bool
	NoProgress        bool
	Formats           []string
	EncryptTo         []string
	EncryptPassphrase bool
	Since             string
	Incremental       bool
	Prune             bool
}

// JiraOptions are `aumo export jira`'s.
type JiraOptions struct {
	Options
	JQL    string
	Fields []string
}

// NewCmdExport returns `aumo export`.
func NewCmdExport(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export <product>",
		Short: "Export Jira issues or Confluence pages to a directory or a tarball",
		Long: `Export what a query selects, completely, to a directory or a tarball in aumo's
export format v1: lossless JSON per item, its attachments, an index with
sha256 of every file, and a manifest. A directory export that is interrupted
resumes when the same command runs again; "aumo verify" checks any export.

A directory export can be kept current: the same command with --incremental
writes again only what changed since its last run (and what newly matches
the query), and moves what the query no longer selects under removed/ (or
deletes it, with --prune). Unchanged attachments are not downloaded again.
An interrupted update leaves the previous export intact; the next run
completes it. Tarballs and standard output take --since TIME instead, and
may be encrypted with age (--encrypt-to, --encrypt-passphrase); directory
exports are never encrypted.`,
	}
	cmd.AddCommand(NewCmdJira(f, nil), NewCmdConfluence(f, nil))
	return cmd
}

func addCommonFlags(cmd *cobra.Command, o *Options) {
	fl := cmd.Flags()
	fl.StringVarP(&o.Out, "out", "o", "", "where to write: a directory, a file ending .tar, .tar.gz/.tgz or .tar.zst, or - (a tar stream on standard output)")
	fl.String("site", "", "the site: URL, name or cloudId (default: the one chosen at login; env AUMO_SITE)")
	fl.BoolVar(&o.NoAttachments, "no-attachments", false, "leave attachments out (listed as skipped)")
	fl.StringVar(&o.MaxAttachmentSize, "max-attachment-size", "", "leave out attachments larger than `SIZE` (e.g. 100MB; listed as skipped)")
	fl.IntVar(&o.Concurrency, "concurrency", export.DefaultConcurrency, "requests and writes in flight at once (aumo slows down by itself on rate limits)")
	fl.BoolVar(&o.KeepAccountIDs, "keep-account-ids", false, "keep Atlassian account ids in the export (default: removed; names and emails stay)")
	fl.BoolVar(&o.NoProgress, "no-progress", false, "no progress line")
	fl.StringVar(&o.Since, "since", "", "export only what changed since `TIME` (2026-11-01, \"2026-11-01 09:00\", RFC 3339, or an age: 90m, 36h, 7d); searched as a relative window with a 5-minute margin")
	fl.BoolVar(&o.Incremental, "incremental", false, "update the directory export in --out with what changed since its last run: changed and new items are written again, and items the query no longer selects move under removed/ (into an empty --out: a full export)")
	fl.BoolVar(&o.Prune, "prune", false, "with --incremental: delete what is gone rather than moving it under removed/")
	fl.StringArrayVar(&o.EncryptTo, "encrypt-to", nil, "encrypt the tarball or standard output with age for `RECIPIENT` (age1…, an SSH public key, or a file of them; repeatable). The name must end in .age; directory exports are never encrypted")
	fl.BoolVar(&o.EncryptPassphrase, "encrypt-passphrase", false, "encrypt the tarball or standard output with the passphrase in $AUMO_EXPORT_PASSPHRASE (age scrypt)")
	fl.StringSliceVar(&o.Formats, "format", []string{"json", "md"}, "what to write of each item: json (lossless, as the API gives it), md (readable Markdown), or both")
	_ = cmd.MarkFlagRequired("out")
}

// NewCmdJira returns `aumo export jira`. runF replaces the run in tests.
func NewCmdJira(f *cmdutil.Factory, runF func(context.Context, *JiraOptions) error) *cobra.Command {
	opts := &JiraOptions{Options: Options{Factory: f}}
	cmd := &cobra.Command{
		Use:   "jira --jql QUERY --out PATH",
		Short: "Export the Jira issues a JQL query selects",
		Long: `Export the Jira issues a JQL query selects: every field (rendered too), every
comment, worklog and changelog entry, and every attachment. Field names and
schemas are written once, to fields.json.

aumo asks Jira for the issue ids in large pages and fetches the issues a
hundred at a time, so an export costs about one request per hundred issues
plus one per attachment. Account ids are removed unless --keep-account-ids.

The query must be bounded (e.g. "project = ABC"); Jira refuses "order by key"
alone.

With --incremental, a directory export is brought up to date: only issues
updated since its last run, or new to the query, are fetched again, and the
ids-only listing finds those gone (see "aumo export --help").`,
		Example: `  aumo export jira --jql 'project = ABC' --out abc
  aumo export jira --jql 'project = ABC' --out abc --incremental   # nightly
  aumo export jira --jql 'project = ABC AND updated >= -30d' --out abc.tar.zst
  aumo export jira --jql 'project = ABC' --out - | tar -t`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.JQL == "" {
				return cmdutil.Usagef("--jql is required (e.g. --jql 'project = ABC')")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunJira(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.JQL, "jql", "", "the JQL query (bounded, e.g. 'project = ABC')")
	cmd.Flags().StringSliceVar(&opts.Fields, "fields", []string{"*all"}, "issue fields to export (Jira's syntax: *all, *navigable, names, -name)")
	addCommonFlags(cmd, &opts.Options)
	return cmd
}

// ConfluenceOptions are `aumo export confluence`'s.
type ConfluenceOptions struct {
	Options
	CQL             string
	IncludeArchived bool
}

// NewCmdConfluence returns `aumo export confluence`. runF replaces the run
// in tests.
func NewCmdConfluence(f *cmdutil.Factory, runF func(context.Context, *ConfluenceOptions) error) *cobra.Command {
	opts := &ConfluenceOptions{Options: Options{Factory: f}}
	cmd := &cobra.Command{
		Use:   "confluence --cql QUERY --out PATH",
		Short: "Export the Confluence pages and blog posts a CQL query selects",
		Long: `Export the Confluence pages and blog posts a CQL query selects: both body
formats (storage XHTML and ADF), every label, every footer and inline comment
with its replies, every attachment, and the spaces and folders they live in.
Each page also gets a readable page.md.

A query that names no content type gets "type in (page, blogpost)" added;
hits of other types (comments, attachments) are listed as skipped, since
they are exported with their pages. Archived spaces are searched only with
--include-archived, as in Confluence's own search.

aumo lists the pages with the search, fetches their bodies a hundred at a
time, and finds a batch's comments and attachments with one more search, so
only pages with comments cost requests of their own. Account ids are removed
unless --keep-account-ids: people are named instead.

With --incremental, a page or blog post is written again when it changed,
and also when a comment or attachment of it was added or changed (which
Confluence does not count as a change of the page).`,
		Example: `  aumo export confluence --cql 'space = ENG' --out eng
  aumo export confluence --cql 'space = ENG' --out eng --incremental   # nightly
  aumo export confluence --cql 'ancestor = 12345' --out runbooks.tar.zst
  aumo export confluence --cql 'label = runbook and lastmodified >= "2026-01-01"' --out -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if strings.TrimSpace(opts.CQL) == "" {
				return cmdutil.Usagef("--cql is required (e.g. --cql 'space = ENG')")
			}
			if runF != nil {
				return runF(cmd.Context(), opts)
			}
			return RunConfluence(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.CQL, "cql", "", "the CQL query (e.g. 'space = ENG')")
	cmd.Flags().BoolVar(&opts.IncludeArchived, "include-archived", false, "search archived spaces too")
	addCommonFlags(cmd, &opts.Options)
	return cmd
}

// maxConcurrency bounds --concurrency: more only meets the burst limits.
const maxConcurrency = 16

// jiraScopes are what a Jira export cannot do without.
var jiraScopes = []string{"read:jira-work", "read:jira-user"}

// RunJira runs a Jira export.
func RunJira(ctx context.Context, opts *JiraOptions) error {
	var plan *jira.Plan
	return run(ctx, &opts.Options, runSpec{
		product: atlassian.Jira, query: opts.JQL, scopes: jiraScopes,
		choices: map[string]string{"fields": strings.Join(opts.Fields, ",")},
		start: func(ctx context.Context, client *atlassian.Client, _ tokenstore.Site, window int, upd *export.Update) (int64, export.Plan, error) {
			var extra []string
			if upd != nil {
				extra = upd.Extra
			}
			jql := opts.JQL
			if window > 0 {
				jql = narrow(jql, "updated >= -"+windowAge(window))
			}
			plan = jira.New(jira.Options{Client: client, JQL: jql, Fields: opts.Fields, KeepAccountIDs: opts.KeepAccountIDs, Concurrency: opts.Concurrency, ExtraIDs: extra})
			if upd != nil {
				// The listing's count checked the query already; the
				// window's size is not worth a request of its own.
				return -1, &export.JiraPlan{Plan: plan, Client: client}, nil
			}
			estimate, err := plan.Check(ctx)
			return estimate, &export.JiraPlan{Plan: plan, Client: client}, err
		},
		list: func(ctx context.Context, client *atlassian.Client) (map[string]bool, int64, error) {
			all := jira.New(jira.Options{Client: client, JQL: opts.JQL})
			estimate, err := all.Check(ctx)
			if err != nil {
				return nil, 0, err
			}
			ids, err := all.IDs(ctx)
			return ids, estimate, err
		},
		queryError: func(err error) bool { var q *jira.QueryError; return errors.As(err, &q) },
		after: func(w io.Writer, estimate int64) {
			// Jira's search is known to end early on huge queries without
			// an error; its own estimate is the only cross-check there is.
			if listed := plan.Listed(); estimate > 0 && listed < estimate*9/10 {
				fmt.Fprintf(w, "warning: Jira's search listed %d issues where it estimated %d; if issues are missing, split the query by date (e.g. add \"AND updated >= -90d\") and export the parts\n", listed, estimate)
			}
		},
	})
}

// RunConfluence runs a Confluence export.
func RunConfluence(ctx context.Context, opts *ConfluenceOptions) error {
	// all lists every page of an incremental run: its titles resolve the
	// links of the pages written again to those already there.
	var plan, all *confluence.Plan
	return run(ctx, &opts.Options, runSpec{
		product: atlassian.Confluence, query: opts.CQL, scopes: confluence.Scopes,
		choices: map[string]string{"includeArchived": strconv.FormatBool(opts.IncludeArchived)},
		start: func(ctx context.Context, client *atlassian.Client, site tokenstore.Site, window int, upd *export.Update) (int64, export.Plan, error) {
			var extra []string
			if upd != nil {
				extra = upd.Extra
			}
			cql := opts.CQL
			if window > 0 {
				cql = narrow(cql, `lastmodified >= now("-`+windowAge(window)+`")`)
			}
			o := confluence.Options{
				Client: client, CQL: cql, IncludeArchived: opts.IncludeArchived,
				KeepAccountIDs: opts.KeepAccountIDs, Concurrency: opts.Concurrency, SiteURL: site.URL,
				ExtraIDs: extra,
			}
			if all != nil {
				o.Titles = all.Titles()
			}
			plan = confluence.New(o)
			estimate, err := plan.Check(ctx)
			return estimate + int64(len(extra)), &export.ConfluencePlan{Plan: plan, Client: client}, err
		},
		list: func(ctx context.Context, client *atlassian.Client) (map[string]bool, int64, error) {
			all = confluence.New(confluence.Options{Client: client, CQL: opts.CQL, IncludeArchived: opts.IncludeArchived})
			return all.IDs(ctx)
		},
		changed: func(ctx context.Context, client *atlassian.Client, window int, prepared *export.Prepared) (map[string]bool, error) {
			keys := spaceKeys(prepared.PreviousFiles(exportformat.KindSpace))
			return confluence.New(confluence.Options{Client: client, IncludeArchived: opts.IncludeArchived}).ChangedContainers(ctx, window, keys)
		},
		queryError: func(err error) bool { var q *confluence.QueryError; return errors.As(err, &q) },
		after: func(w io.Writer, _ int64) {
			if plan.Listed() == 0 {
				fmt.Fprintf(w, "The query matched no pages or blog posts (searched as: %s); the export is complete and empty.\n", plan.CQL())
			}
		},
	})
}

// runSpec is what differs between the products' exports.
type runSpec struct {
	product atlassian.Product
	query   string
	scopes  []string
	choices map[string]string
	// start makes the plan and checks the query with the API; it returns
	// the API's estimate of the items.
	// window, when positive, narrows the query to the last window minutes
	// (--since).
	// upd, for an incremental run, names the items to export besides
	// the window's. The estimate may be -1: unknown.
	start      func(ctx context.Context, client *atlassian.Client, site tokenstore.Site, window int, upd *export.Update) (int64, export.Plan, error)
	queryError func(error) bool
	// list lists the ids of every item the query selects, for an
	// incremental run to compare with the export it updates, and the
	// API's count of them.
	list func(ctx context.Context, client *atlassian.Client) (map[string]bool, int64, error)
	// changed, when set, lists the items whose parts (comments,
	// attachments) changed in the window without changing the item.
	changed func(ctx context.Context, client *atlassian.Client, window int, prepared *export.Prepared) (map[string]bool, error)
	// after says what the run's numbers call for.
	after func(w io.Writer, estimate int64)
}

// run runs an export.
func run(ctx context.Context, opts *Options, spec runSpec) (runErr error) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(export.MemoryLimit)
	}
	f := opts.Factory
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	maxSize, err := maxAttachmentSize(opts.MaxAttachmentSize)
	if err != nil {
		return err
	}
	if opts.Concurrency < 1 || opts.Concurrency > maxConcurrency {
		return cmdutil.Usagef("--concurrency %d: use 1 to %d (aumo slows down by itself when Atlassian asks)", opts.Concurrency, maxConcurrency)
	}
	noJSON, noMarkdown, err := formats(opts.Formats)
	if err != nil {
		return err
	}
	recipients, err := encryption(opts)
	if err != nil {
		return err
	}
	switch kind := sink.KindOf(opts.Out); {
	case opts.Prune && !opts.Incremental:
		return cmdutil.Usagef("--prune goes with --incremental")
	case opts.Incremental && opts.Since != "":
		return cmdutil.Usagef("--incremental takes its window from the previous run: leave out --since")
	case opts.Incremental && kind != sink.KindDir:
		return cmdutil.Usagef("--incremental updates a directory export in place; a tarball or standard output export takes --since TIME instead")
	}
	window := 0
	if opts.Since != "" {
		now := time.Now()
		since, err := parseSince(opts.Since, now)
		if err != nil {
			return err
		}
		if since.After(now) {
			return cmdutil.Usagef("--since %s is in the future", opts.Since)
		}
		window = sinceMinutes(since, now)
		spec.choices["since"] = opts.Since
		fmt.Fprintf(f.IO.Messages(), "Exporting what changed since %s (the last %d minutes, with a margin of %s).\n", since.Local().Format("2006-01-02 15:04 MST"), window, sinceMargin)
	}
	ts, err := f.TokenSource()
	if err != nil {
		return err
	}
	grant, err := ts.Grant(ctx)
	if err != nil {
		return err
	}
	site, err := exportSite(grant, cfg.Site)
	if err != nil {
		return err
	}
	if missing := auth.MissingScopes(grant.Scope, spec.scopes); len(missing) > 0 {
		return &auth.MissingScopesError{Scopes: scopeNames(missing)}
	}

	eopts := export.Options{
		Out: opts.Out, Product: string(spec.product), Query: spec.query,
		Site:      exportformat.Site{CloudID: site.CloudID, URL: site.URL, Name: site.Name},
		Redaction: redaction(opts.KeepAccountIDs), Tool: exportformat.Tool{Name: "aumo", Version: buildinfo.Version},
		Choices:     spec.choices,
		Concurrency: opts.Concurrency, NoAttachments: opts.NoAttachments, MaxAttachmentSize: maxSize,
		NoJSON: noJSON, NoMarkdown: noMarkdown, Recipients: recipients,
		Incremental: opts.Incremental, Prune: opts.Prune,
		Stdout: f.IO.Out, StdoutIsTerminal: f.IO.IsStdoutTTY(),
	}
	// Every export from here on leaves an audit line, with its exit code
	// once that is known, refused or not.
	var (
		m     *exportformat.Manifest
		ended error
	)
	start := time.Now()
	f.Audit = func(exitCode int) { writeAudit(cfg, eopts, m, ended, time.Since(start), exitCode) }
	defer func() { ended = runErr }()
	// Nothing is written and no API is called before --out is known good.
	updating, err := export.Check(eopts)
	if err != nil {
		return err
	}

	var bar *progress.Bar
	client, err := atlassian.New(atlassian.Options{
		APIURL: cfg.APIURL, Product: spec.product, CloudID: site.CloudID, SiteURL: site.URL,
		Tokens: ts, HTTPClient: f.HTTPClient(), Logger: f.Logger,
		Concurrency: opts.Concurrency, MaxConcurrency: opts.Concurrency,
		OnPause: func(until time.Time, reason string) {
			if bar != nil {
				bar.Paused(until)
				return
			}
			fmt.Fprintf(f.IO.Messages(), "Atlassian's rate-limit quota is used up (%s); waiting until %s\n", reason, until.Local().Format(time.TimeOnly))
		},
	})
	if err != nil {
		return err
	}
	eopts.Cost = func() (int64, int64) { st := client.Stats(); return st.Requests, st.Points }
	var (
		prepared *export.Prepared
		upd      *export.Update
	)
	if updating {
		if prepared, err = export.Prepare(eopts); err != nil {
			return err
		}
		defer func() {
			if runErr != nil && m == nil {
				_ = prepared.Close()
				switch {
				case errors.Is(runErr, export.ErrFinishUpdate):
					fmt.Fprintf(f.IO.ErrOut, "The update stopped while it moved aside what is gone from the query; run the same command again to complete it (until then, aumo verify may find files out of place in %s).\n", opts.Out)
				case !spec.queryError(runErr):
					fmt.Fprintf(f.IO.ErrOut, "The update stopped before its end: the export in %s is still whole; run the same command again to finish the update.\n", opts.Out)
				}
			}
		}()
		if upd, err = updateWindow(ctx, f.IO.Messages(), opts.Out, client, prepared, spec); err != nil {
			return err
		}
		window = upd.Window
		switch {
		case upd.ShortListing && upd.Listed == 0:
			fmt.Fprintf(f.IO.ErrOut, "warning: the search listed nothing, and %s holds items; nothing is removed from it this run (if the query should select nothing now, export it afresh)\n", opts.Out)
		case upd.ShortListing:
			fmt.Fprintf(f.IO.ErrOut, "warning: the search listed %d items where it counts %d; nothing is removed from %s this run (a search that ends early must not empty a mirror)\n", upd.Listed, upd.Estimate, opts.Out)
		}
	}
	estimate, plan, err := spec.start(ctx, client, site, window, upd)
	if err != nil {
		return err
	}
	if prepared == nil {
		if prepared, err = export.Prepare(eopts); err != nil {
			return err
		}
	}
	if resuming, _ := prepared.Resuming(); !resuming && !updating && opts.Incremental {
		fmt.Fprintf(f.IO.Messages(), "No export in %s yet: exporting everything (the next --incremental run updates it).\n", opts.Out)
	}
	if resuming, done := prepared.Resuming(); resuming {
		fmt.Fprintf(f.IO.Messages(), "Resuming the export in %s (%d items already there)\n", opts.Out, done)
	}
	if f.IO.IsStderrTTY() && !opts.NoProgress && !f.IO.Quiet {
		bar = progress.New(f.IO.ErrOut, estimate, func() int64 { return client.Stats().Points })
		prepared.SetProgress(bar)
	}
	m, err = prepared.Run(ctx, plan)
	bar.Finish()
	var partial *export.PartialError
	if err != nil && !errors.As(err, &partial) {
		if !updating && sink.KindOf(opts.Out) == "dir" && !spec.queryError(err) {
			fmt.Fprintf(f.IO.ErrOut, "The export in %s is unfinished; run the same command again to resume it.\n", opts.Out)
		}
		return err
	}
	summary(f.IO.Messages(), opts.Out, m, time.Since(start))
	for _, w := range prepared.Warnings {
		fmt.Fprintln(f.IO.ErrOut, "warning: "+w)
	}
	if updating {
		updateSummary(f.IO.Messages(), opts.Prune && !prepared.PruneLimited, m, upd.ShortListing)
	} else {
		spec.after(f.IO.ErrOut, estimate)
	}
	return err
}

// updateWindow prepares an incremental run: the window since the previous
// run, the items to export besides the window's, and what the query
// selects now, for the removals.
func updateWindow(ctx context.Context, msgs io.Writer, out string, client *atlassian.Client, prepared *export.Prepared, spec runSpec) (*export.Update, error) {
	since, _ := prepared.Updating()
	if prepared.UpdateResumed() {
		fmt.Fprintf(msgs, "Completing the update of %s begun earlier, with what changed since %s.\n", out, since.Local().Format("2006-01-02 15:04 MST"))
	} else {
		fmt.Fprintf(msgs, "Updating the export in %s with what changed since %s (its last run's start, less %s).\n",
			out, since.Local().Format("2006-01-02 15:04 MST"), export.UpdateMargin)
	}
	list := func(ctx context.Context) (map[string]bool, int64, error) { return spec.list(ctx, client) }
	var changed func(context.Context, int) (map[string]bool, error)
	if spec.changed != nil {
		changed = func(ctx context.Context, window int) (map[string]bool, error) {
			return spec.changed(ctx, client, window, prepared)
		}
	}
	return prepared.PlanUpdate(ctx, time.Now(), list, changed)
}

// spaceKeys reads the keys of the spaces an export holds, from their
// files; nil when there are none or too many to name in a query.
func spaceKeys(files []string) []string {
	const maxKeys = 50
	if len(files) > maxKeys {
		return nil
	}
	var keys []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil // search every space rather than miss one
		}
		var sp struct {
			Key string `json:"key"`
		}
		// A personal space's key ("~" and an account id) is redacted in
		// the export: search every space then.
		if json.Unmarshal(b, &sp) != nil || sp.Key == "" || strings.HasPrefix(sp.Key, "~") {
			return nil
		}
		keys = append(keys, sp.Key)
	}
	return keys
}

// encryption reads --encrypt-to and --encrypt-passphrase, and checks that
// they fit --out: only tarballs (named .age) and standard output are
// encrypted.
func encryption(opts *Options) ([]age.Recipient, error) {
	encrypt := len(opts.EncryptTo) > 0 || opts.EncryptPassphrase
	kind := sink.KindOf(opts.Out)
	switch {
	case !encrypt && sink.Encrypted(opts.Out):
		return nil, cmdutil.Usagef("--out %s ends in .age: add --encrypt-to RECIPIENT or --encrypt-passphrase", opts.Out)
	case !encrypt:
		return nil, nil
	case kind == sink.KindDir:
		return nil, cmdutil.Usagef("directory exports are never encrypted (they are mirrors to read and resume); write a tarball such as --out %s.tar.zst.age, or to standard output", strings.TrimSuffix(opts.Out, "/"))
	case kind != sink.KindStdout && !sink.Encrypted(opts.Out):
		return nil, cmdutil.Usagef("an encrypted export's name ends in .age: --out %s.age", opts.Out)
	case len(opts.EncryptTo) > 0 && opts.EncryptPassphrase:
		return nil, cmdutil.Usagef("--encrypt-to and --encrypt-passphrase cannot be combined (age encrypts to a passphrase alone)")
	case opts.EncryptPassphrase:
		pass, ok := cmdutil.ExportPassphrase()
		if !ok {
			return nil, cmdutil.Usagef("--encrypt-passphrase: set %s (environment only)", cmdutil.ExportPassphraseEnv)
		}
		r, err := age.NewScryptRecipient(pass)
		if err != nil {
			return nil, err
		}
		return []age.Recipient{r}, nil
	}
	return cmdutil.ParseRecipients(opts.EncryptTo)
}

// formats reads --format: json, md, or both (the default).
func formats(list []string) (noJSON, noMarkdown bool, err error) {
	if len(list) == 0 {
		return false, false, nil
	}
	var json, md bool
	for _, f := range list {
		switch strings.ToLower(strings.TrimSpace(f)) {
		case "json":
			json = true
		case "md", "markdown":
			md = true
		default:
			return false, false, cmdutil.Usagef("--format %q: use json, md, or json,md", f)
		}
	}
	return !json, !md, nil
}

func maxAttachmentSize(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := cmdutil.ParseSize(s)
	if err != nil {
		return 0, cmdutil.Usagef("--max-attachment-size: %v", err)
	}
	return n, nil
}

func redaction(keep bool) string {
	if keep {
		return exportformat.RedactionNone
	}
	return exportformat.RedactionAccountIDs
}

func scopeNames(ms []auth.MissingScope) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Scope)
	}
	return out
}

// exportSite picks the site to export from: --site/AUMO_SITE, else the one
// chosen at login, else the only one.
func exportSite(g *tokenstore.Grant, want string) (tokenstore.Site, error) {
	if want != "" {
		if s, ok := tokenstore.FindSite(g.Sites, want); ok {
			return s, nil
		}
		return tokenstore.Site{}, cmdutil.Usagef("no site of the grant matches %q (`aumo sites` lists them)", want)
	}
	if s, ok := g.DefaultSite(); ok {
		return s, nil
	}
	if len(g.Sites) == 1 {
		return g.Sites[0], nil
	}
	var names []string
	for _, s := range g.Sites {
		names = append(names, s.Name)
	}
	return tokenstore.Site{}, cmdutil.Usagef("the grant reaches %d sites (%s): choose one with --site or AUMO_SITE", len(g.Sites), strings.Join(names, ", "))
}

func summary(w io.Writer, out string, m *exportformat.Manifest, took time.Duration) {
	if m == nil {
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
			where, took.Round(time.Second), strings.Join(parts, ", "), progress.HumanBytes(m.Counts["bytes"]), m.Requests, m.Points)
	} else {
		fmt.Fprintf(w, "Exported %s (%s) to %s in %s; %d requests, %d rate-limit points.\n",
			strings.Join(parts, ", "), progress.HumanBytes(m.Counts["bytes"]), where, took.Round(time.Second), m.Requests, m.Points)
	}
	if len(m.Skipped) > 0 {
		fmt.Fprintf(w, "Skipped by design: %d (listed in the manifest's \"skipped\").\n", len(m.Skipped))
	}
	if len(m.Failed) > 0 {
		fmt.Fprintf(w, "Failed after every retry: %d (listed in the manifest's \"failed\"); run the same command again to retry them.\n", len(m.Failed))
	}
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
}

func writeAudit(cfg *config.Config, eopts export.Options, m *exportformat.Manifest, runErr error, took time.Duration, exitCode int) {
	abs, err := filepath.Abs(eopts.Out)
	if err != nil || eopts.Out == "-" {
		abs = eopts.Out
	}
	line := auditLine{
		Time: time.Now().UTC(), Profile: cfg.Profile, Site: eopts.Site.URL, Product: eopts.Product, Query: eopts.Query, Out: abs,
		Seconds: took.Round(time.Millisecond).Seconds(), ExitCode: exitCode,
	}
	if m != nil {
		line.Complete, line.Counts = m.Complete, m.Counts
	}
	if runErr != nil {
		line.Error = runErr.Error()
	}
	b, err := json.Marshal(line)
	if err != nil {
		return
	}
	if err := os.MkdirAll(cfg.ProfileDir(), 0o700); err != nil {
		return
	}
	fh, err := os.OpenFile(filepath.Join(cfg.ProfileDir(), "audit.jsonl"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return
	}
	_, _ = fh.Write(append(b, '\n'))
	_ = fh.Close()
}
