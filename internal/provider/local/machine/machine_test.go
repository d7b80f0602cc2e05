package machine

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/slipway/slipway/internal/provider/local/leakcheck"
)

// webUserData starts busybox httpd serving the hostname, leaves a process
// running, records its boots in /var/lib and probes what the machine sees.
func webUserData(stateDir, otherDisk string) []byte {
	return []byte(fmt.Sprintf(`#!/bin/sh
set -e
mkdir -p /srv/www /var/lib/probe
hostname > /srv/www/index.html
busybox httpd -p 8080 -h /srv/www
echo "boot $SLIPWAY_BOOT" >> /var/lib/boots
[ -e /var/lib/marker ] || echo first-boot > /var/lib/marker
sleep 3600 &
P=/var/lib/probe
cat /etc/hostname > $P/etc-hostname
if [ -e %[1]q ]; then echo visible; else echo invisible; fi > $P/statedir
if [ -e %[2]q ]; then echo visible; else echo invisible; fi > $P/other
if [ -e /etc/shadow ]; then echo present; else echo absent; fi > $P/shadow
echo private > /etc/slipway-probe
ls /sys/fs/cgroup > $P/cgroups
echo 1 > /proc/sys/vm/overcommit_memory
cat /proc/sys/vm/overcommit_memory > $P/overcommit
env > $P/env
curl --version | head -n 1 > $P/curl
`, stateDir, otherDisk))
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// cgroupPIDs reads every PID under a cgroup directory in every hierarchy,
// independently of the manager's code.
func cgroupPIDs(t *testing.T, root, id string) []int {
	t.Helper()
	var pids []int
	hiers, _ := filepath.Glob("/sys/fs/cgroup/*")
	hiers = append(hiers, "/sys/fs/cgroup")
	for _, h := range hiers {
		_ = filepath.WalkDir(filepath.Join(h, root, id), func(p string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return nil
			}
			if d.Name() == "cgroup.procs" {
				b, _ := os.ReadFile(p)
				for _, f := range strings.Fields(string(b)) {
					if pid, err := strconv.Atoi(f); err == nil && !slices.Contains(pids, pid) {
						pids = append(pids, pid)
					}
				}
			}
			return nil
		})
	}
	return pids
}

func cmdline(pid int) string {
	b, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	return strings.TrimSpace(strings.ReplaceAll(string(b), "\x00", " "))
}

