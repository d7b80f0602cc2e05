package local

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/provider/providertest"
)

// TestConformance runs the provider conformance suite against the local
// provider, on the real host: every type is created, re-applied, updated
// and deleted twice, and the host is as it was at the end.
func TestConformance(t *testing.T) {
	e := newEnv(t)
	providertest.Run(t, providertest.Harness{
		Registry:  e.registry(),
		Servers:   e.p,
		ProjectID: e.stack.ProjectID,
		Verify:    e.verify,
	})
}

// verify checks on the host what the suite cannot see through plugins.
func (e *env) verify(t *testing.T, step string, r *resources.Resource) {
	t.Helper()
	switch r.Type {
	case "OS::Nova::Server":
		mach, err := e.p.machines.Get(t.Context(), r.PhysicalID)
		if err != nil {
			t.Fatal(err)
		}
		if want := hostname(physicalName(r), r.PhysicalID); mach.Name != want {
			t.Errorf("machine %s is named %s, want %s", r.PhysicalID, mach.Name, want)
		}
	case "OS::Cinder::VolumeAttachment":
		a, err := e.p.vols.GetAttachment(t.Context(), r.PhysicalID)
		if err != nil {
			t.Fatal(err)
		}
		pid, err := machinePIDs{e.p.machines}.InitPID(t.Context(), a.ServerID)
		if err != nil || pid == 0 {
			t.Fatalf("server %s is not running: %v", a.ServerID, err)
		}
		mounts, err := os.ReadFile(fmt.Sprintf("/proc/%d/mountinfo", pid))
		if err != nil {
			t.Fatal(err)
		}
		mountedAtData := false
		for _, line := range strings.Split(string(mounts), "\n") {
			f := strings.Fields(line)
			if len(f) > 8 && f[4] == "/mnt/data" && strings.Contains(line, " - ext4 ") {
				mountedAtData = true
			}
		}
		_, nodeErr := os.Lstat(filepath.Join("/proc", strconv.Itoa(pid), "root", "dev", "vdc"))
		switch step {
		case "create", "reapply":
			if !mountedAtData {
				t.Errorf("the volume is not mounted at /mnt/data in the machine:\n%s", mounts)
			}
		case "update":
			if mountedAtData {
				t.Errorf("the volume is still mounted at /mnt/data after moving to /dev/vdc")
			}
			if nodeErr != nil {
				t.Errorf("no block device /dev/vdc in the machine: %v", nodeErr)
			}
		}
	}
}
