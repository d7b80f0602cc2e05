package artifacts

import (
	"context"
	"debug/elf"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
)

// Debian packages that supply components, and the files Slipway uses from
// them.
const (
	runcPackage    = "runc"
	runcPath       = "/usr/sbin/runc"
	cniPackage     = "containernetworking-plugins"
	cniDir         = "/usr/lib/cni"
	busyboxPackage = "busybox-static"
	busyboxPath    = "/bin/busybox"
)

// cniPlugins are the plugins a Slipway node uses.
func cniPlugins() []string { return []string{"bridge", "host-local", "loopback", "portmap"} }

// debianVersion returns the installed version of a Debian package, or an
// error saying how to install it.
func debianVersion(ctx context.Context, pkg string) (string, error) {
	out, err := exec.CommandContext(ctx, "dpkg-query", "-W", "-f=${Status}\t${Version}", pkg).Output()
	if err != nil {
		return "", fmt.Errorf("debian package %s is not installed (apt-get install %s): %w", pkg, pkg, err)
	}
	status, version, _ := strings.Cut(string(out), "\t")
	if !strings.HasSuffix(status, " installed") {
		return "", fmt.Errorf("debian package %s is not installed (apt-get install %s): status %q", pkg, pkg, status)
	}
	return version, nil
}

// debianComponent describes a component taken from a Debian package. When
// the package is missing it is still listed, with no files, and a Source
// that says how to install it.
func debianComponent(ctx context.Context, name, pkg string, paths []string) Component {
	c := Component{Name: name}
	v, err := debianVersion(ctx, pkg)
	if err != nil {
		c.Source = "debian:" + pkg + " (not installed: apt-get install " + pkg + ")"
		return c
	}
	c.Version, c.Source = v, "debian:"+pkg+" "+v
	for _, p := range paths {
		f, err := hashFile(p)
		if err != nil {
			continue
		}
		c.Files = append(c.Files, f)
	}
	return c
}

// runcComponent is Debian's runc.
func runcComponent(ctx context.Context) Component {
	return debianComponent(ctx, ComponentRunc, runcPackage, []string{runcPath})
}

// cniComponent is Debian's CNI plugins, of which the ones a node uses are
// listed.
func cniComponent(ctx context.Context) Component {
	var paths []string
	for _, p := range cniPlugins() {
		paths = append(paths, filepath.Join(cniDir, p))
	}
	return debianComponent(ctx, ComponentCNI, cniPackage, paths)
}

// busybox returns the static busybox binary of Debian's busybox-static,
// its package version and its applets.
func busybox(ctx context.Context) (path, version string, applets []string, err error) {
	version, err = debianVersion(ctx, busyboxPackage)
	if err != nil {
		return "", "", nil, err
	}
	if err := checkStatic(busyboxPath); err != nil {
		return "", "", nil, err
	}
	out, err := exec.CommandContext(ctx, busyboxPath, "--list").Output()
	if err != nil {
		return "", "", nil, fmt.Errorf("list busybox applets: %w", err)
	}
	return busyboxPath, version, strings.Fields(string(out)), nil
}

// checkStatic fails unless the ELF file at path is statically linked, as a
// binary must be to run alone in an image.
func checkStatic(path string) error {
	f, err := elf.Open(path)
	if err != nil {
		return fmt.Errorf("open %s: %w", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return fmt.Errorf("%s is dynamically linked (install busybox-static, not busybox)", path)
		}
	}
	return nil
}

// busyboxTag is the image tag for a Debian busybox version such as
// "1:1.35.0-4+b3": "1.35.0".
func busyboxTag(debVersion string) string {
	v := debVersion
	if _, after, ok := strings.Cut(v, ":"); ok {
		v = after
	}
	v, _, _ = strings.Cut(v, "-")
	return v
}
