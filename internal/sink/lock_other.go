//go:build !(darwin || dragonfly || freebsd || illumos || linux || netbsd || openbsd || windows)

package sink

import (
	"errors"
	"os"
)

// lockFile has no file lock to take on this platform (aumo is released
// for Linux, macOS and Windows): LockOutput then holds nothing, and
// concurrent exports into one output are not detected.
func lockFile(*os.File) error { return errors.ErrUnsupported }

func unlockFile(*os.File) error { return nil }
