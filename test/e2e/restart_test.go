package e2e

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vishvananda/netlink"

	"github.com/slipway/slipway/internal/provider/local/network/netns"
)

// awaitHalfCreated polls the stack until some of its servers run and it
// is still being created: a moment to crash Slipway at.
func (h *host) awaitHalfCreated(stack string) {
	h.t.Helper()
	machines := filepath.Join(h.dir, "provider", "machines")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		booted := 0
		entries, _ := os.ReadDir(machines)
		for _, e := range entries {
			if _, err := os.Stat(filepath.Join(machines, e.Name(), "init.json")); err == nil {
				booted++
			}
		}
		st := h.api("GET", "/stacks/"+stack, nil)
		status, _ := st["stack"].(map[string]any)["stack_status"].(string)
		if status != "CREATE_IN_PROGRESS" {
			h.t.Fatalf("the stack is %s before it was half created (%d machines booted)", status, booted)
		}
		if booted > 0 {
			return
		}
		if time.Now().After(deadline) {
			h.t.Fatal("no server was created in 2 minutes")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestCrashWhileCreating kills `slipway serve` with SIGKILL while the
// stack is half created (servers up, their wait conditions not yet
// signalled). Started again, Slipway adopts what exists and the stack
// completes; in the second case the stack is deleted right after the
// restart instead, and the host is as it was before the stack.
func TestCrashWhileCreating(t *testing.T) {
	h := newHost(t)
	h.start()
	beforeStack, err := snapshot(t.Context(), h.dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, deleteAfter := range []bool{false, true} {
		name := "resume"
		if deleteAfter {
			name = "delete"
		}
		t.Run(name, func(st *testing.T) {
			h.t = st
			defer func() { h.t = t }()
			t := st
			h.openstack("stack", "create", "-t", stackTemplate(t), "--parameter", "signal_delay=3", name)
			h.awaitHalfCreated(name)
			h.crash()
			h.start()
			if deleteAfter {
				h.openstack("stack", "delete", "--yes", "--wait", name)
				h.checkLeaks(beforeStack, "after the delete of a stack whose create crashed")
				return
			}
			h.awaitStack(name, "CREATE_COMPLETE", 3*time.Minute)
			h.awaitHostnames(h.floatingURL(name), webNames(0, 1, 2), 30*time.Second)
			for host, srv := range h.servers(name) {
				if srv["status"] != "ACTIVE" || srv["boots"] != float64(1) {
					t.Fatalf("server %s after the crash: %v", host, srv)
				}
			}
			h.openstack("stack", "delete", "--yes", "--wait", name)
			h.checkLeaks(beforeStack, "after the delete of a resumed stack")
		})
	}
}

// TestRestartAndHostReboot stops Slipway while the stack runs: the VIP
// keeps answering from every server, since machines and HAProxy are not
// Slipway's children, and the next start adopts them as they run. Then a
// host reboot is simulated (every machine's and load balancer's processes
// killed, every namespace and the host's interface removed): at its next
// start Slipway rebuilds the networks, starts HAProxy, boots every server
// again, and the VIP answers from all of them.
func TestRestartAndHostReboot(t *testing.T) {
	h := newHost(t)
	h.start()
	beforeStack, err := snapshot(t.Context(), h.dir)
	if err != nil {
		t.Fatal(err)
	}
	url := h.createWeb("web")
	all := webNames(0, 1, 2)
	servers := h.servers("web")
	pids := map[string]int{}
	for name, srv := range servers {
		pids[name] = h.initPID(srv["id"].(string))
	}

	h.stop()
	h.awaitHostnames(url, all, 10*time.Second)
	h.start()
	h.awaitStack("web", "CREATE_COMPLETE", time.Second)
	for name, srv := range h.servers("web") {
		if srv["status"] != "ACTIVE" || srv["boots"] != float64(1) || h.initPID(srv["id"].(string)) != pids[name] {
			t.Fatalf("server %s after a restart of Slipway: %v (agent pid %d, was %d); want the same machine, adopted",
				name, srv, h.initPID(srv["id"].(string)), pids[name])
		}
	}
	h.awaitHostnames(url, all, 10*time.Second)

	h.stop()
	h.simulateReboot()
	h.start()
	for name, srv := range h.servers("web") {
		if srv["status"] != "ACTIVE" || srv["boots"] != float64(2) || !strings.Contains(srv["status_reason"].(string), "booted again") {
			t.Fatalf("server %s after the reboot: %v; want it ACTIVE on its second boot, saying so", name, srv)
		}
	}
	h.awaitHostnames(url, all, 30*time.Second)

	h.openstack("stack", "delete", "--yes", "--wait", "web")
	h.checkLeaks(beforeStack, "after the stack's delete")
}

// simulateReboot does to the host what a reboot does to the provider's
// objects: every process of every machine and load balancer dies, and the
// network namespaces, the machines' cgroups and the host's interface on
// the public network go. The data directory and the store stay. Slipway
// must not run.
func (h *host) simulateReboot() {
	h.t.Helper()
	p := h.provider()
	machines, err := os.ReadDir(filepath.Join(h.dir, "provider", "machines"))
	if err != nil {
		h.t.Fatal(err)
	}
	for _, m := range machines {
		_ = syscall.Kill(h.initPID(m.Name()), syscall.SIGKILL)
	}
	names, err := netns.List(p.Prefix())
	if err != nil {
		h.t.Fatal(err)
	}
	for _, name := range names {
		if pids, err := netns.Pids(netns.Path(name)); err == nil {
			for _, pid := range pids {
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
		}
		if err := netns.Delete(name); err != nil {
			h.t.Fatal(err)
		}
	}
	if l, err := netlink.LinkByName(p.HostInterface()); err == nil {
		if err := netlink.LinkDel(l); err != nil {
			h.t.Fatal(err)
		}
	}
	for _, m := range machines {
		pid := h.initPID(m.Name())
		deadline := time.Now().Add(10 * time.Second)
		for {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d/ns", pid)); err != nil {
				break
			}
			if time.Now().After(deadline) {
				h.t.Fatalf("machine %s still runs after its agent was killed", m.Name())
			}
			time.Sleep(20 * time.Millisecond)
		}
		removeCgroups(h.t, m.Name())
	}
}

// removeCgroups removes a machine's cgroup subtree in every hierarchy,
// deepest first, once the processes in it are gone.
func removeCgroups(t *testing.T, id string) {
	t.Helper()
	v1, _ := filepath.Glob("/sys/fs/cgroup/*/slipway/*/" + id)
	v2, _ := filepath.Glob("/sys/fs/cgroup/slipway/*/" + id)
	for _, root := range append(v1, v2...) {
		var dirs []string
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && d.IsDir() {
				dirs = append(dirs, p)
			}
			return nil
		})
		for i := len(dirs) - 1; i >= 0; i-- {
			deadline := time.Now().Add(10 * time.Second)
			for {
				err := syscall.Rmdir(dirs[i])
				if err == nil || errors.Is(err, fs.ErrNotExist) {
					break
				}
				if !errors.Is(err, syscall.EBUSY) || time.Now().After(deadline) {
					t.Fatalf("remove cgroup %s: %v", dirs[i], err)
				}
				time.Sleep(20 * time.Millisecond)
			}
		}
	}
}
