package sandboxcmd

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/cli/cmdutil/cmdtest"
)

// The refusal of an --addr that is not loopback or not free comes from
// starting the server, so Run makes it.
func TestFlags(t *testing.T) {
	def := Options{Addr: "127.0.0.1:0", TokenLifetime: time.Hour, JiraIssues: 120, ConfluencePages: 100, QuotaWindow: time.Hour}
	with := func(change func(*Options)) Options { o := def; change(&o); return o }
	cmdtest.Run(t, NewCmdSandbox, func(o Options) Options { o.Factory = nil; return o }, []cmdtest.Case[Options]{
		{Name: "defaults", Want: def},
		{Name: "addr", Args: []string{"--addr", "127.0.0.1:8080"}, Want: with(func(o *Options) { o.Addr = "127.0.0.1:8080" })},
		{Name: "token-lifetime", Args: []string{"--token-lifetime", "90s"}, Want: with(func(o *Options) { o.TokenLifetime = 90 * time.Second })},
		{Name: "jira-issues", Args: []string{"--jira-issues", "0"}, Want: with(func(o *Options) { o.JiraIssues = 0 })},
		{Name: "jira-long-every", Args: []string{"--jira-long-every", "3"}, Want: with(func(o *Options) { o.JiraLongEvery = 3 })},
		{Name: "jira-large", Args: []string{"--jira-large-every", "2", "--jira-large-size", "786432"}, Want: with(func(o *Options) { o.JiraLargeEvery, o.JiraLargeSize = 2, 786432 })},
		{Name: "confluence-pages", Args: []string{"--confluence-pages", "7"}, Want: with(func(o *Options) { o.ConfluencePages = 7 })},
		{Name: "latency", Args: []string{"--latency", "20ms"}, Want: with(func(o *Options) { o.Latency = 20 * time.Millisecond })},
		{Name: "burst", Args: []string{"--burst", "2.5"}, Want: with(func(o *Options) { o.Burst = 2.5 })},
		{Name: "quota", Args: []string{"--quota", "500", "--quota-window", "10s"},
			Want: with(func(o *Options) { o.QuotaPoints, o.QuotaWindow = 500, 10*time.Second })},
		{Name: "latency not a duration", Args: []string{"--latency", "20"}, Err: `invalid argument "20" for "--latency" flag`},
		{Name: "burst not a number", Args: []string{"--burst", "none"}, Err: `invalid argument "none" for "--burst" flag`},
		{Name: "an argument", Args: []string{"serve"}, Err: `unknown command "serve" for "sandbox"`},
	})
}

func TestRunRefusesAnAddressOffLoopback(t *testing.T) {
	f := cmdtest.Factory()
	err := Run(t.Context(), &Options{Factory: f, Addr: "0.0.0.0:0"})
	var usage *cmdutil.UsageError
	want := `--addr: sandbox: listen address "0.0.0.0:0" is not a loopback IP address`
	if !errors.As(err, &usage) || usage.Msg != want {
		t.Errorf("err = %v, want the usage error %q", err, want)
	}
}

func TestRunPrintsTheEnvironmentUntilCancelled(t *testing.T) {
	f := cmdtest.Factory()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := Run(ctx, &Options{Factory: f, Addr: "127.0.0.1:0", JiraIssues: 1}); err != nil {
		t.Fatal(err)
	}
	out := f.IO.Out.(*bytes.Buffer).String()
	for _, want := range []string{"export AUMO_AUTH_URL=http://127.0.0.1:", "export AUMO_PROFILE=sandbox\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("standard output lacks %q:\n%s", want, out)
		}
	}
	msgs := f.IO.ErrOut.(*bytes.Buffer).String()
	if !strings.Contains(msgs, "Try: aumo export jira") || strings.Contains(msgs, "Try: aumo export confluence") {
		t.Errorf("messages:\n%s", msgs)
	}
}
