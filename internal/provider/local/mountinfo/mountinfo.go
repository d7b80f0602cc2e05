// Package mountinfo reads /proc/self/mountinfo: the mounts of the calling
// process's mount namespace.
package mountinfo

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Entry is one mount.
type Entry struct {
	// Root is the mount's root within its filesystem.
	Root string
	// Point is where it is mounted.
	Point string
	// FSType is the filesystem type, such as nsfs or overlay.
	FSType string
	// Source is the mounted device or source.
	Source string
	// SuperOptions are the per-superblock options.
	SuperOptions string
}

// Read lists the mounts of the calling process's mount namespace.
func Read() ([]Entry, error) {
	data, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("read mountinfo: %w", err)
	}
	return Parse(string(data)), nil
}

// Parse parses mountinfo text; malformed lines are skipped.
func Parse(data string) []Entry {
	var out []Entry
	for _, line := range strings.Split(data, "\n") {
		f := strings.Fields(line)
		sep := -1
		for i, x := range f {
			if x == "-" {
				sep = i
				break
			}
		}
		if sep < 5 || len(f) < sep+3 {
			continue
		}
		out = append(out, Entry{
			Root: Unescape(f[3]), Point: Unescape(f[4]),
			FSType: f[sep+1], Source: Unescape(f[sep+2]),
			SuperOptions: strings.Join(f[sep+3:], " "),
		})
	}
	return out
}

// Unescape undoes mountinfo's octal escapes (\040 for a space, …).
func Unescape(s string) string {
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
