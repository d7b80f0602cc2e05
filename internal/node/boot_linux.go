package node

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// bootRoot turns the current process, PID 1 of new PID, mount, UTS and IPC
// namespaces, into a machine: it builds the root the plan describes,
// pivots into it, sets the hostname and brings the loopback interface up.
func bootRoot(plan *BootPlan) error {
	// Nothing mounted from here on may reach the host.
	if err := unix.Mount("", "/", "", unix.MS_SLAVE|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("make / a slave: %w", err)
	}
	root := plan.Root
	if err := unix.Mount(root, root, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind root %s: %w", root, err)
	}
	r, err := os.OpenRoot(root)
	if err != nil {
		return fmt.Errorf("open root: %w", err)
	}
	defer r.Close()
	for _, b := range plan.Binds {
		if err := bindInto(r, b); err != nil {
			return err
		}
	}
	for _, o := range plan.Overlays {
		target, err := ensureMountPoint(r, o.Target, true)
		if err != nil {
			return err
		}
		opts := fmt.Sprintf("lowerdir=%s,upperdir=%s,workdir=%s", o.Lower, o.Upper, o.Work)
		if err := unix.Mount("overlay", target, "overlay", 0, opts); err != nil {
			return fmt.Errorf("overlay on %s: %w", o.Target, err)
		}
	}
	if err := mountProc(r, plan.Tunables); err != nil {
		return err
	}
	if err := mountSys(r); err != nil {
		return err
	}
	if err := mountDev(r, plan.Devices); err != nil {
		return err
	}
	if err := pivot(root); err != nil {
		return err
	}
	if plan.Hostname != "" {
		if err := unix.Sethostname([]byte(plan.Hostname)); err != nil {
			return fmt.Errorf("set hostname: %w", err)
		}
	}
	if err := loopbackUp(); err != nil {
		return err
	}
	return nil
}

// ensureMountPoint makes rel below the root a real directory (or, for a
// file bind, a regular file), replacing symlinks and anything of the wrong
// type on the way, and returns its host path. Machines may have planted
// symlinks during an earlier boot; nothing of the machine runs now, so the
// checked path cannot change before it is used.
func ensureMountPoint(r *os.Root, rel string, dir bool) (string, error) {
	rel = strings.Trim(filepath.Clean("/"+rel), "/")
	if rel == "" {
		return r.Name(), nil
	}
	parts := strings.Split(rel, "/")
	for i := range parts {
		p := filepath.Join(parts[:i+1]...)
		last := i == len(parts)-1
		wantDir := !last || dir
		st, err := r.Lstat(p)
		switch {
		case errors.Is(err, fs.ErrNotExist):
		case err != nil:
			return "", fmt.Errorf("mount point /%s: %w", rel, err)
		case st.Mode()&fs.ModeSymlink != 0, st.IsDir() != wantDir, !wantDir && !st.Mode().IsRegular():
			if err := r.RemoveAll(p); err != nil {
				return "", fmt.Errorf("mount point /%s: %w", rel, err)
			}
		default:
			continue
		}
		if wantDir {
			err = r.Mkdir(p, 0o755)
		} else {
			var f *os.File
			if f, err = r.OpenFile(p, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644); err == nil {
				err = f.Close()
			}
		}
		if err != nil {
			return "", fmt.Errorf("mount point /%s: %w", rel, err)
		}
	}
	return filepath.Join(r.Name(), rel), nil
}

func bindInto(r *os.Root, b Bind) error {
	st, err := os.Stat(b.Source)
	if err != nil {
		return fmt.Errorf("bind %s: %w", b.Source, err)
	}
	target, err := ensureMountPoint(r, b.Target, st.IsDir())
	if err != nil {
		return err
	}
	if err := unix.Mount(b.Source, target, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind %s on %s: %w", b.Source, b.Target, err)
	}
	if !b.Writable {
		if err := remount(target, unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV); err != nil {
			return fmt.Errorf("bind %s read-only: %w", b.Target, err)
		}
	}
	return nil
}

// remount changes a bind mount's flags.
func remount(target string, flags uintptr) error {
	return unix.Mount("", target, "", unix.MS_BIND|unix.MS_REMOUNT|flags, "")
}

