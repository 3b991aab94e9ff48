package render

import (
	"bufio"
	"bytes"
	"cmp"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/aumo-cli/aumo/internal/atomicfile"
)

// Names of render's own files in a folder it renders into.
const (
	// RecordName lists every file the last render wrote, with its hash:
	// the only files a later render may delete.
	RecordName = ".aumo-render.json"
	// journalName lists the files a render under way has written, so
	// that one cut short still knows them.
	journalName  = ".aumo-render.journal"
	recordFormat = "aumo-render/1"
	tempPrefix   = ".aumo-render-tmp-"
)

// UsageError is bad input found before anything is written: exit 2.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usagef makes a UsageError.
func Usagef(format string, args ...any) error { return &UsageError{Msg: fmt.Sprintf(format, args...)} }

func usagef(format string, args ...any) error { return Usagef(format, args...) }

type record struct {
	Format string            `json:"format"`
	Kind   string            `json:"kind"`
	Files  map[string]string `json:"files"` // path → sha256, lower-case hex
}

// Dir is a folder a view renders into. It writes each file under a
// temporary name and renames it into place, leaves a file whose content
// has not changed untouched, and at Close deletes the files an earlier
// render wrote that this one did not: never any other.
type Dir struct {
	path string
	root *os.Root
	kind string
	// prev are the files earlier renders wrote (hash "" when a render
	// cut short wrote them); wrote those this one did.
	prev    map[string]string
	wrote   map[string]string
	journal *os.File
	open    map[*Writer]bool // streamed files not yet closed
	kept    map[string]bool  // files of the rendition kept as they are
	// Written and Unchanged count files; Removed those deleted at Close.
	Written, Unchanged, Removed int
	// Kept are the files render left alone although the rendition has a
	// file there: files it did not write, or changed since it wrote them.
	Kept []Kept
}

// Kept is a file of the folder render did not replace or delete.
type Kept struct {
	Path   string
	Reason string
	// Gone says the rendition no longer has a file there (its item left
	// the export): the file is kept, and nothing is missing. Otherwise
	// the rendition's file is not written.
	Gone bool
}

// Reasons a file is kept.
const (
	KeptNotOurs = "render did not write it"
	KeptChanged = "changed since render wrote it"
)

// OpenDir opens dest for a render of kind, creating it if need be. A
// folder that holds anything but an earlier render of the same kind is
// refused (UsageError), with nothing written.
func OpenDir(dest, kind string) (*Dir, error) {
	if err := CheckDir(dest, kind); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dest, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dest, err)
	}
	root, err := os.OpenRoot(dest)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dest, err)
	}
	d := &Dir{path: dest, root: root, kind: kind, wrote: map[string]string{}, open: map[*Writer]bool{}, kept: map[string]bool{}}
	if err := d.readRecord(); err != nil {
		_ = root.Close()
		return nil, err
	}
	d.clearTemp()
	if err := d.startJournal(); err != nil {
		_ = root.Close()
		return nil, err
	}
	return d, nil
}

// CheckDir refuses dest as a folder for a render of kind, as OpenDir
// would, without writing anything: a file, or a folder that holds
// anything but an earlier render of the same kind.
func CheckDir(dest, kind string) error {
	info, err := os.Stat(dest)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return nil
	case err != nil:
		return err
	case !info.IsDir():
		return usagef("%s is a file: --as %s writes a folder", dest, kind)
	}
	root, err := os.OpenRoot(dest)
	if err != nil {
		return fmt.Errorf("open %s: %w", dest, err)
	}
	defer func() { _ = root.Close() }()
	d := &Dir{path: dest, root: root, kind: kind}
	return d.readRecord()
}

// startJournal opens the journal, whose first line names the kind, and
// makes sure that line is on disk before any file is written.
func (d *Dir) startJournal() error {
	f, err := d.root.OpenFile(journalName, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("write in %s: %w", d.path, err)
	}
	d.journal = f
	if _, err := fmt.Fprintf(f, "%s %s\n", recordFormat, d.kind); err != nil {
		return d.fail(err)
	}
	if err := f.Sync(); err != nil {
		return d.fail(err)
	}
	return nil
}

// note adds name to the journal before the file is put in place, so that
// a render killed at any point still knows it wrote it. The line goes
// straight to the file: it survives the process.
func (d *Dir) note(name string) error {
	if _, err := fmt.Fprintf(d.journal, "+ %s\n", name); err != nil {
		return fmt.Errorf("render: write in %s: %w", d.path, err)
	}
	return nil
}

// clearTemp removes the temporary files a render killed before it could
// rename them left behind.
func (d *Dir) clearTemp() {
	_ = fs.WalkDir(d.root.FS(), ".", func(p string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() && strings.HasPrefix(e.Name(), tempPrefix) {
			_ = d.root.Remove(p)
		}
		return nil
	})
}

