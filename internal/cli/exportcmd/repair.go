package exportcmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aumo-cli/aumo/internal/auth"
	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/confluence"
	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/internal/sink"
	"github.com/aumo-cli/aumo/internal/tokenstore"
	"github.com/aumo-cli/aumo/pkg/exportformat"
)

// Repair mends the directory export in dir, which found is exportformat's
// report of (`aumo verify --repair`): it fetches again, by id, the items
// whose files are missing or corrupt, with the site, query and options
// its manifest records, as an update with no window would. Files the
// index does not name are left as they are. Nothing is asked of the API
// before the export is known to be repairable, and nothing written
// before the grant is known to reach its site. lock is dir's, taken
// (sink.LockOutput) before found was made, and held until Repair returns.
func Repair(ctx context.Context, f *cmdutil.Factory, dir string, found *exportformat.Report, lock *sink.OutputLock) error {
	m, err := repairableManifest(dir)
	if err != nil {
		return err
	}
	plan, err := export.PlanRepair(dir, damagedPaths(found))
	if err != nil {
		return &export.UnrepairableError{Reason: err.Error()}
	}
	if len(plan.Targets) == 0 {
		w := f.IO.Messages()
		fmt.Fprintln(w, "Nothing to fetch again: no file the index names is missing or corrupt.")
		leftAlone(w, found, plan)
		return stillDamaged(dir, found, plan, export.RepairOutcome{})
	}
	p, opts, err := productOf(m, f, dir)
	if err != nil {
		return err
	}
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	rec := &Record{cfg: cfg, opts: engineOptions(opts, p, siteOf(m)), started: time.Now(), repair: true}
	rec.opts.Repair = plan
	rec.opts.Lock = lock
	rec.manifest, err = repairWith(ctx, opts, p, m, plan, found, rec)
	return audited(rec, err)
}

// repairableManifest reads the manifest of the export in dir, and says
// why a repair cannot mend it, if it cannot.
func repairableManifest(dir string) (*exportformat.Manifest, error) {
	e, err := exportformat.Open(dir)
	if err != nil {
		return nil, &export.UnrepairableError{Reason: err.Error()}
	}
	defer func() { _ = e.Close() }()
	m, err := e.Manifest()
	if err != nil {
		return nil, &export.UnrepairableError{Reason: err.Error(), Next: "nothing says what to fetch from where: export it again"}
	}
	return m, export.Repairable(m)
}

// damagedPaths are the files a repair writes again: those missing, and
// those other than their index line says.
func damagedPaths(r *exportformat.Report) []string {
	paths := slices.Clone(r.Missing)
	for _, c := range r.Corrupt {
		paths = append(paths, c.Path)
	}
	return paths
}

func siteOf(m *exportformat.Manifest) tokenstore.Site {
	return tokenstore.Site{CloudID: m.Site.CloudID, URL: m.Site.URL, Name: m.Site.Name}
}

// repairWith checks the repair against the export without writing, signs
// in to the export's site, and runs it.
func repairWith(ctx context.Context, opts *Options, p repairer, m *exportformat.Manifest, plan *export.RepairPlan, found *exportformat.Report, rec *Record) (*exportformat.Manifest, error) {
	f := opts.Factory
	if _, err := export.Check(rec.opts); err != nil {
		return nil, unrepairable(err)
	}
	links, err := p.exportLinks(opts.Out, plan)
	if err != nil {
		return nil, &export.UnrepairableError{Reason: err.Error()}
	}
	ts, site, err := repairSignIn(ctx, f, m.Site, p.scopes())
	if err != nil {
		return nil, err
	}
	// A repair has no budget to stop it.
	client, pauses, err := newClient(opts, session{cfg: rec.cfg, tokens: ts, site: site}, p.product(), func(error) {})
	if err != nil {
		return nil, err
	}
	eopts := rec.opts
	eopts.Downloads = client
	eopts.Cost = export.ClientCost(client)
	src, estimate, err := p.start(ctx, client, site, scope{repair: plan, extra: plan.Items(), titles: links})
	if err != nil {
		return nil, err
	}
	announceRepair(f.IO.Messages(), opts.Out, plan)
	prepared, err := startRepairing(eopts)
	if err != nil {
		return nil, unrepairable(err)
	}
	out, err := runWithProgress(ctx, opts, progressOf(p.product(), estimate, prepared, true), prepared, src, client, pauses)
	if out == nil {
		fmt.Fprintf(f.IO.ErrOut, "The repair stopped before its end; run `aumo verify --repair %s` again to complete it.\n", opts.Out)
		return nil, err
	}
	o := prepared.RepairOutcome()
	st := client.Stats()
	repairSummary(f.IO.Messages(), opts.Out, o, st.Requests, st.Points)
	leftAlone(f.IO.Messages(), found, plan)
	if err != nil {
		return out, err
	}
	return out, stillDamaged(opts.Out, found, plan, o)
}

