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

// Lock takes the profile's lock, an OS file lock shared by every aumo
// process, and returns the function that releases it. Whoever refreshes,
// saves or deletes a profile's grant holds it, so that a rotated refresh
// token is never used twice and a revoked profile is never written again.
func Lock(ctx context.Context, stateDir, profile string) (unlock func(), err error) {
	dir := filepath.Join(stateDir, LockDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create lock directory: %w", err)
	}
	fl := flock.New(filepath.Join(dir, profile+".lock"), flock.SetPermissions(0o600))
	ok, err := fl.TryLockContext(ctx, 20*time.Millisecond)
	if err != nil {
		return nil, fmt.Errorf("lock profile %s: %w", profile, err)
	}
	if !ok {
		return nil, fmt.Errorf("lock profile %s: %w", profile, ctx.Err())
	}
	return func() { _ = fl.Unlock() }, nil
}