// readRecord reads what earlier renders wrote, and refuses a folder that
// is not one of their renditions.
func (d *Dir) readRecord() error {
	data, err := d.root.ReadFile(RecordName)
	var rec record
	switch {
	case errors.Is(err, fs.ErrNotExist):
		rec.Kind = d.kind
		if j, jerr := d.root.ReadFile(journalName); jerr == nil {
			// A journal whose first line was lost is this render's.
			rec.Kind = cmp.Or(journalKind(j), d.kind)
		} else if empty, err := d.empty(); err != nil {
			return err
		} else if !empty {
			return usagef("%s is not empty and holds no earlier render: give an empty or new folder", d.path)
		}
	case err != nil:
		return fmt.Errorf("read %s: %w", filepath.Join(d.path, RecordName), err)
	default:
		if err := json.Unmarshal(data, &rec); err != nil || rec.Format != recordFormat {
			return usagef("%s: %s is not a record of aumo render; give an empty or new folder", d.path, RecordName)
		}
	}
	if rec.Kind != d.kind {
		return usagef("%s holds a render --as %s: render --as %s into another folder", d.path, rec.Kind, d.kind)
	}
	d.prev = rec.Files
	if d.prev == nil {
		d.prev = map[string]string{}
	}
	if j, err := d.root.ReadFile(journalName); err == nil {
		for _, line := range strings.Split(string(j), "\n") {
			if p, ok := strings.CutPrefix(line, "+ "); ok {
				if _, known := d.prev[p]; !known {
					d.prev[p] = ""
				}
			}
		}
	}
	return nil
}

// journalKind is the kind a journal's first line names.
func journalKind(j []byte) string {
	first, _, _ := bytes.Cut(j, []byte("\n"))
	format, kind, _ := strings.Cut(string(first), " ")
	if format != recordFormat {
		return ""
	}
	return kind
}

func (d *Dir) empty() (bool, error) {
	f, err := d.root.Open(".")
	if err != nil {
		return false, fmt.Errorf("read %s: %w", d.path, err)
	}
	defer func() { _ = f.Close() }()
	names, err := f.Readdirnames(1)
	if errors.Is(err, io.EOF) {
		return true, nil
	}
	return len(names) == 0, err
}

// Path is the folder's path.
func (d *Dir) Path() string { return d.path }

// WriteFile writes data to name, a /-separated path under the folder,
// unless the file already holds it.
func (d *Dir) WriteFile(name string, data []byte) error {
	h := sha256.Sum256(data)
	sum := hex.EncodeToString(h[:])
	if err := d.check(name); err != nil {
		return err
	}
	if d.unchanged(name, sum, int64(len(data)), true) {
		return nil
	}
	return d.write(name, sum, bytes.NewReader(data))
}

// CopyFile writes what r reads to name, a file of size bytes whose
// sha256 is sum, unless the file already holds it.
func (d *Dir) CopyFile(name string, r io.Reader, sum string, size int64) error {
	if err := d.check(name); err != nil {
		return err
	}
	if d.unchanged(name, sum, size, false) {
		return nil
	}
	return d.write(name, sum, r)
}

func (d *Dir) check(name string) error {
	if !filepath.IsLocal(name) || strings.HasPrefix(path.Base(name), ".aumo-render") {
		return fmt.Errorf("render: %q is no name for a file of the rendition", name)
	}
	if _, dup := d.wrote[name]; dup {
		return fmt.Errorf("render: %q written twice", name)
	}
	return nil
}

// unchanged reports whether name already holds the content with sum, as
// the last render wrote it; hash says to read the file to be sure.
func (d *Dir) unchanged(name, sum string, size int64, hash bool) bool {
	if d.prev[name] != sum {
		return false
	}
	info, err := d.root.Stat(name)
	if err != nil || !info.Mode().IsRegular() || info.Size() != size {
		return false
	}
	if hash {
		f, err := d.root.Open(name)
		if err != nil {
			return false
		}
		h := sha256.New()
		_, err = io.Copy(h, f)
		_ = f.Close()
		if err != nil || hex.EncodeToString(h.Sum(nil)) != sum {
			return false
		}
	}
	d.wrote[name] = sum
	d.Unchanged++
	return true
}

func (d *Dir) write(name, sum string, r io.Reader) error {
	if !d.mayReplace(name, false) {
		return nil
	}
	dir := path.Dir(name)
	if err := d.root.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("render: create %s: %w", filepath.Join(d.path, dir), err)
	}
	tmp := path.Join(dir, tempPrefix+rand.Text())
	f, err := d.root.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("render: write %s: %w", filepath.Join(d.path, name), err)
	}
	_, err = io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return d.put(tmp, name, sum, err)
}

// put renames tmp into place as name, once the journal knows it.
func (d *Dir) put(tmp, name, sum string, err error) error {
	if err == nil {
		err = d.note(name)
	}
	if err == nil {
		err = d.root.Rename(tmp, name)
	}
	if err != nil {
		_ = d.root.Remove(tmp)
		return fmt.Errorf("render: write %s: %w", filepath.Join(d.path, name), err)
	}
	d.wrote[name] = sum
	d.Written++
	return nil
}

