package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/google/uuid"
)

// conductorLock is the file a conductor locks in its data directory: the
// local provider's machines and state there belong to one process at a
// time, and a conductor that starts knows every earlier one has ended.
const conductorLock = "conductor.lock"

// lockConductor takes the conductor lock of dataDir, or says which process
// holds it. The lock is released when the returned file is closed or the
// process ends, however it ends.
func lockConductor(dataDir string) (*os.File, error) {
	path := filepath.Join(dataDir, conductorLock)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			holder := "another process"
			if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) > 0 {
				holder = "process " + strings.TrimSpace(string(b))
			}
			return nil, fmt.Errorf("data directory %s is in use by another Slipway conductor (%s): stop it, or give this one its own --data-dir", dataDir, holder)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return f, nil
}

// conductorIdentity names a conductor in leases: stable is the same for
// every run on this host and data directory, and holder is this run's
// (stable followed by a fresh id).
func conductorIdentity(dataDir string) (stable, holder string) {
	host, err := os.Hostname()
	if err != nil {
		host = "localhost"
	}
	dir, err := filepath.Abs(dataDir)
	if err != nil {
		dir = dataDir
	}
	stable = "conductor@" + host + ":" + dir + "/"
	return stable, stable + uuid.NewString()[:8]
}
