package sites

import (
	"testing"

	"github.com/aumo-cli/aumo/internal/cli/cmdutil/cmdtest"
)

func TestFlags(t *testing.T) {
	cmdtest.Run(t, NewCmdSites, func(o Options) Options { o.Factory = nil; return o }, []cmdtest.Case[Options]{
		{Name: "json", Args: []string{"--json"}, Want: Options{JSON: true}},
		{Name: "defaults", Want: Options{}},
		{Name: "a site as argument", Args: []string{"acme"}, Err: `unknown command "acme" for "sites"`},
	})
}
