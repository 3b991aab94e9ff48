// Package exportcmd implements `aumo export jira` and `aumo export
// confluence`: it checks the flags, signs in, and wires the product's
// source (internal/jira, internal/confluence) to the export engine
// (internal/export).
package exportcmd

import (
	"fmt"
	"os"

	"filippo.io/age"

	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aumo-cli/aumo/internal/bytesize"
	"github.com/aumo-cli/aumo/internal/cli/cmdutil"
	"github.com/aumo-cli/aumo/internal/export"
	"github.com/aumo-cli/aumo/internal/sink"
)

// Options are the flags both exports share, what RunE makes of them, and
// the dependencies.
type Options struct {
	Factory           *cmdutil.Factory
	Out               string
	NoAttachments     bool
	MaxAttachmentSize string
	Concurrency       int
	KeepAccountIDs    bool
	NoProgress        bool
	Formats           []string
	EncryptTo         []string
	EncryptPassphrase bool
	Since             string
	Incremental       bool
	Prune             bool
	JSON              bool
	// MaxPoints and PointsPerHour are --max-points and --points-per-hour;
	// zero: none.
	MaxPoints     int64
	PointsPerHour int64
	// Estimate prints what the export would cost and writes nothing.
	Estimate bool

	// What Validate makes of the flags.
	MaxAttachmentBytes int64
	NoJSON, NoMarkdown bool
	Recipients         []age.Recipient
	// SinceTime is --since as a time; zero without it.
	SinceTime time.Time
}

// NewCmdExport returns `aumo export`.
func NewCmdExport(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "export <product>",
		Short: "Export Jira issues or Confluence pages to a directory or a tarball",
		Long: `Export what a query selects, completely, to a directory or a tarball in aumo's
export format v1: lossless JSON per item, its attachments, an index with
sha256 of every file, and a manifest. A directory export that is interrupted
resumes when the same command runs again; "aumo verify" checks any export.

A directory export can be kept current: the same command with --incremental
writes again only what changed since its last run (and what newly matches
the query), and moves what the query no longer selects under removed/ (or
deletes it, with --prune). Unchanged attachments are not downloaded again.
An interrupted update leaves the previous export intact; the next run
completes it. Tarballs and standard output take --since TIME instead, and
may be encrypted with age (--encrypt-to, --encrypt-passphrase); directory
exports are never encrypted.`,
	}
	cmd.AddCommand(NewCmdJira(f, nil), NewCmdConfluence(f, nil))
	return cmd
}

func addCommonFlags(cmd *cobra.Command, o *Options) {
	fl := cmd.Flags()
	fl.StringVarP(&o.Out, "out", "o", "", "where to write: a directory, a file ending .tar, .tar.gz/.tgz or .tar.zst, or - (a tar stream on standard output)")
	cmdutil.AddSiteFlag(cmd, "the site: URL, name or cloudId (default: AUMO_SITE, the config file's site, or the one stored at login or by \"aumo sites use\")")
	fl.BoolVar(&o.NoAttachments, "no-attachments", false, "leave attachments out (listed as skipped)")
	fl.StringVar(&o.MaxAttachmentSize, "max-attachment-size", "", "leave out attachments larger than `SIZE` (e.g. 100MB; listed as skipped)")
	fl.IntVar(&o.Concurrency, "concurrency", export.DefaultConcurrency, "API requests in flight at once, and four times as many attachment downloads (aumo slows down by itself on rate limits)")
	fl.BoolVar(&o.KeepAccountIDs, "keep-account-ids", false, "keep Atlassian account ids in the export (default: removed; names and emails stay)")
	fl.BoolVar(&o.NoProgress, "no-progress", false, "no progress line")
	fl.BoolVar(&o.JSON, "json", false, "print a JSON summary of the run at its end: on standard output, or standard error with --out -")
	fl.BoolVar(&o.Estimate, "estimate", false, "print what the export would cost (items, requests, rate-limit points, bytes, time) from a few requests, and write nothing; --out is not needed")
	fl.StringVar(&o.Since, "since", "", "export only what changed since `TIME` (2026-11-01, \"2026-11-01 09:00\", RFC 3339, or an age: 90m, 36h, 7d); searched as a relative window with a 5-minute margin")
	fl.BoolVar(&o.Incremental, "incremental", false, "update the directory export in --out with what changed since its last run: changed and new items are written again, and items the query no longer selects move under removed/ (into an empty --out: a full export)")
	fl.BoolVar(&o.Prune, "prune", false, "with --incremental: delete what is gone rather than moving it under removed/")
	fl.StringArrayVar(&o.EncryptTo, "encrypt-to", nil, "encrypt the tarball or standard output with age for `RECIPIENT` (age1…, an SSH public key, or a file of them; repeatable). The name must end in .age; directory exports are never encrypted")
	fl.BoolVar(&o.EncryptPassphrase, "encrypt-passphrase", false, "encrypt the tarball or standard output with the passphrase in $AUMO_EXPORT_PASSPHRASE (age scrypt)")
	fl.Int64Var(&o.MaxPoints, "max-points", 0, "stop the run before it spends more than `N` rate-limit points (directory exports; exit 6, and the same command continues)")
	fl.Int64Var(&o.PointsPerHour, "points-per-hour", 0, "spend at most `N` rate-limit points an hour, spread evenly, leaving the rest of the OAuth app's quota (65,000 by default) to its other users")
	fl.StringSliceVar(&o.Formats, "format", []string{"json", "md"}, "what to write of each item: json (lossless, as the API gives it), md (readable Markdown), or both")
	_ = cmd.RegisterFlagCompletionFunc("format", cmdutil.CompleteList("json\tlossless, as the API gives it", "md\treadable Markdown"))
	// --out is required, but checked by queryFlag.check rather than
	// cobra, whose message ("required flag(s) \"out\" not set") is not
	// one to show a person.
}

