package sink

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"runtime"
	"sync"
)

// Modes of what a directory export creates: exports hold a site's private
// content, so only their owner reads them until they choose otherwise.
const (
	dirMode  = 0o700
	fileMode = 0o600
)

// dirSink writes an export into a directory. Every operation goes through
// an os.Root, so that nothing planted in the directory (a symlink to
// elsewhere) can make it write outside.
type dirSink struct {
	lc   lifecycle
	out  string
	root *os.Root
	// dirs holds the directories already known to be real directories
	// under root, so that each is checked once.
	dirs sync.Map

	idxMu   sync.Mutex
	index   *os.File
	idxSize int64 // bytes of whole lines in index
	idxBuf  []byte
	idxErr  error // set when the index could not be restored after a failed append

	// lock is the output's lock if Open took it for the sink, released
	// when the sink ends.
	lock *OutputLock
}

func openDir(out string, opts Options, own *OutputLock) (*dirSink, error) {
	created := false
	if _, err := os.Stat(out); errors.Is(err, fs.ErrNotExist) {
		if err := os.Mkdir(out, dirMode); err != nil {
			return nil, fmt.Errorf("create output directory: %w", err)
		}
		created = true
	}
	if !created && !opts.Resume {
		empty, err := isEmptyDir(out)
		if err != nil {
			return nil, fmt.Errorf("open output directory: %w", err)
		}
		if !empty {
			return nil, fmt.Errorf("output %s already holds files: resume that export or choose a new directory", out)
		}
	}
	root, err := os.OpenRoot(out)
	if err != nil {
		return nil, fmt.Errorf("open output directory: %w", err)
	}
	s := &dirSink{out: out, root: root, lock: own}
	if err := s.start(opts); err != nil {
		_ = s.close()
		return nil, err
	}
	return s, nil
}

// start writes the manifest first, so that a directory holding anything of
// aumo's is recognisable as an export from the start, then opens the index.
func (s *dirSink) start(opts Options) error {
	writeManifest := !opts.Resume
	if opts.Resume {
		if _, err := s.root.Lstat(manifestName); errors.Is(err, fs.ErrNotExist) {
			writeManifest = true
		}
	}
	if writeManifest {
		if !json.Valid(opts.InitialManifest) {
			return fmt.Errorf("write %s in %s: the initial manifest is not valid JSON", manifestName, s.out)
		}
		if err := s.writeAtomic(manifestName, opts.InitialManifest); err != nil {
			return fmt.Errorf("write %s in %s: %w", manifestName, s.out, err)
		}
	}
	if fi, err := s.root.Lstat(indexName); err == nil && !fi.Mode().IsRegular() {
		return fmt.Errorf("open %s in %s: not a regular file", indexName, s.out)
	}
	flags := os.O_RDWR | os.O_CREATE | os.O_APPEND
	if !opts.Resume {
		flags |= os.O_TRUNC
	}
	f, err := s.root.OpenFile(indexName, flags, fileMode)
	if err != nil {
		return fmt.Errorf("open %s in %s: %w", indexName, s.out, err)
	}
	s.index = f
	size, err := dropTornLine(f)
	if err != nil {
		return fmt.Errorf("repair %s in %s: %w", indexName, s.out, err)
	}
	s.idxSize = size
	return s.syncDir(".")
}

// dropTornLine truncates f after its last newline, so that lines appended
// next do not glue onto a line a crash left unfinished, and returns the
// size kept.
func dropTornLine(f *os.File) (int64, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := fi.Size()
	var one [1]byte
	if size == 0 {
		return 0, nil
	}
	if _, err := f.ReadAt(one[:], size-1); err != nil {
		return 0, err
	}
	if one[0] == '\n' {
		return size, nil
	}
	buf := make([]byte, 64<<10)
	keep := int64(0)
	for end := size; end > 0; {
		start := max(end-int64(len(buf)), 0)
		chunk := buf[:end-start]
		if _, err := f.ReadAt(chunk, start); err != nil && !errors.Is(err, io.EOF) {
			return 0, err
		}
		if i := bytes.LastIndexByte(chunk, '\n'); i >= 0 {
			keep = start + int64(i) + 1
			break
		}
		end = start
	}
	if err := f.Truncate(keep); err != nil {
		return 0, err
	}
	return keep, f.Sync()
}

func (s *dirSink) Put(ctx context.Context, name string, r io.Reader) (Entry, error) {
	if err := checkPath(name); err != nil {
		return Entry{}, fmt.Errorf("write %s: %w", name, err)
	}
	if err := s.lc.enter(); err != nil {
		return Entry{}, fmt.Errorf("write %s: %w", name, err)
	}
	defer s.lc.leave()
	e, err := s.put(ctx, name, r)
	if err != nil {
		return Entry{}, fmt.Errorf("write %s: %w", name, err)
	}
	return e, nil
}

