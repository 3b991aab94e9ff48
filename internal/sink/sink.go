// Package sink is where an export's files go: a directory written so that
// an interrupted run can resume, or a tarball (plain, gzip, zstd, or a plain
// tar stream on standard output) that appears under its final name only
// once complete. Whoever writes an output holds its lock (LockOutput), so
// that no two runs write the same one at once.
package sink

import (
	"filippo.io/age"
	"github.com/aumo-cli/aumo/internal/bytesize"

	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// Entry is a file as written.
type Entry struct {
	Path   string
	Size   int64
	SHA256 string // lower-case hex
}

// Sink receives an export's files. Put and AppendIndex are safe for
// concurrent use; Finish and Abort end it and wait for the Puts under way.
type Sink interface {
	// Put writes path with r's content read to EOF, and returns its size
	// and sha256. A nil r writes an empty file. path is relative and
	// '/'-separated, at most MaxPathBytes long, each component one that
	// PortableName leaves unchanged, and not the sink's own manifest.json
	// or index.jsonl; other paths fail with ErrBadPath. Nothing
	// half-written is ever left under the final name: a directory sink
	// writes a temporary name in the target directory, syncs and renames
	// it (never through a symlink); a tarball sink spools the content and
	// appends it as one entry. Put fails when ctx is done or the sink is
	// aborted while it reads r.
	Put(ctx context.Context, path string, r io.Reader) (Entry, error)
	// AppendIndex records one index line (JSON, without newline). A
	// directory sink appends it to index.jsonl and syncs at once, so call it
	// after the Put it describes has returned; a tarball sink spools it
	// and writes index.jsonl at Finish.
	AppendIndex(line []byte) error
	// Finish ends a complete export with the final manifest. A directory
	// sink replaces manifest.json atomically; a tarball sink appends
	// index.jsonl then manifest.json as the last two entries, syncs and
	// renames the temporary file to the final name (or copies the stream
	// to standard output).
	Finish(manifest []byte) error
	// Checkpoint records the manifest of an unfinished export (what has
	// been skipped so far), so that a resumed run keeps it. A directory
	// replaces manifest.json atomically; a tarball, which cannot resume,
	// ignores it.
	Checkpoint(manifest []byte) error
	// Abort ends an unfinished export. A directory sink keeps everything so
	// that a rerun resumes; a tarball sink removes its temporary files and
	// leaves nothing under the final name. It is a no-op after Finish or a
	// previous Abort, and may follow a Finish that failed.
	Abort() error
}

// Kinds of output KindOf reports.
const (
	KindDir    = "dir"
	KindTar    = "tar"
	KindTarGz  = "tar.gz"
	KindTarZst = "tar.zst"
	KindStdout = "stdout"
)

// KindOf returns the kind of an --out value: "stdout" for "-", "tar",
// "tar.gz" (also for .tgz) or "tar.zst" by the file name's ending in any
// case (before an encrypted tarball's ".age"), and "dir" for anything
// else.
func KindOf(out string) string {
	if out == "-" {
		return KindStdout
	}
	lower := strings.TrimSuffix(strings.ToLower(out), ".age")
	switch {
	case strings.HasSuffix(lower, ".tar"):
		return KindTar
	case strings.HasSuffix(lower, ".tar.gz"), strings.HasSuffix(lower, ".tgz"):
		return KindTarGz
	case strings.HasSuffix(lower, ".tar.zst"):
		return KindTarZst
	}
	return KindDir
}

// Encrypted reports whether an --out value names an age-encrypted
// tarball (it ends in ".age").
func Encrypted(out string) bool { return strings.HasSuffix(strings.ToLower(out), ".age") }

// DefaultMinFreeBytes is the free space Check requires when
// Options.MinFreeBytes is 0: enough to write the manifest, the index and a
// few files before a full disk would stop the export anyway.
const DefaultMinFreeBytes = 16 << 20

// Options carry what Open and Check need besides the --out value.
type Options struct {
	// Stdout receives a "-" export, in full, at Finish.
	Stdout io.Writer
	// StdoutIsTerminal makes a "-" export refuse to start.
	StdoutIsTerminal bool
	// InitialManifest is a directory export's manifest.json until Finish
	// (with "complete":false). Resuming keeps the existing one and writes
	// this only when manifest.json is missing.
	InitialManifest []byte
	// Resume keeps a directory's existing files and index, dropping a torn
	// last index line. Without it, Open refuses a non-empty directory.
	Resume bool
	// MinFreeBytes is the free space the target filesystem must have to
	// start (0: DefaultMinFreeBytes; negative: no check). The check is made
	// where the platform reports free space.
	MinFreeBytes int64
	// Recipients encrypt a tarball or standard output export with age, as
	// it is written: the file or spool on disk holds only ciphertext.
	Recipients []age.Recipient
	// TempDir is where a "-" export is spooled until Finish (default
	// os.TempDir()). Tarballs are spooled next to their final name, so that
	// the final rename stays on one filesystem.
	TempDir string
	// Lock is out's lock (see LockOutput), which the caller took before
	// it read anything of out and holds until the sink ends. Without it,
	// Open takes the lock itself, and the sink releases it at Finish or
	// Abort.
	Lock *OutputLock
}

func (o Options) minFree() int64 {
	if o.MinFreeBytes == 0 {
		return DefaultMinFreeBytes
	}
	return o.MinFreeBytes
}

func (o Options) spoolDir() string {
	if o.TempDir != "" {
		return o.TempDir
	}
	return os.TempDir()
}

// Open opens the sink for out (see KindOf), holding out's lock (see
// Options.Lock), after the checks of Check. A new directory export is
// created (its parent must exist) with manifest.json then an empty
// index.jsonl. While another process holds the lock, Open fails with
// ErrLocked.
func Open(out string, opts Options) (Sink, error) {
	if opts.Lock != nil {
		if !opts.Lock.holds(out) {
			return nil, fmt.Errorf("open %s: the lock given is the lock of %s", out, opts.Lock.out)
		}
		return open(out, opts, nil)
	}
	own, err := LockOutput(out)
	if err != nil {
		return nil, err
	}
	s, err := open(out, opts, own)
	if err != nil {
		_ = own.Release()
		return nil, err
	}
	return s, nil
}

// open opens the sink once out's lock is held; own is the lock Open took
// for the sink, which it releases when it ends.
func open(out string, opts Options, own *OutputLock) (Sink, error) {
	if err := Check(out, opts); err != nil {
		return nil, err
	}
	switch kind := KindOf(out); kind {
	case KindDir:
		return openDir(out, opts, own)
	case KindStdout:
		if opts.Stdout == nil {
			return nil, errors.New("open standard output export: no standard output given")
		}
		return openTar(kind, "", opts, own)
	default:
		return openTar(kind, out, opts, own)
	}
}

// Check reports, before any API call, why out cannot be used: its parent is
// missing, not a directory or not writable; its filesystem has less than
// Options.MinFreeBytes free; it is a non-empty directory without
// manifest.json; it already exists for a tarball; or it is "-" while
// standard output is a terminal. Whether an existing export matches the
// product, site and query is the caller's to check.
func Check(out string, opts Options) error {
	switch KindOf(out) {
	case KindStdout:
		if opts.StdoutIsTerminal {
			return errors.New("standard output is a terminal: redirect it to a file or a pipe, or use --out FILE")
		}
		return checkSpace(opts.spoolDir(), opts)
	case KindDir:
		return checkDir(out, opts)
	default:
		return checkTarball(out, opts)
	}
}

func checkDir(out string, opts Options) error {
	if out == "" {
		return errors.New("no output path given")
	}
	fi, err := os.Stat(out)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return checkParent(out, opts)
		}
		return fmt.Errorf("check output %s: %w", out, err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("output %s exists and is not a directory", out)
	}
	if mi, err := os.Lstat(filepath.Join(out, manifestName)); err != nil || !mi.Mode().IsRegular() {
		empty, err := isEmptyDir(out)
		if err != nil {
			return fmt.Errorf("check output %s: %w", out, err)
		}
		if !empty {
			return fmt.Errorf("output %s is not empty and has no %s: not an aumo export; choose a new or empty directory", out, manifestName)
		}
	}
	if err := probeWritable(out); err != nil {
		return err
	}
	return checkSpace(out, opts)
}

