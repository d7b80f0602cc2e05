package leakcheck

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/google/nftables"

	"github.com/slipway/slipway/internal/provider/local/mountinfo"
	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"
)

// mountEntry is one line of /proc/self/mountinfo.
type mountEntry = mountinfo.Entry

func readMountinfo() ([]mountEntry, error) { return mountinfo.Read() }

func snapMounts(s *State, mounts []mountEntry) error {
	for _, m := range mounts {
		desc := fmt.Sprintf("%s type %s from %s root %s", m.Point, m.FSType, m.Source, m.Root)
		s.add(Mounts, desc, desc)
	}
	return nil
}

func snapNetns(s *State, mounts []mountEntry) error {
	entries, err := os.ReadDir("/run/netns")
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("list /run/netns: %w", err)
	}
	for _, e := range entries {
		p := filepath.Join("/run/netns", e.Name())
		s.add(Netns, p, p)
	}
	for _, m := range mounts {
		if m.FSType == "nsfs" {
			desc := fmt.Sprintf("nsfs mount %s (%s)", m.Point, m.Root)
			s.add(Netns, "mount "+m.Point+" "+m.Root, desc)
		}
	}
	return nil
}

func snapLinks(s *State) error {
	links, err := netlink.LinkList()
	if err != nil {
		return fmt.Errorf("list links: %w", err)
	}
	for _, l := range links {
		a := l.Attrs()
		desc := fmt.Sprintf("%s (%s)", a.Name, l.Type())
		s.add(Links, desc, desc)
	}
	return nil
}

func snapRoutes(s *State) error {
	links, err := netlink.LinkList()
	if err != nil {
		return fmt.Errorf("list links: %w", err)
	}
	names := map[int]string{}
	for _, l := range links {
		names[l.Attrs().Index] = l.Attrs().Name
	}
	routes, err := netlink.RouteListFiltered(netlink.FAMILY_ALL,
		&netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return fmt.Errorf("list routes: %w", err)
	}
	for _, r := range routes {
		dst := "default"
		if r.Dst != nil {
			dst = r.Dst.String()
		}
		var b strings.Builder
		fmt.Fprintf(&b, "table %d type %d %s", r.Table, r.Type, dst)
		if r.Gw != nil {
			fmt.Fprintf(&b, " via %s", r.Gw)
		}
		if r.LinkIndex != 0 {
			name := names[r.LinkIndex]
			if name == "" {
				name = "#" + strconv.Itoa(r.LinkIndex)
			}
			fmt.Fprintf(&b, " dev %s", name)
		}
		if r.Src != nil {
			fmt.Fprintf(&b, " src %s", r.Src)
		}
		fmt.Fprintf(&b, " proto %d scope %d metric %d", r.Protocol, r.Scope, r.Priority)
		s.add(Routes, b.String(), b.String())
	}
	return nil
}

func snapNftables(s *State) error {
	c, err := nftables.New()
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	defer func() { _ = c.CloseLasting() }()
	tables, err := c.ListTables()
	if err != nil {
		return fmt.Errorf("list nftables tables: %w", err)
	}
	for _, t := range tables {
		tn := fmt.Sprintf("%s %s", familyName(t.Family), t.Name)
		s.add(Nftables, "table "+tn, "table "+tn)
		sets, err := c.GetSets(t)
		if err != nil {
			return fmt.Errorf("list sets of %s: %w", tn, err)
		}
		for _, set := range sets {
			d := fmt.Sprintf("set %s %s", tn, set.Name)
			s.add(Nftables, d, d)
		}
	}
	chains, err := c.ListChains()
	if err != nil {
		return fmt.Errorf("list nftables chains: %w", err)
	}
	for _, ch := range chains {
		tn := fmt.Sprintf("%s %s", familyName(ch.Table.Family), ch.Table.Name)
		d := fmt.Sprintf("chain %s %s", tn, ch.Name)
		if ch.Hooknum != nil {
			d += fmt.Sprintf(" hook %d", *ch.Hooknum)
		}
		s.add(Nftables, d, d)
		rules, err := c.GetRules(ch.Table, ch)
		if err != nil {
			return fmt.Errorf("list rules of %s %s: %w", tn, ch.Name, err)
		}
		for _, r := range rules {
			var b strings.Builder
			fmt.Fprintf(&b, "rule %s %s handle %d:", tn, ch.Name, r.Handle)
			for _, e := range r.Exprs {
				fmt.Fprintf(&b, " %T%+v", e, e)
			}
			s.add(Nftables, b.String(), b.String())
		}
	}
	return nil
}

