package tokenstore

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gofrs/flock"
)

// LockDir is the directory, inside aumo's state directory, that holds one
// empty lock file per profile. It is kept apart from the profile's own
// directory, which `aumo revoke` deletes while holding the lock.
const LockDir = ".locks"

// waitNotice is how long Lock waits before it calls waiting.
const waitNotice = time.Second

// Lock takes the profile's lock, an OS file lock shared by every aumo
// process, and returns the function that releases it. Whoever refreshes,
// saves or deletes a profile's grant holds it, so that a rotated refresh
// token is never used twice and a revoked profile is never written again.
// waiting, if not nil, is called once when the lock is still held
// elsewhere after a second.
func Lock(ctx context.Context, stateDir, profile string, waiting func()) (unlock func(), err error) {
	dir := filepath.Join(stateDir, LockDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create lock directory: %w", err)
	}
	fl := flock.New(filepath.Join(dir, profile+".lock"), flock.SetPermissions(0o600))
	if waiting != nil {
		notice := time.AfterFunc(waitNotice, waiting)
		defer notice.Stop()
	}
	ok, err := fl.TryLockContext(ctx, 20*time.Millisecond)
	if err != nil {
		return nil, fmt.Errorf("lock profile %s: %w", profile, err)
	}
	if !ok {
		return nil, fmt.Errorf("lock profile %s: %w", profile, ctx.Err())
	}
	return func() { _ = fl.Unlock() }, nil
}

// WithLock runs fn holding the profile's lock.
func WithLock(ctx context.Context, stateDir, profile string, waiting func(), fn func() error) error {
	unlock, err := Lock(ctx, stateDir, profile, waiting)
	if err != nil {
		return err
	}
	defer unlock()
	return fn()
}
