// Package login implements `aumo login`.
package login

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aumo-cli/aumo/internal/auth"
	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/config"
	"github.com/aumo-cli/aumo/internal/tokenstore"
)

// Options are the dependencies and flags of `aumo login`.
type Options struct {
	Factory   *cmdutil.Factory
	NoBrowser bool
	Timeout   time.Duration
}

// NewCmdLogin returns `aumo login`. runF replaces the run in tests.
func NewCmdLogin(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "login",
		Short: "Sign in to Atlassian Cloud in your browser",
		Long: `Sign in to Atlassian Cloud with OAuth 2.0 in your browser and keep the grant.

aumo opens the consent page (with $BROWSER, run as "$BROWSER URL", or the system
default) and always prints its URL. After you approve, Atlassian redirects the
browser to aumo's callback on AUMO_REDIRECT_URL (default
http://127.0.0.1:47613/callback). Only that answer, carrying this login's
state, ends the login: any other request to the callback gets an error page and
aumo keeps waiting, up to --timeout. A localhost callback is served on both
127.0.0.1 and [::1]. On a machine without a browser use --no-browser: open the
URL anywhere, approve, and paste the address the browser was sent to.

aumo then lists the sites the grant reaches and picks one: --site (a URL, a name
or a cloudId), else AUMO_SITE, else the config file's site, else the only one,
else it asks (on a terminal); "aumo sites use" changes it later.
The tokens go to the OS keychain, or with AUMO_TOKEN_STORE=file to a file
encrypted with AUMO_TOKEN_PASSPHRASE. aumo warns about every needed scope the
grant lacks.`,
		Example: `  aumo login
  aumo login --site acme.atlassian.net
  aumo login --no-browser`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(opts, nil, runF, Run),
	}
	cmdutil.AddSiteFlag(cmd, "the site to use: URL, name or cloudId (env AUMO_SITE)")
	cmd.Flags().BoolVar(&opts.NoBrowser, "no-browser", false, "print the URL and read the redirected address from standard input")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", auth.DefaultLoginTimeout, "how long to wait for the browser")
	return cmd
}

// Run signs in and stores the grant.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	cfg, store, err := f.ConfigAndStore()
	if err != nil {
		return err
	}
	client, err := f.AuthClient()
	if err != nil {
		return err
	}
	if err := checkStore(ctx, f, store, cfg.Profile); err != nil {
		return err
	}

	var (
		site tokenstore.Site
		who  string
	)
	// Everything that can still fail happens before the browser is told
	// the outcome.
	complete := func(ctx context.Context, grant *tokenstore.Grant) error {
		resources, err := client.AccessibleResources(ctx, grant.AccessToken)
		if err != nil {
			return err
		}
		if len(resources) == 0 {
			return errors.New("the grant reaches no Atlassian site: approve at least one site on the consent page")
		}
		for _, r := range resources {
			grant.Sites = append(grant.Sites, tokenstore.Site{CloudID: r.ID, URL: r.URL, Name: r.Name})
		}
		if site, err = chooseSite(f, grant.Sites, cfg.Site); err != nil {
			return err
		}
		grant.Site = site.CloudID
		who = signedIn(ctx, f, client, grant)
		err = tokenstore.WithLock(ctx, cfg.StateDir, cfg.Profile, f.LockWaiting(cfg.Profile), func() error {
			if err := os.MkdirAll(cfg.ProfileDir(), 0o700); err != nil {
				return err
			}
			return store.Save(context.WithoutCancel(ctx), cfg.Profile, grant)
		})
		if err != nil {
			return fmt.Errorf("store the grant: %w", err)
		}
		return nil
	}

	// Login's instructions (the URL to open) are printed even with -q.
	grant, err := client.Login(ctx, auth.LoginOptions{
		RedirectURL: cfg.RedirectURL,
		NoBrowser:   opts.NoBrowser,
		OpenBrowser: f.OpenBrowser,
		ReadLine:    f.IO.ReadLine,
		Messages:    f.IO.ErrOut,
		Timeout:     opts.Timeout,
		Complete:    complete,
	})
	if err != nil {
		return err
	}
	printSummary(f, cfg, store, grant, site, who)
	return nil
}

