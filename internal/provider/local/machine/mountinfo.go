package machine

import (
	"fmt"
	"strings"

	"github.com/slipway/slipway/internal/provider/local/mountinfo"
)

// mountEntry is one line of /proc/self/mountinfo.
type mountEntry = mountinfo.Entry

// readMountinfo lists the mounts of Slipway's mount namespace.
func readMountinfo() ([]mountEntry, error) { return mountinfo.Read() }

// mountedUnder fails if anything is mounted at or below dir in Slipway's
// mount namespace: removing files there would reach into the mount.
func mountedUnder(dir string) error {
	mounts, err := readMountinfo()
	if err != nil {
		return fmt.Errorf("check mounts: %w", err)
	}
	for _, m := range mounts {
		if m.Point == dir || strings.HasPrefix(m.Point, dir+"/") {
			return fmt.Errorf("%s is mounted inside the machine's directory on the host; not removing it", m.Point)
		}
	}
	return nil
}