// mayReplace reports whether the file at name may be written over: there
// is none, or it is one a render wrote and nobody changed since. A file
// (or a folder) render did not write, or one changed since, is kept and
// listed in Kept.
func (d *Dir) mayReplace(name string, gone bool) (ok bool) {
	info, err := d.root.Lstat(name)
	if errors.Is(err, fs.ErrNotExist) {
		return true
	}
	defer func() {
		if !ok {
			d.kept[name] = true
		}
	}()
	sum, ours := d.prev[name]
	switch {
	case err != nil:
		d.Kept = append(d.Kept, Kept{Path: name, Reason: err.Error(), Gone: gone})
		return false
	case !ours || !info.Mode().IsRegular():
		d.Kept = append(d.Kept, Kept{Path: name, Reason: KeptNotOurs, Gone: gone})
		return false
	case sum != "" && !d.holds(name, sum):
		d.Kept = append(d.Kept, Kept{Path: name, Reason: KeptChanged, Gone: gone})
		return false
	}
	return true
}

// holds reports whether the file at name has the content with sum.
func (d *Dir) holds(name, sum string) bool {
	f, err := d.root.Open(name)
	if err != nil {
		return false
	}
	defer func() { _ = f.Close() }()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return false
	}
	return hex.EncodeToString(h.Sum(nil)) == sum
}

// Writer streams a file of the folder whose content is not known
// beforehand (a search index): Close puts it in place, unless the file
// already held the same content.
type Writer struct {
	d    *Dir
	name string
	tmp  string
	f    *os.File
	h    hash.Hash
	w    *bufio.Writer
	n    int64
}

// Create starts writing name, a /-separated path under the folder.
func (d *Dir) Create(name string) (*Writer, error) {
	if err := d.check(name); err != nil {
		return nil, err
	}
	dir := path.Dir(name)
	if err := d.root.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("render: create %s: %w", filepath.Join(d.path, dir), err)
	}
	tmp := path.Join(dir, tempPrefix+rand.Text())
	f, err := d.root.OpenFile(tmp, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, fmt.Errorf("render: write %s: %w", filepath.Join(d.path, name), err)
	}
	w := &Writer{d: d, name: name, tmp: tmp, f: f, h: sha256.New()}
	w.w = bufio.NewWriterSize(io.MultiWriter(f, w.h), 64<<10)
	d.wrote[name] = "" // claimed until Close
	d.open[w] = true
	return w, nil
}

// Write writes to the file.
func (w *Writer) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.n += int64(n)
	return n, err
}

// Abort drops the file: the folder keeps what it held.
func (w *Writer) Abort() {
	delete(w.d.open, w)
	_ = w.f.Close()
	_ = w.d.root.Remove(w.tmp)
	delete(w.d.wrote, w.name)
}

// Close puts the file in place, or drops it when the folder already held
// the same content.
func (w *Writer) Close() error {
	d := w.d
	delete(d.open, w)
	err := w.w.Flush()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	sum := hex.EncodeToString(w.h.Sum(nil))
	delete(d.wrote, w.name)
	if err == nil && (d.unchanged(w.name, sum, w.n, true) || !d.mayReplace(w.name, false)) {
		return d.root.Remove(w.tmp)
	}
	return d.put(w.tmp, w.name, sum, err)
}

// Close deletes what earlier renders wrote and this one did not, then
// records what this one wrote. After an error it records what it can.
func (d *Dir) Close() error {
	defer func() { _ = d.root.Close() }()
	var gone []string
	for name := range d.prev {
		if _, ok := d.wrote[name]; !ok && !d.kept[name] {
			gone = append(gone, name)
		}
	}
	slices.Sort(gone)
	for _, name := range gone {
		if !d.mayReplace(name, true) {
			continue // the user's now
		}
		err := d.root.Remove(name)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return d.fail(fmt.Errorf("render: remove %s: %w", filepath.Join(d.path, name), err))
		}
		d.Removed++
		d.pruneDirs(path.Dir(name))
	}
	data, err := json.Marshal(record{Format: recordFormat, Kind: d.kind, Files: d.wrote})
	if err != nil {
		return d.fail(err)
	}
	if err := atomicfile.Write(filepath.Join(d.path, RecordName), data, 0o600); err != nil {
		return d.fail(err)
	}
	_ = d.journal.Close()
	_ = d.root.Remove(journalName)
	return nil
}

// Abort ends a render that failed: the journal keeps what it wrote, and
// files still being streamed are dropped.
func (d *Dir) Abort() {
	for w := range d.open {
		w.Abort()
	}
	_ = d.journal.Close()
	_ = d.root.Close()
}

func (d *Dir) fail(err error) error {
	_ = d.journal.Close()
	return err
}

// pruneDirs removes dir and the folders above it while they are empty.
func (d *Dir) pruneDirs(dir string) {
	for dir != "." && dir != "/" {
		if d.root.Remove(dir) != nil {
			return
		}
		dir = path.Dir(dir)
	}
}
