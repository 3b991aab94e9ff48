package exportformat

import (
	"filippo.io/age"

	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// MaxListed is how many entries each of a Report's lists of files names
// at most: the first by path. Its Totals count them all.
const MaxListed = 1000

// Report is what Verify found. The export is intact when OK says so.
type Report struct {
	// Missing lists the paths the index names that the export lacks.
	Missing []string `json:"missing"`
	// Extra lists the files of the export the index does not name.
	Extra []string `json:"extra"`
	// Corrupt lists the files whose content differs from their index line.
	Corrupt []CorruptFile `json:"corrupt"`
	// Unsafe lists, with the reason, the entries that are no file of an
	// export, whether the index names them or not: a path that would
	// land outside the export when extracted (absolute, with "..", with a
	// backslash) or longer than MaxPath, a link, a device or other
	// special file, a path held twice.
	Unsafe []string `json:"unsafe"`
	// Totals counts what Missing, Extra, Corrupt and Unsafe found: each
	// lists the first MaxListed at most.
	Totals Totals `json:"totals"`
	// Manifest lists problems of the export as a whole: its manifest (an
	// unknown format, an unfinished run, failed items, counts that disagree
	// with the index, a manifest beyond MaxManifestSize), its index (a line
	// beyond MaxIndexLine), or a damaged tarball.
	Manifest []string `json:"manifest"`
	// Unfinished reports a manifest that says the export is not complete
	// (complete=false): a run stopped before its end, or items failed.
	// Only reports that find nothing else wrong are OnlyUnfinished.
	Unfinished bool `json:"unfinished"`
	// unfinishedLines is how many lines of Manifest say so.
	unfinishedLines int
	// TornIndex reports that the index's last line was torn by an
	// interrupted write and ignored; on its own it is no damage.
	TornIndex bool `json:"tornIndex"`
	// Indexed is the number of paths the index names.
	Indexed int `json:"indexed"`
	// Files and Bytes are what was read and hashed, the export's own
	// manifest.json and index.jsonl aside.
	Files int   `json:"files"`
	Bytes int64 `json:"bytes"`
}

// Totals counts the entries of a Report's lists of files, listed or not.
type Totals struct {
	Missing int `json:"missing"`
	Extra   int `json:"extra"`
	Corrupt int `json:"corrupt"`
	Unsafe  int `json:"unsafe"`
}

// OK reports whether the export is intact: every file the index names is
// there with its size and sha256, no other file is, and the manifest
// describes a complete, consistent export of this format.
func (r *Report) OK() bool {
	return r.Totals == Totals{} && len(r.Manifest) == 0
}

// OnlyUnfinished reports whether the export is unfinished and otherwise
// sound: every file the index names so far is there as indexed, and the
// manifest's only problem is that it is not complete. Rerunning the
// export completes it; there is nothing to mend.
func (r *Report) OnlyUnfinished() bool {
	return r.Unfinished && r.Totals == Totals{} && len(r.Manifest) == r.unfinishedLines
}

// CorruptFile is a file whose content differs from its index line.
type CorruptFile struct {
	Path string `json:"path"`
	// Reason is what differs: CorruptSize, CorruptSHA256 or
	// CorruptNotRegular.
	Reason      string `json:"reason"`
	Size        int64  `json:"size"`
	IndexSize   int64  `json:"indexSize"`
	SHA256      string `json:"sha256,omitempty"`
	IndexSHA256 string `json:"indexSha256"`
}

// Reasons of CorruptFile.
const (
	// CorruptSize is a file whose size differs (and so its sha256).
	CorruptSize = "size"
	// CorruptSHA256 is a file of the right size whose sha256 differs.
	CorruptSHA256 = "sha256"
	// CorruptNotRegular is a symbolic link or special file where the
	// index names a file.
	CorruptNotRegular = "not a regular file"
)

// Verify re-hashes every file of the export at path against its index (and
// a directory's files under removed/ against removed/index.jsonl) and
// checks its manifest, in one pass over a tarball; a damaged one is read
// a second time to name its missing, extra and corrupt files.
//
// Damage is in the Report: missing, extra and corrupt files, and manifest
// problems, among them a tarball cut short ("archive truncated", with every
// file after the cut missing) or whose compression or tar headers are
// corrupt. A complete export's manifest counts are checked against the
// index where their key is a kind of file (issue, attachment, …), "files"
// or "bytes": the paths of that kind, all paths, the sum of their sizes.
// Other counts (skipped, failed, …) are not, nor are any while an update is
// under way (Manifest.Incremental.Running). Temporary files an interrupted
// run left in a directory, and its lock file, are neither part of the
// export nor extra (see Walk).
//
// Verify holds a few dozen bytes for each path of the export, however
// long, and a bounded amount besides, whatever the export holds: a
// manifest.json beyond MaxManifestSize, an index line beyond
// MaxIndexLine, a path beyond MaxPath are damage it reports.
//
// An error means the export could not be checked: the path is missing or
// unreadable, holds no export (ErrNotExport) or an encrypted one
// (ErrEncrypted), its compression cannot be read, or ctx was cancelled.
func Verify(ctx context.Context, path string) (*Report, error) {
	return VerifyWith(ctx, path, nil)
}

// VerifyWith is Verify for an export that may be age-encrypted: one of
// identities must decrypt it (see OpenWith).
func VerifyWith(ctx context.Context, path string, identities []age.Identity) (*Report, error) {
	e, err := OpenWith(path, identities)
	if err != nil {
		return nil, err
	}
	defer func() { _ = e.Close() }()
	r, err := verify(ctx, e)
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", path, err)
	}
	return r, nil
}

