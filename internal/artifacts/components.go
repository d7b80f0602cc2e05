package artifacts

import (
	"context"
	"embed"
	"fmt"
	"strings"

	"github.com/slipway/slipway/internal/artifacts/images"
)

// Modules the companion components are built from.
const (
	etcdServerModule  = "go.etcd.io/etcd/server/v3"
	etcdctlModule     = "go.etcd.io/etcd/etcdctl/v3"
	corednsModule     = "github.com/coredns/coredns"
	containerdModule  = "github.com/containerd/containerd/v2"
	componentRevision = "1"
)

// containerdTags leave out the snapshotters that need cgo or kernel
// features this host lacks.
const containerdTags = "no_btrfs,no_devmapper,no_zfs"

//go:embed pause/main.go
var pauseSource embed.FS

// defaultBuilders maps each built component to its builder.
func defaultBuilders() map[string]objectBuilder {
	return map[string]objectBuilder{
		ComponentKubernetes: buildKubernetes,
		ComponentEtcd:       buildEtcd,
		ComponentCoreDNS:    buildCoreDNS,
		ComponentContainerd: buildContainerd,
		ComponentPause:      buildPause,
		imagePause:          buildImage(images.Pause),
		imageCoreDNS:        buildImage(images.CoreDNS),
		imageBusybox:        buildBusyboxImage,
	}
}

// goRecipe is the recipe of a component built by goModule with fixed flags.
func goRecipe(component, version, gover string, inputs map[string]string) recipe {
	in := map[string]string{"revision": componentRevision, "flags": "-trimpath -s -w CGO_ENABLED=0"}
	for k, v := range inputs {
		in[k] = v
	}
	return recipe{Component: component, Version: version, Go: gover, Platform: platform(), Inputs: in}
}

// buildEtcd builds etcd and etcdctl. The root package of etcd's server
// module is etcd's main; it cannot be `go install`ed because its go.mod has
// replace directives, so a generated module requires it.
func buildEtcd(ctx context.Context, c *Cache, r recipe, out string) error {
	g := goModule{
		requires: []string{etcdServerModule + " " + r.Version, etcdctlModule + " " + r.Version},
		tools:    []string{etcdServerModule, etcdctlModule},
		binaries: []goBinary{
			{pkg: etcdServerModule, out: "etcd", ldflags: []string{"-X", "go.etcd.io/etcd/api/v3/version.GitSHA=" + r.Version}},
			{pkg: etcdctlModule, out: "etcdctl", ldflags: []string{"-X", "go.etcd.io/etcd/api/v3/version.GitSHA=" + r.Version}},
		},
	}
	return g.build(ctx, c, out)
}

// buildCoreDNS builds a static coredns with its default plugins.
func buildCoreDNS(ctx context.Context, c *Cache, r recipe, out string) error {
	g := goModule{
		requires: []string{corednsModule + " " + r.Version},
		tools:    []string{corednsModule},
		binaries: []goBinary{{pkg: corednsModule, out: "coredns", ldflags: []string{
			"-X", "github.com/coredns/coredns/coremain.GitCommit=" + r.Version,
		}}},
	}
	return g.build(ctx, c, out)
}

// buildContainerd builds containerd, its runc shim and ctr without cgo, with
// the version ldflags of containerd's Makefile.
func buildContainerd(ctx context.Context, c *Cache, r recipe, out string) error {
	flags := []string{
		"-X", containerdModule + "/version.Version=" + r.Version,
		"-X", containerdModule + "/version.Revision=" + r.Version,
		"-X", containerdModule + "/version.Package=" + containerdModule,
	}
	var bins []goBinary
	for _, cmd := range []string{"containerd", "containerd-shim-runc-v2", "ctr"} {
		bins = append(bins, goBinary{pkg: containerdModule + "/cmd/" + cmd, out: cmd, ldflags: flags})
	}
	g := goModule{
		requires: []string{containerdModule + " " + r.Version},
		tools:    []string{containerdModule + "/cmd/containerd", containerdModule + "/cmd/containerd-shim-runc-v2", containerdModule + "/cmd/ctr"},
		tags:     strings.Split(containerdTags, ","),
		binaries: bins,
	}
	return g.build(ctx, c, out)
}

// pauseRecipe is the recipe of the pause binary: Slipway's own source in
// internal/artifacts/pause, embedded.
func pauseRecipe(gover, version string) recipe {
	src, _ := pauseSource.ReadFile("pause/main.go")
	return goRecipe(ComponentPause, version, gover, map[string]string{"source": sha256Hex(string(src))})
}

// buildPause builds the pause program as a static binary.
func buildPause(ctx context.Context, c *Cache, r recipe, out string) error {
	src, err := pauseSource.ReadFile("pause/main.go")
	if err != nil {
		return fmt.Errorf("read pause source: %w", err)
	}
	g := goModule{
		files:    map[string]string{"main.go": string(src)},
		binaries: []goBinary{{pkg: ".", out: "pause", ldflags: []string{"-X", "main.version=" + r.Version}}},
	}
	return g.build(ctx, c, out)
}

// componentSource is the Source field of a component built from module.
func componentSource(module, version string) string {
	return "go:" + module + "@" + version
}

// joinModules renders modules for a Source field.
func joinModules(version string, modules ...string) string {
	parts := make([]string, len(modules))
	for i, m := range modules {
		parts[i] = componentSource(m, version)
	}
	return strings.Join(parts, " ")
}
