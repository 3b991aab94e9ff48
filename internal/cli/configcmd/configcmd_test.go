package configcmd

import (
	"testing"

	"github.com/aumo-cli/aumo/internal/cli/cmdutil/cmdtest"
)

func TestFlags(t *testing.T) {
	cmdtest.Run(t, NewCmdConfig, func(o Options) Options { o.Factory = nil; return o }, []cmdtest.Case[Options]{
		{Name: "defaults", Want: Options{}},
		{Name: "json", Args: []string{"--json"}, Want: Options{JSON: true}},
		{Name: "a key as argument", Args: []string{"site"}, Err: `unknown command "site" for "config"`},
	})
}
