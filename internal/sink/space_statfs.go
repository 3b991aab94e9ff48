//go:build linux || darwin || freebsd

package sink

import "golang.org/x/sys/unix"

// freeBytes reports the space an unprivileged user may still fill on the
// filesystem holding dir.
func freeBytes(dir string) (free uint64, ok bool, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(dir, &st); err != nil {
		return 0, false, err
	}
	return uint64(st.Bavail) * uint64(st.Bsize), true, nil //nolint:gosec,unconvert // never negative; the field types differ between systems
}
