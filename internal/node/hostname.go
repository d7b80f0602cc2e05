package node

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// setHostname writes name to /etc/hostname below root and, when kernel is
// set (the agent owns a UTS namespace), makes it the kernel's hostname.
func setHostname(root, name string, kernel bool) error {
	if kernel {
		if err := unix.Sethostname([]byte(name)); err != nil {
			return fmt.Errorf("set hostname %s: %w", name, err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "etc", "hostname"), []byte(name+"\n"), 0o644); err != nil {
		return fmt.Errorf("set hostname %s: %w", name, err)
	}
	return nil
}