// queryFlag is how an export takes its query: aumo export PRODUCT --FLAG
// 'EXAMPLE'.
type queryFlag struct{ product, flag, example string }

var (
	jqlFlag = queryFlag{product: "jira", flag: "jql", example: "project = ABC"}
	cqlFlag = queryFlag{product: "confluence", flag: "cql", example: "space = ENG"}
)

// check refuses an export without its query or --out, and arguments,
// which it takes none of: a query or path given as one is shown in the
// flag where it goes.
func (q queryFlag) check(query, out string, estimate bool, args []string) error {
	switch {
	case len(args) > 0:
		return q.misplaced(query, out, args)
	case strings.TrimSpace(query) == "":
		return cmdutil.Usagef("--%s is required (e.g. --%s %s)", q.flag, q.flag, shellQuote(q.example))
	case out == "" && !estimate:
		return cmdutil.Usagef("--out is required (e.g. --out abc: a directory; or abc.tar.zst, a tarball; or - for standard output)")
	}
	return nil
}

// misplaced says where the arguments go: the query in its flag, else a
// path in --out.
func (q queryFlag) misplaced(query, out string, args []string) error {
	command := func(query, out string) string {
		if out == "" {
			out = "…"
		}
		return fmt.Sprintf("aumo export %s --%s %s --out %s", q.product, q.flag, shellQuote(query), out)
	}
	switch {
	case strings.TrimSpace(query) == "":
		return cmdutil.Usagef("put the query in --%s: %s", q.flag, command(strings.Join(args, " "), out))
	case out == "" && len(args) == 1:
		return cmdutil.Usagef("put the path in --out: %s", command(query, args[0]))
	}
	return cmdutil.Usagef("unexpected argument %q: the query goes in --%s and the path in --out", args[0], q.flag)
}

// shellQuote quotes s for a POSIX shell, so that a command shown can be
// pasted as it is.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// maxConcurrency bounds --concurrency: more only meets the burst limits.
const maxConcurrency = 16

// Validate checks the flags both exports share, as of now, and keeps what
// they say in the Options' parsed fields.
func (o *Options) Validate(now time.Time) error {
	var err error
	if o.MaxAttachmentBytes, err = maxAttachmentSize(o.MaxAttachmentSize); err != nil {
		return err
	}
	if o.Concurrency < 1 || o.Concurrency > maxConcurrency {
		return cmdutil.Usagef("--concurrency %d: use 1 to %d (aumo slows down by itself when Atlassian asks)", o.Concurrency, maxConcurrency)
	}
	if o.NoJSON, o.NoMarkdown, err = formats(o.Formats); err != nil {
		return err
	}
	if err := checkOut(o.Out); err != nil {
		return err
	}
	if o.Recipients, err = encryption(o); err != nil {
		return err
	}
	if err := o.checkUpdate(); err != nil {
		return err
	}
	if err := o.checkPoints(); err != nil {
		return err
	}
	return o.parseSince(now)
}

// checkUpdate checks --incremental and --prune against the other flags.
func (o *Options) checkUpdate() error {
	switch kind := sink.KindOf(o.Out); {
	case o.Estimate && o.Incremental:
		return cmdutil.Usagef("--estimate estimates a whole export (or one --since TIME): leave out --incremental")
	case o.Prune && !o.Incremental:
		return cmdutil.Usagef("--prune goes with --incremental")
	case o.Incremental && o.Since != "":
		return cmdutil.Usagef("--incremental takes its window from the previous run: leave out --since")
	case o.Incremental && kind != sink.KindDir:
		return cmdutil.Usagef("--incremental updates a directory export in place; a tarball or standard output export takes --since TIME instead")
	}
	return nil
}