func (s *dirSink) put(ctx context.Context, name string, r io.Reader) (Entry, error) {
	dir := path.Dir(name)
	if err := s.ensureDir(dir); err != nil {
		return Entry{}, err
	}
	h := newHash()
	var n int64
	err := s.replace(name, func(f *os.File) (err error) {
		n, err = hashingCopy(f, newGuardedReader(ctx, r, &s.lc.aborted), h)
		return err
	})
	if err != nil {
		return Entry{}, err
	}
	return Entry{Path: name, Size: n, SHA256: hexSum(h)}, nil
}

// replace writes name through a temporary file in its directory that is
// synced and renamed over it, then syncs the directory: readers see the
// old file or the new one, never a part, whatever happens meanwhile.
func (s *dirSink) replace(name string, write func(*os.File) error) error {
	dir := path.Dir(name)
	tmp := path.Join(dir, tmpPrefix+rand.Text())
	f, err := s.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return err
	}
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = s.root.Rename(tmp, name)
	}
	if err != nil {
		_ = s.root.Remove(tmp)
		return err
	}
	return s.syncDir(dir)
}

// ensureDir creates dir and its parents under root. A component that
// exists but is not a real directory (a symlink, even to a directory) is
// refused rather than followed.
func (s *dirSink) ensureDir(dir string) error {
	if dir == "." {
		return nil
	}
	if _, ok := s.dirs.Load(dir); ok {
		return nil
	}
	for i := 0; i <= len(dir); i++ {
		if i < len(dir) && dir[i] != '/' {
			continue
		}
		prefix := dir[:i]
		if _, ok := s.dirs.Load(prefix); ok {
			continue
		}
		err := s.root.Mkdir(prefix, dirMode)
		switch {
		case err == nil:
			// The new directory's entry must survive a crash as long as
			// the files it will hold.
			if err := s.syncDir(path.Dir(prefix)); err != nil {
				return err
			}
		case errors.Is(err, fs.ErrExist):
			fi, err := s.root.Lstat(prefix)
			if err != nil {
				return err
			}
			if !fi.IsDir() {
				return fmt.Errorf("%s exists in the output and is not a directory (symlinks are not followed)", prefix)
			}
		default:
			return err
		}
		s.dirs.Store(prefix, struct{}{})
	}
	return nil
}

// syncDir makes renames and creations in dir durable. Windows cannot sync
// a directory, and does not need to.
func (s *dirSink) syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := s.root.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sync directory %s: %w", dir, err)
	}
	return nil
}

