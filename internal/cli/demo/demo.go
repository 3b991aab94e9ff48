// Package demo implements `aumo demo`: the whole of aumo against the
// built-in sandbox cloud, with nothing to set up and nothing of the user's
// touched.
package demo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	exportcmd "github.com/aumo-cli/aumo/internal/cli/export"
	"github.com/aumo-cli/aumo/internal/cli/login"
	"github.com/aumo-cli/aumo/internal/config"
	"github.com/aumo-cli/aumo/internal/iostreams"
	"github.com/aumo-cli/aumo/internal/sandbox"
	"github.com/aumo-cli/aumo/internal/secret"
	"github.com/aumo-cli/aumo/internal/tokenstore"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// DefaultOut is where the demo writes unless told otherwise.
const DefaultOut = "aumo-demo"

// project is the sandbox's Jira project the demo exports.
const project = "DEMO"

// Options are `aumo demo`'s.
type Options struct {
	Factory *cmdutil.Factory
	Out     string
	Issues  int
}

// NewCmdDemo returns `aumo demo`.
func NewCmdDemo(f *cmdutil.Factory) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "See aumo work: export the built-in sandbox cloud, no account needed",
		Long: `Start aumo's sandbox cloud on loopback, log in to it (no browser), export its
Jira project to ./aumo-demo (or --out), check the export, and say what it holds.

The demo uses a throwaway profile and keeps its tokens in memory: it never
touches your keychain, configuration or audit trail.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return Run(cmd.Context(), opts) },
	}
	cmd.Flags().StringVarP(&opts.Out, "out", "o", DefaultOut, "where to write the export")
	cmd.Flags().IntVar(&opts.Issues, "issues", 120, "how many issues the sandbox project has")
	return cmd
}

// Run runs the demo.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	msg := f.IO.Messages()
	if err := clearPreviousDemo(opts.Out); err != nil {
		return err
	}

	srv := sandbox.New(sandbox.Options{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		return fmt.Errorf("start the sandbox cloud: %w", err)
	}
	defer func() { _ = srv.Close() }()
	srv.SetJiraProject(project, opts.Issues, 1, sandbox.JiraOptions{})
	fmt.Fprintf(msg, "Sandbox cloud running on %s (loopback only).\n", srv.URL())

	state, err := os.MkdirTemp("", "aumo-demo-state-")
	if err != nil {
		return err
	}
	defer func() { _ = os.RemoveAll(state) }()
	cfg := &config.Config{
		Profile: "demo", ClientID: sandbox.DefaultClientID, ClientSecret: secret.New(sandbox.DefaultClientSecret),
		AuthURL: srv.URL(), APIURL: srv.URL(), RedirectURL: "http://127.0.0.1:0/callback",
		TokenStore: "memory", Scopes: config.DefaultScopes, StateDir: state,
		Site: sandbox.DefaultSites[0].URL,
	}
	demo := *f
	demo.Config = func() (*config.Config, error) { return cfg, nil }
	store := &tokenstore.Memory{}
	demo.Store = func() (tokenstore.Store, error) { return store, nil }
	demo.OpenBrowser = sandbox.Approve
	// The login's own chatter (the consent URL) is not the demo's story.
	quiet, _, _, _ := iostreams.Test()
	quiet.Out, quiet.ErrOut = io.Discard, io.Discard
	demo.IO = quiet
	if err := login.Run(ctx, &login.Options{Factory: &demo, Timeout: time.Minute}); err != nil {
		return fmt.Errorf("log in to the sandbox: %w", err)
	}
	fmt.Fprintf(msg, "Logged in to the sandbox site %s (tokens in memory only).\n", sandbox.DefaultSites[0].URL)

	demo.IO = f.IO
	jql := "project = " + project
	fmt.Fprintf(msg, "Exporting Jira: aumo export jira --jql '%s' --out %s\n", jql, opts.Out)
	err = exportcmd.RunJira(ctx, &exportcmd.JiraOptions{
		Options: exportcmd.Options{Factory: &demo, Out: opts.Out, Concurrency: 4},
		JQL:     jql, Fields: []string{"*all"},
	})
	if err != nil {
		return err
	}
	return describe(ctx, f, opts.Out)
}

// clearPreviousDemo removes an earlier demo's export at out, and only that:
// anything else there is the user's, and the export refuses it.
func clearPreviousDemo(out string) error {
	b, err := os.ReadFile(filepath.Join(out, exportformat.ManifestName))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var m exportformat.Manifest
	if json.Unmarshal(b, &m) != nil || m.Site.CloudID != sandbox.DefaultSites[0].CloudID || m.Query != "project = "+project {
		return nil
	}
	return os.RemoveAll(out)
}

// describe says where the files are and what they hold.
func describe(ctx context.Context, f *cmdutil.Factory, out string) error {
	b, err := os.ReadFile(filepath.Join(out, exportformat.ManifestName))
	if err != nil {
		return err
	}
	var m exportformat.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return err
	}
	r, err := exportformat.Verify(ctx, out)
	if err != nil {
		return err
	}
	w := f.IO.Out
	fmt.Fprintf(w, "\nThe export is in %s/:\n", out)
	fmt.Fprintf(w, "  manifest.json     what was exported, from where, when; skipped and failed items\n")
	fmt.Fprintf(w, "  index.jsonl       one line per file with its sha256 (%d files)\n", r.Files)
	fmt.Fprintf(w, "  fields.json       Jira's field names and schemas, once\n")
	fmt.Fprintf(w, "  issues/<id>/      issue.json (every field, comment, worklog and change), issue.md (to read) and attachments/ (%d issues, %d attachments)\n",
		m.Counts["issue"], m.Counts["attachment"])
	if len(m.Skipped) > 0 {
		fmt.Fprintf(w, "  %d items skipped by design (e.g. deleted after the search found them), listed in the manifest\n", len(m.Skipped))
	}
	fmt.Fprintf(w, "Account ids are removed (%s); names and emails stay.\n", m.Redaction)
	if r.OK() {
		fmt.Fprintf(w, "Checked: every file matches the index (aumo verify %s).\n", out)
	} else {
		fmt.Fprintf(w, "aumo verify %s found problems: %+v\n", out, r)
	}
	return nil
}
