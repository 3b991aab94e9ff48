package exportformat

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"filippo.io/age"
	"filippo.io/age/armor"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// ErrNotExport reports a path that holds no aumo export: a directory
// without manifest.json and index.jsonl, a file that is not a tarball, or a
// tarball without them at its top.
var ErrNotExport = errors.New("not an aumo export")

// ErrEncrypted reports an age-encrypted export, which Open cannot read
// (OpenWith can, given an identity).
var ErrEncrypted = errors.New("export is age-encrypted")

// ErrNoIdentity reports an encrypted export that none of the identities
// given can decrypt: another key, or a wrong passphrase.
var ErrNoIdentity = errors.New("none of the identities given decrypts the export (another key, or a wrong passphrase)")

// ErrTruncated reports a tarball that ends before its end-of-archive
// marker: its writing or copying was cut short.
var ErrTruncated = errors.New("archive truncated")

// ArchiveError reports a tarball whose stream is damaged: cut short (Err
// is ErrTruncated) or with corrupt compression or tar headers. What came
// before the damage was read as usual.
type ArchiveError struct{ Err error }

// Error says what is wrong with the archive.
func (e *ArchiveError) Error() string {
	if errors.Is(e.Err, ErrTruncated) {
		return e.Err.Error()
	}
	return "archive damaged: " + e.Err.Error()
}

// Unwrap returns the damage: ErrTruncated, or the reading error.
func (e *ArchiveError) Unwrap() error { return e.Err }

// Archive formats, as Export.Archive names them.
const (
	archiveTar  = "tar"
	archiveGzip = "tar.gz"
	archiveZstd = "tar.zst"
	archiveAge  = "age" // until decrypted
)

// Export is an export opened for reading: a directory or a tarball. It is
// not safe for concurrent use.
type Export struct {
	// identities decrypt an age-encrypted tarball; encrypted and armored
	// say what it is.
	identities []age.Identity
	encrypted  bool
	armored    bool

	path    string
	root    *os.Root // a directory export
	file    *os.File // a tarball
	archive string

	// A tarball's manifest and index come last, so a pass over the whole
	// archive captures them on its way and later calls need no second one.
	tar tarCapture
}

type tarCapture struct {
	done   bool  // a pass reached the end of the archive or its damage
	damage error // the *ArchiveError that ended the pass, if any

	// manifests and indexes count the entries of each met.
	manifests, indexes int

	summary     *Summary
	full        *Manifest // when the pass kept every entry of its lists
	manifestErr error     // a *ManifestError

	index     []IndexLine
	indexKept bool // the pass kept the index's lines (verify's does not)
	torn      bool
	indexErr  error // an *IndexLineError
}

// Open opens an export for reading: a directory, or a tarball .tar,
// .tar.gz/.tgz or .tar.zst. A tarball's compression is told by its first
// bytes, not its name. A directory must hold manifest.json or index.jsonl
// (one without the other is damage Verify reports); a tarball must start
// with a tar header, and whether it holds an export shows only once it has
// been read to its end.
func Open(path string) (*Export, error) { return OpenWith(path, nil) }

// OpenWith opens an export like Open, and also an age-encrypted tarball
// (the .age that aumo export --encrypt-to or --encrypt-passphrase writes)
// when one of identities can decrypt it. Without identities an encrypted
// export is ErrEncrypted; with none that matches, ErrNoIdentity.
func OpenWith(path string, identities []age.Identity) (*Export, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("open export: %w", err)
	}
	if info.IsDir() {
		return openDir(path)
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("open export %s: %w: neither a directory nor a regular file", path, ErrNotExport)
	}
	return openArchive(path, identities)
}

