package sites

import (
	"context"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/tokenstore"
)

// UseOptions are the dependencies and arguments of `aumo sites use`.
type UseOptions struct {
	Factory *cmdutil.Factory
	Site    string
}

// NewCmdUse returns `aumo sites use SITE`. runF replaces the run in tests.
func NewCmdUse(f *cmdutil.Factory, runF func(context.Context, *UseOptions) error) *cobra.Command {
	opts := &UseOptions{Factory: f}
	cmd := &cobra.Command{
		Use:   "use SITE",
		Short: "Choose the site aumo works on by default",
		Long: `Store SITE (a name, URL or cloudId of one of the grant's sites, as "aumo
sites" lists them) as the profile's default site, without a new login. It is
checked against the sites stored at login; no network call is made.

--site, AUMO_SITE and the config file's site still go before the stored
default.`,
		Example: `  aumo sites use acme
  aumo sites use https://acme.atlassian.net`,
		Args:              cobra.ExactArgs(1),
		ValidArgsFunction: completeFirstSite,
		RunE:              cmdutil.RunE(opts, opts.validate, runF, RunUse),
	}
	return cmd
}

// validate takes SITE, which must name something.
func (o *UseOptions) validate(args []string) error {
	o.Site = strings.TrimSpace(args[0])
	if o.Site == "" {
		return cmdutil.Usagef("give a site: its name, URL or cloudId (`aumo sites` lists them)")
	}
	return nil
}

// completeFirstSite completes SITE, the only argument.
func completeFirstSite(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
	if len(args) > 0 {
		return nil, cobra.ShellCompDirectiveNoFileComp
	}
	return cmdutil.CompleteSites(cmd, args, toComplete)
}

// RunUse stores the default site.
func RunUse(ctx context.Context, opts *UseOptions) error {
	f := opts.Factory
	cfg, store, err := f.ConfigAndStore()
	if err != nil {
		return err
	}
	var after tokenstore.Grant
	err = updateGrant(ctx, f, cfg, store, func(g *tokenstore.Grant) error {
		s, ok := tokenstore.FindSite(g.Sites, opts.Site)
		if !ok {
			return cmdutil.NoSuchSite(opts.Site, "", g.Sites)
		}
		g.Site = s.CloudID
		after = *g
		return nil
	})
	if err != nil {
		return err
	}
	s, _ := after.DefaultSite()
	fmt.Fprintf(f.IO.Out, "Default site: %s (%s, cloudId %s)\n", s.Name, s.URL, s.CloudID)
	// Say when --site, AUMO_SITE or the config file still goes first.
	if _, from, _ := cmdutil.ChooseSite(cfg, &after); from != cmdutil.SiteFromStored {
		fmt.Fprintf(f.IO.Messages(), "Note: %s (%s) goes before the stored default\n", from.Name(), cfg.Site)
	}
	return nil
}