// checkStore finds a broken token store now, not after the person has
// approved.
func checkStore(ctx context.Context, f *cmdutil.Factory, store tokenstore.Store, profile string) error {
	_, err := store.Load(ctx, profile)
	switch {
	case errors.Is(err, tokenstore.ErrWrongPassphrase):
		fmt.Fprintf(f.IO.ErrOut, "warning: the token file of profile %s does not decrypt with this AUMO_TOKEN_PASSPHRASE; this login replaces it\n", profile)
	case err != nil && !errors.Is(err, tokenstore.ErrNotFound):
		return err
	}
	if file, ok := store.(*tokenstore.File); ok && file.Passphrase.IsZero() {
		return tokenstore.ErrNoPassphrase
	}
	return nil
}

// printSummary says who signed in to which site, where the tokens are,
// and warns about every needed scope the grant lacks.
func printSummary(f *cmdutil.Factory, cfg *config.Config, store tokenstore.Store, grant *tokenstore.Grant, site tokenstore.Site, who string) {
	missing := auth.MissingScopes(grant.Scope, cfg.Scopes)
	out := f.IO.Out
	fmt.Fprintf(out, "Logged in to Atlassian Cloud (profile %s)\n", cfg.Profile)
	if who != "" {
		fmt.Fprintf(out, "User:   %s\n", who)
	}
	if site.CloudID != "" {
		fmt.Fprintf(out, "Site:   %s (%s, cloudId %s)\n", site.Name, site.URL, site.CloudID)
	} else {
		fmt.Fprintf(out, "Sites:  %d; none chosen: choose one with `aumo sites use SITE`, --site or AUMO_SITE (`aumo sites` lists them)\n", len(grant.Sites))
	}
	fmt.Fprintf(out, "Scopes: %s\n", grant.Scope)
	fmt.Fprintf(out, "Tokens: %s\n", store.Location(cfg.Profile))
	for _, m := range missing {
		what := ""
		if m.Purpose != "" {
			what = " (needed for " + m.Purpose + ")"
		}
		fmt.Fprintf(f.IO.ErrOut, "warning: the grant lacks the scope %s%s\n", m.Scope, what)
	}
	if len(missing) > 0 {
		fmt.Fprintln(f.IO.ErrOut, "warning: add the scopes to the OAuth app, then run `aumo login` again")
	}
}

// signedIn names the signed-in person for the summary, when the grant
// allows asking (read:me); it is shown once and never stored.
func signedIn(ctx context.Context, f *cmdutil.Factory, client *auth.Client, g *tokenstore.Grant) string {
	if !slices.Contains(strings.Fields(g.Scope), "read:me") {
		return "(unknown: the grant lacks read:me)"
	}
	me, err := client.Me(ctx, g.AccessToken)
	if err != nil {
		f.Logger.Debug("fetch the signed-in user", "err", err)
		return ""
	}
	if me.Email != "" {
		return me.Name + " <" + me.Email + ">"
	}
	return me.Name
}

// chooseSite picks the site: the one named (flag or AUMO_SITE), the only
// one, or the person's choice on a terminal. It returns the zero Site when
// several remain and nobody can be asked.
func chooseSite(f *cmdutil.Factory, sites []tokenstore.Site, want string) (tokenstore.Site, error) {
	if want != "" {
		if s, ok := tokenstore.FindSite(sites, want); ok {
			return s, nil
		}
		return tokenstore.Site{}, cmdutil.NoSuchSite(want, "", sites)
	}
	if len(sites) == 1 {
		return sites[0], nil
	}
	if !f.IO.CanPrompt() {
		return tokenstore.Site{}, nil
	}
	fmt.Fprintln(f.IO.ErrOut, "The grant reaches several sites:")
	for i, s := range sites {
		fmt.Fprintf(f.IO.ErrOut, "  %d) %s  %s\n", i+1, s.Name, s.URL)
	}
	for {
		fmt.Fprintf(f.IO.ErrOut, "Which one should aumo use? [1-%d] ", len(sites))
		line, err := f.IO.ReadLine()
		if err != nil {
			return tokenstore.Site{}, fmt.Errorf("read the choice of site: %w", err)
		}
		if n, err := strconv.Atoi(strings.TrimSpace(line)); err == nil && n >= 1 && n <= len(sites) {
			return sites[n-1], nil
		}
		if s, ok := tokenstore.FindSite(sites, strings.TrimSpace(line)); ok {
			return s, nil
		}
	}
}