func verify(ctx context.Context, e *Export) (*Report, error) {
	r := &Report{Missing: []string{}, Extra: []string{}, Corrupt: []CorruptFile{}, Unsafe: []string{}, Manifest: []string{}}
	c := newCheck(r)
	errI, err := c.first(ctx, e)
	var damage *ArchiveError
	if errors.As(err, &damage) {
		r.Manifest = append(r.Manifest, err.Error())
	} else if err != nil {
		return nil, err
	}
	c.listUnsafe()
	s, errM := e.Summary()
	if damage == nil && errors.Is(errM, fs.ErrNotExist) && errors.Is(errI, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: no %s or %s at the top of the archive", ErrNotExport, ManifestName, IndexName)
	}
	indexOK, err := r.checkIndex(errI)
	if err != nil {
		return nil, err
	}
	var counts map[string]int64
	if indexOK {
		counts = c.tally()
		if err := c.second(ctx, e); err != nil {
			return nil, err
		}
	}
	r.TornIndex = c.torn
	if err := r.checkManifest(s, errM, counts); err != nil {
		return nil, err
	}
	return r, nil
}

// unsafeEntry says why an entry is no file of an export, or "".
func unsafeEntry(p string, mode fs.FileMode) string {
	switch {
	case len(p) > MaxPath:
		return fmt.Sprintf("a path of %d bytes, longer than %d", len(p), MaxPath)
	case strings.Contains(p, `\`):
		return "a backslash in the path (a folder separator on Windows)"
	case path.IsAbs(p) || !filepath.IsLocal(filepath.FromSlash(p)) || slices.Contains(strings.Split(p, "/"), ".."):
		return "a path outside the export when extracted"
	case mode&fs.ModeSymlink != 0:
		return "a link"
	case !mode.IsRegular():
		return "a device or other special file"
	}
	return ""
}

// checkIndex says why the files could not be checked against the index,
// if they could not, in the report: reading it failed (a missing index, a
// bad line) or the error is one that prevented reading it at all.
func (r *Report) checkIndex(err error) (ok bool, _ error) {
	var (
		damage  *ArchiveError
		lineErr *IndexLineError
	)
	switch {
	case errors.As(err, &damage):
		r.Manifest = append(r.Manifest, fmt.Sprintf("%s is missing (the archive is damaged before it): the files could not be checked", IndexName))
	case errors.Is(err, fs.ErrNotExist):
		r.Manifest = append(r.Manifest, fmt.Sprintf("%s is missing: the files could not be checked", IndexName))
	case errors.As(err, &lineErr):
		r.Manifest = append(r.Manifest, fmt.Sprintf("%v: the files could not be checked", err))
	case err != nil:
		return false, err
	default:
		return true, nil
	}
	return false, nil
}

// checkManifest adds the manifest's problems; the error is one that
// prevented reading the manifest at all. counts are what the index lists
// (see check.tally), nil when it could not be read.
func (r *Report) checkManifest(s *Summary, err error, counts map[string]int64) error {
	var (
		damage *ArchiveError
		bad    *ManifestError
	)
	switch {
	case errors.As(err, &damage):
		r.Manifest = append(r.Manifest, fmt.Sprintf("%s is missing (the archive is damaged before it)", ManifestName))
		return nil
	case errors.Is(err, fs.ErrNotExist):
		r.Manifest = append(r.Manifest, fmt.Sprintf("%s is missing", ManifestName))
		return nil
	case errors.As(err, &bad):
		r.Manifest = append(r.Manifest, err.Error())
		return nil
	case err != nil:
		return err
	}

	m := &s.Manifest
	if m.Format != Format {
		r.Manifest = append(r.Manifest, fmt.Sprintf("format is %q, not %q: this reader cannot vouch for it", m.Format, Format))
	}
	r.checkFailed(s)
	// An unfinished export's counts describe no finished state, nor do
	// those of an update under way (its manifest and index cannot change
	// together).
	if !m.Complete || counts == nil || (m.Incremental != nil && m.Incremental.Running) {
		return nil
	}
	for _, key := range slices.Sorted(maps.Keys(m.Counts)) {
		if kindCode(key) != otherKind || key == countFiles || key == countBytes {
			if m.Counts[key] != counts[key] {
				r.Manifest = append(r.Manifest, fmt.Sprintf("counts.%s is %d, but the index lists %d", key, m.Counts[key], counts[key]))
			}
		}
	}
	return nil
}

// checkFailed reports an unfinished run and the items that failed: the
// first SummaryEntries of them, and how many more the manifest lists.
func (r *Report) checkFailed(s *Summary) {
	before := len(r.Manifest)
	defer func() {
		if r.Unfinished = !s.Complete; r.Unfinished {
			r.unfinishedLines = len(r.Manifest) - before
		}
	}()
	failed := s.Lengths.Failed
	switch {
	case !s.Complete && failed == 0:
		r.Manifest = append(r.Manifest, "the export is unfinished (complete=false): rerun the export command to resume it")
	case !s.Complete:
		r.Manifest = append(r.Manifest, fmt.Sprintf("the export is incomplete (complete=false): %d item(s) failed", failed))
	}
	for _, p := range s.Failed {
		msg := fmt.Sprintf("failed %s %s: %s", p.Kind, p.ID, p.Reason)
		if p.Detail != "" {
			msg += " (" + p.Detail + ")"
		}
		r.Manifest = append(r.Manifest, msg)
	}
	if more := failed - len(s.Failed); more > 0 {
		r.Manifest = append(r.Manifest, fmt.Sprintf("failed: %d more item(s), which the manifest lists", more))
	}
}

// Keys of the manifest's counts besides the kinds of files: every file,
// and the bytes of every file, that the index lists.
const (
	countFiles = "files"
	countBytes = "bytes"
)
