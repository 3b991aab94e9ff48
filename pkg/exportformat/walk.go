package exportformat

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strings"
)

// File is one file of an export, as Walk hands it over. It reads the
// file's content, and is valid only until the callback returns.
type File struct {
	// Path is relative to the top of the export and /-separated. A
	// tarball's is the entry's name as stored, less a leading "./": check
	// it (filepath.IsLocal) before using it as a file name.
	Path string
	// Size is the size the directory or the tar header states.
	Size int64
	// Mode holds the file's type bits: none for a regular file. Other
	// files (symbolic links, devices) have no content to read.
	Mode fs.FileMode

	ctx    context.Context
	open   func() (io.ReadCloser, error) // a directory's file, opened on first Read
	r      io.Reader
	closer io.Closer
}

// Read reads the file's content. It fails once Walk's context is done, and
// with an *ArchiveError where a tarball is damaged.
func (f *File) Read(p []byte) (int, error) {
	if err := f.ctx.Err(); err != nil {
		return 0, err
	}
	if !f.Mode.IsRegular() {
		return 0, io.EOF
	}
	if f.r == nil {
		rc, err := f.open()
		if err != nil {
			return 0, err
		}
		f.r, f.closer = rc, rc
	}
	return f.r.Read(p)
}

// Walk calls fn for every file of the export except manifest.json and
// index.jsonl, one at a time in the caller's goroutine: a directory's in
// lexical order, a tarball's in archive order. Directories themselves are
// not handed over. Walk stops at the first error fn returns and returns it.
//
// A directory's temporary files (names starting with ".aumo-tmp-", or with
// "." and containing ".tmp") are what an interrupted run leaves behind, and
// its top-level LockName is the lock of the run writing it: neither is part
// of the export, and Walk skips them.
//
// A tarball is read in one pass, which captures its manifest's Summary and
// its index on the way (they come last), so Summary and Index need no
// second pass.
// Damage to a tarball's stream ends the walk with an *ArchiveError.
func (e *Export) Walk(ctx context.Context, fn func(*File) error) error {
	if e.root != nil {
		return e.walkDir(ctx, fn)
	}
	return e.walkTar(ctx, fn, walkOwn)
}

func (e *Export) walkDir(ctx context.Context, fn func(*File) error) error {
	fsys := e.root.FS()
	return fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("walk %s: %w", e.path, err)
		}
		if d.IsDir() || p == ManifestName || p == IndexName || p == RemovedIndexName || p == LockName || isTemp(d.Name()) {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return fmt.Errorf("walk %s: %w", e.path, err)
		}
		f := &File{Path: p, Size: info.Size(), Mode: info.Mode().Type(), ctx: ctx}
		f.open = func() (io.ReadCloser, error) { return fsys.Open(p) }
		err = fn(f)
		if f.closer != nil {
			_ = f.closer.Close()
		}
		return err
	})
}

// isTemp reports whether a file name is one of the temporary names files
// are written under before being renamed into place: aumo's directory
// export uses ".aumo-tmp-…", and other atomic writes ".<name>.tmp-…".
func isTemp(name string) bool {
	return strings.HasPrefix(name, ".aumo-tmp-") || strings.HasPrefix(name, ".") && strings.Contains(name, ".tmp")
}

// ownFiles says how a pass over a tarball reads the export's own files:
// the manifest keeping keep entries of each list (-1 every one), its
// Summary kept in any case; the index with index, or, when index is nil,
// keeping its lines for Index. index returns an *IndexLineError for what
// is wrong with the index, any other error when the archive could not be
// read.
type ownFiles struct {
	keep  int
	index func(r io.Reader) error
}

// walkOwn are the readers of a Walk.
var walkOwn = ownFiles{keep: SummaryEntries}

func (e *Export) walkTar(ctx context.Context, fn func(*File) error, own ownFiles) error {
	e.tar = tarCapture{indexKept: own.index == nil}
	s, err := e.openStream()
	if err != nil {
		return e.damaged(classify(err))
	}
	defer s.close()
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := s.tr.Next()
		if errors.Is(err, io.EOF) {
			return e.endTar(s)
		}
		if err != nil {
			return e.damaged(classify(err))
		}
		if hdr.Typeflag == tar.TypeDir {
			continue
		}
		f := &File{Path: strings.TrimPrefix(hdr.Name, "./"), Size: hdr.Size, Mode: entryMode(hdr.Typeflag), ctx: ctx, r: entryReader{s.tr}}
		if f.Mode == 0 && (f.Path == ManifestName || f.Path == IndexName) {
			err = e.readOwn(f, own)
		} else {
			err = fn(f)
		}
		if err != nil {
			return e.damaged(err)
		}
	}
}

// endTar finishes a pass that reached the end of the tarball.
func (e *Export) endTar(s *stream) error {
	if !s.tail.endMarkerSeen() {
		return e.damaged(&ArchiveError{Err: ErrTruncated})
	}
	// The compressed stream's checksum follows the tarball's end.
	if _, err := io.Copy(io.Discard, s.tail); err != nil {
		return e.damaged(classify(err))
	}
	e.tar.done = true
	return nil
}

// entryMode is the file mode of a tar entry's type: none for a regular
// file.
func entryMode(typeflag byte) fs.FileMode {
	switch typeflag {
	case tar.TypeReg:
		return 0
	case tar.TypeSymlink:
		return fs.ModeSymlink
	}
	return fs.ModeIrregular
}

// readOwn reads the tarball's manifest.json or index.jsonl as own says,
// keeping what is wrong with it; the error is the archive's.
func (e *Export) readOwn(f *File, own ownFiles) error {
	if f.Path == ManifestName {
		e.tar.manifests++
		err := e.captureManifest(f, own.keep)
		var bad *ManifestError
		if errors.As(err, &bad) {
			e.tar.manifestErr = err
			return nil
		}
		e.tar.manifestErr = nil
		if err != nil {
			return fmt.Errorf("read %s: %w", ManifestName, err)
		}
		return nil
	}
	e.tar.indexes++
	var err error
	if own.index == nil {
		err = e.captureIndex(f)
	} else {
		err = own.index(f)
	}
	var badLine *IndexLineError
	if errors.As(err, &badLine) {
		e.tar.indexErr = err
		return nil
	}
	e.tar.indexErr = nil
	if err != nil {
		return fmt.Errorf("read %s: %w", IndexName, err)
	}
	return nil
}

// captureManifest reads the manifest, keeping keep entries of each list
// (-1 every one) in full, and its summary.
func (e *Export) captureManifest(f *File, keep int) error {
	e.tar.summary, e.tar.full = nil, nil
	s, err := readManifest(f, f.Size, keep)
	if err != nil {
		return err
	}
	e.tar.summary = s.cut(SummaryEntries)
	if keep < 0 {
		e.tar.full = &s.Manifest
	}
	return nil
}

// captureIndex keeps every line of the index for Index.
func (e *Export) captureIndex(r io.Reader) error {
	lines, torn, err := ReadIndex(r)
	e.tar.index, e.tar.torn = lines, torn
	return err
}

// damaged records the damage err tells of, if it does, and returns err.
func (e *Export) damaged(err error) error {
	var d *ArchiveError
	if errors.As(err, &d) {
		e.tar.damage, e.tar.done = d, true
	}
	return err
}

// entryReader reads a tar entry's content, its errors classified.
type entryReader struct{ tr *tar.Reader }

func (r entryReader) Read(p []byte) (int, error) {
	n, err := r.tr.Read(p)
	if err != nil && !errors.Is(err, io.EOF) {
		err = classify(err)
	}
	return n, err
}