func checkTarball(out string, opts Options) error {
	if _, err := os.Lstat(out); err == nil {
		return fmt.Errorf("output %s already exists: refusing to overwrite it; remove it or choose another name", out)
	}
	return checkParent(out, opts)
}

// checkParent checks the directory that will hold out.
func checkParent(out string, opts Options) error {
	if err := statParent(out); err != nil {
		return err
	}
	parent := filepath.Dir(out)
	if err := probeWritable(parent); err != nil {
		return err
	}
	return checkSpace(parent, opts)
}

// statParent says why the directory that will hold out is not one.
func statParent(out string) error {
	parent := filepath.Dir(out)
	fi, err := os.Stat(parent)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("output %s: parent directory %s does not exist", out, parent)
	case errors.Is(err, syscall.ENOTDIR):
		return fmt.Errorf("output %s: %s is not a directory", out, parent)
	case err != nil:
		return fmt.Errorf("check output %s: %w", out, err)
	case !fi.IsDir():
		return fmt.Errorf("output %s: parent %s is not a directory", out, parent)
	}
	return nil
}

// isEmptyDir reports whether dir holds nothing, or nothing but an export's
// lock file.
func isEmptyDir(dir string) (bool, error) {
	f, err := os.Open(dir)
	if err != nil {
		return false, err
	}
	names, err := f.Readdirnames(2)
	_ = f.Close()
	if err != nil && !errors.Is(err, io.EOF) {
		return false, err
	}
	for _, name := range names {
		if name != lockName {
			return false, nil
		}
	}
	return true, nil
}

