package leakcheck

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"golang.org/x/sys/unix"
)

// Lock takes a host-wide exclusive lock that tests changing host state hold
// from their first snapshot to their last diff, so that test binaries run in
// parallel by `go test ./...` do not see each other's machines, links or
// rules. The returned function releases it.
func Lock(ctx context.Context) (func(), error) {
	path := filepath.Join(os.TempDir(), "slipway-leakcheck.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("leakcheck lock: %w", err)
	}
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { _ = f.Close() }, nil
		}
		if err != unix.EWOULDBLOCK && err != unix.EINTR {
			_ = f.Close()
			return nil, fmt.Errorf("leakcheck lock: %w", err)
		}
		select {
		case <-ctx.Done():
			_ = f.Close()
			return nil, fmt.Errorf("leakcheck lock: %w", ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
