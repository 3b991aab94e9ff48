package exportformat

import (
	"filippo.io/age"

	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

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
	// backslash), a link, a device or other special file, a path held
	// twice.
	Unsafe []string `json:"unsafe"`
	// Manifest lists problems of the export as a whole: its manifest (an
	// unknown format, an unfinished run, failed items, counts that disagree
	// with the index), its index, or a damaged tarball.
	Manifest []string `json:"manifest"`
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

// OK reports whether the export is intact: every file the index names is
// there with its size and sha256, no other file is, and the manifest
// describes a complete, consistent export of this format.
func (r *Report) OK() bool {
	return len(r.Missing) == 0 && len(r.Extra) == 0 && len(r.Corrupt) == 0 && len(r.Unsafe) == 0 && len(r.Manifest) == 0
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
// checks its manifest, in one pass over a tarball.
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

	r := &Report{Missing: []string{}, Extra: []string{}, Corrupt: []CorruptFile{}, Unsafe: []string{}, Manifest: []string{}}
	sums, err := r.hash(ctx, e)
	var damage *ArchiveError
	if errors.As(err, &damage) {
		r.Manifest = append(r.Manifest, err.Error())
	} else if err != nil {
		return nil, fmt.Errorf("verify %s: %w", path, err)
	}

	data, errM := e.manifestData()
	index, torn, errI := e.Index()
	if damage == nil && errors.Is(errM, fs.ErrNotExist) && errors.Is(errI, fs.ErrNotExist) {
		return nil, fmt.Errorf("verify %s: %w: no %s or %s at the top of the archive", path, ErrNotExport, ManifestName, IndexName)
	}
	removed, err := e.RemovedIndex()
	if err != nil {
		return nil, fmt.Errorf("verify %s: %w", path, err)
	}
	if err := r.checkIndex(append(slices.Clip(index), removed...), errI, sums); err != nil {
		return nil, fmt.Errorf("verify %s: %w", path, err)
	}
	r.TornIndex = torn
	if err := r.checkManifest(data, errM, index, errI == nil); err != nil {
		return nil, fmt.Errorf("verify %s: %w", path, err)
	}
	return r, nil
}

// fileSum is what a file of the export turned out to hold.
type fileSum struct {
	size      int64
	sha256    [sha256.Size]byte
	irregular bool
}

func (r *Report) hash(ctx context.Context, e *Export) (map[string]fileSum, error) {
	sums := make(map[string]fileSum)
	h := sha256.New()
	buf := make([]byte, 1<<20)
	err := e.Walk(ctx, func(f *File) error {
		s := fileSum{irregular: !f.Mode.IsRegular()}
		if !s.irregular {
			h.Reset()
			n, err := io.CopyBuffer(h, f, buf)
			if err != nil {
				return fmt.Errorf("read %s: %w", f.Path, err)
			}
			s.size = n
			h.Sum(s.sha256[:0])
			r.Files++
			r.Bytes += n
		}
		if reason := unsafeEntry(f.Path, f.Mode); reason != "" {
			r.Unsafe = append(r.Unsafe, f.Path+": "+reason)
		}
		if _, twice := sums[f.Path]; twice {
			r.Unsafe = append(r.Unsafe, f.Path+": held twice (extracting keeps the later one)")
		}
		// A tarball holding a path twice extracts to the later entry.
		sums[f.Path] = s
		return nil
	})
	return sums, err
}

// unsafeEntry says why an entry is no file of an export, or "".
func unsafeEntry(p string, mode fs.FileMode) string {
	switch {
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

// checkIndex compares the files found with the index, or says why it
// cannot; the error is one that prevented reading the index at all.
func (r *Report) checkIndex(index []IndexLine, err error, sums map[string]fileSum) error {
	var (
		damage  *ArchiveError
		lineErr *IndexLineError
	)
	switch {
	case errors.As(err, &damage):
		r.Manifest = append(r.Manifest, fmt.Sprintf("%s is missing (the archive is damaged before it): the files could not be checked", IndexName))
		return nil
	case errors.Is(err, fs.ErrNotExist):
		r.Manifest = append(r.Manifest, fmt.Sprintf("%s is missing: the files could not be checked", IndexName))
		return nil
	case errors.As(err, &lineErr):
		r.Manifest = append(r.Manifest, fmt.Sprintf("%s %v: the files could not be checked", IndexName, lineErr))
		return nil
	case err != nil:
		return err
	}

	r.Indexed = len(index)
	for _, l := range index {
		s, ok := sums[l.Path]
		if !ok {
			r.Missing = append(r.Missing, l.Path)
			continue
		}
		delete(sums, l.Path)
		got := hex.EncodeToString(s.sha256[:])
		c := CorruptFile{Path: l.Path, Size: s.size, IndexSize: l.Size, SHA256: got, IndexSHA256: l.SHA256}
		switch {
		case s.irregular:
			c.Reason, c.Size, c.SHA256 = CorruptNotRegular, 0, ""
		case s.size != l.Size:
			c.Reason = CorruptSize
		case !strings.EqualFold(got, l.SHA256):
			c.Reason = CorruptSHA256
		default:
			continue
		}
		r.Corrupt = append(r.Corrupt, c)
	}
	r.Extra = slices.AppendSeq(r.Extra, maps.Keys(sums))
	slices.Sort(r.Missing)
	slices.Sort(r.Extra)
	slices.SortFunc(r.Corrupt, func(a, b CorruptFile) int { return cmp.Compare(a.Path, b.Path) })
	return nil
}

// checkManifest adds the manifest's problems; the error is one that
// prevented reading the manifest at all.
func (r *Report) checkManifest(data []byte, err error, index []IndexLine, indexOK bool) error {
	var damage *ArchiveError
	switch {
	case errors.As(err, &damage):
		r.Manifest = append(r.Manifest, fmt.Sprintf("%s is missing (the archive is damaged before it)", ManifestName))
		return nil
	case errors.Is(err, fs.ErrNotExist):
		r.Manifest = append(r.Manifest, fmt.Sprintf("%s is missing", ManifestName))
		return nil
	case err != nil:
		return err
	}
	m, err := parseManifest(data)
	if err != nil {
		r.Manifest = append(r.Manifest, err.Error())
		return nil
	}

	if m.Format != Format {
		r.Manifest = append(r.Manifest, fmt.Sprintf("format is %q, not %q: this reader cannot vouch for it", m.Format, Format))
	}
	switch {
	case !m.Complete && len(m.Failed) == 0:
		r.Manifest = append(r.Manifest, "the export is unfinished (complete=false): rerun the export command to resume it")
	case !m.Complete:
		r.Manifest = append(r.Manifest, fmt.Sprintf("the export is incomplete (complete=false): %d item(s) failed", len(m.Failed)))
	}
	for _, p := range m.Failed {
		msg := fmt.Sprintf("failed %s %s: %s", p.Kind, p.ID, p.Reason)
		if p.Detail != "" {
			msg += " (" + p.Detail + ")"
		}
		r.Manifest = append(r.Manifest, msg)
	}

	// An unfinished export's counts describe no finished state, nor do
	// those of an update under way (its manifest and index cannot change
	// together).
	if !m.Complete || !indexOK || (m.Incremental != nil && m.Incremental.Running) {
		return nil
	}
	listed := map[string]int64{countFiles: int64(len(index))}
	for _, l := range index {
		listed[l.Kind]++
		listed[countBytes] += l.Size
	}
	for _, key := range slices.Sorted(maps.Keys(m.Counts)) {
		if isKind(key) || key == countFiles || key == countBytes {
			if m.Counts[key] != listed[key] {
				r.Manifest = append(r.Manifest, fmt.Sprintf("counts.%s is %d, but the index lists %d", key, m.Counts[key], listed[key]))
			}
		}
	}
	return nil
}

// Keys of the manifest's counts besides the kinds of files: every file,
// and the bytes of every file, that the index lists.
const (
	countFiles = "files"
	countBytes = "bytes"
)

func isKind(s string) bool {
	switch s {
	case KindIssue, KindPage, KindBlogpost, KindAttachment, KindMarkdown, KindSpace, KindFolder, KindFields:
		return true
	}
	return false
}