// probeWritable creates and removes a file in dir: permission bits alone
// say nothing for root, ACLs or read-only mounts.
func probeWritable(dir string) error {
	f, err := os.CreateTemp(dir, tmpPrefix+"probe-*")
	if err != nil {
		return fmt.Errorf("cannot write in %s: %w", dir, err)
	}
	name := f.Name()
	_ = f.Close()
	if err := os.Remove(name); err != nil {
		return fmt.Errorf("remove probe file in %s: %w", dir, err)
	}
	return nil
}

func checkSpace(dir string, opts Options) error {
	need := opts.minFree()
	if need < 0 {
		return nil
	}
	free, ok, err := freeBytes(dir)
	if err != nil {
		return fmt.Errorf("check free space in %s: %w", dir, err)
	}
	if ok && free < uint64(need) {
		return fmt.Errorf("not enough free space in %s: %s free, at least %s needed", dir, bytesize.Format(free), bytesize.Format(need))
	}
	return nil
}

// errAborted is what a Put still reading sees once Abort has been called.
var errAborted = errors.New("export aborted")

// lifecycle tracks the Puts and AppendIndex calls under way, so that
// Finish and Abort wait for them and refuse later ones.
type lifecycle struct {
	mu       sync.Mutex
	state    int
	inflight sync.WaitGroup
	aborted  atomic.Bool
	// end serialises Finish and Abort.
	end sync.Mutex
}

const (
	stateOpen = iota
	stateEnding
	stateFinished
	stateAborted
)

func (l *lifecycle) enter() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	switch l.state {
	case stateOpen:
		l.inflight.Add(1)
		return nil
	case stateFinished:
		return errors.New("export already finished")
	case stateAborted:
		return errAborted
	default:
		return errors.New("export is ending")
	}
}

func (l *lifecycle) leave() { l.inflight.Done() }

