package sink

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// lockName is the lock file at the top of a directory export
// (exportformat.LockName): no part of the export.
const lockName = ".aumo.lock"

// What follows a tarball's name in the names of the files that belong to
// it beside it: its temporary file while it is written, and its lock.
const (
	partialInfix = ".partial-"
	lockSuffix   = ".lock"
)

// maxBesideBase is the longest tarball name that the names of its files
// beside it repeat: the rest of MaxNameBytes is for what they add.
const maxBesideBase = 200

// maxLockAttempts bounds how often LockOutput takes the lock again after
// the file it locked was removed under it: each time, a run that held the
// lock has just released it, so a few attempts are plenty.
const maxLockAttempts = 8

// ErrLocked is what LockOutput (and Open) return while another process
// holds the lock of the same output.
var ErrLocked = errors.New("another export is writing there")

// OutputLock is the lock of one export's output, taken by LockOutput and
// held until Release.
type OutputLock struct {
	out     string
	root    *os.Root // the directory holding the lock file
	name    string   // the lock file's name in root
	file    *os.File // the locked file; nil for standard output and once released
	held    bool     // the OS holds the lock (false where it has none)
	created string   // the directory LockOutput made; Release removes it while empty
}

// LockOutput takes the lock of the export at out (see KindOf), without
// waiting: while another process holds it, LockOutput fails with
// ErrLocked. Whoever writes or repairs an export takes its lock first and
// holds it until done, so that two runs never write the same output at
// once.
//
// The lock is an OS file lock (flock on Unix, LockFileEx on Windows),
// which the system drops when its process ends however it ends: a run
// killed outright blocks no later one. A directory export's lock file is
// .aumo.lock at its top (a new directory is made for it; its parent must
// exist); a tarball's is ".NAME.lock" beside it. Standard output ("-")
// needs no lock: its OutputLock holds nothing.
//
// A tarball's temporary file is only ever created under its lock (Open
// sees to it), so the holder knows that those beside it are left by runs
// that were killed: LockOutput removes them.
//
// On a platform without file locks (neither Unix nor Windows), or a
// filesystem that refuses them, the lock file is made but nothing is
// locked: concurrent exports are not detected there, and no temporary
// file is removed.
func LockOutput(out string) (*OutputLock, error) {
	l := &OutputLock{out: out}
	kind := KindOf(out)
	if kind == KindStdout {
		return l, nil
	}
	if err := statParent(out); err != nil {
		return nil, err
	}
	dir, name := filepath.Dir(out), besideName(out, lockSuffix)
	if kind == KindDir {
		created, err := makeOutDir(out)
		if err != nil {
			return nil, err
		}
		if created {
			l.created = out
		}
		dir, name = out, lockName
	}
	if err := l.take(dir, name); err != nil {
		l.removeCreated()
		return nil, err
	}
	if kind != KindDir && l.held {
		l.removeStalePartials()
	}
	return l, nil
}

// makeOutDir makes the directory of a new directory export, where its
// lock file goes. It reports whether it made it.
func makeOutDir(out string) (bool, error) {
	err := os.Mkdir(out, dirMode)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrExist):
		return false, nil
	}
	return false, fmt.Errorf("create output directory: %w", err)
}

// take locks the file name in dir.
func (l *OutputLock) take(dir, name string) error {
	root, err := os.OpenRoot(dir)
	if err != nil {
		return fmt.Errorf("lock %s: %w", l.out, err)
	}
	l.root, l.name = root, name
	for range maxLockAttempts {
		f, held, err := l.lockOnce()
		if err != nil {
			_ = root.Close()
			return err
		}
		if f != nil {
			l.file, l.held = f, held
			return nil
		}
	}
	_ = root.Close()
	return ErrLocked
}

