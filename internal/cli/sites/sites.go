// Package sites implements `aumo sites`.
package sites

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/aumo-cli/aumo/internal/auth"
	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/config"
	"github.com/aumo-cli/aumo/internal/tokenstore"
)

// Options are the dependencies and flags of `aumo sites`.
type Options struct {
	Factory *cmdutil.Factory
	JSON    bool
}

// NewCmdSites returns `aumo sites` and `aumo sites use`. runF replaces the
// run in tests.
func NewCmdSites(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "sites",
		Short: "List the Atlassian sites the grant reaches; choose the default",
		Long: `List the sites (Atlassian's "accessible resources") the profile's grant
reaches, as Atlassian reports them now, and mark the one aumo works on, with
what chose it: --site, else AUMO_SITE, else the config file's site, else the
default stored at login or by "aumo sites use", else the grant's only site.
The stored list is updated when it changed.`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(opts, nil, runF, Run),
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	cmdutil.AddSiteFlag(cmd, "the site to mark: URL, name or cloudId (env AUMO_SITE)")
	cmd.AddCommand(NewCmdUse(f, nil))
	return cmd
}

// Entry is one site of `aumo sites --json`.
type Entry struct {
	CloudID string   `json:"cloudId"`
	Name    string   `json:"name"`
	URL     string   `json:"url"`
	Scopes  []string `json:"scopes"`
	Default bool     `json:"default"`
	// DefaultFrom says, on the default site, what chose it (flag,
	// environment, file, stored, only).
	DefaultFrom cmdutil.SiteFrom `json:"defaultFrom,omitempty"`
}

// Run lists the sites.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	ts, err := f.TokenSource()
	if err != nil {
		return err
	}
	resources, err := accessibleResources(ctx, ts)
	if err != nil {
		return err
	}
	grant, err := ts.Grant(ctx)
	if err != nil {
		return err
	}
	current := make([]tokenstore.Site, 0, len(resources))
	for _, r := range resources {
		current = append(current, tokenstore.Site{CloudID: r.ID, URL: r.URL, Name: r.Name})
	}
	if !slices.Equal(current, grant.Sites) {
		if err := saveSites(ctx, f, cfg, ts.Store, current); err != nil {
			return err
		}
	}

	// The default among the sites as they are now.
	grant.Sites = current
	entries, chooseErr := markDefault(cfg, grant, resources)
	if chooseErr != nil {
		fmt.Fprintf(f.IO.Messages(), "No default site: %v\n", chooseErr)
	}
	if opts.JSON {
		return cmdutil.WriteJSON(f.IO.Out, entries)
	}
	return printTable(f.IO.Out, entries)
}

// markDefault lists the sites with the one commands work on marked, or
// says why there is none.
func markDefault(cfg *config.Config, grant *tokenstore.Grant, resources []auth.Resource) ([]Entry, error) {
	chosen, from, err := cmdutil.ChooseSite(cfg, grant)
	entries := make([]Entry, 0, len(resources))
	for _, r := range resources {
		e := Entry{CloudID: r.ID, Name: r.Name, URL: r.URL, Scopes: r.Scopes}
		if err == nil && r.ID == chosen.CloudID {
			e.Default, e.DefaultFrom = true, from
		}
		entries = append(entries, e)
	}
	return entries, err
}

func printTable(w io.Writer, entries []Entry) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tURL\tCLOUD ID\tDEFAULT")
	for _, e := range entries {
		def := ""
		if e.Default {
			def = "yes (" + e.DefaultFrom.Name() + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Name, e.URL, e.CloudID, def)
	}
	return tw.Flush()
}

// accessibleResources lists the grant's sites; when the API refuses an
// access token that looked valid (revoked at Atlassian, a clock off), it
// refreshes once and asks again.
func accessibleResources(ctx context.Context, ts *auth.TokenSource) ([]auth.Resource, error) {
	for attempt := 0; ; attempt++ {
		token, err := ts.AccessToken(ctx)
		if err != nil {
			return nil, err
		}
		resources, err := ts.Client.AccessibleResources(ctx, token)
		var apiErr *auth.APIError
		if attempt == 0 && errors.As(err, &apiErr) && apiErr.TokenRejected() {
			ts.Reject(token)
			continue
		}
		return resources, err
	}
}

// saveSites records the current site list, and forgets the stored
// default when its site is gone from it.
func saveSites(ctx context.Context, f *cmdutil.Factory, cfg *config.Config, store tokenstore.Store, sites []tokenstore.Site) error {
	return updateGrant(ctx, f, cfg, store, func(g *tokenstore.Grant) error {
		g.Sites = sites
		if _, ok := g.DefaultSite(); !ok {
			g.Site = ""
		}
		return nil
	})
}

// updateGrant changes the stored grant with change. It re-reads the grant
// under the profile's lock so that it never writes back tokens another
// process has rotated meanwhile, and writes nothing when change fails.
func updateGrant(ctx context.Context, f *cmdutil.Factory, cfg *config.Config, store tokenstore.Store, change func(*tokenstore.Grant) error) error {
	return tokenstore.WithLock(ctx, cfg.StateDir, cfg.Profile, f.LockWaiting(cfg.Profile), func() error {
		g, err := store.Load(ctx, cfg.Profile)
		if errors.Is(err, tokenstore.ErrNotFound) {
			return auth.ErrNotLoggedIn // revoked meanwhile: write nothing
		}
		if err != nil {
			return err
		}
		if err := change(g); err != nil {
			return err
		}
		return store.Save(context.WithoutCancel(ctx), cfg.Profile, g)
	})
}
