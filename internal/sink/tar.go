package sink

import (
	"filippo.io/age"

	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// A tarball Put keeps its content in memory while it waits for the
// archive, up to memSpoolSmall bytes whatever else is spooled (most files
// of an export, JSON and Markdown and most attachments, are that small),
// and up to memSpoolMax while no more than memSpoolLarge other Puts hold
// that much; the rest goes to a temporary file. Memory stays at a few MiB
// however many Puts run at once.
const (
	memSpoolSmall = 64 << 10
	memSpoolMax   = 1 << 20
	memSpoolLarge = 4
)

// zstdWindow is the window of a .tar.zst archive's encoder, and so what
// a reader needs to decompress it.
const zstdWindow = 2 << 20

// entryMode is the mode of the files inside a tarball: whoever extracts it
// decides, through their umask, who else may read them.
const entryMode = 0o644

// tarSink writes an export as one tar stream, to a temporary file renamed
// at Finish, or (for standard output) to a spool copied out at Finish, so
// that an unfinished export is never seen as a whole one.
type tarSink struct {
	lc     lifecycle
	kind   string
	final  string // "" for standard output
	dir    string // where temporary files go
	stdout io.Writer

	mu      sync.Mutex // guards everything below up to err
	file    *os.File
	tmpName string // "" once removed or never named
	bw      *bufio.Writer
	enc     io.WriteCloser // age encryption; nil without recipients
	comp    io.WriteCloser // nil for a plain tar
	tw      *tar.Writer
	err     error // the first write error: the archive is unusable after it

	idxMu   sync.Mutex
	idx     *os.File
	idxName string
	idxEnc  io.WriteCloser // the index spool's encryption; nil without spoolKey
	idxW    *bufio.Writer
	idxSize int64

	// spoolKey encrypts what an encrypted archive spools to temporary
	// files (large entries, the index) with a key that lives only in
	// memory, so that no plaintext reaches the disk.
	spoolKey *age.X25519Identity

	// lock is the output's lock if Open took it for the sink, released
	// when the sink ends.
	lock *OutputLock

	// large holds the buffers of Puts that spool more than
	// memSpoolSmall in memory: memSpoolLarge of them, made as needed
	// and kept for the sink's life.
	large chan *bytes.Buffer
}

// spoolBufs are the buffers of small spools, of memSpoolSmall and a
// little more.
var spoolBufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func openTar(kind, final string, opts Options, own *OutputLock) (_ *tarSink, err error) {
	s := &tarSink{kind: kind, final: final, stdout: opts.Stdout, lock: own, large: make(chan *bytes.Buffer, memSpoolLarge)}
	for range memSpoolLarge {
		s.large <- new(bytes.Buffer)
	}
	defer func() {
		if err != nil {
			_ = s.cleanup()
		}
	}()
	if final == "" {
		s.dir = opts.spoolDir()
		s.file, s.tmpName, err = createSpool(s.dir, tmpPrefix+"stdout-*.tar")
	} else {
		s.dir = filepath.Dir(final)
		s.file, err = os.CreateTemp(s.dir, partialPattern(final))
		if s.file != nil {
			s.tmpName = s.file.Name()
		}
	}
	if err != nil {
		return nil, fmt.Errorf("create temporary file for %s: %w", s.name(), err)
	}
	s.bw = bufio.NewWriterSize(s.file, copyBufSize)
	var w io.Writer = s.bw
	if len(opts.Recipients) > 0 {
		s.enc, err = age.Encrypt(s.bw, opts.Recipients...)
		if err != nil {
			return nil, fmt.Errorf("start encrypting %s: %w", s.name(), err)
		}
		w = s.enc
		if s.spoolKey, err = age.GenerateX25519Identity(); err != nil {
			return nil, fmt.Errorf("make a key for the temporary files of %s: %w", s.name(), err)
		}
	}
	if s.comp, err = compressor(kind, w); err != nil {
		return nil, fmt.Errorf("start compressing %s: %w", s.name(), err)
	}
	if s.comp != nil {
		w = s.comp
	}
	s.tw = tar.NewWriter(w)
	s.idx, s.idxName, err = createSpool(s.dir, tmpPrefix+"index-*")
	if err != nil {
		return nil, fmt.Errorf("create temporary index for %s: %w", s.name(), err)
	}
	var iw io.Writer = s.idx
	if s.spoolKey != nil {
		if s.idxEnc, err = age.Encrypt(s.idx, s.spoolKey.Recipient()); err != nil {
			return nil, fmt.Errorf("create temporary index for %s: %w", s.name(), err)
		}
		iw = s.idxEnc
	}
	s.idxW = bufio.NewWriter(iw)
	return s, nil
}

// compressor starts the compression of a tarball of kind over w; it is
// nil for a plain tar.
func compressor(kind string, w io.Writer) (io.WriteCloser, error) {
	switch kind {
	case KindTarGz:
		gz, err := gzip.NewWriterLevel(w, gzip.DefaultCompression)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		return gz, nil
	case KindTarZst:
		// Sized for a stream, not for the best ratio: the default window
		// (8 MiB for each encoder) made the encoder the largest thing an
		// export held in memory, while the redundancy of an
		// export (issues and pages of similar JSON, side by side) lies
		// within a few items, and attachments are mostly compressed
		// already. Two encoders compress one block while the next is
		// filled; more would only cost memory, as the archive is written
		// by one writer.
		zw, err := zstd.NewWriter(w, zstd.WithEncoderConcurrency(2),
			zstd.WithWindowSize(zstdWindow), zstd.WithLowerEncoderMem(true))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
		return zw, nil
	}
	return nil, nil
}

// readSpool rewinds a spool file for reading, decrypting it when the
// archive is encrypted.
func (s *tarSink) readSpool(f *os.File) (io.Reader, error) {
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	if s.spoolKey == nil {
		return f, nil
	}
	return age.Decrypt(bufio.NewReaderSize(f, copyBufSize), s.spoolKey)
}

// createSpool creates a temporary file and, where the platform allows
// removing an open file, removes its name at once so that not even a
// crash leaves it behind. It returns the name still to remove, if any.
func createSpool(dir, pattern string) (*os.File, string, error) {
	f, err := os.CreateTemp(dir, pattern)
	if err != nil {
		return nil, "", err
	}
	if runtime.GOOS != "windows" && os.Remove(f.Name()) == nil {
		return f, "", nil
	}
	return f, f.Name(), nil
}

func closeSpool(f *os.File, name string) error {
	err := f.Close()
	if name != "" {
		if rerr := os.Remove(name); rerr != nil && err == nil {
			err = rerr
		}
	}
	return err
}

func (s *tarSink) name() string {
	if s.final == "" {
		return "standard output"
	}
	return s.final
}

type nopWriteCloser struct{ io.Writer }

func (nopWriteCloser) Close() error { return nil }

// spooled is a Put's content waiting for its turn in the archive.
type spooled struct {
	buf   *bytes.Buffer
	large chan *bytes.Buffer // where buf goes back to, if it is large
	file  *os.File
	rd    io.Reader // the file's content, decrypted if need be
	name  string
	size  int64
}

func (sp *spooled) release() {
	sp.dropBuffer()
	if sp.file != nil {
		_ = closeSpool(sp.file, sp.name)
		sp.file = nil
	}
}

func (sp *spooled) dropBuffer() {
	switch {
	case sp.buf == nil:
	case sp.large != nil:
		sp.buf.Reset()
		sp.large <- sp.buf
	default:
		spoolBufs.Put(sp.buf)
	}
	sp.buf, sp.large = nil, nil
}

func (s *tarSink) Put(ctx context.Context, name string, r io.Reader) (Entry, error) {
	if err := checkPath(name); err != nil {
		return Entry{}, fmt.Errorf("write %s: %w", name, err)
	}
	if err := s.lc.enter(); err != nil {
		return Entry{}, fmt.Errorf("write %s: %w", name, err)
	}
	defer s.lc.leave()
	h := newHash()
	sp, err := s.spool(newGuardedReader(ctx, r, &s.lc.aborted), h)
	if err != nil {
		return Entry{}, fmt.Errorf("write %s: %w", name, err)
	}
	defer sp.release()
	var src io.Reader
	if sp.buf != nil {
		src = sp.buf
	} else {
		src = sp.rd
	}
	if err := s.appendEntry(name, sp.size, src); err != nil {
		return Entry{}, fmt.Errorf("write %s: %w", name, err)
	}
	return Entry{Path: name, Size: sp.size, SHA256: hexSum(h)}, nil
}

// spool reads r to its end, because a tar header needs the size before the
// content: in memory while it is small enough (see memSpoolMax), else in
// a temporary file.
func (s *tarSink) spool(r io.Reader, h hash.Hash) (_ *spooled, err error) {
	buf := spoolBufs.Get().(*bytes.Buffer)
	buf.Reset()
	sp := &spooled{buf: buf}
	defer func() {
		if err != nil {
			sp.release()
		}
	}()
	if _, err := buf.ReadFrom(io.LimitReader(r, memSpoolSmall+1)); err != nil {
		return nil, err
	}
	if buf.Len() > memSpoolSmall && s.takeLarge(sp) {
		if _, err := sp.buf.ReadFrom(io.LimitReader(r, int64(memSpoolMax+1-sp.buf.Len()))); err != nil {
			return nil, err
		}
	}
	h.Write(sp.buf.Bytes())
	sp.size = int64(sp.buf.Len())
	if sp.size <= memSpoolSmall || (sp.large != nil && sp.size <= memSpoolMax) {
		return sp, nil
	}
	return sp, s.spoolToFile(sp, r, h)
}

// takeLarge moves what sp holds to a large buffer, if one is free: a Put
// that finds none goes to a temporary file rather than waiting.
func (s *tarSink) takeLarge(sp *spooled) bool {
	select {
	case large := <-s.large:
		// Grown once to the most it holds (ReadFrom wants MinRead
		// free before each read), rather than by doubling to twice
		// that.
		large.Grow(memSpoolMax + 1 + bytes.MinRead)
		large.Write(sp.buf.Bytes())
		spoolBufs.Put(sp.buf)
		sp.buf, sp.large = large, s.large
		return true
	default:
		return false
	}
}

// spoolToFile moves what sp holds in memory to a temporary file and
// copies the rest of r after it.
func (s *tarSink) spoolToFile(sp *spooled, r io.Reader, h hash.Hash) (err error) {
	sp.file, sp.name, err = createSpool(s.dir, tmpPrefix+"put-*")
	if err != nil {
		return err
	}
	var w io.WriteCloser = nopWriteCloser{sp.file}
	if s.spoolKey != nil {
		if w, err = age.Encrypt(sp.file, s.spoolKey.Recipient()); err != nil {
			return err
		}
	}
	if _, err := w.Write(sp.buf.Bytes()); err != nil {
		return err
	}
	sp.dropBuffer()
	n, err := hashingCopy(w, r, h)
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		return err
	}
	sp.size += n
	sp.rd, err = s.readSpool(sp.file)
	return err
}

