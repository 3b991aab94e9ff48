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
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/cli/exportcmd"
	"github.com/aumo-cli/aumo/internal/cli/login"
	"github.com/aumo-cli/aumo/internal/cli/rendercmd"
	"github.com/aumo-cli/aumo/internal/config"
	"github.com/aumo-cli/aumo/internal/iostreams"
	"github.com/aumo-cli/aumo/internal/sandbox"
	"github.com/aumo-cli/aumo/internal/secret"
	"github.com/aumo-cli/aumo/internal/tokenstore"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// DefaultOut is where the demo writes unless told otherwise.
const DefaultOut = "aumo-demo"

// project is the sandbox's Jira project and Confluence space the demo
// exports.
const project = "DEMO"

// The demo's two exports, under its --out.
const (
	jiraDir       = "jira"
	confluenceDir = "confluence"
	// htmlDir holds the websites aumo render makes of both exports.
	htmlDir = "html"
)

// Options are `aumo demo`'s.
type Options struct {
	Factory *cmdutil.Factory
	Out     string
	Issues  int
	Pages   int
}

// NewCmdDemo returns `aumo demo`. runF replaces the run in tests.
func NewCmdDemo(f *cmdutil.Factory, runF func(context.Context, *Options) error) *cobra.Command {
	opts := &Options{Factory: f}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "See aumo work: export the built-in sandbox cloud, no account needed",
		Long: `Start aumo's sandbox cloud on loopback, log in to it (no browser), export its
Jira project to ./aumo-demo/jira and its Confluence space to
./aumo-demo/confluence (or under --out), check both exports, render each as a
website under ./aumo-demo/html (aumo render --as html), and say what they hold
and where to open them.

The demo uses a throwaway profile and keeps its tokens in memory: it never
touches your keychain, configuration or audit trail.`,
		Args: cobra.NoArgs,
		RunE: cmdutil.RunE(opts, nil, runF, Run),
	}
	cmd.Flags().StringVarP(&opts.Out, "out", "o", DefaultOut, "where to write the export")
	cmd.Flags().IntVar(&opts.Issues, "issues", 120, "how many issues the sandbox project has")
	cmd.Flags().IntVar(&opts.Pages, "pages", 60, "how many pages the sandbox space has")
	return cmd
}

// Run runs the demo.
func Run(ctx context.Context, opts *Options) error {
	f := opts.Factory
	msg := f.IO.Messages()
	if err := clearPreviousDemo(ctx, opts.Out); err != nil {
		return err
	}

	srv := sandbox.New(sandbox.Options{})
	if err := srv.Start("127.0.0.1:0"); err != nil {
		return fmt.Errorf("start the sandbox cloud: %w", err)
	}
	defer func() { _ = srv.Close() }()
	srv.SetJiraProject(project, opts.Issues, 1, sandbox.JiraOptions{})
	srv.SetConfluenceSpace(project, opts.Pages, 1, sandbox.ConfluenceOptions{})
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
	jiraOut, confluenceOut := filepath.Join(opts.Out, jiraDir), filepath.Join(opts.Out, confluenceDir)
	if err := os.MkdirAll(opts.Out, 0o750); err != nil {
		return err
	}
	jql := "project = " + project
	fmt.Fprintf(msg, "Exporting Jira: aumo export jira --jql '%s' --out %s\n", jql, jiraOut)
	// No audit line: the demo leaves the user's audit trail alone.
	_, err = exportcmd.RunJira(ctx, &exportcmd.JiraOptions{
		Options: exportcmd.Options{Factory: &demo, Out: jiraOut, Concurrency: 4},
		JQL:     jql, Fields: []string{"*all"},
	})
	if err != nil {
		return err
	}
	cql := "space = " + project
	fmt.Fprintf(msg, "Exporting Confluence: aumo export confluence --cql '%s' --out %s\n", cql, confluenceOut)
	_, err = exportcmd.RunConfluence(ctx, &exportcmd.ConfluenceOptions{
		Options: exportcmd.Options{Factory: &demo, Out: confluenceOut, Concurrency: 4},
		CQL:     cql,
	})
	if err != nil {
		return err
	}
	if err := describe(ctx, f, opts.Out); err != nil {
		return err
	}
	return renderSites(ctx, f, opts.Out)
}