// lockOnce opens the lock file and locks it; held is false where the OS
// has no lock. It returns no file, and no error, when the file it locked
// is no longer under the lock's name: the run that held it removed it on
// release meanwhile, and a next file is to be locked instead.
func (l *OutputLock) lockOnce() (f *os.File, held bool, err error) {
	f, err = l.root.OpenFile(l.name, os.O_RDWR|os.O_CREATE, fileMode)
	if err != nil {
		return nil, false, fmt.Errorf("lock %s: %w", l.out, err)
	}
	err = lockFile(f)
	switch {
	case err == nil:
		held = true
	case errors.Is(err, ErrLocked):
		_ = f.Close()
		return nil, false, ErrLocked
	case !errors.Is(err, errors.ErrUnsupported):
		_ = f.Close()
		return nil, false, fmt.Errorf("lock %s: %w", l.out, err)
	}
	if ok, err := l.stillNamed(f); !ok || err != nil {
		_ = f.Close()
		return nil, false, err
	}
	return f, held, nil
}

// stillNamed reports whether f is the file under the lock's name.
func (l *OutputLock) stillNamed(f *os.File) (bool, error) {
	mine, err := f.Stat()
	if err != nil {
		return false, fmt.Errorf("lock %s: %w", l.out, err)
	}
	named, err := l.root.Lstat(l.name)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("lock %s: %w", l.out, err)
	case !named.Mode().IsRegular():
		return false, fmt.Errorf("lock %s: %s is not a regular file", l.out, l.name)
	}
	return os.SameFile(mine, named), nil
}

// Release removes the lock file and releases the lock, then removes the
// directory LockOutput made if it is still empty (a run that wrote
// nothing). Releasing a nil lock, or twice, does nothing.
func (l *OutputLock) Release() error {
	if l == nil || l.file == nil {
		return nil
	}
	var errs []error
	if runtime.GOOS != "windows" {
		// Removed while still held: whoever opened the file meanwhile
		// finds it gone once it has the lock, and locks a new one.
		errs = append(errs, l.root.Remove(l.name))
	}
	if l.held {
		errs = append(errs, unlockFile(l.file))
	}
	errs = append(errs, l.file.Close())
	if runtime.GOOS == "windows" {
		// Windows removes no open file: a run that opened it meanwhile
		// keeps it, and takes the lock.
		_ = l.root.Remove(l.name)
	}
	errs = append(errs, l.root.Close())
	l.file = nil
	l.removeCreated()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("release the lock of %s: %w", l.out, err)
	}
	return nil
}

func (l *OutputLock) removeCreated() {
	if l.created != "" {
		_ = os.Remove(l.created) // fails, as it should, once anything is in it
		l.created = ""
	}
}

// holds reports whether l is the lock of out.
func (l *OutputLock) holds(out string) bool {
	return filepath.Clean(l.out) == filepath.Clean(out)
}

// removeStalePartials removes the temporary files that killed runs left
// beside the tarball. Only the lock's holder may: no other run is writing
// one. A file that cannot be removed stays, for the next run to try.
func (l *OutputLock) removeStalePartials() {
	prefix := besideName(l.out, partialInfix)
	entries, err := fs.ReadDir(l.root.FS(), ".")
	if err != nil {
		return
	}
	for _, e := range entries {
		if e.Type().IsRegular() && isPartialOf(e.Name(), prefix) {
			_ = l.root.Remove(e.Name())
		}
	}
}

// isPartialOf reports whether name is a temporary file created from the
// pattern prefix+"*": the random rest holds no dot, so that the temporary
// file of another tarball whose name only begins the same (x.tar.partial-1.tar
// beside x.tar) is never taken for one.
func isPartialOf(name, prefix string) bool {
	rest, ok := strings.CutPrefix(name, prefix)
	return ok && rest != "" && !strings.Contains(rest, ".")
}

// besideName names a file that belongs to the tarball final, beside it:
// hidden, and after the tarball, so that a user who finds it knows what it
// was; a name too long for that is replaced by its hash.
func besideName(final, suffix string) string {
	base := filepath.Base(final)
	if len(base) > maxBesideBase {
		sum := sha256.Sum256([]byte(base))
		base = "aumo-" + hex.EncodeToString(sum[:8])
	}
	return "." + base + suffix
}

// partialPattern is the os.CreateTemp pattern of a tarball's temporary
// file.
func partialPattern(final string) string {
	return besideName(final, partialInfix) + "*"
}

// releaseLock releases the lock a sink took when it ends. An error is
// dropped: the export is whole or abandoned by then, and a lock file left
// behind blocks no later run.
func releaseLock(l *OutputLock) { _ = l.Release() }
