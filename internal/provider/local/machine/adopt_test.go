package machine

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/slipway/slipway/internal/node"
)

// TestAdoptRemovesLeftovers builds the state a crash leaves (a half-created
// machine, a half-deleted one, cgroups no machine owns with a process in
// them) next to a running and a stopped machine, and checks what a new
// manager's Adopt and BootAll make of it.
func TestAdoptRemovesLeftovers(t *testing.T) {
	needRoot(t)
	ctx := t.Context()
	cfg := testConfig(t)
	m := newManager(t, cfg)
	for _, id := range []string{"keep", "stopped", "half", "deleting"} {
		if _, err := m.Create(ctx, Spec{ID: id, Name: id, Flavor: Flavor{VCPUs: 1, MemoryMiB: 128}}); err != nil {
			t.Fatal(err)
		}
		if mach, err := m.Wait(ctx, id); err != nil || mach.State != StateActive {
			t.Fatalf("%s: %v %v", id, mach, err)
		}
	}
	// A crash in the middle of Create, and of Delete.
	for id, life := range map[string]string{"half": lifeCreating, "deleting": lifeDeleting} {
		l := m.layout(id)
		d, err := readDefinition(l)
		if err != nil {
			t.Fatal(err)
		}
		d.Lifecycle = life
		if err := writeDefinition(l, d); err != nil {
			t.Fatal(err)
		}
	}
	// A machine whose processes died while Slipway was down.
	stopped, _ := m.Get(ctx, "stopped")
	if err := unix.Kill(stopped.InitPID, unix.SIGKILL); err != nil {
		t.Fatal(err)
	}
	// Cgroups no machine owns, with a process in them.
	if err := m.cg.create("ghost", Flavor{VCPUs: 1, MemoryMiB: 64}); err != nil {
		t.Fatal(err)
	}
	ghost := exec.Command("sleep", "300")
	if err := ghost.Start(); err != nil {
		t.Fatal(err)
	}
	ghostDone := make(chan struct{})
	go func() { _ = ghost.Wait(); close(ghostDone) }()
	for _, dir := range m.cg.systemDirs("ghost") {
		if err := os.WriteFile(filepath.Join(dir, "cgroup.procs"), []byte(strconv.Itoa(ghost.Process.Pid)), 0); err != nil {
			t.Fatal(err)
		}
	}
	half, _ := m.Get(ctx, "half")
	eventually(t, 10*time.Second, "stopped's init to go", func() bool {
		st, _, _ := m.Status(ctx, "stopped")
		return st == StateError
	})

	m2, err := New(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := m2.Adopt(ctx)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(rep.Removed)
	if !slices.Equal(rep.Running, []string{"keep"}) || !slices.Equal(rep.Stopped, []string{"stopped"}) ||
		!slices.Equal(rep.Removed, []string{"deleting", "ghost", "half"}) {
		t.Fatalf("adopt report = %+v", rep)
	}
	select {
	case <-ghostDone:
	case <-time.After(10 * time.Second):
		t.Fatal("the process in the unowned cgroups still runs")
	}
	if _, err := node.ProcStartTime(half.InitPID); err == nil {
		t.Error("the half-created machine's init still runs")
	}
	for _, id := range []string{"half", "deleting", "ghost"} {
		if _, err := os.Stat(m2.layout(id).dir); err == nil {
			t.Errorf("%s's directory is still there", id)
		}
		if pids := cgroupPIDs(t, cfg.CgroupRoot, id); len(pids) > 0 {
			t.Errorf("%s's cgroups still hold %v", id, pids)
		}
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup/pids", cfg.CgroupRoot, id)); err == nil {
			t.Errorf("%s's cgroup is still there", id)
		}
	}
	booted, err := m2.BootAll(ctx)
	if err != nil || !slices.Equal(booted, []string{"stopped"}) {
		t.Fatalf("BootAll = %v, %v", booted, err)
	}
	if mach, err := m2.Wait(ctx, "stopped"); err != nil || mach.State != StateActive {
		t.Fatalf("stopped after BootAll: %+v %v", mach, err)
	}
	// Adopt and BootAll again change nothing.
	if rep, err := m2.Adopt(ctx); err != nil || len(rep.Removed) != 0 || len(rep.Stopped) != 0 || len(rep.Running) != 2 {
		t.Fatalf("second adopt = %+v, %v", rep, err)
	}
	if booted, err := m2.BootAll(ctx); err != nil || len(booted) != 0 {
		t.Fatalf("second BootAll = %v, %v", booted, err)
	}
}
