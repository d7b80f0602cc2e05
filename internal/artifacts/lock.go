package artifacts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// lockPollInterval is how often a waiter retries a held lock. flock(2) has
// no timeout, so waiting is a non-blocking try in a loop that also watches
// the context.
const lockPollInterval = 100 * time.Millisecond

// fileLock is a flock(2) on a file. Locks are per open file, so
// two fileLocks on one path exclude each other within a process as well as
// across processes, and the kernel drops a lock when its holder dies.
type fileLock struct {
	f *os.File
}

// tryLock takes the lock at path if it is free: exclusively, or shared
// with other shared holders. It reports false, with no error, when another
// holder prevents it.
func tryLock(path string, exclusive bool) (*fileLock, bool, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, false, fmt.Errorf("open lock %s: %w", path, err)
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB); err != nil {
		_ = f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, false, nil
		}
		return nil, false, fmt.Errorf("lock %s: %w", path, err)
	}
	return &fileLock{f: f}, true, nil
}

// lock takes the lock at path, waiting until it is free or ctx ends. waiting
// is called once, before the first wait, when the lock is held elsewhere.
func lock(ctx context.Context, path string, exclusive bool, waiting func()) (*fileLock, error) {
	l, ok, err := tryLock(path, exclusive)
	if err != nil || ok {
		return l, err
	}
	if waiting != nil {
		waiting()
	}
	t := time.NewTicker(lockPollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("wait for lock %s: %w", path, ctx.Err())
		case <-t.C:
		}
		l, ok, err := tryLock(path, exclusive)
		if err != nil || ok {
			return l, err
		}
	}
}

// unlock releases the lock.
func (l *fileLock) unlock() {
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	_ = l.f.Close()
}