// mountProc mounts the machine's procfs: /proc/sys read-only except
// /proc/sys/net (per network namespace), kernel tunables shadowed by
// machine files, /proc/sysrq-trigger read-only.
func mountProc(r *os.Root, tunables map[string]string) error {
	proc, err := ensureMountPoint(r, "proc", true)
	if err != nil {
		return err
	}
	const noexec = unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	if err := unix.Mount("proc", proc, "proc", noexec, ""); err != nil {
		return fmt.Errorf("mount /proc: %w", err)
	}
	sys := filepath.Join(proc, "sys")
	if err := unix.Mount(sys, sys, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind /proc/sys: %w", err)
	}
	if err := remount(sys, unix.MS_RDONLY|noexec); err != nil {
		return fmt.Errorf("/proc/sys read-only: %w", err)
	}
	net := filepath.Join(sys, "net")
	if err := unix.Mount(net, net, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("bind /proc/sys/net: %w", err)
	}
	if err := remount(net, noexec); err != nil {
		return fmt.Errorf("/proc/sys/net writable: %w", err)
	}
	for rel, src := range tunables {
		dst := filepath.Join(sys, filepath.Clean("/"+rel))
		if err := unix.Mount(src, dst, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("shadow /proc/sys/%s: %w", rel, err)
		}
	}
	sysrq := filepath.Join(proc, "sysrq-trigger")
	if _, err := os.Stat(sysrq); err == nil {
		if err := unix.Mount(sysrq, sysrq, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind /proc/sysrq-trigger: %w", err)
		}
		if err := remount(sysrq, unix.MS_RDONLY|noexec); err != nil {
			return fmt.Errorf("/proc/sysrq-trigger read-only: %w", err)
		}
	}
	return nil
}

// mountSys mounts a read-only sysfs of the machine's network namespace with
// the host's cgroup hierarchies under /sys/fs/cgroup, read-write.
func mountSys(r *os.Root) error {
	sys, err := ensureMountPoint(r, "sys", true)
	if err != nil {
		return err
	}
	const flags = unix.MS_RDONLY | unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	if err := unix.Mount("sysfs", sys, "sysfs", flags, ""); err != nil {
		return fmt.Errorf("mount /sys: %w", err)
	}
	cg := filepath.Join(sys, "fs", "cgroup")
	if err := unix.Mount("/sys/fs/cgroup", cg, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind /sys/fs/cgroup: %w", err)
	}
	return nil
}

// mountDev builds a small /dev: the listed device nodes copied from the
// host's, a private devpts, shm, mqueue and the usual links.
func mountDev(r *os.Root, devices []string) error {
	dev, err := ensureMountPoint(r, "dev", true)
	if err != nil {
		return err
	}
	if err := unix.Mount("tmpfs", dev, "tmpfs", unix.MS_NOSUID|unix.MS_NOEXEC, "mode=755,size=1024k"); err != nil {
		return fmt.Errorf("mount /dev: %w", err)
	}
	old := unix.Umask(0)
	defer unix.Umask(old)
	for _, name := range devices {
		var st unix.Stat_t
		host := filepath.Join("/dev", filepath.Clean("/"+name))
		if err := unix.Stat(host, &st); err != nil {
			continue // the host has no such device
		}
		if st.Mode&unix.S_IFMT != unix.S_IFCHR && st.Mode&unix.S_IFMT != unix.S_IFBLK {
			continue
		}
		dst := filepath.Join(dev, filepath.Clean("/"+name))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return fmt.Errorf("/dev/%s: %w", name, err)
		}
		if err := unix.Mknod(dst, st.Mode, int(st.Rdev)); err != nil {
			return fmt.Errorf("mknod /dev/%s: %w", name, err)
		}
	}
	const noexec = unix.MS_NOSUID | unix.MS_NOEXEC
	for _, m := range []struct{ dir, fstype, opts string }{
		{"pts", "devpts", "newinstance,ptmxmode=0666,mode=0620,gid=5"},
		{"shm", "tmpfs", "mode=1777,size=65536k"},
		{"mqueue", "mqueue", ""},
	} {
		dst := filepath.Join(dev, m.dir)
		if err := os.Mkdir(dst, 0o755); err != nil {
			return fmt.Errorf("/dev/%s: %w", m.dir, err)
		}
		flags := uintptr(noexec)
		if m.fstype != "devpts" {
			flags |= unix.MS_NODEV
		}
		if err := unix.Mount(m.fstype, dst, m.fstype, flags, m.opts); err != nil {
			return fmt.Errorf("mount /dev/%s: %w", m.dir, err)
		}
	}
	for name, target := range map[string]string{
		"ptmx": "pts/ptmx", "fd": "/proc/self/fd", "stdin": "/proc/self/fd/0",
		"stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2",
	} {
		if err := os.Symlink(target, filepath.Join(dev, name)); err != nil {
			return fmt.Errorf("/dev/%s: %w", name, err)
		}
	}
	return nil
}

// pivot makes root the process's root and detaches the old one.
func pivot(root string) error {
	if err := unix.Chdir(root); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	// pivot_root(".", ".") stacks the old root on the new one; detaching
	// "." then removes it (pivot_root(2), NOTES).
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root %s: %w", root, err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach the old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("pivot_root: %w", err)
	}
	return nil
}

// loopbackUp sets lo up in the current network namespace.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("lo up: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return fmt.Errorf("lo up: %w", err)
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("lo up: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("lo up: %w", err)
	}
	return nil
}