// checkPoints checks --max-points and --points-per-hour. A budget stops
// a run before its end, so it needs an export that a rerun continues: a
// tarball or a stream stopped early is thrown away, and its points with
// it.
func (o *Options) checkPoints() error {
	switch {
	case o.MaxPoints < 0:
		return cmdutil.Usagef("--max-points %d: give a number of points above 0", o.MaxPoints)
	case o.PointsPerHour < 0:
		return cmdutil.Usagef("--points-per-hour %d: give a number of points above 0", o.PointsPerHour)
	case o.MaxPoints > 0 && sink.KindOf(o.Out) != sink.KindDir:
		return cmdutil.Usagef("--max-points stops the run before its end, and a tarball or standard output cut short is thrown away: export to a directory, which the same command then continues")
	}
	return nil
}

// parseSince reads --since, which must not be in the future.
func (o *Options) parseSince(now time.Time) error {
	o.SinceTime = time.Time{}
	if o.Since == "" {
		return nil
	}
	since, err := parseSince(o.Since, now)
	if err != nil {
		return err
	}
	if since.After(now) {
		return cmdutil.Usagef("--since %s is in the future", o.Since)
	}
	o.SinceTime = since
	return nil
}

// outKinds says what --out can be, for the messages that refuse it.
const outKinds = "a directory, a tarball ending .tar, .tar.gz, .tgz or .tar.zst (then .age when encrypted), or - for standard output"

// foreignArchives are endings of archives aumo does not write: a name
// ending so would otherwise become a directory of that name.
var foreignArchives = []string{".zip", ".tar.bz2", ".tbz2", ".tbz", ".bz2", ".tar.xz", ".txz", ".xz", ".7z", ".rar",
	".tar.lz4", ".lz4", ".tar.lz", ".lz", ".tar.lzma", ".lzma", ".tar.z", ".z", ".gz", ".zst", ".jar", ".cpio", ".iso"}

// checkOut refuses an --out that looks like an archive aumo does not
// write, and an existing file that is no tarball export's name.
func checkOut(out string) error {
	if sink.KindOf(out) != sink.KindDir {
		return nil
	}
	info, err := os.Stat(out)
	switch {
	case err == nil && info.IsDir():
		return nil // an earlier export, or one to write into
	case err == nil:
		return cmdutil.Usagef("--out %s is a file, not a directory; give %s", out, outKinds)
	}
	lower := strings.TrimSuffix(strings.ToLower(out), ".age")
	for _, ext := range foreignArchives {
		if strings.HasSuffix(lower, ext) {
			return cmdutil.Usagef("--out %s: aumo does not write %s archives; give %s", out, strings.TrimPrefix(ext, "."), outKinds)
		}
	}
	return nil
}

// encryption reads --encrypt-to and --encrypt-passphrase, and checks that
// they fit --out: only tarballs (named .age) and standard output are
// encrypted.
func encryption(opts *Options) ([]age.Recipient, error) {
	encrypt := len(opts.EncryptTo) > 0 || opts.EncryptPassphrase
	kind := sink.KindOf(opts.Out)
	switch {
	case !encrypt && sink.Encrypted(opts.Out):
		return nil, cmdutil.Usagef("--out %s ends in .age: add --encrypt-to RECIPIENT or --encrypt-passphrase", opts.Out)
	case !encrypt:
		return nil, nil
	case kind == sink.KindDir:
		return nil, cmdutil.Usagef("directory exports are never encrypted (they are mirrors to read and resume); write a tarball such as --out %s.tar.zst.age, or to standard output", strings.TrimSuffix(opts.Out, "/"))
	case kind != sink.KindStdout && !sink.Encrypted(opts.Out):
		return nil, cmdutil.Usagef("an encrypted export's name ends in .age: --out %s.age", opts.Out)
	case len(opts.EncryptTo) > 0 && opts.EncryptPassphrase:
		return nil, cmdutil.Usagef("--encrypt-to and --encrypt-passphrase cannot be combined (age encrypts to a passphrase alone)")
	case opts.EncryptPassphrase:
		return passphraseRecipient()
	}
	return cmdutil.ParseRecipients(opts.EncryptTo)
}

// passphraseRecipient encrypts to the passphrase of the environment.
func passphraseRecipient() ([]age.Recipient, error) {
	pass, ok := cmdutil.ExportPassphrase()
	if !ok {
		return nil, cmdutil.Usagef("--encrypt-passphrase: set %s (environment only)", cmdutil.ExportPassphraseEnv)
	}
	r, err := age.NewScryptRecipient(pass)
	if err != nil {
		return nil, err
	}
	return []age.Recipient{r}, nil
}

// formats reads --format: json, md, or both (the default).
func formats(list []string) (noJSON, noMarkdown bool, err error) {
	if len(list) == 0 {
		return false, false, nil
	}
	var json, md bool
	for _, f := range list {
		switch strings.ToLower(strings.TrimSpace(f)) {
		case "json":
			json = true
		case "md", "markdown":
			md = true
		default:
			return false, false, cmdutil.Usagef("--format %q: use json, md, or json,md", f)
		}
	}
	return !json, !md, nil
}

func maxAttachmentSize(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	n, err := bytesize.Parse(s)
	if err != nil {
		return 0, cmdutil.Usagef("--max-attachment-size: %v", err)
	}
	return n, nil
}