// renderSites renders both exports as websites, offline, and says where
// to open them.
func renderSites(ctx context.Context, f *cmdutil.Factory, out string) error {
	quiet := *f
	ios, _, _, _ := iostreams.Test()
	ios.Out, ios.ErrOut = io.Discard, f.IO.ErrOut
	ios.Quiet = true // the demo says where the sites are; notes and errors still show
	quiet.IO = ios
	var urls []string
	for _, dir := range []string{jiraDir, confluenceDir} {
		site := filepath.Join(out, htmlDir, dir)
		err := rendercmd.Run(ctx, &rendercmd.Options{
			Factory: &quiet, Export: filepath.Join(out, dir), As: rendercmd.KindHTML, Out: site, NoProgress: true,
		})
		if err != nil {
			return fmt.Errorf("render %s: %w", filepath.Join(out, dir), err)
		}
		abs, err := filepath.Abs(filepath.Join(site, "index.html"))
		if err != nil {
			return err
		}
		urls = append(urls, "file://"+filepath.ToSlash(abs))
	}
	fmt.Fprintf(f.IO.Out, "Both exports are rendered as websites under %s (aumo render EXPORT --as html --out DIR); open them in a browser:\n", filepath.Join(out, htmlDir))
	for _, u := range urls {
		fmt.Fprintf(f.IO.Out, "  %s\n", u)
	}
	return nil
}

// clearPreviousDemo removes an earlier demo's exports under out, and only
// those: anything else there is the user's, and is refused before
// anything is deleted.
func clearPreviousDemo(ctx context.Context, out string) error {
	var earlier []string
	// An export of the demo's project right in out is an older demo's.
	if isDemoExport(out, "project = "+project) {
		earlier = append(earlier, out)
	} else {
		if err := onlyDemoEntries(out); err != nil {
			return err
		}
		for _, sub := range []struct{ dir, query string }{{jiraDir, "project = " + project}, {confluenceDir, "space = " + project}} {
			if dir := filepath.Join(out, sub.dir); isDemoExport(dir, sub.query) {
				earlier = append(earlier, dir)
			}
		}
	}
	for _, dir := range earlier {
		if err := onlyDemoFiles(ctx, dir); err != nil {
			return err
		}
	}
	for _, dir := range earlier {
		if err := os.RemoveAll(dir); err != nil {
			return err
		}
	}
	return nil
}

// onlyDemoEntries refuses an out that holds anything but what the demo
// writes there.
func onlyDemoEntries(out string) error {
	entries, err := os.ReadDir(out)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, e := range entries {
		if e.Name() != jiraDir && e.Name() != confluenceDir && e.Name() != htmlDir {
			return cmdutil.Usagef("--out %s holds other files (%s): the demo writes only to a new directory or an earlier demo's", out, e.Name())
		}
	}
	return nil
}

// onlyDemoFiles refuses an earlier demo's export that holds a file the
// demo did not write, or one changed since: it is the user's now.
func onlyDemoFiles(ctx context.Context, dir string) error {
	r, err := exportformat.Verify(ctx, dir)
	if err != nil {
		return fmt.Errorf("check the earlier demo in %s: %w", dir, err)
	}
	if r.OK() || r.OnlyUnfinished() {
		return nil
	}
	theirs := slices.Clone(r.Extra)
	for _, c := range r.Corrupt {
		theirs = append(theirs, c.Path)
	}
	theirs = append(theirs, r.Unsafe...)
	if len(theirs) == 0 {
		// Without its index (gone, or unreadable) nothing says which
		// files are the demo's.
		return cmdutil.Usagef("%s cannot be told apart from files of yours (%s); nothing was deleted: remove it yourself, or choose another --out", dir, strings.Join(r.Manifest[:min(len(r.Manifest), 1)], ""))
	}
	shown := theirs[:min(len(theirs), 3)]
	more := ""
	if n := r.Totals.Extra + r.Totals.Corrupt + r.Totals.Unsafe; n > len(shown) {
		more = fmt.Sprintf(" and %d more", n-len(shown))
	}
	return cmdutil.Usagef("%s holds files the demo did not write, or changed since (%s%s); nothing was deleted: move them away, or choose another --out", dir, strings.Join(shown, ", "), more)
}

