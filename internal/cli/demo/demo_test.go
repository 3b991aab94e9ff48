package demo

import (
	"testing"

	"github.com/aumo-cli/aumo/internal/cli/cmdutil/cmdtest"
)

// The refusal of an --out that holds other files depends on what is on
// disk, so Run makes it; testdata/script/demo.txtar covers it.
func TestFlags(t *testing.T) {
	def := Options{Out: DefaultOut, Issues: 120, Pages: 60}
	cmdtest.Run(t, NewCmdDemo, func(o Options) Options { o.Factory = nil; return o }, []cmdtest.Case[Options]{
		{Name: "defaults", Want: def},
		{Name: "out", Args: []string{"--out", "d"}, Want: Options{Out: "d", Issues: 120, Pages: 60}},
		{Name: "o", Args: []string{"-o", "d"}, Want: Options{Out: "d", Issues: 120, Pages: 60}},
		{Name: "issues", Args: []string{"--issues", "30"}, Want: Options{Out: DefaultOut, Issues: 30, Pages: 60}},
		{Name: "pages", Args: []string{"--pages", "5"}, Want: Options{Out: DefaultOut, Issues: 120, Pages: 5}},
		{Name: "issues not a number", Args: []string{"--issues", "many"}, Err: `invalid argument "many" for "--issues" flag`},
		{Name: "out as argument", Args: []string{"d"}, Err: `unknown command "d" for "demo"`},
	})
}
