// Package sandboxcmd implements `aumo sandbox`, which serves the built-in
// sandbox cloud so that aumo can be tried without an Atlassian account.
package sandboxcmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/sandbox"
)

// Options are the dependencies and flags of `aumo sandbox`.
type Options struct {
	Factory       *cmdutil.Factory
	Addr          string
	TokenLifetime time.Duration
	Latency       time.Duration
	Burst         float64
	// QuotaPoints per QuotaWindow is the points quota (0: none).
	QuotaPoints   int
	QuotaWindow   time.Duration
	JiraLongEvery int
	// JiraLargeEvery and JiraLargeSize add a large attachment to every
	// Nth issue, to measure exports with many bytes.
	JiraLargeEvery int
	JiraLargeSize  int64
	// JiraIssues and ConfluencePages size the project and the space DEMO.
	JiraIssues, ConfluencePages int
}

// NewCmdSandbox returns `aumo sandbox`. runF replaces the run in tests.
func NewCmdSandbox(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "sandbox",
		Short: "Serve the built-in sandbox cloud on loopback (to try aumo without Atlassian)",
		Long: `Serve aumo's sandbox cloud: a loopback server that behaves like Atlassian's
authorization server and API gateway, with two sample sites, a consent page
that approves by itself, a generated Jira project DEMO and a generated
Confluence space DEMO. It prints (on standard output) the environment that
points aumo at it, under a separate profile named "sandbox", and (on
standard error) commands to try; Ctrl-C stops it.`,
		Example: `  aumo sandbox > sandbox.env &
  sleep 1; . ./sandbox.env
  BROWSER="curl -fsSL -o /dev/null" aumo login
  aumo status`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(opts, nil, runF, Run),
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:0", "loopback address to listen on (port 0: a free port)")
	cmd.Flags().DurationVar(&opts.TokenLifetime, "token-lifetime", time.Hour, "lifetime of the access tokens it issues")
	cmd.Flags().IntVar(&opts.JiraIssues, "jira-issues", 120, "issues of the Jira project DEMO")
	cmd.Flags().IntVar(&opts.JiraLongEvery, "jira-long-every", 0, fmt.Sprintf("give every Nth issue a long comment thread, worklog and changelog (0: every %dth)", sandbox.DefaultJiraLongThreadEvery))
	cmd.Flags().IntVar(&opts.JiraLargeEvery, "jira-large-every", 0, fmt.Sprintf("give every Nth issue one more, large attachment (0: every %dth)", sandbox.DefaultJiraLargeAttachmentEvery))
	cmd.Flags().Int64Var(&opts.JiraLargeSize, "jira-large-size", 0, fmt.Sprintf("bytes of that large attachment (0: %d)", sandbox.DefaultJiraLargeAttachmentSize))
	cmd.Flags().IntVar(&opts.ConfluencePages, "confluence-pages", 100, "pages of the Confluence space DEMO (0: no space)")
	cmd.Flags().DurationVar(&opts.Latency, "latency", 0, "delay every API answer by this much (to measure exports)")
	cmd.Flags().Float64Var(&opts.Burst, "burst", 0, "answer 429 beyond this many API requests per second, as Atlassian's burst limit does (0: no limit)")
	cmd.Flags().IntVar(&opts.QuotaPoints, "quota", 0, "answer 429 once API requests have spent this many rate-limit points in a --quota-window, as Atlassian's hourly points quota does (0: no quota)")
	cmd.Flags().DurationVar(&opts.QuotaWindow, "quota-window", time.Hour, "the window of --quota, after which its points are back")
	return cmd
}

// Run serves the sandbox cloud until ctx ends.
func Run(ctx context.Context, opts *Options) error {
	srv := sandbox.New(sandbox.Options{AccessTokenLifetime: opts.TokenLifetime})
	// Start refuses an address that is not loopback, and one it cannot
	// listen on.
	if err := srv.Start(opts.Addr); err != nil {
		return cmdutil.Usagef("--addr: %v", err)
	}
	defer func() { _ = srv.Close() }()
	srv.SetJiraProject("DEMO", opts.JiraIssues, 1, sandbox.JiraOptions{
		LongThreadEvery: opts.JiraLongEvery, LongWorklogEvery: opts.JiraLongEvery, LongChangelogEvery: opts.JiraLongEvery,
		LargeAttachmentEvery: opts.JiraLargeEvery, LargeAttachmentSize: opts.JiraLargeSize,
	})
	srv.SetConfluenceSpace("DEMO", opts.ConfluencePages, 1, sandbox.ConfluenceOptions{})
	srv.SetLatency(opts.Latency)
	srv.SetBurstLimit(opts.Burst, int(opts.Burst))
	srv.SetPointsQuota(opts.QuotaPoints, opts.QuotaWindow)
	out := opts.Factory.IO.Out
	fmt.Fprintf(out, "export AUMO_AUTH_URL=%s\nexport AUMO_API_URL=%s\n", srv.URL(), srv.URL())
	fmt.Fprintf(out, "export AUMO_CLIENT_ID=%s\nexport AUMO_CLIENT_SECRET=%s\n", sandbox.DefaultClientID, sandbox.DefaultClientSecret)
	fmt.Fprintf(out, "export AUMO_REDIRECT_URL=http://127.0.0.1:0/callback\nexport AUMO_PROFILE=sandbox\n")
	msg := opts.Factory.IO.Messages()
	fmt.Fprintf(msg, "Sandbox cloud serving on %s; Ctrl-C stops it.\n", srv.URL())
	if opts.JiraIssues > 0 {
		fmt.Fprintf(msg, "Try: aumo export jira --jql 'project = DEMO' --out demo-jira.tar.zst\n")
	}
	if opts.ConfluencePages > 0 {
		fmt.Fprintf(msg, "Try: aumo export confluence --cql 'space = DEMO' --out demo-confluence\n")
	}
	<-ctx.Done()
	return nil
}