// writeAtomic replaces name at the root with data through a synced
// temporary file.
func (s *dirSink) writeAtomic(name string, data []byte) error {
	return s.replace(name, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

func (s *dirSink) AppendIndex(line []byte) error {
	if err := checkIndexLine(line); err != nil {
		return err
	}
	if err := s.lc.enter(); err != nil {
		return fmt.Errorf("append to %s: %w", indexName, err)
	}
	defer s.lc.leave()
	s.idxMu.Lock()
	defer s.idxMu.Unlock()
	if s.idxErr != nil {
		return fmt.Errorf("append to %s: unusable after an earlier error: %w", indexName, s.idxErr)
	}
	s.idxBuf = append(append(s.idxBuf[:0], line...), '\n')
	_, err := s.index.Write(s.idxBuf)
	if err == nil {
		err = s.index.Sync()
	}
	if err != nil {
		// A partial line must not stay in the middle of the index, where
		// readers would take it for a corrupt line rather than a torn one.
		if terr := s.index.Truncate(s.idxSize); terr != nil {
			s.idxErr = errors.Join(err, terr)
		}
		return fmt.Errorf("append to %s: %w", indexName, err)
	}
	s.idxSize += int64(len(s.idxBuf))
	return nil
}

// checkIndexLine refuses what would break index.jsonl's one-object-a-line
// shape.
func checkIndexLine(line []byte) error {
	if bytes.ContainsAny(line, "\r\n") {
		return errors.New("append to index: the line contains a line break")
	}
	if !json.Valid(line) {
		return errors.New("append to index: the line is not valid JSON")
	}
	return nil
}

func (s *dirSink) Checkpoint(manifest []byte) error {
	if !json.Valid(manifest) {
		return fmt.Errorf("checkpoint %s: the manifest is not valid JSON", s.out)
	}
	if err := s.lc.enter(); err != nil {
		return fmt.Errorf("checkpoint %s: %w", s.out, err)
	}
	defer s.lc.leave()
	if err := s.writeAtomic(manifestName, manifest); err != nil {
		return fmt.Errorf("checkpoint %s: write %s: %w", s.out, manifestName, err)
	}
	return nil
}

func (s *dirSink) Finish(manifest []byte) error {
	if !json.Valid(manifest) {
		return fmt.Errorf("finish %s: the manifest is not valid JSON", s.out)
	}
	s.lc.end.Lock()
	defer s.lc.end.Unlock()
	if err := endError(s.lc.stop(false)); err != nil {
		return fmt.Errorf("finish %s: %w", s.out, err)
	}
	if err := s.writeAtomic(manifestName, manifest); err != nil {
		return fmt.Errorf("finish %s: write %s: %w", s.out, manifestName, err)
	}
	if err := s.close(); err != nil {
		return fmt.Errorf("finish %s: %w", s.out, err)
	}
	s.lc.set(stateFinished)
	releaseLock(s.lock)
	return nil
}

func (s *dirSink) Abort() error {
	s.lc.end.Lock()
	defer s.lc.end.Unlock()
	switch s.lc.stop(true) {
	case stateFinished, stateAborted:
		return nil
	}
	s.lc.set(stateAborted)
	err := s.close()
	releaseLock(s.lock)
	if err != nil {
		return fmt.Errorf("abort %s: %w", s.out, err)
	}
	return nil
}

// close releases the index and the root; closing twice is harmless.
func (s *dirSink) close() error {
	var errs []error
	if s.index != nil {
		errs = append(errs, s.index.Close())
		s.index = nil
	}
	if s.root != nil {
		errs = append(errs, s.root.Close())
		s.root = nil
	}
	return errors.Join(errs...)
}

// endError says why Finish cannot run from the state stop found.
func endError(prev int) error {
	switch prev {
	case stateOpen:
		return nil
	case stateFinished:
		return errors.New("export already finished")
	case stateAborted:
		return errAborted
	default:
		return errors.New("an earlier finish failed; abort the export")
	}
}

// Mirror is what a directory sink adds to update the export it holds: it
// reads the export's files (the index, the files of the previous run),
// and for an incremental run, which updates a complete export in place,
// files of removed items move aside or go, and the index is rewritten
// once the run is done. Every path is relative and '/'-separated, and
// read or written through the sink's os.Root.
type Mirror interface {
	Reader
	// Move renames the file from to to (both relative, '/'-separated),
	// creating to's directories. A file already moved (from missing, to
	// present) is no error, so that a run cut short can be repeated.
	Move(from, to string) error
	// Remove deletes the file name; a missing file is no error.
	Remove(name string) error
	// ReplaceIndex replaces index.jsonl atomically with what write
	// writes (index lines, each ending in a newline); later lines are
	// appended after them.
	ReplaceIndex(write func(io.Writer) error) error
}

var _ Mirror = (*dirSink)(nil)

func (s *dirSink) Open(name string) (*os.File, error) {
	if err := s.lc.enter(); err != nil {
		return nil, fmt.Errorf("open %s: %w", name, err)
	}
	defer s.lc.leave()
	return s.root.Open(name)
}

func (s *dirSink) Lstat(name string) (fs.FileInfo, error) {
	if err := s.lc.enter(); err != nil {
		return nil, fmt.Errorf("stat %s: %w", name, err)
	}
	defer s.lc.leave()
	return s.root.Lstat(name)
}

func (s *dirSink) Move(from, to string) error {
	if err := s.lc.enter(); err != nil {
		return fmt.Errorf("move %s: %w", from, err)
	}
	defer s.lc.leave()
	if _, err := s.root.Lstat(from); errors.Is(err, fs.ErrNotExist) {
		if _, err := s.root.Lstat(to); err == nil {
			return nil
		}
	}
	if err := s.ensureDir(path.Dir(to)); err != nil {
		return fmt.Errorf("move %s: %w", from, err)
	}
	if err := s.root.Rename(from, to); err != nil {
		return fmt.Errorf("move %s: %w", from, err)
	}
	if err := s.syncDir(path.Dir(to)); err != nil {
		return err
	}
	return s.syncDir(s.dropEmptyDirs(path.Dir(from)))
}

func (s *dirSink) Remove(name string) error {
	if err := s.lc.enter(); err != nil {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	defer s.lc.leave()
	if err := s.root.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("remove %s: %w", name, err)
	}
	return s.syncDir(s.dropEmptyDirs(path.Dir(name)))
}

// dropEmptyDirs removes dir and its parents while they are empty (an
// item's attachments/, its own directory) or gone, and returns the first
// that stays.
func (s *dirSink) dropEmptyDirs(dir string) string {
	for ; dir != "."; dir = path.Dir(dir) {
		if err := s.root.Remove(dir); err != nil && !errors.Is(err, fs.ErrNotExist) {
			break // not empty
		}
		s.dirs.Delete(dir)
	}
	return dir
}

func (s *dirSink) ReplaceIndex(write func(io.Writer) error) error {
	if err := s.lc.enter(); err != nil {
		return fmt.Errorf("rewrite %s: %w", indexName, err)
	}
	defer s.lc.leave()
	s.idxMu.Lock()
	defer s.idxMu.Unlock()
	err := s.replace(indexName, func(f *os.File) error {
		bw := bufio.NewWriterSize(f, copyBufSize)
		if err := write(bw); err != nil {
			return err
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf("rewrite %s: %w", indexName, err)
	}
	f, err := s.root.OpenFile(indexName, os.O_RDWR|os.O_APPEND, fileMode)
	if err != nil {
		return fmt.Errorf("reopen %s: %w", indexName, err)
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return fmt.Errorf("reopen %s: %w", indexName, err)
	}
	_ = s.index.Close()
	s.index, s.idxSize, s.idxErr = f, fi.Size(), nil
	return nil
}
