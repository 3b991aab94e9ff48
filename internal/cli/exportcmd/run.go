package exportcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"github.com/aumo-cli/aumo/internal/atlassian"
	"github.com/aumo-cli/aumo/internal/auth"
	"github.com/aumo-cli/aumo/internal/buildinfo"
	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/config"
	"github.com/aumo-cli/aumo/internal/duration"
	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/internal/progress"
	"github.com/aumo-cli/aumo/internal/sink"
	"github.com/aumo-cli/aumo/internal/tokenstore"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// product is what the exports of Jira and Confluence do their own way.
type product interface {
	// product, query, scopes and choices describe the export: the
	// product, the query as the user gave it, the scopes it cannot do
	// without, and the options that shape its content.
	product() atlassian.Product
	query() string
	scopes() []string
	choices() map[string]string
	// list lists what the query selects now, for an incremental run whose
	// window is the last window minutes.
	list(ctx context.Context, client *atlassian.Client, window int, prepared *export.Prepared) (listing, error)
	// start makes the run's source for what sc names and checks its query
	// with the API; it returns the API's estimate of the items (-1:
	// unknown).
	start(ctx context.Context, client *atlassian.Client, site tokenstore.Site, sc scope) (source, int64, error)
	// estimate says what an export of the query, narrowed to the last
	// window minutes when window is positive, would cost.
	estimate(ctx context.Context, client *atlassian.Client, window int, o export.EstimateOptions) (export.Estimate, error)
	// after says what the numbers of a run that is no update call for.
	after(w io.Writer, src source, estimate int64)
}

// source is a product's source of items.
type source interface {
	export.Source
	// Listed is how many items the search listed; Query the query as
	// sent.
	Listed() int64
	Query() string
}

// listing is what an incremental run learns of the query before it
// writes.
type listing struct {
	export.Listing
	// titles are the pages listed, by space key and title (Confluence),
	// or the issues' ids by key (Jira): the links of the items written
	// again resolve to those already in the export.
	titles map[string]string
}

// scope is what a run exports of the query.
type scope struct {
	// window, when positive, narrows the query to the last window
	// minutes (--since, or an update's window).
	window int
	// An update's: the items to export besides the window's, the
	// listing's titles, and whether the listing fell short (nothing is
	// removed then).
	updating     bool
	extra        []string
	titles       map[string]string
	shortListing bool
	// repair, when set, is what a repair fetches again: extra alone, and
	// the spaces and folders it names.
	repair *export.RepairPlan
}

// Record is what an export run leaves for the profile's audit trail: what
// was exported from where to where, and the manifest it ended with.
type Record struct {
	cfg      *config.Config
	opts     export.Options
	manifest *exportformat.Manifest
	started  time.Time
	// repair: the run mended the export (aumo verify --repair).
	repair bool
	// summary, when set, receives the run's JSON summary (--json).
	summary io.Writer
}

// run runs an export. The record is nil when the run stopped before the
// export began (the configuration, the grant, the site or its scopes).
func run(ctx context.Context, opts *Options, p product) (*Record, error) {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(export.MemoryLimit)
	}
	f := opts.Factory
	cfg, err := f.Config()
	if err != nil {
		return nil, err
	}
	window := 0
	if !opts.SinceTime.IsZero() {
		now := time.Now()
		window = sinceMinutes(opts.SinceTime, now)
		fmt.Fprintln(f.IO.Messages(), sinceNotice(opts.SinceTime, now))
	}
	lock, err := lockOut(opts.Out)
	if err != nil {
		return nil, err
	}
	// Released once the export has ended, whichever way: a directory's
	// lock file goes with it.
	defer func() { _ = lock.Release() }()
	ts, site, err := signIn(ctx, f, cfg, p.scopes())
	if err != nil {
		return nil, err
	}
	rec := &Record{cfg: cfg, opts: engineOptions(opts, p, site), started: time.Now(), summary: summaryTo(f, opts)}
	rec.opts.Lock = lock
	rec.manifest, err = exportWith(ctx, opts, p, session{cfg: cfg, tokens: ts, site: site}, window, rec)
	return rec, err
}

