// Package sites implements `aumo sites`.
package sites

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/aumo-cli/aumo/internal/auth"
	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/tokenstore"
)

// Options are the dependencies and flags of `aumo sites`.
type Options struct {
	Factory *cmdutil.Factory
	JSON    bool
}

// NewCmdSites returns `aumo sites`. runF replaces the run in tests.
func NewCmdSites(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "sites",
		Short: "List the Atlassian sites the grant reaches",
		Long: `List the sites (Atlassian's "accessible resources") the profile's grant
reaches, as Atlassian reports them now, and mark the one aumo uses by default.
The stored list is updated when it changed.`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(opts, nil, runF, Run),
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return cmd
}

// Entry is one site of `aumo sites --json`.
type Entry struct {
	CloudID string   `json:"cloudId"`
	Name    string   `json:"name"`
	URL     string   `json:"url"`
	Scopes  []string `json:"scopes"`
	Default bool     `json:"default"`
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
	entries := make([]Entry, 0, len(resources))
	var current []tokenstore.Site
	for _, r := range resources {
		entries = append(entries, Entry{CloudID: r.ID, Name: r.Name, URL: r.URL, Scopes: r.Scopes, Default: r.ID == grant.Site})
		current = append(current, tokenstore.Site{CloudID: r.ID, URL: r.URL, Name: r.Name})
	}
	if !slices.Equal(current, grant.Sites) {
		if err := saveSites(ctx, f, ts.Store, cfg.StateDir, cfg.Profile, current); err != nil {
			return err
		}
	}

	if opts.JSON {
		return cmdutil.WriteJSON(f.IO.Out, entries)
	}
	tw := tabwriter.NewWriter(f.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tURL\tCLOUD ID\tDEFAULT")
	for _, e := range entries {
		def := ""
		if e.Default {
			def = "yes"
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

// saveSites records the current site list. It re-reads the grant under the
// profile's lock so that it never writes back tokens another process has
// rotated meanwhile.
func saveSites(ctx context.Context, f *cmdutil.Factory, store tokenstore.Store, stateDir, profile string, sites []tokenstore.Site) error {
	return tokenstore.WithLock(ctx, stateDir, profile, f.LockWaiting(profile), func() error {
		g, err := store.Load(ctx, profile)
		if errors.Is(err, tokenstore.ErrNotFound) {
			return auth.ErrNotLoggedIn // revoked meanwhile: write nothing
		}
		if err != nil {
			return err
		}
		g.Sites = sites
		if _, ok := g.DefaultSite(); !ok {
			g.Site = "" // the chosen site is gone from the grant
		}
		return store.Save(context.WithoutCancel(ctx), profile, g)
	})
}
