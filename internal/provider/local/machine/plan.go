package machine

import (
	"maps"
	"path/filepath"
	"slices"

	"github.com/slipway/slipway/internal/node"
)

// devices are the device nodes of a machine's /dev, when the host has
// them. loop-control is left out on purpose: loop devices are host-global,
// and a machine that attached one would leak it past its delete.
func devices() []string {
	return []string{"null", "zero", "full", "random", "urandom", "tty", "kmsg", "fuse", "net/tun"}
}

// agentEnv is the environment of a machine's agent, scripts and services:
// a fixed base and the spec's variables, never Slipway's own environment.
func agentEnv(extra map[string]string) []string {
	env := []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/root",
		"LANG=C.UTF-8",
	}
	keys := make([]string, 0, len(extra))
	for k := range extra {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		env = slices.DeleteFunc(env, func(kv string) bool { return len(kv) > len(k) && kv[:len(k)+1] == k+"=" })
		env = append(env, k+"="+extra[k])
	}
	return env
}

// bootPlan computes a boot's plan from the machine's definition; it has no
// side effects (testdata/bootplan.golden pins it). cgroup is the machine's
// cgroup path, cgroupDirs the directories of its "system" child in every
// hierarchy.
func bootPlan(l layout, d *definition, stateDir string, userland []hostPath, cgroup string, cgroupDirs, command []string, nonce string) *node.BootPlan {
	s := d.Spec
	env := maps.Clone(s.Env)
	if env == nil {
		env = map[string]string{}
	}
	env[EnvCgroup] = cgroup
	p := &node.BootPlan{
		Version:    node.BootPlanVersion,
		MachineID:  s.ID,
		Hostname:   s.Name,
		Nonce:      nonce,
		Boot:       d.Boots,
		Command:    command,
		Root:       l.disk(),
		InitRecord: l.initRecord(),
		Cgroups:    cgroupDirs,
		Netns:      s.NetnsPath,
		Devices:    devices(),
		Env:        agentEnv(env),
		Tunables:   map[string]string{},
	}
	for _, u := range userland {
		if u.link == "" {
			p.Binds = append(p.Binds, node.Bind{Source: "/" + u.name, Target: "/" + u.name})
		}
	}
	p.Overlays = []node.Overlay{{
		Lower: filepath.Join(imagesDir(stateDir), d.EtcImage), Upper: l.etcUpper(), Work: l.etcWork(), Target: "/etc",
	}}
	for _, m := range s.Mounts {
		p.Binds = append(p.Binds, node.Bind{Source: m.Source, Target: m.Target, Writable: m.Writable})
	}
	for key := range tunables() {
		p.Tunables[key] = tunableFile(l, key)
	}
	return p
}