func openDir(path string) (*Export, error) {
	root, err := os.OpenRoot(path)
	if err != nil {
		return nil, fmt.Errorf("open export: %w", err)
	}
	_, errM := root.Stat(ManifestName)
	_, errI := root.Stat(IndexName)
	if errors.Is(errM, fs.ErrNotExist) && errors.Is(errI, fs.ErrNotExist) {
		_ = root.Close()
		return nil, fmt.Errorf("open export %s: %w: the directory has no %s or %s", path, ErrNotExport, ManifestName, IndexName)
	}
	return &Export{path: path, root: root}, nil
}

// Magic numbers at the start of a file.
var (
	magicGzip   = []byte{0x1f, 0x8b}
	magicZstd   = []byte{0x28, 0xb5, 0x2f, 0xfd}
	magicAge    = []byte("age-encryption.org/v1")
	magicAgePEM = []byte("-----BEGIN AGE ENCRYPTED FILE-----")
	// Compressions aumo never writes, named so the error can say which.
	foreignMagic = []struct {
		name  string
		magic []byte
	}{
		{"bzip2", []byte("BZh")},
		{"xz", []byte{0xfd, '7', 'z', 'X', 'Z', 0}},
		{"lz4", []byte{0x04, 0x22, 0x4d, 0x18}},
		{"zip", []byte("PK\x03\x04")},
	}
)

func openArchive(path string, identities []age.Identity) (_ *Export, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open export: %w", err)
	}
	e := &Export{path: path, file: f, identities: identities}
	defer func() {
		if err != nil {
			_ = f.Close()
		}
	}()
	head := make([]byte, tarBlock)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("open export: %w", err)
	}
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, magicAge), bytes.HasPrefix(head, magicAgePEM):
		if len(identities) == 0 {
			return nil, fmt.Errorf("open export %s: %w", path, ErrEncrypted)
		}
		e.armored = bytes.HasPrefix(head, magicAgePEM)
		e.archive = archiveAge // told apart once decrypted
	case bytes.HasPrefix(head, magicGzip):
		e.archive = archiveGzip
	case bytes.HasPrefix(head, magicZstd):
		e.archive = archiveZstd
	case isTarHeader(head):
		e.archive = archiveTar
		return e, nil
	default:
		for _, m := range foreignMagic {
			if bytes.HasPrefix(head, m.magic) {
				return nil, fmt.Errorf("open export %s: %w: %s compression (aumo writes .tar, .tar.gz and .tar.zst)", path, ErrNotExport, m.name)
			}
		}
		return nil, fmt.Errorf("open export %s: %w: neither a directory nor a tarball", path, ErrNotExport)
	}

	// A compressed file is opened only if it decompresses to a tarball, so
	// that an unreadable one cannot be mistaken for a damaged export.
	s, err := e.openStream()
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		return nil, fmt.Errorf("open export %s: %w", path, ErrNoIdentity)
	}
	if err != nil {
		return nil, fmt.Errorf("open export %s: %s stream: %w", path, e.archive, err)
	}
	defer s.close()
	head = make([]byte, tarBlock)
	n = 0
	for n < len(head) && err == nil {
		var m int
		m, err = s.tail.Read(head[n:])
		n += m
	}
	switch {
	case n == len(head) && isTarHeader(head):
		return e, nil
	case n == len(head), errors.Is(err, io.EOF):
		return nil, fmt.Errorf("open export %s: %w: the %s stream holds no tarball", path, ErrNotExport, e.archive)
	case errors.Is(err, io.ErrUnexpectedEOF):
		// Cut short before its first tar header: damage Walk reports.
		return e, nil
	}
	return nil, fmt.Errorf("open export %s: %s stream: %w", path, e.archive, err)
}

const tarBlock = 512

// isTarHeader reports whether b starts with a POSIX or GNU tar header,
// which is what every tar writer of the last decades produces.
func isTarHeader(b []byte) bool {
	return len(b) >= tarBlock && bytes.Equal(b[257:262], []byte("ustar"))
}

// Archive returns the tarball's format: "tar", "tar.gz" or "tar.zst"; or
// "" for a directory.
func (e *Export) Archive() string { return e.archive }