// startRepairing opens the export for the repair: everything before it
// only reads, and what it writes begins here.
func startRepairing(eopts export.Options) (*export.Prepared, error) {
	return export.Prepare(eopts)
}

// unrepairable says why the engine refused the export: another run's
// state, or options this aumo does not know.
func unrepairable(err error) error {
	var out *export.OutError
	if errors.As(err, &out) {
		return &export.UnrepairableError{Reason: out.Msg}
	}
	return err
}

// repairSignIn finds the grant and, in it, the export's own site, and
// checks that the grant has the scopes the export needs.
func repairSignIn(ctx context.Context, f *cmdutil.Factory, want exportformat.Site, scopes []string) (*auth.TokenSource, tokenstore.Site, error) {
	ts, err := f.TokenSource()
	if err != nil {
		return nil, tokenstore.Site{}, err
	}
	grant, err := ts.Grant(ctx)
	if err != nil {
		return nil, tokenstore.Site{}, err
	}
	site, ok := tokenstore.FindSite(grant.Sites, want.CloudID)
	if !ok {
		return nil, tokenstore.Site{}, fmt.Errorf("the grant does not reach the export's site, %s (%s); log in to it with `aumo login --site %s`: %w",
			want.Name, want.URL, want.URL, auth.ErrNotLoggedIn)
	}
	if missing := auth.MissingScopes(grant.Scope, scopes); len(missing) > 0 {
		return nil, tokenstore.Site{}, &auth.MissingScopesError{Scopes: scopeNames(missing)}
	}
	return ts, site, nil
}

// productOf makes the export the manifest records again: its product,
// query and options.
func productOf(m *exportformat.Manifest, f *cmdutil.Factory, dir string) (repairer, *Options, error) {
	if m.Product != "jira" && m.Product != "confluence" {
		return nil, nil, &export.UnrepairableError{Reason: fmt.Sprintf("it is an export of %q, a product this aumo does not export", m.Product)}
	}
	c, err := recordedChoices(m)
	if err != nil {
		return nil, nil, err
	}
	opts := Options{
		Factory: f, Out: dir, Concurrency: export.DefaultConcurrency, Incremental: true,
		KeepAccountIDs: m.Redaction == exportformat.RedactionNone, Since: c.since,
		NoAttachments: c.noAttachments, MaxAttachmentBytes: c.maxAttachment, NoJSON: c.noJSON, NoMarkdown: c.noMarkdown,
	}
	if m.Product == "jira" {
		j := &JiraOptions{Options: opts, JQL: m.Query, Fields: strings.Split(c.fields, ",")}
		return jiraExport{j}, &j.Options, nil
	}
	co := &ConfluenceOptions{Options: opts, CQL: m.Query, IncludeArchived: c.includeArchived}
	return confluenceExport{co}, &co.Options, nil
}

// choicesMade are the options an export was made with, as its manifest
// records them.
type choicesMade struct {
	fields, since      string
	includeArchived    bool
	noAttachments      bool
	maxAttachment      int64
	noJSON, noMarkdown bool
}

// recordedChoices reads the options of the manifest m; an option this
// aumo does not know, or a value it does not write, makes the export one
// it cannot make again.
func recordedChoices(m *exportformat.Manifest) (choicesMade, error) {
	var c choicesMade
	if m.Options == nil {
		return c, &export.UnrepairableError{Reason: "its manifest does not record the options it was made with (an older aumo made it)", Next: "export it again"}
	}
	if m.Redaction != exportformat.RedactionNone && m.Redaction != exportformat.RedactionAccountIDs {
		return c, badChoice("redaction", m.Redaction)
	}
	for k, v := range m.Options {
		if err := c.set(m.Product, k, v); err != nil {
			return c, err
		}
	}
	if m.Product == "jira" && c.fields == "" {
		return c, badChoice("fields", "")
	}
	return c, nil
}

