package machine

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// mountEntry is one line of /proc/self/mountinfo.
type mountEntry struct {
	point     string
	fstype    string
	superOpts string
}

// readMountinfo lists the mounts of Slipway's mount namespace.
func readMountinfo() ([]mountEntry, error) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	var out []mountEntry
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		sep := -1
		for i, x := range f {
			if x == "-" {
				sep = i
				break
			}
		}
		if sep < 5 || len(f) < sep+2 {
			continue
		}
		e := mountEntry{point: unescapeMount(f[4]), fstype: f[sep+1]}
		if len(f) > sep+3 {
			e.superOpts = f[sep+3]
		}
		out = append(out, e)
	}
	return out, nil
}

// unescapeMount undoes mountinfo's octal escapes (\040 for a space, …).
func unescapeMount(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				b.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// mountedUnder fails if anything is mounted at or below dir in Slipway's
// mount namespace: removing files there would reach into the mount.
func mountedUnder(dir string) error {
	mounts, err := readMountinfo()
	if err != nil {
		return fmt.Errorf("check mounts: %w", err)
	}
	for _, m := range mounts {
		if m.point == dir || strings.HasPrefix(m.point, dir+"/") {
			return fmt.Errorf("%s is mounted inside the machine's directory on the host; not removing it", m.point)
		}
	}
	return nil
}
