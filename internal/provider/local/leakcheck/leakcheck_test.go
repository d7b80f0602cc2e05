package leakcheck

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/slipway/slipway/internal/provider/local/mountinfo"
)

func TestDiffReportsAddedAndRemovedObjects(t *testing.T) {
	t.Parallel()
	before := &State{objects: map[Category]map[string]string{}}
	after := &State{objects: map[Category]map[string]string{}}
	before.add(Links, "eth0", "eth0 (device)")
	before.add(Links, "old", "old (veth)")
	after.add(Links, "eth0", "eth0 (device)")
	after.add(Mounts, "/x", "/x type tmpfs")
	got := Diff(before, after)
	want := []string{"- link old (veth)", "+ mount /x type tmpfs"}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("Diff = %q, want %q", got, want)
	}
	if d := Diff(after, after); len(d) != 0 {
		t.Fatalf("Diff of a state with itself = %q", d)
	}
}

func TestUnescapeMount(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{`/a\040b`: "/a b", `/plain`: "/plain", `/t\134x`: `/t\x`} {
		if got := mountinfo.Unescape(in); got != want {
			t.Errorf("mountinfo.Unescape(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSnapshotSeesHostChanges changes one object of every kind a local
// provider makes, checks that Diff names each, undoes them and checks that
// Diff is empty again.
func TestSnapshotSeesHostChanges(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root")
	}
	ctx := t.Context()
	unlock, err := Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	dir := t.TempDir()
	cgRoot := fmt.Sprintf("slipway-leakcheck-%d", os.Getpid())
	scopes := []Scope{FilesUnder(dir), CgroupsUnder(cgRoot), NamespacedProcessesOnly()}
	before, err := Snapshot(ctx, scopes...)
	if err != nil {
		t.Fatal(err)
	}

	// A file, a tmpfs mount, a link, a cgroup, a process.
	if err := os.WriteFile(filepath.Join(dir, "f"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	mnt := filepath.Join(dir, "m")
	if err := os.Mkdir(mnt, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := unix.Mount("tmpfs", mnt, "tmpfs", 0, "size=1m"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = unix.Unmount(mnt, unix.MNT_DETACH) })
	// A bridge with no ports: it carries no traffic.
	link := &netlink.Bridge{LinkAttrs: netlink.LinkAttrs{Name: fmt.Sprintf("lkchk%d", os.Getpid()%100000)}}
	if err := netlink.LinkAdd(link); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = netlink.LinkDel(link) })
	cg := filepath.Join("/sys/fs/cgroup", firstHierarchy(t), cgRoot)
	if err := os.Mkdir(cg, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.Remove(cg) })
	sleeper := exec.Command("sleep", "60")
	if err := sleeper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sleeper.Process.Kill(); _ = sleeper.Wait() })

	after, err := Snapshot(ctx, scopes...)
	if err != nil {
		t.Fatal(err)
	}
	diff := strings.Join(Diff(before, after), "\n")
	for _, want := range []string{
		"+ file " + filepath.Join(dir, "f"),
		"+ mount " + mnt + " type tmpfs",
		"+ link " + link.Name + " (bridge)",
		"+ cgroup " + cg,
		fmt.Sprintf("+ process %d ", sleeper.Process.Pid),
	} {
		if !strings.Contains(diff, want) {
			t.Errorf("diff lacks %q:\n%s", want, diff)
		}
	}

	_ = sleeper.Process.Kill()
	_ = sleeper.Wait()
	if err := os.Remove(cg); err != nil {
		t.Error(err)
	}
	if err := netlink.LinkDel(link); err != nil {
		t.Error(err)
	}
	if err := unix.Unmount(mnt, 0); err != nil {
		t.Error(err)
	}
	if err := os.RemoveAll(filepath.Join(dir, "f")); err != nil {
		t.Error(err)
	}
	if err := os.Remove(mnt); err != nil {
		t.Error(err)
	}
	final, err := Snapshot(ctx, scopes...)
	if err != nil {
		t.Fatal(err)
	}
	if d := Diff(before, final); len(d) != 0 {
		t.Fatalf("host differs after undoing every change:\n%s", strings.Join(d, "\n"))
	}
}

// firstHierarchy returns the name of one cgroup hierarchy under
// /sys/fs/cgroup ("" on a pure cgroup v2 host).
func firstHierarchy(t *testing.T) string {
	t.Helper()
	if _, err := os.Stat("/sys/fs/cgroup/cgroup.controllers"); err == nil {
		return ""
	}
	for _, h := range []string{"memory", "pids", "cpu", "systemd", "unified"} {
		if _, err := os.Stat(filepath.Join("/sys/fs/cgroup", h, "cgroup.procs")); err == nil {
			return h
		}
	}
	t.Skip("no cgroup hierarchy found")
	return ""
}
