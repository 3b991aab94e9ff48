package render

import (
	"bufio"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// File is the file a view of one file (csv, jsonl) writes: "-" is
// standard output; any other name is written under a temporary name
// beside it and renamed into place by Close, so that a render cut short
// leaves an earlier file whole.
type File struct {
	*bufio.Writer
	path string
	tmp  *os.File
}

// CreateFile starts writing name; stdout is "-".
func CreateFile(name string, stdout io.Writer) (*File, error) {
	if name == "-" {
		return &File{Writer: bufio.NewWriterSize(stdout, 64<<10), path: name}, nil
	}
	if err := CheckFile(name); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(name), 0o700); err != nil {
		return nil, fmt.Errorf("render: create %s: %w", filepath.Dir(name), err)
	}
	tmp, err := createTemp(name)
	if err != nil {
		return nil, err
	}
	return &File{Writer: bufio.NewWriterSize(tmp, 64<<10), path: name, tmp: tmp}, nil
}

// CheckFile refuses name as a file to render to, as CreateFile would,
// before anything is read: a folder, or a folder render cannot write in.
// A folder still to be made is not checked.
func CheckFile(name string) error {
	if name == "-" {
		return nil
	}
	if info, err := os.Stat(name); err == nil && info.IsDir() {
		return usagef("%s is a folder: --as csv and --as jsonl write a file (or - for standard output)", name)
	}
	if _, err := os.Stat(filepath.Dir(name)); err != nil {
		return nil
	}
	tmp, err := createTemp(name)
	if err != nil {
		return err
	}
	_ = tmp.Close()
	return os.Remove(tmp.Name())
}

// createTemp creates the temporary file name is written under, beside it.
func createTemp(name string) (*os.File, error) {
	dir := filepath.Dir(name)
	tmp, err := os.OpenFile(filepath.Join(dir, tempPrefix+rand.Text()), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o600)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("render: cannot write %s: the folder %s refuses a new file: %w", name, dir, err)
	}
	return tmp, nil
}

// Path is the file's name, "-" for standard output.
func (f *File) Path() string { return f.path }

// Close finishes the file.
func (f *File) Close() error {
	err := f.Flush()
	if f.tmp == nil {
		return err
	}
	if err == nil {
		err = f.tmp.Sync()
	}
	if cerr := f.tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.tmp.Name(), f.path)
	}
	if err != nil {
		_ = os.Remove(f.tmp.Name())
		return fmt.Errorf("render: write %s: %w", f.path, err)
	}
	return nil
}

// Abort drops what was written to a file (not to standard output).
func (f *File) Abort() {
	if f.tmp != nil {
		_ = f.tmp.Close()
		_ = os.Remove(f.tmp.Name())
	}
}