// appendEntry writes one file into the archive. A failure part-way leaves
// a torn entry, so it makes the whole archive unusable.
func (s *tarSink) appendEntry(name string, size int64, src io.Reader) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return fmt.Errorf("the archive is unusable after an earlier error: %w", s.err)
	}
	hdr := &tar.Header{
		Typeflag: tar.TypeReg,
		Name:     name,
		Size:     size,
		Mode:     entryMode,
		ModTime:  time.Now().Truncate(time.Second),
	}
	err := s.tw.WriteHeader(hdr)
	if err == nil {
		var n int64
		n, err = copyPlain(s.tw, src)
		if err == nil && n != size {
			err = fmt.Errorf("content changed while written: %d bytes instead of %d", n, size)
		}
	}
	if err != nil {
		s.err = err
	}
	return err
}

// copyPlain copies src to dst through a pooled buffer; io.Copy would
// allocate one for each file.
func copyPlain(dst io.Writer, src io.Reader) (int64, error) {
	if b, ok := src.(*bytes.Buffer); ok {
		n, err := dst.Write(b.Bytes())
		return int64(n), err
	}
	return hashingCopy(dst, src, nil)
}

func (s *tarSink) AppendIndex(line []byte) error {
	if err := checkIndexLine(line); err != nil {
		return err
	}
	if err := s.lc.enter(); err != nil {
		return fmt.Errorf("append to %s: %w", indexName, err)
	}
	defer s.lc.leave()
	s.idxMu.Lock()
	defer s.idxMu.Unlock()
	if _, err := s.idxW.Write(line); err != nil {
		return fmt.Errorf("append to %s: %w", indexName, err)
	}
	if err := s.idxW.WriteByte('\n'); err != nil {
		return fmt.Errorf("append to %s: %w", indexName, err)
	}
	s.idxSize += int64(len(line)) + 1
	return nil
}

