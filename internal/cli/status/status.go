// Package status implements `aumo status`.
package status

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aumo-cli/aumo/internal/auth"
	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/config"
	"github.com/aumo-cli/aumo/internal/tokenstore"
)

// Options are the dependencies and flags of `aumo status`.
type Options struct {
	Factory *cmdutil.Factory
	JSON    bool
	Now     func() time.Time
}

// NewCmdStatus returns `aumo status`. runF replaces the run in tests.
func NewCmdStatus(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f, Now: time.Now}
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the profile's login: site, scopes, token expiry, where tokens are kept",
		Long: `Show what aumo holds for the profile: the site commands work on and what chose
it, the granted scopes (and the needed ones missing), when the access token
expires, and where the tokens are stored. It reads only local state and makes
no network call.

The site is the one export uses: --site, else AUMO_SITE, else the config
file's site, else the default stored at login or by "aumo sites use", else
the grant's only site.

Exit status 4 when the profile is not logged in.`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(opts, nil, runF, Run),
	}
	cmd.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	cmdutil.AddSiteFlag(cmd, "the site to show: URL, name or cloudId (env AUMO_SITE)")
	return cmd
}

// Report is `aumo status --json`.
type Report struct {
	Profile  string           `json:"profile"`
	LoggedIn bool             `json:"loggedIn"`
	Site     *tokenstore.Site `json:"site,omitempty"`
	// SiteFrom says what chose Site (flag, environment, file, stored,
	// only); SiteProblem why no site is chosen.
	SiteFrom          cmdutil.SiteFrom  `json:"siteFrom,omitempty"`
	SiteProblem       string            `json:"siteProblem,omitempty"`
	Sites             []tokenstore.Site `json:"sites,omitempty"`
	Scopes            []string          `json:"scopes,omitempty"`
	MissingScopes     []string          `json:"missingScopes,omitempty"`
	TokenType         string            `json:"tokenType,omitempty"`
	AccessTokenExpiry *time.Time        `json:"accessTokenExpiry,omitempty"`
	Store             string            `json:"store"`
	Location          string            `json:"location"`
}

// Run prints the status.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	cfg, store, err := f.ConfigAndStore()
	if err != nil {
		return err
	}
	r := Report{Profile: cfg.Profile, Store: cfg.TokenStore, Location: store.Location(cfg.Profile)}
	g, err := store.Load(ctx, cfg.Profile)
	if errors.Is(err, tokenstore.ErrNotFound) {
		if opts.JSON {
			if err := cmdutil.WriteJSON(f.IO.Out, r); err != nil {
				return err
			}
		} else {
			fmt.Fprintf(f.IO.Out, "Profile %s: not logged in\n", cfg.Profile)
		}
		return auth.ErrNotLoggedIn
	}
	if err != nil {
		return err
	}
	r.fill(cfg, g)
	if opts.JSON {
		return cmdutil.WriteJSON(f.IO.Out, r)
	}
	r.print(f.IO.Out, cfg, opts.Now())
	return nil
}

// fill completes the report of a logged-in profile from its grant.
func (r *Report) fill(cfg *config.Config, g *tokenstore.Grant) {
	r.LoggedIn = true
	r.Sites = g.Sites
	if s, from, err := cmdutil.ChooseSite(cfg, g); err == nil {
		r.Site, r.SiteFrom = &s, from
	} else {
		r.SiteProblem = err.Error()
	}
	r.Scopes = strings.Fields(g.Scope)
	for _, m := range auth.MissingScopes(g.Scope, cfg.Scopes) {
		r.MissingScopes = append(r.MissingScopes, m.Scope)
	}
	r.TokenType = g.TokenType
	exp := g.Expiry
	r.AccessTokenExpiry = &exp
}

// print writes the report of a logged-in profile for people.
func (r *Report) print(w io.Writer, cfg *config.Config, now time.Time) {
	fmt.Fprintf(w, "Profile:  %s (logged in)\n", r.Profile)
	if r.Site != nil {
		fmt.Fprintf(w, "Site:     %s (%s, cloudId %s), from %s\n", r.Site.Name, r.Site.URL, r.Site.CloudID, siteFromText(r.SiteFrom))
	} else {
		fmt.Fprintf(w, "Site:     none chosen: %s\n", r.SiteProblem)
	}
	fmt.Fprintf(w, "Sites:    %d reachable (`aumo sites` lists them)\n", len(r.Sites))
	fmt.Fprintf(w, "Scopes:   %s\n", strings.Join(r.Scopes, " "))
	if len(r.MissingScopes) > 0 {
		fmt.Fprintf(w, "Missing:  %s (add them to the OAuth app, then `aumo login`)\n", strings.Join(r.MissingScopes, " "))
	}
	fmt.Fprintf(w, "Access:   %s\n", describeExpiry(*r.AccessTokenExpiry, now))
	fmt.Fprintf(w, "Stored:   %s\n", r.Location)
	if cfg.TokenStore == config.StoreKeychain {
		fmt.Fprintf(w, "          (AUMO_TOKEN_STORE=file keeps them in an encrypted file instead)\n")
	}
}

// siteFromText says in words what chose the site.
func siteFromText(from cmdutil.SiteFrom) string {
	switch from {
	case cmdutil.SiteFromFile:
		return "the config file"
	case cmdutil.SiteFromStored:
		return "the stored default"
	case cmdutil.SiteFromOnly:
		return "the only site of the grant"
	}
	return from.Name()
}

func describeExpiry(exp, now time.Time) string {
	d := exp.Sub(now).Round(time.Second)
	stamp := exp.UTC().Format(time.RFC3339)
	if d <= 0 {
		return fmt.Sprintf("token expired at %s; the next command renews it with the refresh token", stamp)
	}
	return fmt.Sprintf("token expires at %s (in %s); renewed automatically", stamp, d)
}
