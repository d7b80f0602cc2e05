package machine

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// hierarchy is one mounted cgroup hierarchy.
type hierarchy struct {
	mount string
	v2    bool
	// controllers are a v1 hierarchy's controllers ("cpu", "memory",
	// "name=systemd", …).
	controllers []string
}

func (h hierarchy) has(c string) bool { return slices.Contains(h.controllers, c) }

// cgroups manages the machines' cgroup subtrees, <root>/<id>, in every
// hierarchy. Processes live in <root>/<id>/system, so that software inside
// the machine (a kubelet) can use <root>/<id> as its own root. The manager
// serializes create and remove, which share the root directories.
type cgroups struct {
	hier []hierarchy
	root string
}

// detectCgroups finds the mounted cgroup hierarchies: v1 controllers and
// named hierarchies, the unified hierarchy of a hybrid host, or the single
// hierarchy of a pure v2 host.
func detectCgroups(root string) (*cgroups, error) {
	mounts, err := readMountinfo()
	if err != nil {
		return nil, fmt.Errorf("detect cgroups: %w", err)
	}
	cg := &cgroups{root: root}
	seen := map[string]bool{}
	for _, m := range mounts {
		if m.FSType != "cgroup" && m.FSType != "cgroup2" {
			continue
		}
		key := m.FSType + " " + m.SuperOptions
		if seen[key] {
			continue // the same hierarchy mounted twice
		}
		seen[key] = true
		h := hierarchy{mount: m.Point, v2: m.FSType == "cgroup2"}
		if !h.v2 {
			for _, o := range strings.Split(m.SuperOptions, ",") {
				switch {
				case o == "rw", o == "ro", o == "clone_children", o == "noprefix", o == "xattr",
					strings.HasPrefix(o, "release_agent"):
				default:
					h.controllers = append(h.controllers, o)
				}
			}
		}
		cg.hier = append(cg.hier, h)
	}
	if len(cg.hier) == 0 {
		return nil, fmt.Errorf("%w: no cgroup hierarchy is mounted", ErrUnsupported)
	}
	return cg, nil
}

// dir is a machine's cgroup in one hierarchy.
func (c *cgroups) dir(h hierarchy, id string) string {
	return filepath.Join(h.mount, c.root, id)
}

// systemDirs are the cgroups a machine's processes start in, one per
// hierarchy.
func (c *cgroups) systemDirs(id string) []string {
	out := make([]string, 0, len(c.hier))
	for _, h := range c.hier {
		out = append(out, filepath.Join(c.dir(h, id), "system"))
	}
	return out
}

// create makes a machine's cgroups in every hierarchy and sets the
// flavor's limits. It is idempotent.
func (c *cgroups) create(id string, f Flavor) error {
	for _, h := range c.hier {
		if err := c.createIn(h, id); err != nil {
			return err
		}
		if err := setLimits(h, c.dir(h, id), f); err != nil {
			return err
		}
	}
	return nil
}

func (c *cgroups) createIn(h hierarchy, id string) error {
	rel := filepath.Join(c.root, id, "system")
	parts := strings.Split(rel, string(filepath.Separator))
	parent := h.mount
	for i, p := range parts {
		dir := filepath.Join(parent, p)
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("create cgroup %s: %w", dir, err)
		}
		if h.has("cpuset") {
			for _, f := range []string{"cpuset.cpus", "cpuset.mems"} {
				if err := inherit(parent, dir, f); err != nil {
					return err
				}
			}
		}
		// On v2 the machine's own cgroup (<id>) hands its controllers down
		// as well, for whatever runs inside.
		if h.v2 && i < len(parts)-1 {
			if err := enableControllers(dir); err != nil {
				return err
			}
		}
		parent = dir
	}
	return nil
}

// inherit copies a v1 cpuset file from parent into an empty new cgroup; a
// task cannot join a cpuset cgroup before it has cpus and mems.
func inherit(parent, dir, file string) error {
	cur, err := os.ReadFile(filepath.Join(dir, file))
	if err != nil {
		return fmt.Errorf("cgroup %s: %w", dir, err)
	}
	if strings.TrimSpace(string(cur)) != "" {
		return nil
	}
	val, err := os.ReadFile(filepath.Join(parent, file))
	if err != nil {
		return fmt.Errorf("cgroup %s: %w", parent, err)
	}
	if err := os.WriteFile(filepath.Join(dir, file), val, 0); err != nil {
		return fmt.Errorf("cgroup %s: set %s: %w", dir, file, err)
	}
	return nil
}

// enableControllers enables in dir's subtree every controller dir has of
// cpu, cpuset, memory and pids.
func enableControllers(dir string) error {
	avail, err := os.ReadFile(filepath.Join(dir, "cgroup.controllers"))
	if err != nil {
		return fmt.Errorf("cgroup %s: %w", dir, err)
	}
	var want []string
	for _, c := range strings.Fields(string(avail)) {
		if c == "cpu" || c == "cpuset" || c == "memory" || c == "pids" {
			want = append(want, "+"+c)
		}
	}
	if len(want) == 0 {
		return nil
	}
	if err := os.WriteFile(filepath.Join(dir, "cgroup.subtree_control"), []byte(strings.Join(want, " ")), 0); err != nil {
		return fmt.Errorf("cgroup %s: enable %s: %w", dir, strings.Join(want, " "), err)
	}
	return nil
}

// cpuPeriod is the CFS period the CPU quota is expressed in.
const cpuPeriod = 100000