// Checkpoint implements Sink: a tarball cannot resume, so it keeps nothing.
func (s *tarSink) Checkpoint([]byte) error { return nil }

func (s *tarSink) Finish(manifest []byte) error {
	if !json.Valid(manifest) {
		return fmt.Errorf("finish %s: the manifest is not valid JSON", s.name())
	}
	s.lc.end.Lock()
	defer s.lc.end.Unlock()
	if err := endError(s.lc.stop(false)); err != nil {
		return fmt.Errorf("finish %s: %w", s.name(), err)
	}
	if err := s.finish(manifest); err != nil {
		return fmt.Errorf("finish %s: %w", s.name(), err)
	}
	s.lc.set(stateFinished)
	releaseLock(s.lock)
	return nil
}

func (s *tarSink) finish(manifest []byte) error {
	err := s.idxW.Flush()
	if err == nil && s.idxEnc != nil {
		err = s.idxEnc.Close()
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", indexName, err)
	}
	idx, err := s.readSpool(s.idx)
	if err != nil {
		return fmt.Errorf("read %s back: %w", indexName, err)
	}
	if err := s.appendEntry(indexName, s.idxSize, idx); err != nil {
		return fmt.Errorf("write %s: %w", indexName, err)
	}
	if err := s.appendEntry(manifestName, int64(len(manifest)), bytes.NewReader(manifest)); err != nil {
		return fmt.Errorf("write %s: %w", manifestName, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	err = s.tw.Close()
	if err == nil && s.comp != nil {
		err = s.comp.Close()
	}
	if err == nil && s.enc != nil {
		err = s.enc.Close()
	}
	if err == nil {
		err = s.bw.Flush()
	}
	if err != nil {
		s.err = err
		return err
	}
	if s.final == "" {
		return s.copyToStdout()
	}
	err = s.file.Sync()
	if cerr := s.file.Close(); err == nil {
		err = cerr
	}
	s.file = nil
	if err == nil {
		err = os.Rename(s.tmpName, s.final)
	}
	if err != nil {
		s.err = err
		return err
	}
	s.tmpName = ""
	syncParent(s.dir)
	return s.closeIndex()
}

func (s *tarSink) copyToStdout() error {
	if _, err := s.file.Seek(0, io.SeekStart); err != nil {
		return fmt.Errorf("read the spooled archive back: %w", err)
	}
	if _, err := io.Copy(s.stdout, s.file); err != nil {
		s.err = err
		return fmt.Errorf("copy to standard output: %w", err)
	}
	err := closeSpool(s.file, s.tmpName)
	s.file, s.tmpName = nil, ""
	return errors.Join(err, s.closeIndex())
}

func (s *tarSink) closeIndex() error {
	if s.idx == nil {
		return nil
	}
	err := closeSpool(s.idx, s.idxName)
	s.idx, s.idxName = nil, ""
	return err
}

// syncParent makes the final rename durable where the platform can sync a
// directory; the archive itself is already synced, so a failure here
// costs at most the name after a crash.
func syncParent(dir string) {
	if runtime.GOOS == "windows" {
		return
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
}

func (s *tarSink) Abort() error {
	s.lc.end.Lock()
	defer s.lc.end.Unlock()
	switch s.lc.stop(true) {
	case stateFinished, stateAborted:
		return nil
	}
	s.lc.set(stateAborted)
	err := s.cleanup()
	// Released after the temporary files are gone: the next holder would
	// remove them as stale.
	releaseLock(s.lock)
	if err != nil {
		return fmt.Errorf("abort %s: %w", s.name(), err)
	}
	return nil
}

// cleanup stops the compressor (whose goroutines would otherwise stay) and
// removes every temporary file.
func (s *tarSink) cleanup() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var errs []error
	if s.comp != nil {
		_ = s.comp.Close()
		s.comp = nil
	}
	switch {
	case s.file != nil:
		errs = append(errs, closeSpool(s.file, s.tmpName))
	case s.tmpName != "":
		errs = append(errs, os.Remove(s.tmpName))
	}
	s.file, s.tmpName = nil, ""
	if s.idx != nil {
		errs = append(errs, s.closeIndex())
	}
	if s.err == nil {
		s.err = errAborted
	}
	return errors.Join(errs...)
}
