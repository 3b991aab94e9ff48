package cmdutil

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aumo-cli/aumo/internal/config"
	"github.com/aumo-cli/aumo/internal/tokenstore"
)

// SiteFrom says what chose the site a command works on.
type SiteFrom string

// What can choose the site, in the order ChooseSite consults them.
const (
	SiteFromFlag   SiteFrom = "flag"        // --site
	SiteFromEnv    SiteFrom = "environment" // AUMO_SITE
	SiteFromFile   SiteFrom = "file"        // the config file's site
	SiteFromStored SiteFrom = "stored"      // chosen at login or by `aumo sites use`
	SiteFromOnly   SiteFrom = "only"        // the grant reaches no other
)

// Name is how messages and tables name the choice.
func (s SiteFrom) Name() string {
	switch s {
	case SiteFromFlag:
		return "--site"
	case SiteFromEnv:
		return "AUMO_SITE"
	case SiteFromFile:
		return "config file"
	case SiteFromStored:
		return "stored default"
	case SiteFromOnly:
		return "only site"
	}
	return string(s)
}

// ChooseSite picks the site a command works on, the one rule that export,
// status and sites share: --site, then AUMO_SITE, then the config file's
// site (as cfg resolved them; a name, URL or cloudId), then the default
// stored at login or by `aumo sites use`, then the grant's only site. It
// says what chose it. When nothing does, or the site asked for is not one
// of the grant's, the error (a *UsageError) says so and how to choose.
func ChooseSite(cfg *config.Config, g *tokenstore.Grant) (tokenstore.Site, SiteFrom, error) {
	if cfg.Site != "" {
		from := configuredSiteFrom(cfg.SourceOf("site"))
		if s, ok := tokenstore.FindSite(g.Sites, cfg.Site); ok {
			return s, from, nil
		}
		return tokenstore.Site{}, from, NoSuchSite(cfg.Site, from.Name(), g.Sites)
	}
	if s, ok := g.DefaultSite(); ok {
		return s, SiteFromStored, nil
	}
	switch len(g.Sites) {
	case 0:
		return tokenstore.Site{}, "", Usagef("the grant reaches no site: run `aumo sites` to list them again, or `aumo login`")
	case 1:
		return g.Sites[0], SiteFromOnly, nil
	}
	var names []string
	for _, s := range g.Sites {
		names = append(names, s.Name)
	}
	return tokenstore.Site{}, "", Usagef("the grant reaches %d sites (%s): choose one with --site, AUMO_SITE or `aumo sites use SITE`",
		len(g.Sites), strings.Join(names, ", "))
}

func configuredSiteFrom(s config.Source) SiteFrom {
	switch s {
	case config.SourceFlag:
		return SiteFromFlag
	case config.SourceEnv:
		return SiteFromEnv
	}
	return SiteFromFile
}

// NoSuchSite is the usage error for a site, asked for by what (omitted
// when empty), that none of sites matches: it lists those there are.
func NoSuchSite(want, what string, sites []tokenstore.Site) error {
	if what != "" {
		what = " (" + what + ")"
	}
	names := make([]string, 0, len(sites))
	for _, s := range sites {
		names = append(names, fmt.Sprintf("%s (%s)", s.Name, s.URL))
	}
	return Usagef("no site of the grant matches %q%s; it reaches: %s", want, what, strings.Join(names, ", "))
}

// AddSiteFlag adds --site to cmd, completed with the profile's stored
// sites. Its value is read by config.Load, not bound to the command's
// options: ChooseSite weighs it against AUMO_SITE and the rest.
func AddSiteFlag(cmd *cobra.Command, usage string) {
	cmd.Flags().String("site", "", usage)
	_ = cmd.RegisterFlagCompletionFunc("site", CompleteSites)
}