// lockOut takes --out's lock before anything reads or writes it, so that
// a second export into the same directory or tarball is refused at once
// (exit 2) instead of repeating the first one's work or replacing its
// tarball.
func lockOut(out string) (*sink.OutputLock, error) {
	lock, err := sink.LockOutput(out)
	switch {
	case errors.Is(err, sink.ErrLocked):
		return nil, cmdutil.Usagef("--out %s: %v; wait for it to end, or choose another --out", out, err)
	case err != nil:
		return nil, cmdutil.Usagef("--out %s: %v", out, err)
	}
	return lock, nil
}

// session is what the run is signed in with.
type session struct {
	cfg    *config.Config
	tokens *auth.TokenSource
	site   tokenstore.Site
}

// signIn finds the grant and the site to export from, and checks that
// the grant has the scopes the export needs.
func signIn(ctx context.Context, f *cmdutil.Factory, cfg *config.Config, scopes []string) (*auth.TokenSource, tokenstore.Site, error) {
	ts, err := f.TokenSource()
	if err != nil {
		return nil, tokenstore.Site{}, err
	}
	grant, err := ts.Grant(ctx)
	if err != nil {
		return nil, tokenstore.Site{}, err
	}
	site, _, err := cmdutil.ChooseSite(cfg, grant)
	if err != nil {
		return nil, tokenstore.Site{}, err
	}
	if missing := auth.MissingScopes(grant.Scope, scopes); len(missing) > 0 {
		return nil, tokenstore.Site{}, &auth.MissingScopesError{Scopes: scopeNames(missing)}
	}
	return ts, site, nil
}

// engineOptions are the export engine's options for the run.
func engineOptions(opts *Options, p product, site tokenstore.Site) export.Options {
	choices := p.choices()
	if opts.Since != "" {
		choices["since"] = opts.Since
	}
	f := opts.Factory
	return export.Options{
		Out: opts.Out, Product: string(p.product()), Query: p.query(),
		Site:      exportformat.Site{CloudID: site.CloudID, URL: site.URL, Name: site.Name},
		Redaction: redaction(opts.KeepAccountIDs), Tool: exportformat.Tool{Name: "aumo", Version: buildinfo.Version},
		Choices:     choices,
		Concurrency: writers(opts), NoAttachments: opts.NoAttachments, MaxAttachmentSize: opts.MaxAttachmentBytes,
		NoJSON: opts.NoJSON, NoMarkdown: opts.NoMarkdown, Recipients: opts.Recipients,
		Incremental: opts.Incremental, Prune: opts.Prune,
		Stdout: f.IO.Out, StdoutIsTerminal: f.IO.IsStdoutTTY(),
	}
}

// writers is how many items the engine writes at once. A writer spends
// most of its time on its item's downloads, which the client lets go
// atlassian.DownloadsPerSlot times as wide as the other requests; without
// attachments --concurrency is enough.
func writers(opts *Options) int {
	if opts.NoAttachments {
		return opts.Concurrency
	}
	return opts.Concurrency * atlassian.DownloadsPerSlot
}

// newClient is the API client of the run, which tells of quota pauses
// through the notice it returns, and of waits for an API it cannot reach
// as messages. When it reaches --max-points it stops the run through
// stop, as an interrupt would, before any call fails for it.
func newClient(opts *Options, s session, p atlassian.Product, stop context.CancelCauseFunc) (*atlassian.Client, *pauseNotice, error) {
	f := opts.Factory
	pauses := &pauseNotice{w: f.IO.Messages()}
	client, err := atlassian.New(atlassian.Options{
		APIURL: s.cfg.APIURL, Product: p, CloudID: s.site.CloudID, SiteURL: s.site.URL,
		Tokens: s.tokens, HTTPClient: f.HTTPClient(), Logger: f.Logger,
		RequestTimeout: s.cfg.RequestTimeout,
		Concurrency:    opts.Concurrency, MaxConcurrency: opts.Concurrency,
		MaxPoints: opts.MaxPoints, PointsPerHour: opts.PointsPerHour,
		OnBudget: func(e *atlassian.BudgetError) {
			stop(&export.StopError{Reason: exportformat.StoppedMaxPoints, Err: e})
		},
		OnPause:       pauses.show,
		OnUnreachable: func(u atlassian.UnreachableWait) { fmt.Fprintln(f.IO.Messages(), unreachableNotice(u)) },
	})
	return client, pauses, err
}

