package exportcmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/confluence"
	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/internal/tokenstore"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// ConfluenceOptions are `aumo export confluence`'s.
type ConfluenceOptions struct {
	Options
	CQL             string
	IncludeArchived bool
}

// NewCmdConfluence returns `aumo export confluence`. runF replaces the run
// in tests; it gets the options once every flag is checked.
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
		// Arguments are refused by validate, which says where they go.
		Args: cobra.ArbitraryArgs,
		RunE: cmdutil.RunE(opts, opts.validate, runF, runConfluenceAudited),
	}
	cmd.Flags().StringVar(&opts.CQL, "cql", "", "the CQL query (e.g. 'space = ENG')")
	cmd.Flags().BoolVar(&opts.IncludeArchived, "include-archived", false, "search archived spaces too")
	addCommonFlags(cmd, &opts.Options)
	return cmd
}

// validate checks the query and every flag, as of now.
func (o *ConfluenceOptions) validate(args []string) error {
	if err := cqlFlag.check(o.CQL, o.Out, o.Estimate, args); err != nil {
		return err
	}
	return o.Validate(time.Now())
}

// runConfluenceAudited runs the export and leaves its line in the audit trail.
func runConfluenceAudited(ctx context.Context, opts *ConfluenceOptions) error {
	if opts.Estimate {
		return estimate(ctx, &opts.Options, confluenceExport{opts})
	}
	rec, err := RunConfluence(ctx, opts)
	if rec == nil {
		earlySummary(&opts.Options, "confluence", opts.CQL, err)
	}
	return audited(rec, err)
}

// RunConfluence runs a Confluence export with checked options (see
// Validate).
func RunConfluence(ctx context.Context, opts *ConfluenceOptions) (*Record, error) {
	return run(ctx, &opts.Options, confluenceExport{opts})
}

// confluenceExport is what a Confluence export does its own way.
type confluenceExport struct{ opts *ConfluenceOptions }

func (c confluenceExport) product() atlassian.Product { return atlassian.Confluence }
func (c confluenceExport) query() string              { return c.opts.CQL }
func (c confluenceExport) scopes() []string           { return confluence.Scopes }

func (c confluenceExport) choices() map[string]string {
	return map[string]string{"includeArchived": strconv.FormatBool(c.opts.IncludeArchived)}
}

// list lists every page the query selects (whose titles resolve the links
// of the pages written again to those already there), and the pages whose
// comments or attachments changed in the window, in the export's spaces.
func (c confluenceExport) list(ctx context.Context, client *atlassian.Client, window int, prepared *export.Prepared) (listing, error) {
	all := confluence.New(confluence.Options{Client: client, CQL: c.opts.CQL, IncludeArchived: c.opts.IncludeArchived})
	l, err := all.List(ctx)
	if err != nil {
		return listing{}, err
	}
	if l.Changed, err = all.Changed(ctx, window, spaceKeys(prepared)); err != nil {
		return listing{}, err
	}
	return listing{Listing: l, titles: all.Titles()}, nil
}

func (c confluenceExport) start(ctx context.Context, client *atlassian.Client, site tokenstore.Site, sc scope) (source, int64, error) {
	spaces, folders := sc.repair.Containers()
	src := confluence.New(confluence.Options{
		Client: client, CQL: c.opts.CQL, Window: sc.window, IncludeArchived: c.opts.IncludeArchived,
		KeepAccountIDs: c.opts.KeepAccountIDs, Concurrency: c.opts.Concurrency, SiteURL: site.URL,
		ExtraIDs: sc.extra, Titles: sc.titles,
		OnlyExtraIDs: sc.repair != nil, ExtraSpaces: spaces, ExtraFolders: folders,
	})
	if sc.repair != nil {
		return src, int64(len(sc.extra)), nil // by id: the query is not searched
	}
	estimate, err := src.Check(ctx)
	return src, estimate + int64(len(sc.extra)), err
}

func (c confluenceExport) estimate(ctx context.Context, client *atlassian.Client, window int, o export.EstimateOptions) (export.Estimate, error) {
	src := confluence.New(confluence.Options{Client: client, CQL: c.opts.CQL, Window: window, IncludeArchived: c.opts.IncludeArchived})
	return src.Estimate(ctx, o)
}

func (c confluenceExport) after(w io.Writer, src source, _ int64) {
	if src.Listed() == 0 {
		fmt.Fprintf(w, "The query matched no pages or blog posts (searched as: %s); the export is complete and empty.\n", src.Query())
	}
}

// spaceKeys reads the keys of the spaces the export an update updates
// holds; nil when there are none or too many to name in a query.
func spaceKeys(prepared *export.Prepared) []string {
	const maxKeys = 50
	var keys []string
	all := true
	err := prepared.EachPrevious(exportformat.KindSpace, func(data []byte) error {
		var sp struct {
			Key string `json:"key"`
		}
		// A personal space's key ("~" and an account id) is redacted in
		// the export: search every space then.
		if json.Unmarshal(data, &sp) != nil || sp.Key == "" || strings.HasPrefix(sp.Key, "~") {
			all = false
		}
		keys = append(keys, sp.Key)
		return nil
	})
	if err != nil || !all || len(keys) > maxKeys {
		return nil // search every space rather than miss one
	}
	return keys
}
