package netns

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"

	vnetns "github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// Dir is where named network namespaces are bind-mounted, as iproute2 does.
const Dir = "/run/netns"

// Path returns the bind-mount path of the named namespace.
func Path(name string) string { return filepath.Join(Dir, name) }

// Exists reports whether name is a mounted network namespace.
func Exists(name string) bool {
	ok, _ := isNetns(Path(name))
	return ok
}

// isNetns reports whether path is a network namespace file (a bind mount of
// an nsfs inode), as opposed to a plain file left behind by a crash.
func isNetns(path string) (bool, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return false, fmt.Errorf("statfs %s: %w", path, err)
	}
	return st.Type == unix.NSFS_MAGIC, nil
}

// prepareDir makes Dir a shared mount point, as `ip netns add` does, so that
// the removal of a namespace's bind mount propagates to every mount namespace
// that received a copy of it and the namespace can really go away.
func prepareDir() error {
	if err := os.MkdirAll(Dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", Dir, err)
	}
	err := unix.Mount("", Dir, "none", unix.MS_SHARED|unix.MS_REC, "")
	if err == nil {
		return nil
	}
	if !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("make %s shared: %w", Dir, err)
	}
	// Not a mount point yet: bind it onto itself first.
	if err := unix.Mount(Dir, Dir, "none", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind %s: %w", Dir, err)
	}
	if err := unix.Mount("", Dir, "none", unix.MS_SHARED|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("make %s shared: %w", Dir, err)
	}
	return nil
}

// Create makes the named network namespace and returns its path. It is
// idempotent: an existing namespace of that name is kept. The new namespace
// has only a loopback interface, which is left down.
func Create(name string) (string, error) {
	path := Path(name)
	if ok, err := isNetns(path); err != nil {
		return "", err
	} else if ok {
		return path, nil
	}
	if err := prepareDir(); err != nil {
		return "", err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDONLY, 0o444)
	if err != nil {
		return "", fmt.Errorf("create netns %s: %w", name, err)
	}
	f.Close()
	errc := make(chan error, 1)
	go func() {
		errc <- onThread(func() error {
			if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
				return fmt.Errorf("unshare: %w", err)
			}
			self := fmt.Sprintf("/proc/self/task/%d/ns/net", unix.Gettid())
			if err := unix.Mount(self, path, "none", unix.MS_BIND, ""); err != nil {
				return fmt.Errorf("bind mount: %w", err)
			}
			return nil
		})
	}()
	if err := <-errc; err != nil {
		os.Remove(path)
		return "", fmt.Errorf("create netns %s: %w", name, err)
	}
	return path, nil
}

// Delete unmounts and removes the named namespace. The kernel frees the
// namespace, and every interface in it, once no process or open file holds
// it. Deleting a namespace that does not exist is a success.
func Delete(name string) error {
	path := Path(name)
	if err := unix.Unmount(path, unix.MNT_DETACH); err != nil && !errors.Is(err, unix.EINVAL) && !errors.Is(err, unix.ENOENT) {
		return fmt.Errorf("delete netns %s: unmount: %w", name, err)
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete netns %s: %w", name, err)
	}
	return nil
}

// List returns the names of the namespaces under Dir that start with prefix.
// Plain files that are not namespaces (a crash between creating the file and
// mounting it) are listed too, so that reconciliation removes them.
func List(prefix string) ([]string, error) {
	entries, err := os.ReadDir(Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", Dir, err)
	}
	var names []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), prefix) {
			names = append(names, e.Name())
		}
	}
	return names, nil
}

// Open returns a handle on the namespace at path; the caller closes it.
func Open(path string) (vnetns.NsHandle, error) {
	h, err := vnetns.GetFromPath(path)
	if err != nil {
		return h, fmt.Errorf("open netns %s: %w", path, err)
	}
	return h, nil
}

// Do runs fn on an OS thread that has entered the namespace at path. Sockets
// fn creates belong to that namespace and stay usable from any goroutine
// afterwards; so does a process it starts. The thread returns to its own
// namespace before any other goroutine may run on it.
func Do(path string, fn func() error) error {
	h, err := Open(path)
	if err != nil {
		return err
	}
	defer h.Close()
	errc := make(chan error, 1)
	go func() {
		errc <- onThread(func() error {
			if err := unix.Setns(int(h), unix.CLONE_NEWNET); err != nil {
				return fmt.Errorf("enter netns %s: %w", path, err)
			}
			return fn()
		})
	}()
	return <-errc
}

// onThread runs fn on a locked OS thread and puts the thread back into its
// original network namespace afterwards. If that fails the thread stays
// locked and the runtime ends it with the goroutine. Restoring matters:
// the runtime never ends the main thread, it parks it, and a parked main
// thread left in a namespace would keep that namespace alive and make
// /proc/self/ns/net name it.
func onThread(fn func() error) error {
	runtime.LockOSThread()
	origin, err := vnetns.Get()
	if err != nil {
		return fmt.Errorf("current netns: %w", err)
	}
	defer origin.Close()
	err = fn()
	if rerr := unix.Setns(int(origin), unix.CLONE_NEWNET); rerr != nil {
		return errors.Join(err, fmt.Errorf("return to the original netns: %w", rerr))
	}
	runtime.UnlockOSThread()
	return err
}

// Start starts cmd inside the namespace at path. Only the network namespace
// changes; the mount namespace stays the caller's.
func Start(path string, cmd *exec.Cmd) error {
	return Do(path, cmd.Start)
}

// Sysctl writes per-namespace sysctls inside the namespace at path. kv
// alternates keys (dotted, as "net.ipv4.ip_forward") and values.
func Sysctl(path string, kv ...string) error {
	if len(kv)%2 != 0 {
		return fmt.Errorf("sysctl in %s: odd number of arguments", path)
	}
	return Do(path, func() error {
		for i := 0; i < len(kv); i += 2 {
			file := filepath.Join("/proc/sys", strings.ReplaceAll(kv[i], ".", "/"))
			if err := os.WriteFile(file, []byte(kv[i+1]), 0o644); err != nil {
				return fmt.Errorf("sysctl %s=%s: %w", kv[i], kv[i+1], err)
			}
		}
		return nil
	})
}

// Inode returns the namespace inode number of the namespace at path, which
// identifies it across processes.
func Inode(path string) (uint64, error) {
	var st unix.Stat_t
	if err := unix.Stat(path, &st); err != nil {
		return 0, fmt.Errorf("stat %s: %w", path, err)
	}
	return st.Ino, nil
}

// Pids returns the processes whose network namespace is the one at path.
// Zombies, which hold no namespace any more, are not listed, and neither is
// the calling process: a thread that Do left in a namespace may be its
// main thread, which the Go runtime parks instead of ending, and whose
// namespace /proc then reports as the process's.
func Pids(path string) ([]int, error) {
	ino, err := Inode(path)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	var pids []int
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		var st unix.Stat_t
		if err := unix.Stat(fmt.Sprintf("/proc/%d/ns/net", pid), &st); err != nil {
			continue
		}
		if st.Ino == ino {
			pids = append(pids, pid)
		}
	}
	return pids, nil
}

// IsNamespace reports whether path (any path, such as /proc/<pid>/ns/net)
// is a network namespace.
func IsNamespace(path string) bool {
	ok, _ := isNetns(path)
	return ok
}
