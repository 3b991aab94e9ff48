package status

import (
	"context"
	"testing"

	"github.com/aumo-cli/aumo/internal/cli/cmdutil/cmdtest"
)

func TestFlags(t *testing.T) {
	cmdtest.Run(t, NewCmdStatus, func(o Options) Options { o.Factory, o.Now = nil, nil; return o }, []cmdtest.Case[Options]{
		{Name: "defaults", Want: Options{}},
		{Name: "json", Args: []string{"--json"}, Want: Options{JSON: true}},
		{Name: "json=false", Args: []string{"--json=false"}, Want: Options{}},
		{Name: "a profile as argument", Args: []string{"work"}, Err: `unknown command "work" for "status"`},
	})
}

// TestClock checks that the run gets a clock: the expiry line needs one.
func TestClock(t *testing.T) {
	var got *Options
	cmd := NewCmdStatus(cmdtest.Factory(), func(_ context.Context, o *Options) error { got = o; return nil })
	cmd.SetArgs([]string{})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Now == nil {
		t.Error("Options.Now is nil")
	}
}

// TestSiteFlag checks that status takes --site, as export does; the
// configuration reads it, not the Options.
func TestSiteFlag(t *testing.T) {
	cmdtest.Run(t, NewCmdStatus, func(o Options) Options { o.Factory, o.Now = nil, nil; return o }, []cmdtest.Case[Options]{
		{Name: "site", Args: []string{"--site", "acme"}, Want: Options{}},
	})
}