// stop refuses new calls and waits for those under way; it returns the
// state it found. An abort also interrupts the Puts still reading.
func (l *lifecycle) stop(abort bool) int {
	l.mu.Lock()
	prev := l.state
	if prev == stateOpen {
		l.state = stateEnding
	}
	l.mu.Unlock()
	if abort {
		l.aborted.Store(true)
	}
	if prev == stateOpen {
		l.inflight.Wait()
	}
	return prev
}

func (l *lifecycle) set(state int) {
	l.mu.Lock()
	l.state = state
	l.mu.Unlock()
}

// guardedReader stops a Put's copy when its context is done or the sink
// is aborted, instead of reading a slow source to its end.
type guardedReader struct {
	ctx     context.Context
	r       io.Reader
	aborted *atomic.Bool
}

func (g *guardedReader) Read(p []byte) (int, error) {
	if err := g.ctx.Err(); err != nil {
		return 0, err
	}
	if g.aborted.Load() {
		return 0, errAborted
	}
	return g.r.Read(p)
}

func newGuardedReader(ctx context.Context, r io.Reader, aborted *atomic.Bool) io.Reader {
	if r == nil {
		r = strings.NewReader("")
	}
	return &guardedReader{ctx: ctx, r: r, aborted: aborted}
}

// copyBufSize is large enough that a copy costs few system calls and small
// enough that many concurrent Puts stay cheap.
const copyBufSize = 256 << 10

var copyBufs = sync.Pool{New: func() any { b := make([]byte, copyBufSize); return &b }}

// hashingCopy copies src to dst, hashing what it copies when h is not nil.
func hashingCopy(dst io.Writer, src io.Reader, h hash.Hash) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	var n int64
	for {
		nr, rerr := src.Read(buf)
		if nr > 0 {
			if h != nil {
				h.Write(buf[:nr])
			}
			nw, werr := dst.Write(buf[:nr])
			n += int64(nw)
			if werr != nil {
				return n, werr
			}
			if nw != nr {
				return n, io.ErrShortWrite
			}
		}
		if errors.Is(rerr, io.EOF) {
			return n, nil
		}
		if rerr != nil {
			return n, rerr
		}
	}
}

func newHash() hash.Hash { return sha256.New() }

func hexSum(h hash.Hash) string {
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0]))
}

// Reader reads an existing directory export, through an os.Root like
// everything a directory sink does: no path leads outside the export,
// whatever an index or a symlink says. Paths are relative and
// '/'-separated.
type Reader interface {
	// Open opens the file name for reading.
	Open(name string) (*os.File, error)
	// Lstat describes the file name without following a symlink.
	Lstat(name string) (fs.FileInfo, error)
}

// DirReader is a Reader of a directory export that no sink has open yet:
// a resume or an update reads the previous export with it before
// anything is written.
type DirReader struct{ root *os.Root }

var _ Reader = (*DirReader)(nil)

// OpenReader opens the directory export out for reading. It returns nil,
// and no error, when out is not a directory: Check then judges it.
func OpenReader(out string) (*DirReader, error) {
	if fi, err := os.Stat(out); err != nil || !fi.IsDir() {
		if err == nil || errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.ENOTDIR) {
			return nil, nil
		}
		return nil, err
	}
	root, err := os.OpenRoot(out)
	if err != nil {
		return nil, err
	}
	return &DirReader{root: root}, nil
}

// Open opens the file name for reading.
func (r *DirReader) Open(name string) (*os.File, error) { return r.root.Open(name) }

// Lstat describes the file name without following a symlink.
func (r *DirReader) Lstat(name string) (fs.FileInfo, error) { return r.root.Lstat(name) }

// Close releases the directory.
func (r *DirReader) Close() error { return r.root.Close() }

// ReadManifest reads the manifest.json of the directory export out. It
// returns nil, and no error, when out is not a directory or holds no
// manifest: Check then judges it.
func ReadManifest(out string) ([]byte, error) {
	r, err := OpenReader(out)
	if r == nil || err != nil {
		return nil, err
	}
	defer func() { _ = r.Close() }()
	b, err := r.root.ReadFile(manifestName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	return b, err
}
