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
// A tarball is read in one pass, which captures its manifest and index on
// the way (they come last), so Manifest and Index need no second pass.
// Damage to a tarball's stream ends the walk with an *ArchiveError.
func (e *Export) Walk(ctx context.Context, fn func(*File) error) error {
	if e.root != nil {
		return e.walkDir(ctx, fn)
	}
	return e.walkTar(ctx, fn)
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

func (e *Export) walkTar(ctx context.Context, fn func(*File) error) error {
	e.tar = tarCapture{}
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
		if err != nil {
			return e.damaged(classify(err))
		}
		var mode fs.FileMode
		switch hdr.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg:
		case tar.TypeSymlink:
			mode = fs.ModeSymlink
		default:
			mode = fs.ModeIrregular
		}
		name := strings.TrimPrefix(hdr.Name, "./")
		body := entryReader{s.tr}
		switch {
		case name == ManifestName && mode == 0:
			data, err := io.ReadAll(body)
			if err != nil {
				return e.damaged(fmt.Errorf("read %s: %w", ManifestName, err))
			}
			e.tar.manifest, e.tar.hasManifest = data, true
		case name == IndexName && mode == 0:
			lines, torn, err := ReadIndex(body)
			var lineErr *IndexLineError
			if err != nil && !errors.As(err, &lineErr) {
				return e.damaged(fmt.Errorf("read %s: %w", IndexName, err))
			}
			e.tar.index, e.tar.torn, e.tar.indexErr, e.tar.hasIndex = lines, torn, err, true
		default:
			f := &File{Path: name, Size: hdr.Size, Mode: mode, ctx: ctx, r: body}
			if err := fn(f); err != nil {
				return e.damaged(err)
			}
		}
	}
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
