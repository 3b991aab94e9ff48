//go:build darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd

package sink

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// lockFile takes an exclusive flock of f without waiting: ErrLocked while
// another open file holds it, errors.ErrUnsupported where the filesystem
// has no locks. The kernel drops the lock when f is closed, at the latest
// when the process ends.
func lockFile(f *os.File) error {
	fd := int(f.Fd())
	for {
		err := unix.Flock(fd, unix.LOCK_EX|unix.LOCK_NB)
		switch {
		case errors.Is(err, unix.EINTR):
			continue
		case errors.Is(err, unix.EWOULDBLOCK):
			return ErrLocked
		case errors.Is(err, unix.ENOLCK), errors.Is(err, unix.EOPNOTSUPP):
			return errors.ErrUnsupported
		}
		return err
	}
}

func unlockFile(f *os.File) error { return unix.Flock(int(f.Fd()), unix.LOCK_UN) }
