package exportcmd

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/internal/jira"
	"github.com/aumo-cli/aumo/internal/tokenstore"
)

// JiraOptions are `aumo export jira`'s.
type JiraOptions struct {
	Options
	JQL    string
	Fields []string
}

// NewCmdJira returns `aumo export jira`. runF replaces the run in tests; it
// gets the options once every flag is checked.
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
		// Arguments are refused by validate, which says where they go.
		Args: cobra.ArbitraryArgs,
		RunE: cmdutil.RunE(opts, opts.validate, runF, runJiraAudited),
	}
	cmd.Flags().StringVar(&opts.JQL, "jql", "", "the JQL query (bounded, e.g. 'project = ABC')")
	cmd.Flags().StringSliceVar(&opts.Fields, "fields", []string{"*all"}, "issue fields to export (Jira's syntax: *all, *navigable, names, -name)")
	addCommonFlags(cmd, &opts.Options)
	return cmd
}

// validate checks the query and every flag, as of now.
func (o *JiraOptions) validate(args []string) error {
	if err := jqlFlag.check(o.JQL, o.Out, o.Estimate, args); err != nil {
		return err
	}
	return o.Validate(time.Now())
}

// runJiraAudited runs the export and leaves its line in the audit trail.
func runJiraAudited(ctx context.Context, opts *JiraOptions) error {
	if opts.Estimate {
		return estimate(ctx, &opts.Options, jiraExport{opts})
	}
	rec, err := RunJira(ctx, opts)
	if rec == nil {
		earlySummary(&opts.Options, "jira", opts.JQL, err)
	}
	return audited(rec, err)
}

// RunJira runs a Jira export with checked options (see Validate).
func RunJira(ctx context.Context, opts *JiraOptions) (*Record, error) {
	return run(ctx, &opts.Options, jiraExport{opts})
}

// jiraExport is what a Jira export does its own way.
type jiraExport struct{ opts *JiraOptions }

func (j jiraExport) product() atlassian.Product { return atlassian.Jira }
func (j jiraExport) query() string              { return j.opts.JQL }
func (j jiraExport) scopes() []string           { return jira.Scopes }

func (j jiraExport) choices() map[string]string {
	return map[string]string{"fields": strings.Join(j.opts.Fields, ",")}
}

func (j jiraExport) list(ctx context.Context, client *atlassian.Client, _ int, _ *export.Prepared) (listing, error) {
	all := jira.New(jira.Options{Client: client, JQL: j.opts.JQL})
	l, err := all.List(ctx)
	return listing{Listing: l, titles: all.Keys()}, err
}

func (j jiraExport) start(ctx context.Context, client *atlassian.Client, site tokenstore.Site, sc scope) (source, int64, error) {
	src := jira.New(jira.Options{
		Client: client, JQL: j.opts.JQL, Window: sc.window, ExtraIDs: sc.extra, Keys: sc.titles, SiteURL: site.URL,
		Fields: j.opts.Fields, KeepAccountIDs: j.opts.KeepAccountIDs, Concurrency: j.opts.Concurrency,
		OnlyExtraIDs: sc.repair != nil,
	})
	if sc.updating || sc.repair != nil {
		// The listing's count checked the query already; the window's
		// size is not worth a request of its own. A repair fetches by id
		// alone.
		return src, -1, nil
	}
	estimate, err := src.Check(ctx)
	return src, estimate, err
}

func (j jiraExport) estimate(ctx context.Context, client *atlassian.Client, window int, o export.EstimateOptions) (export.Estimate, error) {
	src := jira.New(jira.Options{Client: client, JQL: j.opts.JQL, Window: window, Fields: j.opts.Fields})
	return src.Estimate(ctx, o)
}

func (j jiraExport) after(w io.Writer, src source, estimate int64) {
	// Jira's search is known to end early on huge queries without an
	// error; its own estimate is the only cross-check there is.
	if listed := src.Listed(); estimate > 0 && listed < estimate*9/10 {
		fmt.Fprintf(w, "warning: Jira's search listed %d issues where it estimated %d; if issues are missing, split the query by date (e.g. add \"AND updated >= -90d\") and export the parts\n", listed, estimate)
	}
}
