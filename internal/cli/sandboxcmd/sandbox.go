// Package sandboxcmd implements `aumo sandbox`, which serves the built-in
// sandbox cloud so that aumo can be tried without an Atlassian account.
package sandboxcmd

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/sandbox"
)

// NewCmdSandbox returns `aumo sandbox`.
func NewCmdSandbox(f *cmdutil.Factory) *cobra.Command {
	var (
		addr            string
		lifetime        time.Duration
		jiraIssues      int
		confluencePages int
		latency         time.Duration
		burst           float64
		longEvery       int
	)
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
		RunE: func(cmd *cobra.Command, _ []string) error {
			srv := sandbox.New(sandbox.Options{AccessTokenLifetime: lifetime})
			if err := srv.Start(addr); err != nil {
				return cmdutil.Usagef("--addr: %v", err)
			}
			defer func() { _ = srv.Close() }()
			srv.SetJiraProject("DEMO", jiraIssues, 1, sandbox.JiraOptions{
				LongThreadEvery: longEvery, LongWorklogEvery: longEvery, LongChangelogEvery: longEvery,
			})
			srv.SetConfluenceSpace("DEMO", confluencePages, 1, sandbox.ConfluenceOptions{})
			srv.SetLatency(latency)
			srv.SetBurstLimit(burst, int(burst))
			fmt.Fprintf(f.IO.Out, "export AUMO_AUTH_URL=%s\nexport AUMO_API_URL=%s\n", srv.URL(), srv.URL())
			fmt.Fprintf(f.IO.Out, "export AUMO_CLIENT_ID=%s\nexport AUMO_CLIENT_SECRET=%s\n", sandbox.DefaultClientID, sandbox.DefaultClientSecret)
			fmt.Fprintf(f.IO.Out, "export AUMO_REDIRECT_URL=http://127.0.0.1:0/callback\nexport AUMO_PROFILE=sandbox\n")
			msg := f.IO.Messages()
			fmt.Fprintf(msg, "Sandbox cloud serving on %s; Ctrl-C stops it.\n", srv.URL())
			if jiraIssues > 0 {
				fmt.Fprintf(msg, "Try: aumo export jira --jql 'project = DEMO' --out demo-jira\n")
			}
			if confluencePages > 0 {
				fmt.Fprintf(msg, "Try: aumo export confluence --cql 'space = DEMO' --out demo-confluence\n")
			}
			<-cmd.Context().Done()
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "addr", "127.0.0.1:0", "loopback address to listen on (port 0: a free port)")
	cmd.Flags().DurationVar(&lifetime, "token-lifetime", time.Hour, "lifetime of the access tokens it issues")
	cmd.Flags().IntVar(&jiraIssues, "jira-issues", 120, "issues of the Jira project DEMO")
	cmd.Flags().IntVar(&longEvery, "jira-long-every", 0, fmt.Sprintf("give every Nth issue a long comment thread, worklog and changelog (0: every %dth)", sandbox.DefaultJiraLongThreadEvery))
	cmd.Flags().IntVar(&confluencePages, "confluence-pages", 100, "pages of the Confluence space DEMO (0: no space)")
	cmd.Flags().DurationVar(&latency, "latency", 0, "delay every API answer by this much (to measure exports)")
	cmd.Flags().Float64Var(&burst, "burst", 0, "answer 429 beyond this many API requests per second, as Atlassian's burst limit does (0: no limit)")
	return cmd
}