// isDemoExport reports whether dir holds an export of the sandbox made
// by the demo.
func isDemoExport(dir, query string) bool {
	b, err := os.ReadFile(filepath.Join(dir, exportformat.ManifestName))
	if err != nil {
		return false
	}
	var m exportformat.Manifest
	return json.Unmarshal(b, &m) == nil && m.Site.CloudID == sandbox.DefaultSites[0].CloudID && m.Query == query
}

// describe says where the files are and what they hold.
func describe(ctx context.Context, f *cmdutil.Factory, out string) error {
	jm, jr, err := manifest(ctx, filepath.Join(out, jiraDir))
	if err != nil {
		return err
	}
	cm, cr, err := manifest(ctx, filepath.Join(out, confluenceDir))
	if err != nil {
		return err
	}
	w := f.IO.Out
	fmt.Fprintf(w, "\nThe Jira export is in %s/:\n", filepath.Join(out, jiraDir))
	fmt.Fprintf(w, "  manifest.json     what was exported, from where, when; skipped and failed items\n")
	fmt.Fprintf(w, "  index.jsonl       one line per file with its sha256 (%d files)\n", jr.Files)
	fmt.Fprintf(w, "  fields.json       Jira's field names and schemas, once\n")
	fmt.Fprintf(w, "  issues/<id>/      issue.json (every field, comment, worklog and change), issue.md (to read) and attachments/ (%d issues, %d attachments)\n",
		jm.Counts["issue"], jm.Counts["attachment"])
	fmt.Fprintf(w, "The Confluence export is in %s/ (%d files):\n", filepath.Join(out, confluenceDir), cr.Files)
	fmt.Fprintf(w, "  pages/<id>/       page.json (both body formats, labels, every comment and reply), page.md and attachments/ (%d pages, %d attachments)\n",
		cm.Counts["page"], cm.Counts["attachment"])
	fmt.Fprintf(w, "  blogposts/<id>/   the same for blog posts (%d)\n", cm.Counts["blogpost"])
	fmt.Fprintf(w, "  spaces/, folders/ the space and the folders the pages live in\n")
	if n := len(jm.Skipped) + len(cm.Skipped); n > 0 {
		fmt.Fprintf(w, "%d items were skipped by design (deleted or restricted after the search found them), listed in each manifest.\n", n)
	}
	fmt.Fprintf(w, "Account ids are removed (%s); names and emails stay.\n", jm.Redaction)
	for _, r := range []struct {
		dir string
		ok  bool
	}{{filepath.Join(out, jiraDir), jr.OK()}, {filepath.Join(out, confluenceDir), cr.OK()}} {
		if r.ok {
			fmt.Fprintf(w, "Checked: every file matches the index (aumo verify %s).\n", r.dir)
		} else {
			fmt.Fprintf(w, "aumo verify %s found problems; run it to see them.\n", r.dir)
		}
	}
	return nil
}

// manifest reads an export's manifest and verifies the export.
func manifest(ctx context.Context, dir string) (*exportformat.Manifest, *exportformat.Report, error) {
	b, err := os.ReadFile(filepath.Join(dir, exportformat.ManifestName))
	if err != nil {
		return nil, nil, err
	}
	var m exportformat.Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, nil, err
	}
	r, err := exportformat.Verify(ctx, dir)
	if err != nil {
		return nil, nil, err
	}
	return &m, r, nil
}
