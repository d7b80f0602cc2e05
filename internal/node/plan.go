package node

import (
	"encoding/json"
	"fmt"
	"os"
)

// Paths inside a machine that the agent and the machine manager agree on.
// The manager reaches them from the host through the machine's disk
// directory.
const (
	// RunDir holds the agent's status file and this boot's user_data. The
	// machine's /run is emptied at every boot.
	RunDir = "/run/slipway"
	// StatusFile is where the agent reports its Status.
	StatusFile = RunDir + "/status.json"
	// UserDataFile is where the manager puts the machine's user_data.
	UserDataFile = RunDir + "/user-data"
	// LogDir keeps the console log and one log per service.
	LogDir = "/var/log/slipway"
	// ConsoleLog is the agent's own output and that of user scripts: the
	// machine's console log.
	ConsoleLog = LogDir + "/console.log"
	// StateDir keeps what the agent must remember across boots, such as the
	// software deployments already run.
	StateDir = "/var/lib/slipway-node"
)

// BootPlanVersion is the version of the BootPlan format this package reads.
const BootPlanVersion = 1

// BootPlan is everything the boot stages need to turn a new process into a
// machine. The machine manager computes it from the machine's definition
// and writes it as JSON; paths are host paths unless a field says otherwise.
type BootPlan struct {
	Version   int    `json:"version"`
	MachineID string `json:"machine_id"`
	Hostname  string `json:"hostname"`
	// Nonce identifies this boot; the agent repeats it in its Status so a
	// stale status file is never mistaken for this boot's.
	Nonce string `json:"nonce"`
	// Boot counts the boots of this machine, from 1.
	Boot int `json:"boot"`
	// Command runs `slipway node` (the executable and the arguments that
	// select the node command); the launch stage appends the plan's flags.
	Command []string `json:"command"`
	// Root is the machine's disk directory, which becomes its /.
	Root string `json:"root"`
	// InitRecord is the file where the launch stage records the machine
	// init's host PID and start time.
	InitRecord string `json:"init_record"`
	// Cgroups are the cgroup directories, one per hierarchy, that every
	// process of the machine starts in.
	Cgroups []string `json:"cgroups"`
	// Netns is a network namespace to join; empty means a new one with only
	// a loopback interface.
	Netns string `json:"netns,omitempty"`
	// Binds are bind mounts into the machine, in order.
	Binds []Bind `json:"binds"`
	// Overlays are overlay mounts into the machine, after the binds.
	Overlays []Overlay `json:"overlays,omitempty"`
	// Tunables shadows files under /proc/sys (keys relative to /proc/sys,
	// such as "vm/overcommit_memory") with host files, so software that
	// writes host-global kernel settings changes only the machine's copy.
	Tunables map[string]string `json:"tunables,omitempty"`
	// Devices lists the device nodes of the machine's /dev, copied from the
	// host's /dev by name ("null", "net/tun", …). Missing ones are skipped.
	Devices []string `json:"devices"`
	// Env is the agent's whole environment; user scripts and services
	// inherit it.
	Env []string `json:"env"`
}

// Bind is one bind mount of a host path into a machine.
type Bind struct {
	// Source is the host path.
	Source string `json:"source"`
	// Target is the path inside the machine.
	Target string `json:"target"`
	// Writable makes the mount read-write; binds are read-only by default.
	Writable bool `json:"writable,omitempty"`
}

// Overlay is an overlay mount: a read-only lower directory under a
// writable upper one, such as the host's staged /etc under the machine's own
// changes.
type Overlay struct {
	Lower string `json:"lower"`
	Upper string `json:"upper"`
	// Work is overlayfs's work directory, on the same file system as Upper.
	Work string `json:"work"`
	// Target is the path inside the machine.
	Target string `json:"target"`
}

// InitRecord identifies a machine's init process on the host. The launch
// stage writes it; the manager uses it to tell whether the machine runs.
type InitRecord struct {
	PID int `json:"pid"`
	// StartTime is field 22 of /proc/PID/stat, which tells a PID's reuse
	// apart.
	StartTime string `json:"start_time"`
	Nonce     string `json:"nonce"`
	// BootID is the host's /proc/sys/kernel/random/boot_id when the machine
	// booted; a different one means the host rebooted since.
	BootID string `json:"boot_id"`
}

// ReadBootPlan reads and checks a plan file.
func ReadBootPlan(path string) (*BootPlan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read boot plan: %w", err)
	}
	var p BootPlan
	if err := json.Unmarshal(data, &p); err != nil {
		return nil, fmt.Errorf("parse boot plan %s: %w", path, err)
	}
	if p.Version != BootPlanVersion {
		return nil, fmt.Errorf("boot plan %s: version %d, want %d", path, p.Version, BootPlanVersion)
	}
	if p.Root == "" || len(p.Command) == 0 {
		return nil, fmt.Errorf("boot plan %s: root and command are required", path)
	}
	return &p, nil
}