// set takes one recorded option of an export of product.
func (c *choicesMade) set(product, key, value string) error {
	var err error
	switch {
	case key == "attachments":
		c.noAttachments, c.maxAttachment, err = attachmentChoice(value)
	case key == "format":
		c.noJSON, c.noMarkdown, err = formats(strings.Split(value, ","))
	case key == "since":
		c.since = value
	case key == "fields" && product == "jira":
		c.fields = value
	case key == "includeArchived" && product == "confluence":
		c.includeArchived, err = strconv.ParseBool(value)
	default:
		return badChoice(key, value)
	}
	if err != nil {
		return badChoice(key, value)
	}
	return nil
}

// attachmentChoice reads the manifest's "attachments": all, none, or
// "up to N bytes".
func attachmentChoice(v string) (none bool, limit int64, err error) {
	switch v {
	case "all":
		return false, 0, nil
	case "none":
		return true, 0, nil
	}
	var n int64
	if _, err := fmt.Sscanf(v, "up to %d bytes", &n); err != nil || n <= 0 || fmt.Sprintf("up to %d bytes", n) != v {
		return false, 0, errors.New("unknown")
	}
	return false, n, nil
}

func badChoice(key, value string) error {
	return &export.UnrepairableError{Reason: fmt.Sprintf("its manifest records the option %s %q, which this aumo does not know", key, value), Next: "repair it with the aumo that made it"}
}

// repairer is a product's export, and what it does its own way in a
// repair.
type repairer interface {
	product
	// exportLinks are what the links of the items written again resolve
	// to: the other items the export holds (a source's Keys or Titles),
	// read from the export in dir, not listed by a search.
	exportLinks(dir string, plan *export.RepairPlan) (map[string]string, error)
}

var (
	_ repairer = jiraExport{}
	_ repairer = confluenceExport{}
)

// exportLinks are the ids of the export's issues by key (from any file
// of theirs: an export of Markdown alone has no issue.json).
func (j jiraExport) exportLinks(dir string, _ *export.RepairPlan) (map[string]string, error) {
	keys := map[string]string{}
	err := eachIndexLine(dir, func(l exportformat.IndexLine) {
		if l.Key != "" && l.Item != "" {
			keys[l.Key] = l.Item
		}
	})
	return keys, err
}

// exportLinks are the export's pages by space key and title, and its
// pages and blog posts by id, read from their files (those of the plan,
// being damaged, aside: the repair lists those anew).
func (c confluenceExport) exportLinks(dir string, plan *export.RepairPlan) (map[string]string, error) {
	damaged := map[string]bool{}
	for _, t := range plan.Targets {
		for _, p := range t.Paths {
			damaged[p] = true
		}
	}
	latest := map[string]exportformat.IndexLine{}
	err := eachIndexLine(dir, func(l exportformat.IndexLine) {
		switch l.Kind {
		case exportformat.KindPage, exportformat.KindBlogpost, exportformat.KindMarkdown, exportformat.KindSpace:
			latest[l.Path] = l
		}
	})
	if err != nil {
		return nil, err
	}
	var lines []exportformat.IndexLine
	for p, l := range latest {
		if !damaged[p] {
			lines = append(lines, l)
		}
	}
	return confluence.ExportTitles(os.DirFS(dir), lines), nil
}

// eachIndexLine calls fn with every line of the index of the export in
// dir, a line at a time.
func eachIndexLine(dir string, fn func(exportformat.IndexLine)) error {
	fh, err := os.Open(filepath.Join(dir, exportformat.IndexName))
	if err != nil {
		return err
	}
	defer func() { _ = fh.Close() }()
	r := exportformat.NewIndexReader(fh)
	for r.Next() {
		fn(r.Record().IndexLine)
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("read %s: %w", exportformat.IndexName, err)
	}
	return nil
}

// announceRepair names what the repair fetches again, and why.
func announceRepair(w io.Writer, out string, plan *export.RepairPlan) {
	fmt.Fprintf(w, "Repairing %s: fetching again %s, whose files are missing or corrupt:\n", out, count(len(plan.Targets), "item"))
	for _, t := range plan.Targets {
		fmt.Fprintf(w, "  %s: %s\n", targetName(t), strings.Join(t.Paths, ", "))
	}
}

