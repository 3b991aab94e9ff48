// Package root assembles aumo's command tree.
package root

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/aumo-cli/aumo/internal/buildinfo"
	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/cli/configcmd"
	"github.com/aumo-cli/aumo/internal/cli/demo"
	"github.com/aumo-cli/aumo/internal/cli/exportcmd"
	"github.com/aumo-cli/aumo/internal/cli/login"
	"github.com/aumo-cli/aumo/internal/cli/rendercmd"
	"github.com/aumo-cli/aumo/internal/cli/revoke"
	"github.com/aumo-cli/aumo/internal/cli/sandboxcmd"
	"github.com/aumo-cli/aumo/internal/cli/sites"
	"github.com/aumo-cli/aumo/internal/cli/status"
	"github.com/aumo-cli/aumo/internal/cli/verify"
	"github.com/aumo-cli/aumo/internal/config"
)

// NewCmdRoot returns the `aumo` command with every subcommand.
func NewCmdRoot(f *cmdutil.Factory) *cobra.Command {
	var (
		verbose, quiet bool
		logFile        string
		logCloser      io.Closer
	)
	cmd := &cobra.Command{
		Use:   "aumo <command>",
		Short: "Export Confluence and Jira from Atlassian Cloud",
		Long: `aumo signs you in to Atlassian Cloud in your browser (OAuth 2.0), keeps the
tokens in the OS keychain, and exports what a CQL or JQL query selects to a
directory or a tarball.

Start with "aumo login", check with "aumo status"; "aumo revoke" removes every
token and file aumo keeps.`,
		Version:       buildinfo.Read().String(),
		SilenceErrors: true,
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			if verbose && quiet {
				return cmdutil.Usagef("-v/--verbose and -q/--quiet exclude each other")
			}
			f.IO.Quiet = quiet
			logger, closer, err := newLogger(f, verbose, logFile)
			if err != nil {
				return err
			}
			f.Logger, logCloser = logger, closer
			cfg, err := config.Load(cmd.Flags())
			f.Config = func() (*config.Config, error) { return cfg, err }
			if cfg != nil {
				// Even with -q: a misspelt key silently changes nothing.
				for _, w := range cfg.Warnings() {
					fmt.Fprintf(f.IO.ErrOut, "warning: %s\n", w)
				}
			}
			return nil
		},
		PersistentPostRun: func(*cobra.Command, []string) {
			if logCloser != nil {
				_ = logCloser.Close()
			}
		},
	}
	cmd.SetVersionTemplate("{{.Version}}\n")
	pf := cmd.PersistentFlags()
	pf.String("profile", config.DefaultProfile, "profile: a separate grant and state (env AUMO_PROFILE)")
	pf.String("config", "", configUsage(config.DefaultFile()))
	pf.BoolVarP(&verbose, "verbose", "v", false, "log what aumo does to standard error")
	pf.BoolVarP(&quiet, "quiet", "q", false, "print only errors and requested output")
	pf.StringVar(&logFile, "log-file", "", "append a detailed log to `PATH` (never tokens, secrets or content)")
	_ = cmd.RegisterFlagCompletionFunc("profile", cmdutil.CompleteProfiles)
	cmd.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return cmdutil.Usagef("%v\nsee `%s --help`", err, c.CommandPath())
	})

	cmd.AddCommand(
		login.NewCmdLogin(f, nil),
		exportcmd.NewCmdExport(f),
		status.NewCmdStatus(f, nil),
		sites.NewCmdSites(f, nil),
		configcmd.NewCmdConfig(f, nil),
		revoke.NewCmdRevoke(f, nil),
		verify.NewCmdVerify(f, nil),
		rendercmd.NewCmdRender(f, nil),
		demo.NewCmdDemo(f, nil),
		sandboxcmd.NewCmdSandbox(f, nil),
		newCmdVersion(f),
	)
	return cmd
}

// configUsage is --config's help: the file read without the flag, path
// when there is one.
func configUsage(path string) string {
	if path == "" {
		return "config file (default: config.yaml in AUMO_CONFIG_DIR, else aumo/config.yaml in the user's configuration directory; \"aumo config\" shows which)"
	}
	return "config file (default " + path + ")"
}

// ForManPages makes cmd's help hold on every machine, for pages made once
// and read anywhere: --config's default is told in words, not as the path
// it has on this machine.
func ForManPages(cmd *cobra.Command) {
	if f := cmd.PersistentFlags().Lookup("config"); f != nil {
		f.Usage = configUsage("")
	}
}

// newCmdVersion returns `aumo version`.
func newCmdVersion(f *cmdutil.Factory) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print aumo's version, commit and build date",
		Long: `Print aumo's version, the commit it was built from ("+dirty" when the
source had changes) and that commit's date, the Go version and the
platform. A release build carries what the release set; any other build
what Go recorded of it (the module version of "go install", the VCS
revision of a build in a clone).`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			info := buildinfo.Read()
			if asJSON {
				return cmdutil.WriteJSON(f.IO.Out, info)
			}
			_, err := fmt.Fprintln(f.IO.Out, info)
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON: version, commit, date, dirty, goVersion, os, arch")
	return cmd
}

// newLogger builds the logger of -v (text to standard error) and
// --log-file (JSON appended to the file). Secrets are typed so that no
// handler can print them.
func newLogger(f *cmdutil.Factory, verbose bool, logFile string) (*slog.Logger, io.Closer, error) {
	var handlers []slog.Handler
	var closer io.Closer
	if verbose {
		handlers = append(handlers, slog.NewTextHandler(f.IO.ErrOut, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if logFile != "" {
		lf, err := os.OpenFile(logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, nil, cmdutil.Usagef("--log-file: %v", err)
		}
		closer = lf
		handlers = append(handlers, slog.NewJSONHandler(lf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if len(handlers) == 0 {
		return slog.New(slog.DiscardHandler), nil, nil
	}
	return slog.New(slog.NewMultiHandler(handlers...)), closer, nil
}
