package machine

import (
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestBootPlanGolden pins the boot plan a definition produces.
func TestBootPlanGolden(t *testing.T) {
	t.Parallel()
	l := layout{dir: "/srv/slipway/machines/m-1"}
	d := &definition{
		Spec: Spec{
			ID: "m-1", Name: "node-1", Flavor: Flavor{VCPUs: 2, MemoryMiB: 4096},
			NetnsPath: "/run/netns/slipway-m-1",
			Mounts:    []Mount{{Source: "/var/cache/slipway/k8s/v1.37.2", Target: "/opt/slipway/bin"}, {Source: "/srv/vol/1", Target: "/var/lib/data", Writable: true}},
			Env:       map[string]string{"CLUSTER": "c1", "PATH": "/opt/slipway/bin:/usr/bin:/bin"},
		},
		EtcImage: "etc-0123456789abcdef", Boots: 3,
	}
	userland := []hostPath{{name: "usr"}, {name: "bin", link: "usr/bin"}, {name: "lib64"}}
	plan := bootPlan(l, d, "/srv/slipway", userland, "/slipway/ab/m-1",
		[]string{"/sys/fs/cgroup/memory/slipway/ab/m-1/system", "/sys/fs/cgroup/unified/slipway/ab/m-1/system"},
		[]string{"/usr/local/bin/slipway", "node"}, "00ff00ff00ff00ff")
	got, err := json.MarshalIndent(plan, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	golden := filepath.Join("testdata", "bootplan.golden")
	if *update {
		if err := os.WriteFile(golden, append(got, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != string(got)+"\n" {
		t.Errorf("boot plan differs from %s (run with -update to accept):\n%s", golden, got)
	}
}

func TestSpecValidate(t *testing.T) {
	t.Parallel()
	ok := Spec{ID: "m-1", Name: "node-1.example", Flavor: Flavor{VCPUs: 1, MemoryMiB: 512}}
	tests := map[string]func(*Spec){
		"id with slash":     func(s *Spec) { s.ID = "a/b" },
		"id with dot-dot":   func(s *Spec) { s.ID = ".." },
		"empty name":        func(s *Spec) { s.Name = "" },
		"name with space":   func(s *Spec) { s.Name = "a b" },
		"no cpu":            func(s *Spec) { s.Flavor.VCPUs = 0 },
		"tiny memory":       func(s *Spec) { s.Flavor.MemoryMiB = 1 },
		"relative netns":    func(s *Spec) { s.NetnsPath = "run/netns/x" },
		"relative mount":    func(s *Spec) { s.Mounts = []Mount{{Source: "x", Target: "/opt/x"}} },
		"mount over /usr":   func(s *Spec) { s.Mounts = []Mount{{Source: "/x", Target: "/usr/local/bin"}} },
		"mount over /proc":  func(s *Spec) { s.Mounts = []Mount{{Source: "/x", Target: "/proc/sys"}} },
		"mount over /etc":   func(s *Spec) { s.Mounts = []Mount{{Source: "/x", Target: "/etc"}} },
		"bad env name":      func(s *Spec) { s.Env = map[string]string{"A=B": "c"} },
		"mount on the root": func(s *Spec) { s.Mounts = []Mount{{Source: "/x", Target: "/"}} },
	}
	base := ok
	if err := base.validate(); err != nil {
		t.Fatalf("valid spec rejected: %v", err)
	}
	// /var is a directory of the machine's disk, not a mount: the
	// artifacts cache may go under it.
	base.Mounts = []Mount{{Source: "/var/cache/slipway", Target: "/var/cache/slipway"}}
	if err := base.validate(); err != nil {
		t.Fatalf("the artifacts cache's mount is rejected: %v", err)
	}
	for name, mutate := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := ok
			mutate(&s)
			if err := s.validate(); !errors.Is(err, ErrInvalid) {
				t.Fatalf("err = %v, want ErrInvalid", err)
			}
		})
	}
}

func TestAgentEnv(t *testing.T) {
	t.Parallel()
	env := agentEnv(map[string]string{"PATH": "/opt/bin", "A": "1"})
	want := []string{"HOME=/root", "LANG=C.UTF-8", "A=1", "PATH=/opt/bin"}
	if len(env) != len(want) {
		t.Fatalf("env = %v", env)
	}
	for i := range want {
		if env[i] != want[i] {
			t.Fatalf("env = %v, want %v", env, want)
		}
	}
}