// TestMachineLifecycle is the machine's whole life on a real host: boot
// with a shell script, isolation, limits, agent death, reboot, adoption by
// a new manager, a simulated host reboot, delete, and a leak check.
func TestMachineLifecycle(t *testing.T) {
	needRoot(t)
	ctx := t.Context()
	cfg := testConfig(t)
	m := newManager(t, cfg)
	before, err := leakcheck.Snapshot(ctx, leakcheck.FilesUnder(cfg.StateDir),
		leakcheck.CgroupsUnder(cfg.CgroupRoot), leakcheck.NamespacedProcessesOnly())
	if err != nil {
		t.Fatal(err)
	}
	hostOvercommit := readFile(t, "/proc/sys/vm/overcommit_memory")
	t.Setenv("SLIPWAY_TEST_SECRET", "must-not-leak")

	otherDisk := filepath.Join(m.dir, "other", "disk")
	for _, spec := range []Spec{
		{ID: "other", Name: "other", Flavor: Flavor{VCPUs: 1, MemoryMiB: 256},
			UserData: []byte("#!/bin/sh\necho secret > /var/lib/other-secret\n")},
		{ID: "web", Name: "web-0", Flavor: Flavor{VCPUs: 1, MemoryMiB: 512},
			UserData: webUserData(m.stateDir, otherDisk)},
	} {
		if _, err := m.Create(ctx, spec); err != nil {
			t.Fatal(err)
		}
	}
	web := waitUserData(t, m, "web")
	waitUserData(t, m, "other")
	if web.State != StateActive || web.InitPID == 0 {
		t.Fatalf("web is %s (%s), init %d", web.State, web.Reason, web.InitPID)
	}
	probe := func(name string) string {
		return readFile(t, filepath.Join(m.dir, "web", "disk", "var", "lib", "probe", name))
	}

	t.Run("serves its hostname over its network namespace", func(t *testing.T) {
		body, err := httpGetIn(web.Netns, "127.0.0.1:8080", "/")
		if err != nil {
			t.Fatal(err)
		}
		if strings.TrimSpace(body) != "web-0" {
			t.Fatalf("GET / = %q, want the hostname web-0", body)
		}
	})
	t.Run("has a private /etc", func(t *testing.T) {
		if got := probe("etc-hostname"); got != "web-0" {
			t.Errorf("/etc/hostname inside = %q", got)
		}
		if got := probe("shadow"); got != "absent" {
			t.Errorf("/etc/shadow is %s inside", got)
		}
		if _, err := os.Stat("/etc/slipway-probe"); err == nil {
			t.Error("a file written to /etc inside the machine appeared in the host's /etc")
		}
	})
	t.Run("sees neither the state directory nor other machines", func(t *testing.T) {
		if got := probe("statedir"); got != "invisible" {
			t.Errorf("the state directory is %s inside", got)
		}
		if got := probe("other"); got != "invisible" {
			t.Errorf("the other machine's disk is %s inside", got)
		}
		if _, err := os.Stat(filepath.Join(otherDisk, "var/lib/other-secret")); err != nil {
			t.Errorf("the other machine did not write its file: %v", err)
		}
		if env := probe("env"); strings.Contains(env, "must-not-leak") {
			t.Error("Slipway's environment leaked into the machine")
		}
	})
	t.Run("sees the cgroup mounts and shadows kernel tunables", func(t *testing.T) {
		if got := probe("cgroups"); got == "" {
			t.Error("/sys/fs/cgroup is empty inside")
		}
		if got := probe("overcommit"); got != "1" {
			t.Errorf("vm.overcommit_memory inside = %q, want 1", got)
		}
		if got := readFile(t, "/proc/sys/vm/overcommit_memory"); got != hostOvercommit {
			t.Errorf("the host's vm.overcommit_memory changed from %s to %s", hostOvercommit, got)
		}
	})
	t.Run("has busybox and curl", func(t *testing.T) {
		if got := probe("curl"); !strings.HasPrefix(got, "curl ") {
			t.Errorf("curl --version inside = %q", got)
		}
	})
	t.Run("runs in its cgroup with the flavor's memory limit", func(t *testing.T) {
		cg := readFile(t, fmt.Sprintf("/proc/%d/cgroup", web.InitPID))
		want := web.Cgroup + "/system"
		for _, line := range strings.Split(cg, "\n") {
			if !strings.HasSuffix(line, want) {
				t.Errorf("init cgroup line %q is not in %s", line, want)
			}
		}
		limit := "/sys/fs/cgroup/memory/" + cfg.CgroupRoot + "/web/memory.limit_in_bytes"
		if _, err := os.Stat(limit); err != nil {
			limit = "/sys/fs/cgroup/" + cfg.CgroupRoot + "/web/memory.max"
		}
		if got := readFile(t, limit); got != strconv.Itoa(512<<20) {
			t.Errorf("%s = %s, want %d", limit, got, 512<<20)
		}
	})
	t.Run("keeps the processes a script leaves running", func(t *testing.T) {
		var found bool
		for _, pid := range cgroupPIDs(t, cfg.CgroupRoot, "web") {
			if cmdline(pid) == "sleep 3600" {
				found = true
			}
		}
		if !found {
			t.Error("the script's background sleep is not running in the machine's cgroup")
		}
	})
	t.Run("shows the script's output in the console log", func(t *testing.T) {
		log, err := m.ConsoleLog(ctx, "web", 0)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(log, "user_data done") {
			t.Errorf("console log lacks the agent's messages:\n%s", log)
		}
	})

	t.Run("is ERROR with a reason when its agent dies, and reboots", func(t *testing.T) {
		other, err := m.Get(ctx, "other")
		if err != nil {
			t.Fatal(err)
		}
		if err := unix.Kill(other.InitPID, unix.SIGKILL); err != nil {
			t.Fatal(err)
		}
		eventually(t, 10*time.Second, "other to turn ERROR", func() bool {
			st, _, _ := m.Status(ctx, "other")
			return st == StateError
		})
		_, reason, _ := m.Status(ctx, "other")
		if !strings.Contains(reason, "no longer running") {
			t.Errorf("reason = %q", reason)
		}
		if err := m.Reboot(ctx, "other"); err != nil {
			t.Fatal(err)
		}
		if mach, err := m.Wait(ctx, "other"); err != nil || mach.State != StateActive {
			t.Fatalf("after reboot: %v %v", mach, err)
		}
	})

	// A new manager over the same state, as after a restart of Slipway.
	m2, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("is adopted by a new manager while it keeps running", func(t *testing.T) {
		rep, err := m2.Adopt(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(rep.Running, []string{"other", "web"}) || len(rep.Removed) != 0 {
			t.Fatalf("adopt report = %+v", rep)
		}
		again, err := m2.Get(ctx, "web")
		if err != nil {
			t.Fatal(err)
		}
		if again.State != StateActive || again.InitPID != web.InitPID {
			t.Fatalf("after adoption web is %s with init %d, was %d", again.State, again.InitPID, web.InitPID)
		}
		// The machine was never this process's child, so it outlives it.
		stat := readFile(t, fmt.Sprintf("/proc/%d/stat", again.InitPID))
		fields := strings.Fields(stat[strings.LastIndexByte(stat, ')')+1:])
		if fields[1] == strconv.Itoa(os.Getpid()) {
			t.Errorf("the machine's init is a child of the manager's process")
		}
		if _, err := httpGetIn(again.Netns, "127.0.0.1:8080", "/"); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("boots again after a host reboot with its /var/lib", func(t *testing.T) {
		// A reboot as the machine sees it: every process gone at once,
		// and with them its namespaces.
		for _, pid := range cgroupPIDs(t, cfg.CgroupRoot, "web") {
			_ = unix.Kill(pid, unix.SIGKILL)
		}
		eventually(t, 10*time.Second, "web's processes to die", func() bool {
			return len(cgroupPIDs(t, cfg.CgroupRoot, "web")) == 0
		})
		if st, _, _ := m2.Status(ctx, "web"); st == StateActive {
			t.Fatal("web is still ACTIVE with no process")
		}
		booted, err := m2.BootAll(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(booted, []string{"web"}) {
			t.Fatalf("BootAll booted %v, want [web]", booted)
		}
		mach := waitUserData(t, m2, "web")
		if mach.State != StateActive || !strings.Contains(mach.Reason, "booted again") || mach.Boots != 2 {
			t.Fatalf("after BootAll: %s %q boots=%d", mach.State, mach.Reason, mach.Boots)
		}
		if body, err := httpGetIn(mach.Netns, "127.0.0.1:8080", "/"); err != nil || strings.TrimSpace(body) != "web-0" {
			t.Fatalf("GET / after boot = %q, %v", body, err)
		}
		disk := filepath.Join(m2.dir, "web", "disk")
		if got := readFile(t, filepath.Join(disk, "var/lib/marker")); got != "first-boot" {
			t.Errorf("/var/lib/marker = %q", got)
		}
		if got := readFile(t, filepath.Join(disk, "var/lib/boots")); got != "boot 1\nboot 2" {
			t.Errorf("/var/lib/boots = %q", got)
		}
	})

	t.Run("leaves nothing behind when deleted", func(t *testing.T) {
		for _, id := range []string{"web", "other", "web"} { // the second delete of web is a no-op
			if err := m2.Delete(ctx, id); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := m2.Get(ctx, "web"); err == nil {
			t.Fatal("web still exists")
		}
		after, err := leakcheck.Snapshot(ctx, leakcheck.FilesUnder(cfg.StateDir),
			leakcheck.CgroupsUnder(cfg.CgroupRoot), leakcheck.NamespacedProcessesOnly())
		if err != nil {
			t.Fatal(err)
		}
		if d := leakcheck.Diff(before, after); len(d) > 0 {
			t.Fatalf("the host differs after delete:\n%s", strings.Join(d, "\n"))
		}
	})
}

// waitUserData waits until the machine is up and its user_data has run.
func waitUserData(t *testing.T, m *Manager, id string) *Machine {
	t.Helper()
	var mach *Machine
	eventually(t, 30*time.Second, id+"'s user_data", func() bool {
		var err error
		mach, err = m.Get(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if mach.State == StateError {
			log, _ := m.ConsoleLog(t.Context(), id, 50)
			t.Fatalf("%s is ERROR: %s\n%s", id, mach.Reason, log)
		}
		return mach.Agent != nil && (mach.Agent.UserData.State == "done" || mach.Agent.UserData.State == "failed")
	})
	if mach.Agent.UserData.State != "done" {
		log, _ := m.ConsoleLog(t.Context(), id, 50)
		t.Fatalf("%s: user_data %s: %s\n%s", id, mach.Agent.UserData.State, mach.Agent.UserData.Reason, log)
	}
	return mach
}