// setLimits writes the flavor's memory and CPU limits to a machine's
// cgroup, in whichever form the hierarchy has.
func setLimits(h hierarchy, dir string, f Flavor) error {
	mem := strconv.FormatInt(int64(f.MemoryMiB)<<20, 10)
	quota := strconv.Itoa(f.VCPUs * cpuPeriod)
	var files [][2]string
	switch {
	case h.v2:
		files = [][2]string{{"memory.max", mem}, {"memory.swap.max", "0"}, {"cpu.max", quota + " " + strconv.Itoa(cpuPeriod)}}
	default:
		if h.has("memory") {
			files = append(files, [2]string{"memory.limit_in_bytes", mem})
		}
		if h.has("cpu") {
			files = append(files, [2]string{"cpu.cfs_period_us", strconv.Itoa(cpuPeriod)}, [2]string{"cpu.cfs_quota_us", quota})
		}
	}
	for _, kv := range files {
		p := filepath.Join(dir, kv[0])
		if _, err := os.Stat(p); err != nil {
			continue // controller not enabled here (hybrid unified hierarchy)
		}
		if err := os.WriteFile(p, []byte(kv[1]), 0); err != nil {
			return fmt.Errorf("cgroup %s: set %s: %w", dir, kv[0], err)
		}
	}
	return nil
}

// pids lists every process in a machine's subtree, in every hierarchy.
func (c *cgroups) pids(id string) ([]int, error) {
	set := map[int]bool{}
	for _, h := range c.hier {
		err := filepath.WalkDir(c.dir(h, id), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if !d.IsDir() {
				return nil
			}
			data, err := os.ReadFile(filepath.Join(p, "cgroup.procs"))
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			for _, f := range strings.Fields(string(data)) {
				if pid, err := strconv.Atoi(f); err == nil {
					set[pid] = true
				}
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list processes of machine %s: %w", id, err)
		}
	}
	out := make([]int, 0, len(set))
	for pid := range set {
		out = append(out, pid)
	}
	slices.Sort(out)
	return out, nil
}

// kill ends every process of a machine: cgroup.kill where the kernel has
// it (v2), else freeze the v1 freezer cgroup, SIGKILL every process found
// in any hierarchy, thaw, and repeat until none is left. extra are PIDs
// known to belong to the machine (its init). Nothing is ever found by name.
func (c *cgroups) kill(id string, extra []int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for round := 0; ; round++ {
		pids, err := c.pids(id)
		if err != nil {
			return err
		}
		pids = append(pids, extra...)
		extra = nil
		if len(pids) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("kill machine %s: processes %v still alive after %s", id, pids, timeout)
		}
		frozen := c.setFreezer(id, "FROZEN")
		for _, h := range c.hier {
			if h.v2 {
				_ = os.WriteFile(filepath.Join(c.dir(h, id), "cgroup.kill"), []byte("1"), 0)
			}
		}
		for _, pid := range pids {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
		if frozen {
			c.setFreezer(id, "THAWED")
		}
		time.Sleep(time.Duration(min(round+1, 20)) * time.Millisecond)
	}
}

// setFreezer writes a v1 freezer state to the machine's cgroup and, for
// FROZEN, waits briefly until the kernel reports it. It returns whether a
// freezer hierarchy exists.
func (c *cgroups) setFreezer(id, state string) bool {
	for _, h := range c.hier {
		if h.v2 || !h.has("freezer") {
			continue
		}
		p := filepath.Join(c.dir(h, id), "freezer.state")
		if err := os.WriteFile(p, []byte(state), 0); err != nil {
			return false
		}
		for i := 0; state == "FROZEN" && i < 100; i++ {
			cur, err := os.ReadFile(p)
			if err != nil || strings.TrimSpace(string(cur)) == "FROZEN" {
				break
			}
			time.Sleep(time.Millisecond)
		}
		return true
	}
	return false
}

// remove deletes a machine's (empty) cgroups bottom-up in every hierarchy,
// then the roots above them that became empty.
func (c *cgroups) remove(id string) error {
	var errs []error
	for _, h := range c.hier {
		var dirs []string
		err := filepath.WalkDir(c.dir(h, id), func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					return nil
				}
				return err
			}
			if d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		if err != nil {
			errs = append(errs, err)
			continue
		}
		// Deepest first: WalkDir lists parents before children.
		for i := len(dirs) - 1; i >= 0; i-- {
			if err := rmdirRetry(dirs[i]); err != nil {
				errs = append(errs, fmt.Errorf("remove cgroup %s: %w", dirs[i], err))
			}
		}
		// The roots go once no machine is left in them; a concurrent create
		// makes them again.
		for p := filepath.Dir(c.dir(h, id)); p != h.mount && strings.HasPrefix(p, h.mount+"/"); p = filepath.Dir(p) {
			if os.Remove(p) != nil {
				break
			}
		}
	}
	return errors.Join(errs...)
}

// rmdirRetry removes an empty cgroup, waiting briefly while the kernel
// still counts exiting tasks in it.
func rmdirRetry(dir string) error {
	var err error
	for i := 0; i < 200; i++ {
		err = unix.Rmdir(dir)
		if err == nil || err == unix.ENOENT {
			return nil
		}
		if err != unix.EBUSY {
			return err
		}
		time.Sleep(5 * time.Millisecond)
	}
	return err
}

// ids lists the machines that have a cgroup under the root in any
// hierarchy.
func (c *cgroups) ids() ([]string, error) {
	set := map[string]bool{}
	for _, h := range c.hier {
		entries, err := os.ReadDir(filepath.Join(h.mount, c.root))
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue
			}
			return nil, fmt.Errorf("list machine cgroups: %w", err)
		}
		for _, e := range entries {
			if e.IsDir() {
				set[e.Name()] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for id := range set {
		out = append(out, id)
	}
	slices.Sort(out)
	return out, nil
}
