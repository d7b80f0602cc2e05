package node

import (
	"fmt"
	"os"
	"strings"
)

// ProcStartTime returns field 22 of /proc/PID/stat, the process's start
// time in clock ticks since boot, which tells a reused PID apart. A zombie
// counts as gone.
func ProcStartTime(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", err
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return "", fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 {
		return "", fmt.Errorf("short /proc/%d/stat", pid)
	}
	if f[0] == "Z" || f[0] == "X" {
		return "", fmt.Errorf("process %d: %w", pid, os.ErrProcessDone)
	}
	return f[19], nil
}

// HostBootID returns the host's boot id, which changes at every boot.
func HostBootID() (string, error) {
	b, err := os.ReadFile("/proc/sys/kernel/random/boot_id")
	if err != nil {
		return "", fmt.Errorf("boot id: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}