// unreachableNotice says what a run waits for when the API cannot be
// reached, rather than a silence of a minute.
func unreachableNotice(u atlassian.UnreachableWait) string {
	return fmt.Sprintf("cannot reach the API at %s (%s); trying again in %s (attempt %d of %d)",
		u.API, u.Reason, duration.Words(u.Wait), u.Attempt, u.Attempts)
}

// pauseNotice tells of the quota pauses of a run: on the progress line
// once there is one, else as a message. Safe for concurrent use.
type pauseNotice struct {
	mu  sync.Mutex
	w   io.Writer
	bar *progress.Bar
}

func (n *pauseNotice) show(until time.Time, reason string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.bar != nil {
		n.bar.Paused(until)
		return
	}
	fmt.Fprintf(n.w, "Atlassian's rate-limit quota is used up (%s); waiting until %s\n", reason, until.Local().Format(time.TimeOnly))
}

func (n *pauseNotice) onBar(bar *progress.Bar) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.bar = bar
}

// exportWith runs the export once it is signed in: nothing is written and
// no API is called before --out is known good; an update first lists
// what the query selects now.
func exportWith(ctx context.Context, opts *Options, p product, s session, window int, rec *Record) (m *exportformat.Manifest, err error) {
	f := opts.Factory
	updating, err := export.Check(rec.opts)
	if err != nil {
		return nil, err
	}
	ctx, stop := context.WithCancelCause(ctx)
	defer stop(nil)
	client, pauses, err := newClient(opts, s, p.product(), stop)
	if err != nil {
		return nil, err
	}
	eopts := rec.opts
	eopts.Downloads = client
	eopts.Cost = export.ClientCost(client)
	sc := scope{window: window}
	var prepared *export.Prepared
	if updating {
		if prepared, err = export.Prepare(eopts); err != nil {
			return nil, err
		}
		defer func() {
			if m == nil && err != nil {
				stopUpdate(f.IO.ErrOut, opts.Out, prepared, err)
			}
		}()
		if sc, err = planUpdate(ctx, f, opts.Out, p, client, prepared); err != nil {
			return nil, err
		}
	}
	src, estimate, err := p.start(ctx, client, s.site, sc)
	if err != nil {
		return nil, err
	}
	if prepared == nil {
		if prepared, err = export.Prepare(eopts); err != nil {
			return nil, err
		}
	}
	announce(f.IO.Messages(), opts, prepared, updating)
	m, err = runWithProgress(ctx, opts, progressOf(p.product(), estimate, prepared, updating), prepared, src, client, pauses)
	if stopped := new(export.StopError); errors.As(err, &stopped) {
		return m, err // its message and hint say how the export stands
	}
	if m == nil {
		if !updating && sink.KindOf(opts.Out) == sink.KindDir && !isQueryError(err) {
			fmt.Fprintf(f.IO.ErrOut, "The export in %s is unfinished; run the same command again to resume it.\n", opts.Out)
		}
		return nil, err
	}
	report(f, opts, p, src, prepared, m, reportOf{estimate: estimate, scope: sc, took: time.Since(rec.started)})
	return m, err
}

// planUpdate prepares an incremental run: the window since the previous
// run, the items to export besides the window's, and what the query
// selects now, for the removals.
func planUpdate(ctx context.Context, f *cmdutil.Factory, out string, p product, client *atlassian.Client, prepared *export.Prepared) (scope, error) {
	msgs := f.IO.Messages()
	since, _ := prepared.Updating()
	if prepared.UpdateResumed() {
		fmt.Fprintf(msgs, "Completing the update of %s begun earlier, with what changed since %s.\n", out, since.Local().Format("2006-01-02 15:04 MST"))
	} else {
		fmt.Fprintf(msgs, "Updating the export in %s with what changed since %s (its last run's start, less %s).\n",
			out, since.Local().Format("2006-01-02 15:04 MST"), export.UpdateMargin)
	}
	window := prepared.Window(time.Now())
	l, err := p.list(ctx, client, window, prepared)
	if err != nil {
		return scope{}, err
	}
	upd, err := prepared.PlanUpdate(window, l.Listing)
	if err != nil {
		return scope{}, err
	}
	switch {
	case upd.ShortListing && upd.Listed == 0:
		fmt.Fprintf(f.IO.ErrOut, "warning: the search listed nothing, and %s holds items; nothing is removed from it this run (if the query should select nothing now, export it afresh)\n", out)
	case upd.ShortListing:
		fmt.Fprintf(f.IO.ErrOut, "warning: the search listed %d items where it counts %d; nothing is removed from %s this run (a search that ends early must not empty a mirror)\n", upd.Listed, upd.Estimate, out)
	}
	return scope{window: upd.Window, updating: true, extra: upd.Extra, titles: l.titles, shortListing: upd.ShortListing}, nil
}

