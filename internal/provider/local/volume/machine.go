package volume

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"strings"

	"golang.org/x/sys/unix"
)

// inMachine is a running machine as an attachment sees it: its init's PID
// on the host, through which its root and mount namespace are reached.
type inMachine struct {
	pid int
}

// root opens the machine's root directory. Operations through it never
// leave the machine's tree, whatever links root inside planted.
func (m inMachine) root() (*os.Root, error) {
	r, err := os.OpenRoot(fmt.Sprintf("/proc/%d/root", m.pid))
	if err != nil {
		return nil, fmt.Errorf("open the machine's root: %w", err)
	}
	return r, nil
}

// rel turns an absolute path inside the machine into one relative to its
// root.
func rel(p string) string { return strings.TrimPrefix(path.Clean(p), "/") }

// mknod creates (or checks) a block device node at p inside the machine.
func (m inMachine) mknod(p string, rdev uint64) error {
	r, err := m.root()
	if err != nil {
		return err
	}
	defer r.Close()
	dir, name := path.Split(rel(p))
	if dir == "" {
		dir = "."
	}
	if err := r.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s in the machine: %w", path.Dir(p), err)
	}
	d, err := r.Open(dir)
	if err != nil {
		return fmt.Errorf("open %s in the machine: %w", path.Dir(p), err)
	}
	defer d.Close()
	var st unix.Stat_t
	if err := unix.Fstatat(int(d.Fd()), name, &st, unix.AT_SYMLINK_NOFOLLOW); err == nil {
		if st.Mode&unix.S_IFMT == unix.S_IFBLK && st.Rdev == rdev {
			return nil
		}
		if err := unix.Unlinkat(int(d.Fd()), name, 0); err != nil {
			return fmt.Errorf("replace %s in the machine: %w", p, err)
		}
	}
	if err := unix.Mknodat(int(d.Fd()), name, unix.S_IFBLK|0o660, int(rdev)); err != nil {
		return fmt.Errorf("create device %s in the machine: %w", p, err)
	}
	return nil
}

// removeNode removes the device node at p inside the machine, if it is
// one.
func (m inMachine) removeNode(p string) error {
	r, err := m.root()
	if err != nil {
		return err
	}
	defer r.Close()
	st, err := r.Lstat(rel(p))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("device %s in the machine: %w", p, err)
	}
	if st.Mode()&fs.ModeDevice == 0 {
		return nil
	}
	if err := r.Remove(rel(p)); err != nil {
		return fmt.Errorf("remove device %s in the machine: %w", p, err)
	}
	return nil
}

// mkdir makes the directory p inside the machine.
func (m inMachine) mkdir(p string) error {
	r, err := m.root()
	if err != nil {
		return err
	}
	defer r.Close()
	if err := r.MkdirAll(rel(p), 0o755); err != nil {
		return fmt.Errorf("create %s in the machine: %w", p, err)
	}
	return nil
}

// mounted reports whether the device rdev is mounted at p in the machine.
func (m inMachine) mounted(p string, rdev uint64) (bool, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", m.pid))
	if err != nil {
		return false, fmt.Errorf("read the machine's mounts: %w", err)
	}
	want := fmt.Sprintf("%d:%d", unix.Major(rdev), unix.Minor(rdev))
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) > 4 && f[2] == want && f[4] == path.Clean(p) {
			return true, nil
		}
	}
	return false, nil
}

// run runs a command of the machine's own userland inside its mount
// namespace (the host's `nsenter`; the command is resolved in the
// machine's root). Only mount and umount are run this way.
func (m inMachine) run(ctx context.Context, args ...string) error {
	full := append([]string{"--target", fmt.Sprint(m.pid), "--mount", "--"}, args...)
	cmd := exec.CommandContext(ctx, "nsenter", full...)
	cmd.Env = []string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd.Dir = "/"
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s in the machine: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