// Close releases the export's directory or file.
func (e *Export) Close() error {
	if e.root != nil {
		return e.root.Close()
	}
	return e.file.Close()
}

// Manifest returns manifest.json, every entry of its lists included: they
// grow with the export (see Summary), and so does what Manifest holds. A
// tarball's manifest comes last: Manifest reads the archive to its end.
// A manifest.json that is no manifest, or beyond MaxManifestSize, is a
// *ManifestError.
func (e *Export) Manifest() (*Manifest, error) {
	if e.root != nil {
		s, err := e.readDirManifest(-1)
		if err != nil {
			return nil, err
		}
		return &s.Manifest, nil
	}
	if err := e.scan(ownFiles{keep: -1}); err != nil {
		return nil, err
	}
	if err := e.manifestStatus(); err != nil {
		return nil, err
	}
	m := e.tar.full
	e.tar.full = nil
	return m, nil
}

// Summary returns manifest.json with its lists cut short, in bounded
// memory whatever the export holds. A tarball's manifest comes last, so
// unless a Walk has read the archive to its end, Summary does. A
// manifest.json that is no manifest, or beyond MaxManifestSize, is a
// *ManifestError.
func (e *Export) Summary() (*Summary, error) {
	if e.root != nil {
		return e.readDirManifest(SummaryEntries)
	}
	if !e.tar.done {
		if err := e.scan(walkOwn); err != nil {
			return nil, err
		}
	}
	if err := e.manifestStatus(); err != nil {
		return nil, err
	}
	return e.tar.summary, nil
}

// readDirManifest reads a directory's manifest.json, keeping keep entries
// of each list (-1 every one).
func (e *Export) readDirManifest(keep int) (*Summary, error) {
	f, err := e.root.Open(ManifestName)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ManifestName, err)
	}
	defer func() { _ = f.Close() }()
	info, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", ManifestName, err)
	}
	s, err := readManifest(f, info.Size(), keep)
	var bad *ManifestError
	if err != nil && !errors.As(err, &bad) {
		return nil, fmt.Errorf("read %s: %w", ManifestName, err)
	}
	return s, err
}

// manifestStatus says why the pass over a tarball has no summary of its
// manifest, if it has none.
func (e *Export) manifestStatus() error {
	switch {
	case e.tar.manifests == 0:
		return e.absent(ManifestName)
	case e.tar.manifestErr != nil:
		return e.tar.manifestErr
	}
	return nil
}

// Index returns index.jsonl as ReadIndex parses it: every path's line, in
// memory. A tarball's index comes last, so unless a Walk has read the
// archive to its end, Index does.
func (e *Export) Index() (lines []IndexLine, torn bool, err error) {
	if e.root == nil {
		if !e.tar.done || !e.tar.indexKept {
			if err := e.scan(walkOwn); err != nil {
				return nil, false, err
			}
		}
		if e.tar.indexes == 0 {
			return nil, false, e.absent(IndexName)
		}
		if e.tar.indexErr != nil {
			return nil, false, fmt.Errorf("read %s: %w", IndexName, e.tar.indexErr)
		}
		return e.tar.index, e.tar.torn, nil
	}
	f, err := e.root.Open(IndexName)
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", IndexName, err)
	}
	defer func() { _ = f.Close() }()
	lines, torn, err = ReadIndex(f)
	if err != nil {
		return nil, false, fmt.Errorf("read %s: %w", IndexName, err)
	}
	return lines, torn, nil
}

// RemovedIndex reads a directory export's removed/index.jsonl: the files
// incremental runs moved under removed/. None (nil) when there is none, or
// for a tarball.
func (e *Export) RemovedIndex() ([]IndexLine, error) {
	if e.root == nil {
		return nil, nil
	}
	f, err := e.root.Open(RemovedIndexName)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", RemovedIndexName, err)
	}
	defer func() { _ = f.Close() }()
	lines, _, err := ReadIndex(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", RemovedIndexName, err)
	}
	return lines, nil
}