func familyName(f nftables.TableFamily) string {
	switch f {
	case nftables.TableFamilyINet:
		return "inet"
	case nftables.TableFamilyIPv4:
		return "ip"
	case nftables.TableFamilyIPv6:
		return "ip6"
	case nftables.TableFamilyARP:
		return "arp"
	case nftables.TableFamilyNetdev:
		return "netdev"
	case nftables.TableFamilyBridge:
		return "bridge"
	}
	return fmt.Sprintf("family%d", f)
}

func snapLoops(s *State) error {
	devs, err := filepath.Glob("/sys/block/loop*")
	if err != nil {
		return fmt.Errorf("list loop devices: %w", err)
	}
	for _, d := range devs {
		b, err := os.ReadFile(filepath.Join(d, "loop", "backing_file"))
		if err != nil {
			continue // not attached
		}
		desc := fmt.Sprintf("%s on %s", filepath.Base(d), strings.TrimSpace(string(b)))
		s.add(Loops, desc, desc)
	}
	return nil
}

// pfKthread is the task flag of kernel threads (include/linux/sched.h).
const pfKthread = 0x00200000

// procInfo is what a snapshot needs from /proc/<pid>/stat.
type procInfo struct {
	ppid, flags int
	start       string
}

func readProcStat(pid int) (procInfo, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procInfo{}, err
	}
	// The command name is in parentheses and may hold spaces and ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procInfo{}, fmt.Errorf("malformed stat of %d", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	// f[0] is field 3 (state); ppid is field 4, flags 9, starttime 22.
	if len(f) < 20 {
		return procInfo{}, fmt.Errorf("short stat of %d", pid)
	}
	ppid, _ := strconv.Atoi(f[1])
	flags, _ := strconv.Atoi(f[6])
	return procInfo{ppid: ppid, flags: flags, start: f[19]}, nil
}

// snapProcesses records every user-space process except this one and the
// other children of this process's parent (when the parent is `go test`,
// those are compilers and other packages' test binaries, not the host's
// state). Descendants of this process are recorded.
func snapProcesses(ctx context.Context, s *State, namespacedOnly bool) error {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return fmt.Errorf("list processes: %w", err)
	}
	self, parent := os.Getpid(), os.Getppid()
	infos := map[int]procInfo{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if info, err := readProcStat(pid); err == nil {
			infos[pid] = info
		}
	}
	// descends reports whether pid descends from parent without passing
	// through self (a sibling's subtree), or from self.
	descends := func(pid int) (fromParent, fromSelf bool) {
		for depth := 0; pid > 1 && depth < 64; depth++ {
			if pid == self {
				return false, true
			}
			if pid == parent {
				return true, false
			}
			pid = infos[pid].ppid
		}
		return false, false
	}
	// The host's namespaces are those of PID 1: this process's main
	// thread may have entered another network namespace.
	hostNS := namespaces(1)
	if hostNS == "" {
		hostNS = namespaces(self)
	}
	for pid, info := range infos {
		if err := ctx.Err(); err != nil {
			return err
		}
		if pid == self || info.flags&pfKthread != 0 || pid == 2 {
			continue
		}
		sibling, child := descends(pid)
		if sibling {
			continue
		}
		if namespacedOnly && !child && namespaces(pid) == hostNS {
			continue
		}
		exe, _ := os.Readlink(fmt.Sprintf("/proc/%d/exe", pid))
		cmd, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
		cmdline := strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " "))
		if exe == "" && cmdline == "" {
			continue // gone meanwhile, or a zombie without a name
		}
		key := fmt.Sprintf("%d/%s", pid, info.start)
		s.add(Processes, key, fmt.Sprintf("%d %s [%s]", pid, exe, cmdline))
	}
	return nil
}

// namespaces identifies a process's network, mount and PID namespaces.
func namespaces(pid int) string {
	var b strings.Builder
	for _, ns := range []string{"net", "mnt", "pid"} {
		l, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
		b.WriteString(l)
	}
	return b.String()
}

func snapCgroups(s *State, mounts []mountEntry, roots []string) error {
	for _, m := range mounts {
		if m.FSType != "cgroup" && m.FSType != "cgroup2" {
			continue
		}
		for _, root := range roots {
			top := filepath.Join(m.Point, root)
			err := filepath.WalkDir(top, func(p string, d os.DirEntry, err error) error {
				if err != nil {
					if errors.Is(err, fs.ErrNotExist) {
						return nil
					}
					return err
				}
				if d.IsDir() {
					s.add(Cgroups, p, p)
				}
				return nil
			})
			if err != nil {
				return fmt.Errorf("cgroups under %s: %w", top, err)
			}
		}
	}
	return nil
}
