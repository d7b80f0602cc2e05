package local

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// hostLimits are kernel limits that every machine draws from the host's
// one pool, with the floor Slipway raises them to. The kernel's defaults
// suit one desktop: 128 inotify instances per user are gone after five or
// six Kubernetes clusters (every kubelet, kube-proxy and containerd
// watches files), and the next kube-proxy fails with "fsnotify watcher
// init: too many open files". kind asks its users to raise the same two.
var hostLimits = []struct {
	path  string
	floor int
}{
	{"/proc/sys/fs/inotify/max_user_instances", 8192},
	{"/proc/sys/fs/inotify/max_user_watches", 524288},
}

// raiseHostLimits raises each of hostLimits to its floor; a limit already
// higher is left as it is.
func raiseHostLimits() error {
	for _, l := range hostLimits {
		b, err := os.ReadFile(l.path)
		if err != nil {
			return fmt.Errorf("read %s: %w", l.path, err)
		}
		cur, err := strconv.Atoi(strings.TrimSpace(string(b)))
		if err != nil {
			return fmt.Errorf("read %s: %w", l.path, err)
		}
		if cur >= l.floor {
			continue
		}
		if err := os.WriteFile(l.path, []byte(strconv.Itoa(l.floor)), 0o644); err != nil {
			return fmt.Errorf("raise %s from %d to %d: %w", l.path, cur, l.floor, err)
		}
	}
	return nil
}
