package cmdutil

import (
	"errors"
	"strings"
	"testing"

	"github.com/aumo-cli/aumo/internal/config"
	"github.com/aumo-cli/aumo/internal/tokenstore"
)

func TestChooseSite(t *testing.T) {
	acme := tokenstore.Site{CloudID: "c-acme", URL: "https://acme.atlassian.net", Name: "acme"}
	beta := tokenstore.Site{CloudID: "c-beta", URL: "https://beta.atlassian.net", Name: "beta"}
	both := []tokenstore.Site{acme, beta}
	configured := func(site string, from config.Source) *config.Config {
		return &config.Config{Site: site, Sources: map[string]config.Source{"site": from}}
	}
	cases := []struct {
		name   string
		cfg    *config.Config
		grant  tokenstore.Grant
		want   tokenstore.Site
		from   SiteFrom
		errHas string
	}{
		{name: "flag", cfg: configured("beta", config.SourceFlag), grant: tokenstore.Grant{Sites: both, Site: "c-acme"}, want: beta, from: SiteFromFlag},
		{name: "environment by URL", cfg: configured("beta.atlassian.net/wiki", config.SourceEnv), grant: tokenstore.Grant{Sites: both, Site: "c-acme"}, want: beta, from: SiteFromEnv},
		{name: "file by cloudId", cfg: configured("c-beta", config.SourceFile), grant: tokenstore.Grant{Sites: both, Site: "c-acme"}, want: beta, from: SiteFromFile},
		{name: "stored", cfg: configured("", config.SourceDefault), grant: tokenstore.Grant{Sites: both, Site: "c-beta"}, want: beta, from: SiteFromStored},
		{name: "the only site", cfg: configured("", config.SourceDefault), grant: tokenstore.Grant{Sites: []tokenstore.Site{acme}}, want: acme, from: SiteFromOnly},
		{name: "a stored site gone from the grant", cfg: configured("", config.SourceDefault), grant: tokenstore.Grant{Sites: both, Site: "c-gone"},
			errHas: "the grant reaches 2 sites (acme, beta): choose one with --site, AUMO_SITE or `aumo sites use SITE`"},
		{name: "none chosen", cfg: configured("", config.SourceDefault), grant: tokenstore.Grant{Sites: both},
			errHas: "the grant reaches 2 sites (acme, beta)"},
		{name: "no match", cfg: configured("nowhere", config.SourceEnv), grant: tokenstore.Grant{Sites: both, Site: "c-acme"},
			errHas: `no site of the grant matches "nowhere" (AUMO_SITE); it reaches: acme (https://acme.atlassian.net), beta (https://beta.atlassian.net)`},
		{name: "no site at all", cfg: configured("", config.SourceDefault), grant: tokenstore.Grant{},
			errHas: "the grant reaches no site"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, from, err := ChooseSite(tc.cfg, &tc.grant)
			if tc.errHas != "" {
				var usage *UsageError
				if !errors.As(err, &usage) || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err = %v, want a usage error with %q", err, tc.errHas)
				}
				return
			}
			if err != nil || got != tc.want || from != tc.from {
				t.Errorf("got %v from %q (%v), want %v from %q", got, from, err, tc.want, tc.from)
			}
		})
	}
}