// targetName names a target as a person knows it: "issue 10002 (ABC-3)".
func targetName(t export.RepairTarget) string {
	kind := strings.Replace(t.Kind, "blogpost", "blog post", 1)
	if t.Kind == exportformat.KindFields {
		return "the field list"
	}
	if t.Key != "" {
		return fmt.Sprintf("%s %s (%s)", kind, t.ID, t.Key)
	}
	return kind + " " + t.ID
}

// repairSummary says what the repair did with each target.
func repairSummary(w io.Writer, out string, o export.RepairOutcome, requests, points int64) {
	fetched := "nothing"
	if len(o.Written) > 0 {
		fetched = count(len(o.Written), "item")
	}
	fmt.Fprintf(w, "Repaired %s: %s fetched again; %d requests, %d rate-limit points.\n", out, fetched, requests, points)
	for _, t := range o.Gone {
		fmt.Fprintf(w, "The %s is gone (deleted, or no longer visible): its intact files moved under %s/, listed in the manifest's \"removed\".\n", targetName(t), export.RemovedDir)
	}
	for _, t := range o.NotFetched {
		fmt.Fprintf(w, "The %s could not be fetched again (deleted, or no longer visible): its files stay as they are.\n", targetName(t))
	}
	for _, t := range o.Failed {
		fmt.Fprintf(w, "The %s failed after every retry: its files stay as they were; run `aumo verify --repair %s` again to retry.\n", targetName(t), out)
	}
}

// leftAlone says what a repair does not mend: files the index does not
// name, and copies under removed/ of what is gone.
func leftAlone(w io.Writer, found *exportformat.Report, plan *export.RepairPlan) {
	if n := len(found.Extra); n > 0 {
		fmt.Fprintf(w, "Left as %s: %s the index does not name (%s; move %s out of the export for verify to find it intact):\n",
			pick(n, "it is", "they are"), count(n, "file"), pick(n, "it may be yours", "they may be yours"), pick(n, "it", "them"))
		for _, p := range found.Extra {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
	if n := len(plan.Unowned); n > 0 {
		fmt.Fprintf(w, "Left as %s: %s under %s/, copies of what is gone, which nothing can fetch again:\n", pick(n, "it is", "they are"), count(n, "damaged file"), export.RemovedDir)
		for _, p := range plan.Unowned {
			fmt.Fprintf(w, "  %s\n", p)
		}
	}
}

// stillDamaged is the damage a repair left, as verify would find it next
// (nil when none): extra files, damaged copies under removed/, and the
// damaged files of what could not be fetched again.
func stillDamaged(dir string, found *exportformat.Report, plan *export.RepairPlan, o export.RepairOutcome) error {
	left := map[string]bool{}
	for _, p := range plan.Unowned {
		left[p] = true
	}
	for _, t := range slices.Concat(o.NotFetched, o.Failed) {
		for _, p := range t.Paths {
			left[p] = true
		}
	}
	r := &exportformat.Report{Extra: found.Extra, Unsafe: found.Unsafe}
	for _, p := range found.Missing {
		if left[p] {
			r.Missing = append(r.Missing, p)
		}
	}
	for _, c := range found.Corrupt {
		if left[c.Path] {
			r.Corrupt = append(r.Corrupt, c)
		}
	}
	// The report names the first of each kind only; the repair fetched
	// those, and the rest are as they were (the next repair takes them).
	r.Totals = exportformat.Totals{
		Missing: len(r.Missing) + unlisted(found.Totals.Missing, len(found.Missing)),
		Corrupt: len(r.Corrupt) + unlisted(found.Totals.Corrupt, len(found.Corrupt)),
		Extra:   max(found.Totals.Extra, len(found.Extra)),
		Unsafe:  max(found.Totals.Unsafe, len(found.Unsafe)),
	}
	if len(plan.Targets) == 0 {
		r.Manifest = found.Manifest // nothing was written: nothing counted again
	}
	if r.OK() {
		return nil
	}
	return &cmdutil.DamagedError{Path: dir, Report: r}
}

// unlisted is how many of total a report's list of listed leaves out.
func unlisted(total, listed int) int { return max(total-listed, 0) }

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func pick(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