// scan reads a tarball to its end, its own files read by own.
func (e *Export) scan(own ownFiles) error {
	err := e.walkTar(context.Background(), func(*File) error { return nil }, own)
	var damage *ArchiveError
	if errors.As(err, &damage) {
		return nil // recorded in e.tar; absent tells it
	}
	return err
}

// absent explains why a tarball lacks one of the export's own files.
func (e *Export) absent(name string) error {
	if e.tar.damage != nil {
		return fmt.Errorf("read %s from %s: %w", name, e.path, e.tar.damage)
	}
	return fmt.Errorf("read %s from %s: %w", name, e.path, fs.ErrNotExist)
}

// stream is one sequential read of a tarball.
type stream struct {
	tail   *tailReader
	tr     *tar.Reader
	closer func()
}

func (s *stream) close() {
	if s.closer != nil {
		s.closer()
	}
}

func (e *Export) openStream() (*stream, error) {
	if _, err := e.file.Seek(0, io.SeekStart); err != nil {
		return nil, &readError{fmt.Errorf("rewind %s: %w", e.path, err)}
	}
	var src io.Reader = bufio.NewReaderSize(fileReader{e.file}, 256<<10)
	s := &stream{}
	archive := e.archive
	if e.encrypted || archive == archiveAge {
		if e.armored {
			src = armor.NewReader(src)
		}
		dec, err := age.Decrypt(src, e.identities...)
		if err != nil {
			return nil, err
		}
		e.encrypted = true
		br := bufio.NewReaderSize(dec, 256<<10)
		head, _ := br.Peek(len(magicZstd))
		switch {
		case bytes.HasPrefix(head, magicGzip):
			archive = archiveGzip
		case bytes.HasPrefix(head, magicZstd):
			archive = archiveZstd
		default:
			archive = archiveTar
		}
		e.archive = archive
		src = br
	}
	switch archive {
	case archiveGzip:
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, err
		}
		s.closer = func() { _ = zr.Close() }
		src = zr
	case archiveZstd:
		zr, err := zstd.NewReader(src, zstd.WithDecoderMaxWindow(MaxZstdWindow))
		if err != nil {
			return nil, err
		}
		s.closer = zr.Close
		src = zstdReader{zr}
	}
	s.tail = &tailReader{r: src}
	s.tr = tar.NewReader(s.tail)
	return s, nil
}

// zstdReader names a zstd stream whose window is beyond MaxZstdWindow.
type zstdReader struct{ r io.Reader }

func (r zstdReader) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if errors.Is(err, zstd.ErrWindowSizeExceeded) {
		err = &LimitError{What: "the zstd stream's window", Limit: MaxZstdWindow}
	}
	return n, err
}

// fileReader marks errors of the file itself, which mean the export could
// not be read, apart from errors of its content, which mean it is damaged.
type fileReader struct{ f *os.File }

func (r fileReader) Read(p []byte) (int, error) {
	n, err := r.f.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = &readError{err}
	}
	return n, err
}

type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }
func (e *readError) Unwrap() error { return e.err }

// classify turns an error met while reading a tarball's stream into the
// file's own read error, or an *ArchiveError.
func classify(err error) error {
	var re *readError
	switch {
	case errors.As(err, &re):
		return re.err
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return &ArchiveError{Err: ErrTruncated}
	}
	return &ArchiveError{Err: err}
}

// tailReader counts the zero bytes that end what has been read, so that a
// tarball cut at a block boundary, which archive/tar takes for a normal
// end, can be told from one ending in its two-block end marker.
type tailReader struct {
	r     io.Reader
	zeros int64
}

func (t *tailReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	if n > 0 {
		i := n
		for i > 0 && p[i-1] == 0 {
			i--
		}
		if i == 0 {
			t.zeros += int64(n)
		} else {
			t.zeros = int64(n - i)
		}
	}
	return n, err
}

func (t *tailReader) endMarkerSeen() bool { return t.zeros >= 2*tarBlock }
