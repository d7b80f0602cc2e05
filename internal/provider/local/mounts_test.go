package local

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/provider/local/machine"
	"github.com/slipway/slipway/internal/provider/local/network/nettest"
)

// probeScript is a server's user_data: it records what the machine sees
// of its mounts and its cgroup under /var/lib/probe, "done" last.
const probeScript = `#!/bin/sh
P=/var/lib/probe
mkdir -p $P
cat /var/cache/slipway/k8s/kubelet > $P/read
if touch /var/cache/slipway/written 2>/dev/null; then echo writable; else echo read-only; fi > $P/write
if [ -e /opt/missing ]; then echo present; else echo absent; fi > $P/missing
echo "$SLIPWAY_CGROUP" > $P/cgroup-env
cat /proc/self/cgroup > $P/proc-cgroup
echo done > $P/done
`

// TestMachineMountsAreReadOnly gives every machine a host directory, as
// slipway serve gives it the artifacts cache: a server sees its files at
// the mount's target under its own /var, cannot write there, and boots
// without a mount whose source is missing. It also finds its cgroup in
// its environment and in /proc/self/cgroup.
func TestMachineMountsAreReadOnly(t *testing.T) {
	e := newEnv(t)
	cache := filepath.Join(t.TempDir(), "cache")
	if err := os.MkdirAll(filepath.Join(cache, "k8s"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(cache, "k8s", "kubelet"), []byte("kubelet v1.37.2"), 0o755); err != nil {
		t.Fatal(err)
	}
	e.opts.MachineMounts = []machine.Mount{
		{Source: cache, Target: "/var/cache/slipway"},
		{Source: filepath.Join(t.TempDir(), "missing"), Target: "/opt/missing"},
	}
	e.p = e.provider()
	srv := e.create("server", "OS::Nova::Server", map[string]any{"image": ImageName, "flavor": "m1.tiny",
		"user_data_format": "RAW", "user_data": probeScript})
	probe := filepath.Join(e.p.StateDir(), "machines", srv.PhysicalID, "disk", "var", "lib", "probe")
	err := nettest.Eventually(t.Context(), 30*time.Second, func() error {
		_, err := os.Stat(filepath.Join(probe, "done"))
		return err
	})
	if err != nil {
		log, _ := e.p.ConsoleLog(t.Context(), srv.PhysicalID, 50)
		t.Fatalf("the probe did not finish: %v\n%s", err, log)
	}
	read := func(name string) string {
		b, err := os.ReadFile(filepath.Join(probe, name))
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(b))
	}
	if got := read("read"); got != "kubelet v1.37.2" {
		t.Errorf("the mounted file reads %q inside the machine", got)
	}
	if got := read("write"); got != "read-only" {
		t.Errorf("the mount is %s inside the machine", got)
	}
	if _, err := os.Stat(filepath.Join(cache, "written")); err == nil {
		t.Error("the machine wrote into the host's directory")
	}
	if got := read("missing"); got != "absent" {
		t.Errorf("the mount whose source is missing is %s", got)
	}
	mach, err := e.p.machines.Get(t.Context(), srv.PhysicalID)
	if err != nil {
		t.Fatal(err)
	}
	if got := read("cgroup-env"); got != mach.Cgroup {
		t.Errorf("$%s = %q inside the machine, want %q", machine.EnvCgroup, got, mach.Cgroup)
	}
	// No cgroup namespace: each line names the host's full path, the
	// machine's cgroup and then its system child.
	t.Logf("/proc/self/cgroup of a script:\n%s", read("proc-cgroup"))
	for _, line := range strings.Split(read("proc-cgroup"), "\n") {
		if !strings.HasSuffix(line, ":"+mach.Cgroup+"/system") {
			t.Errorf("/proc/self/cgroup line %q is not in %s/system", line, mach.Cgroup)
		}
	}
}

// TestMachineMountsRefused refuses machine mounts a machine cannot have or
// through which it would see Slipway's data directory.
func TestMachineMountsRefused(t *testing.T) {
	t.Parallel()
	data := filepath.Join(t.TempDir(), "data")
	for name, m := range map[string]machine.Mount{
		"a relative source":           {Source: "cache", Target: "/var/cache/slipway"},
		"a reserved target":           {Source: "/srv/cache", Target: "/usr/lib/slipway"},
		"the data directory's parent": {Source: filepath.Dir(data), Target: "/var/cache/slipway"},
		"inside the data directory":   {Source: filepath.Join(data, "provider"), Target: "/var/cache/slipway"},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if err := checkMachineMounts([]machine.Mount{m}, data); !errors.Is(err, model.ErrInvalid) {
				t.Fatalf("err = %v, want invalid input", err)
			}
		})
	}
	ok := []machine.Mount{{Source: "/var/cache/slipway", Target: "/var/cache/slipway"}}
	if err := checkMachineMounts(ok, data); err != nil {
		t.Fatalf("the artifacts cache is refused: %v", err)
	}
}
