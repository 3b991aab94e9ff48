package login

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aumo-cli/aumo/internal/auth"
	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/cli/cmdutil/cmdtest"
	"github.com/aumo-cli/aumo/internal/config"
	"github.com/aumo-cli/aumo/internal/iostreams"
	"github.com/aumo-cli/aumo/internal/sandbox"
	"github.com/aumo-cli/aumo/internal/secret"
	"github.com/aumo-cli/aumo/internal/tokenstore"
)

func TestFlags(t *testing.T) {
	def := auth.DefaultLoginTimeout
	cmdtest.Run(t, NewCmdLogin, func(o Options) Options { o.Factory = nil; return o }, []cmdtest.Case[Options]{
		{Name: "defaults", Want: Options{Timeout: def}},
		{Name: "no-browser", Args: []string{"--no-browser"}, Want: Options{NoBrowser: true, Timeout: def}},
		{Name: "timeout", Args: []string{"--timeout", "30s"}, Want: Options{Timeout: 30 * time.Second}},
		{Name: "site is the configuration's", Args: []string{"--site", "acme"}, Want: Options{Timeout: def}},
		{Name: "timeout not a duration", Args: []string{"--timeout", "soon"}, Err: `invalid argument "soon" for "--timeout" flag`},
		{Name: "an argument", Args: []string{"acme"}, Err: `unknown command "acme" for "login"`},
	})
}

// TestSiteFlag checks that --site stays a flag of that name: the
// configuration reads it from there, ahead of AUMO_SITE.
func TestSiteFlag(t *testing.T) {
	cmd := NewCmdLogin(cmdtest.Factory(), func(context.Context, *Options) error { return nil })
	cmd.SetArgs([]string{"--site", "acme"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if f := cmd.Flags().Lookup("site"); f == nil || !f.Changed || f.Value.String() != "acme" {
		t.Errorf("--site acme: flag %+v", f)
	}
}

// testFactory wires a Factory to a sandbox, a memory store and a browser
// that follows the consent redirect.
func testFactory(t *testing.T, tty bool) (*cmdutil.Factory, *tokenstore.Memory, func(string)) {
	t.Helper()
	srv := sandbox.New(sandbox.Options{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	ios, in, out, errOut := iostreams.Test()
	ios.SetTTY(tty, tty)
	store := &tokenstore.Memory{}
	f := cmdutil.New(ios)
	cfg := &config.Config{
		Profile: "default", ClientID: sandbox.DefaultClientID, ClientSecret: secret.New(sandbox.DefaultClientSecret),
		AuthURL: srv.URL(), APIURL: srv.URL(), RedirectURL: "http://127.0.0.1:0/callback",
		TokenStore: config.StoreKeychain, Scopes: config.DefaultScopes, StateDir: t.TempDir(),
	}
	f.Config = func() (*config.Config, error) { return cfg, nil }
	f.Store = func() (tokenstore.Store, error) { return store, nil }
	f.OpenBrowser = sandbox.Approve
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("stdout:\n%s\nstderr:\n%s", out, errOut)
		}
	})
	return f, store, func(s string) { in.WriteString(s) }
}

func TestLoginAsksWhichSiteOnATerminal(t *testing.T) {
	f, store, input := testFactory(t, true)
	input("3\nacme-sandbox\n") // out of range first: asked again
	if err := Run(context.Background(), &Options{Factory: f, Timeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	g, err := store.Load(context.Background(), "default")
	if err != nil {
		t.Fatal(err)
	}
	site, ok := g.DefaultSite()
	if !ok || site.Name != "acme-sandbox" || len(g.Sites) != 2 {
		t.Errorf("chose %+v of %+v", site, g.Sites)
	}
	if !strings.Contains(f.IO.ErrOut.(interface{ String() string }).String(), "Which one should aumo use? [1-2]") {
		t.Error("no prompt")
	}
}

func TestLoginWithoutTerminalChoosesNoSite(t *testing.T) {
	f, store, _ := testFactory(t, false)
	if err := Run(context.Background(), &Options{Factory: f, Timeout: time.Minute}); err != nil {
		t.Fatal(err)
	}
	g, err := store.Load(context.Background(), "default")
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := g.DefaultSite(); ok || len(g.Sites) != 2 {
		t.Errorf("a site was guessed: %+v", g)
	}
}

func TestFindSite(t *testing.T) {
	sites := []tokenstore.Site{
		{CloudID: "c1", URL: "https://acme.atlassian.net", Name: "acme"},
		{CloudID: "c2", URL: "https://acme-sandbox.atlassian.net", Name: "acme-sandbox"},
	}
	for q, want := range map[string]string{
		"c2": "c2", "ACME": "c1", "https://acme.atlassian.net/": "c1", "acme-sandbox.atlassian.net": "c2",
		"http://acme-sandbox.atlassian.net/wiki": "c2",
	} {
		s, ok := tokenstore.FindSite(sites, q)
		if !ok || s.CloudID != want {
			t.Errorf("FindSite(%q) = %v, %v; want %s", q, s, ok, want)
		}
	}
	if _, ok := tokenstore.FindSite(sites, "other.atlassian.net"); ok {
		t.Error("matched a foreign site")
	}
}
