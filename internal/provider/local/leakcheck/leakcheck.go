package leakcheck

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// Category names one kind of host object in a State.
type Category string

// The categories a State covers.
const (
	Netns     Category = "netns"
	Links     Category = "link"
	Routes    Category = "route"
	Nftables  Category = "nftables"
	Mounts    Category = "mount"
	Loops     Category = "loop device"
	Processes Category = "process"
	Cgroups   Category = "cgroup"
	Files     Category = "file"
)

// State is one snapshot of the host. Each category maps an object's key to
// a description that Diff prints.
type State struct {
	objects map[Category]map[string]string
}

// Objects returns the keys recorded for one category, sorted.
func (s *State) Objects(c Category) []string {
	keys := make([]string, 0, len(s.objects[c]))
	for k := range s.objects[c] {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

func (s *State) add(c Category, key, desc string) {
	if s.objects[c] == nil {
		s.objects[c] = map[string]string{}
	}
	s.objects[c][key] = desc
}

// Scope widens a snapshot beyond the host-wide objects: files under a
// directory, cgroups under a root.
type Scope func(*scope)

type scope struct {
	dirs           []string
	cgroupRoots    []string
	namespacedOnly bool
}

// FilesUnder records every file and directory below dir (dir itself
// excluded).
func FilesUnder(dir string) Scope {
	return func(s *scope) { s.dirs = append(s.dirs, dir) }
}

// CgroupsUnder records every cgroup directory below root, a path relative
// to each hierarchy's mount point such as "slipway", in every mounted
// hierarchy. Without this scope a snapshot records the cgroups under
// "slipway".
func CgroupsUnder(root string) Scope {
	return func(s *scope) { s.cgroupRoots = append(s.cgroupRoots, root) }
}

// NamespacedProcessesOnly narrows the processes recorded to those outside
// the network, mount or PID namespace of PID 1 (every process of a machine
// or of a load balancer's namespace) and this process's own descendants. On a
// development host shared with other work, the others' processes are noise;
// CI records them all.
func NamespacedProcessesOnly() Scope {
	return func(s *scope) { s.namespacedOnly = true }
}

// Snapshot records the host's state. It needs root for the nftables
// ruleset and for other processes' executables.
func Snapshot(ctx context.Context, scopes ...Scope) (*State, error) {
	sc := scope{}
	for _, f := range scopes {
		f(&sc)
	}
	if len(sc.cgroupRoots) == 0 {
		sc.cgroupRoots = []string{"slipway"}
	}
	s := &State{objects: map[Category]map[string]string{}}
	mounts, err := readMountinfo()
	if err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	errs := []error{
		snapMounts(s, mounts),
		snapNetns(s, mounts),
		snapLinks(s),
		snapRoutes(s),
		snapNftables(s),
		snapLoops(s),
		snapProcesses(ctx, s, sc.namespacedOnly),
		snapCgroups(s, mounts, sc.cgroupRoots),
	}
	for _, d := range sc.dirs {
		errs = append(errs, snapFiles(s, d))
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("snapshot: %w", err)
	}
	return s, nil
}

// Diff lists every object that is in after and not in before ("+ …") and
// every object that is in before and not in after ("- …"), sorted by
// category and key. An empty result means the host is as it was.
func Diff(before, after *State) []string {
	var out []string
	cats := map[Category]bool{}
	for c := range before.objects {
		cats[c] = true
	}
	for c := range after.objects {
		cats[c] = true
	}
	order := make([]Category, 0, len(cats))
	for c := range cats {
		order = append(order, c)
	}
	slices.Sort(order)
	for _, c := range order {
		b, a := before.objects[c], after.objects[c]
		var lines []string
		for k, d := range a {
			if _, ok := b[k]; !ok {
				lines = append(lines, fmt.Sprintf("+ %s %s", c, d))
			}
		}
		for k, d := range b {
			if _, ok := a[k]; !ok {
				lines = append(lines, fmt.Sprintf("- %s %s", c, d))
			}
		}
		slices.Sort(lines)
		out = append(out, lines...)
	}
	return out
}

func snapFiles(s *State, dir string) error {
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) {
				return nil
			}
			return err
		}
		if p == dir {
			return nil
		}
		kind := "file"
		switch {
		case d.IsDir():
			kind = "dir"
		case d.Type()&os.ModeSymlink != 0:
			kind = "symlink"
		case !d.Type().IsRegular():
			kind = "special"
		}
		s.add(Files, p, fmt.Sprintf("%s (%s)", p, kind))
		return nil
	})
	if err != nil {
		return fmt.Errorf("files under %s: %w", dir, err)
	}
	return nil
}
