package revoke

import (
	"testing"

	"github.com/aumo-cli/aumo/internal/cli/cmdutil/cmdtest"
)

// The refusal without --yes and without a terminal needs the profiles'
// names, so Run makes it; testdata/script/revoke.txtar covers it.
func TestFlags(t *testing.T) {
	cmdtest.Run(t, NewCmdRevoke, func(o Options) Options { o.Factory = nil; return o }, []cmdtest.Case[Options]{
		{Name: "defaults", Want: Options{}},
		{Name: "yes", Args: []string{"--yes"}, Want: Options{Yes: true}},
		{Name: "y", Args: []string{"-y"}, Want: Options{Yes: true}},
		{Name: "all", Args: []string{"--all"}, Want: Options{All: true}},
		{Name: "yes and all", Args: []string{"-y", "--all"}, Want: Options{Yes: true, All: true}},
		{Name: "a profile as argument", Args: []string{"work"}, Err: `unknown command "work" for "revoke"`},
	})
}
