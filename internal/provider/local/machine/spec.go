package machine

import (
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/node"
)

// Spec describes a machine.
type Spec struct {
	// ID names the machine on the host: its directory and its cgroups. The
	// provider uses the server's id.
	ID string `json:"id"`
	// Name is the hostname.
	Name   string `json:"name"`
	Flavor Flavor `json:"flavor"`
	// NetnsPath is a network namespace to join (a bind-mounted nsfs file
	// such as /run/netns/NAME) that the network code has created, with the
	// machine's interfaces in it. Empty gives the machine a network
	// namespace of its own with only a loopback interface.
	NetnsPath string `json:"netns_path,omitempty"`
	// Nameservers go to the machine's /etc/resolv.conf; empty means no
	// DNS. They must be addresses of the cluster network, never an upstream
	// resolver.
	Nameservers []string `json:"nameservers,omitempty"`
	// UserData is what the agent runs at boot.
	UserData []byte `json:"-"`
	// Mounts are host paths bound into the machine, such as artifacts.
	Mounts []Mount `json:"mounts,omitempty"`
	// Env is added to the environment of the agent, its scripts and its
	// services. The manager sets EnvCgroup itself.
	Env map[string]string `json:"env,omitempty"`
}

// EnvCgroup names the variable that holds, in the environment of a
// machine's agent, scripts and services, the machine's cgroup path: the
// same in every hierarchy, as Machine.Cgroup ("/slipway/1a2b3c4d/ID").
// The machine's processes run in its "system" child; a kubelet takes the
// path as its cgroupRoot.
const EnvCgroup = "SLIPWAY_CGROUP"

// Flavor is a machine's size.
type Flavor struct {
	VCPUs     int `json:"vcpus"`
	MemoryMiB int `json:"memory_mib"`
}

// Mount is a bind mount of a host path into a machine; read-only unless
// Writable.
type Mount struct {
	Source   string `json:"source"`
	Target   string `json:"target"`
	Writable bool   `json:"writable,omitempty"`
}

// State is a machine's status, with Nova's names.
type State string

// The states a machine reports.
const (
	// StateBuild: booting; the agent has not reported up yet.
	StateBuild State = "BUILD"
	// StateActive: the agent is up.
	StateActive State = "ACTIVE"
	// StateError: the machine should run and does not, or failed to boot;
	// Machine.Reason says why.
	StateError State = "ERROR"
	// StateShutoff: the host rebooted since the machine booted; BootAll
	// boots it again.
	StateShutoff State = "SHUTOFF"
	// StateDeleting: a delete is in progress (or was interrupted).
	StateDeleting State = "DELETING"
)

// Machine is a machine as the manager sees it now.
type Machine struct {
	ID     string
	Name   string
	Flavor Flavor
	State  State
	// Reason explains ERROR and SHUTOFF, and says when an ACTIVE machine
	// was booted again after it had stopped.
	Reason string
	// InitPID is the host PID of the machine's init, 0 when it is not
	// running.
	InitPID int
	// Netns is the machine's network namespace: Spec.NetnsPath, or
	// /proc/INIT/ns/net while it runs.
	Netns string
	// Cgroup is the machine's cgroup path, the same in every hierarchy
	// ("/slipway/1a2b3c4d/ID"). Its processes run in Cgroup/system;
	// software inside may make siblings of it, as a kubelet given Cgroup
	// as its cgroupRoot does.
	Cgroup  string
	Boots   int
	Created time.Time
	// Agent is the agent's report for the current boot, if it made one.
	Agent *node.Status
}

// idPattern is what a machine id may be: it names a directory and a cgroup.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// hostnamePattern is an RFC 1123 host name.
var hostnamePattern = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$`)

// validate checks a spec.
func (s *Spec) validate() error {
	switch {
	case !idPattern.MatchString(s.ID):
		return fmt.Errorf("%w: id %q must match %s", ErrInvalid, s.ID, idPattern)
	case len(s.Name) > 253 || !hostnamePattern.MatchString(s.Name):
		return fmt.Errorf("%w: name %q is not a hostname", ErrInvalid, s.Name)
	case s.Flavor.VCPUs < 1 || s.Flavor.MemoryMiB < 16:
		return fmt.Errorf("%w: flavor needs at least 1 vCPU and 16 MiB", ErrInvalid)
	case s.NetnsPath != "" && !filepath.IsAbs(s.NetnsPath):
		return fmt.Errorf("%w: netns path %q is not absolute", ErrInvalid, s.NetnsPath)
	}
	for _, m := range s.Mounts {
		if err := m.Validate(); err != nil {
			return err
		}
	}
	for k := range s.Env {
		if k == "" || strings.ContainsAny(k, "=\x00") {
			return fmt.Errorf("%w: environment variable name %q", ErrInvalid, k)
		}
	}
	return nil
}

// Validate checks a mount: absolute paths, and a target that neither
// hides nor falls inside what the machine's root is made of (/etc, /var
// and /usr themselves, /proc, …). /var/cache/slipway, say, is fine: /var
// is a directory of the machine's disk.
func (m Mount) Validate() error {
	if !filepath.IsAbs(m.Source) || !filepath.IsAbs(m.Target) {
		return fmt.Errorf("%w: mount %s on %s: paths must be absolute", ErrInvalid, m.Source, m.Target)
	}
	if reservedTarget(filepath.Clean(m.Target)) {
		return fmt.Errorf("%w: mount target %s is reserved", ErrInvalid, m.Target)
	}
	return nil
}

// reservedTarget reports whether a mount target would hide or fall inside
// what the machine's root is made of.
func reservedTarget(t string) bool {
	switch t {
	case "/", "/etc", "/var", "/run", "/tmp", "/root", "/home":
		return true
	}
	for _, top := range []string{"/proc", "/sys", "/dev", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"} {
		if t == top || strings.HasPrefix(t, top+"/") {
			return true
		}
	}
	return false
}
