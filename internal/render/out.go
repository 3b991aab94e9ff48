package render

import (
	"bufio"
	"bytes"
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
	jw      *bufio.Writer
	open    map[*Writer]bool // streamed files not yet closed
	// Written and Unchanged count files; Removed those deleted at Close.
	Written, Unchanged, Removed int
}

// OpenDir opens dest for a render of kind, creating it if need be. A
// folder that holds anything but an earlier render of the same kind is
// refused (UsageError), with nothing written.
func OpenDir(dest, kind string) (*Dir, error) {
	if err := os.MkdirAll(dest, 0o700); err != nil {
		return nil, fmt.Errorf("create %s: %w", dest, err)
	}
	root, err := os.OpenRoot(dest)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", dest, err)
	}
	d := &Dir{path: dest, root: root, kind: kind, wrote: map[string]string{}, open: map[*Writer]bool{}}
	if err := d.readRecord(); err != nil {
		_ = root.Close()
		return nil, err
	}
	f, err := root.OpenFile(journalName, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		_ = root.Close()
		return nil, fmt.Errorf("write in %s: %w", dest, err)
	}
	d.journal, d.jw = f, bufio.NewWriter(f)
	if _, err := fmt.Fprintf(d.jw, "%s %s\n", recordFormat, kind); err != nil {
		return nil, d.fail(err)
	}
	return d, nil
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
			rec.Kind = journalKind(j)
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
		for _, line := range strings.Split(string(j), "\n")[1:] {
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
	_, kind, _ := strings.Cut(string(first), " ")
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
	dir := path.Dir(name)
	if err := d.root.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("render: create %s: %w", filepath.Join(d.path, dir), err)
	}
	if _, err := fmt.Fprintf(d.jw, "+ %s\n", name); err != nil {
		return fmt.Errorf("render: write in %s: %w", d.path, err)
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
	if err == nil {
		// A folder once a file (or the reverse) gives way to this render.
		if info, serr := d.root.Lstat(name); serr == nil && info.IsDir() {
			err = d.root.RemoveAll(name)
		}
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
	if err == nil && d.unchanged(w.name, sum, w.n, true) {
		return d.root.Remove(w.tmp)
	}
	if err == nil {
		_, err = fmt.Fprintf(d.jw, "+ %s\n", w.name)
	}
	if err == nil {
		err = d.root.Rename(w.tmp, w.name)
	}
	if err != nil {
		_ = d.root.Remove(w.tmp)
		return fmt.Errorf("render: write %s: %w", filepath.Join(d.path, w.name), err)
	}
	d.wrote[w.name] = sum
	d.Written++
	return nil
}

// Close deletes what earlier renders wrote and this one did not, then
// records what this one wrote. After an error it records what it can.
func (d *Dir) Close() error {
	defer func() { _ = d.root.Close() }()
	if err := d.jw.Flush(); err != nil {
		return d.fail(err)
	}
	var gone []string
	for name := range d.prev {
		if _, ok := d.wrote[name]; !ok {
			gone = append(gone, name)
		}
	}
	slices.Sort(gone)
	for _, name := range gone {
		err := d.root.Remove(name)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
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
	_ = d.jw.Flush()
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
