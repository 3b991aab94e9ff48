package sites

import (
	"testing"

	"github.com/aumo-cli/aumo/internal/cli/cmdutil/cmdtest"
)

func TestFlags(t *testing.T) {
	cmdtest.Run(t, NewCmdSites, func(o Options) Options { o.Factory = nil; return o }, []cmdtest.Case[Options]{
		{Name: "json", Args: []string{"--json"}, Want: Options{JSON: true}},
		{Name: "defaults", Want: Options{}},
		{Name: "site", Args: []string{"--site", "acme"}, Want: Options{}},
		{Name: "a site as argument", Args: []string{"acme"}, Err: `unknown command "acme" for "sites"`},
	})
}

func TestUseFlags(t *testing.T) {
	cmdtest.Run(t, NewCmdUse, func(o UseOptions) UseOptions { o.Factory = nil; return o }, []cmdtest.Case[UseOptions]{
		{Name: "a name", Args: []string{"acme"}, Want: UseOptions{Site: "acme"}},
		{Name: "a URL", Args: []string{"https://acme.atlassian.net"}, Want: UseOptions{Site: "https://acme.atlassian.net"}},
		{Name: "no site", Args: []string{}, Err: "accepts 1 arg(s), received 0"},
		{Name: "two sites", Args: []string{"a", "b"}, Err: "accepts 1 arg(s), received 2"},
		{Name: "an empty site", Args: []string{" "}, Usage: "give a site: its name, URL or cloudId (`aumo sites` lists them)"},
	})
}