// stopUpdate ends an update that stopped before its end, and says how
// the export stands.
func stopUpdate(w io.Writer, out string, prepared *export.Prepared, err error) {
	_ = prepared.Close()
	switch {
	case errors.Is(err, export.ErrFinishUpdate):
		fmt.Fprintf(w, "The update stopped while it moved aside what is gone from the query; run the same command again to complete it (until then, aumo verify may find files out of place in %s).\n", out)
	case !isQueryError(err):
		fmt.Fprintf(w, "The update stopped before its end: the export in %s is still whole; run the same command again to finish the update.\n", out)
	}
}

func isQueryError(err error) bool {
	var q *export.QueryError
	return errors.As(err, &q)
}

// announce says what kind of run begins: a first export into an empty
// --out despite --incremental, or a resumed one.
func announce(w io.Writer, opts *Options, prepared *export.Prepared, updating bool) {
	resuming, done := prepared.Resuming()
	switch {
	case resuming:
		fmt.Fprintf(w, "Resuming the export in %s (%d items already there)\n", opts.Out, done)
	case !updating && opts.Incremental:
		fmt.Fprintf(w, "No export in %s yet: exporting everything (the next --incremental run updates it).\n", opts.Out)
	}
}

// runWithProgress runs the prepared export, with a progress line that
// counts line's items on a terminal, unless asked not to.
func runWithProgress(ctx context.Context, opts *Options, line progress.Options, prepared *export.Prepared, src export.Source, client *atlassian.Client, pauses *pauseNotice) (*exportformat.Manifest, error) {
	f := opts.Factory
	var bar *progress.Bar
	if f.IO.IsStderrTTY() && !opts.NoProgress && !f.IO.Quiet {
		line.Points = func() int64 { return client.Stats().Points }
		line.Quota = func() progress.Quota { return progress.Quota(client.Quota()) }
		line.Width = f.IO.ErrWidth
		bar = progress.New(f.IO.ErrOut, line)
		prepared.SetProgress(bar)
		pauses.onBar(bar)
	}
	m, err := prepared.Run(ctx, src)
	bar.Finish()
	return m, err
}

// progressOf is what the progress line of an export of product counts:
// issues, or pages and blog posts, against the query's estimate, with
// what a resumed export already holds (an update's window, or a
// repair, has no estimate, and what the export holds is no part of the
// run).
func progressOf(product atlassian.Product, estimate int64, prepared *export.Prepared, updating bool) progress.Options {
	line := progress.Options{Items: "pages and blog posts", Kinds: []string{exportformat.KindPage, exportformat.KindBlogpost}, Total: estimate}
	if product == atlassian.Jira {
		line.Items, line.Kinds = "issues", []string{exportformat.KindIssue}
	}
	if resuming, _ := prepared.Resuming(); resuming && !updating {
		counts := prepared.Counts()
		for _, k := range line.Kinds {
			line.Already.Items += counts[k]
		}
		line.Already.Attachments, line.Already.Bytes = counts[exportformat.KindAttachment], counts["bytes"]
	}
	return line
}

func redaction(keep bool) string {
	if keep {
		return exportformat.RedactionNone
	}
	return exportformat.RedactionAccountIDs
}

func scopeNames(ms []auth.MissingScope) []string {
	var out []string
	for _, m := range ms {
		out = append(out, m.Scope)
	}
	return out
}
