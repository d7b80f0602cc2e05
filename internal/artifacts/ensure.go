package artifacts

import (
	"context"
	"fmt"
	"path/filepath"
	"time"
)

// recipes are the recipes of the built components of a release, in build
// order: Kubernetes first, because it is the one a bad version breaks.
func (c *Cache) recipes(gover string, r Release) []recipe {
	return []recipe{
		c.kubernetesRecipe(gover, r),
		goRecipe(ComponentEtcd, r.Etcd, gover, nil),
		goRecipe(ComponentCoreDNS, r.CoreDNS, gover, nil),
		goRecipe(ComponentContainerd, r.Containerd, gover, map[string]string{"tags": containerdTags}),
		pauseRecipe(gover, r.Pause),
	}
}

// sources says where each built component comes from.
func sources(r Release) map[string]string {
	return map[string]string{
		ComponentKubernetes: componentSource(kubernetesModule, r.Kubernetes),
		ComponentEtcd:       joinModules(r.Etcd, etcdServerModule, etcdctlModule),
		ComponentCoreDNS:    componentSource(corednsModule, r.CoreDNS),
		ComponentContainerd: componentSource(containerdModule, r.Containerd),
		ComponentPause:      "slipway:internal/artifacts/pause",
	}
}

// Ensure returns the manifest of Kubernetes version, building whatever is
// missing from the cache first. A cached version costs one file read and a
// `go env`. Concurrent calls for one version, from this process or another,
// wait for a single build and share its result. A version that cannot be
// built returns a *BuildError naming it, and leaves no manifest and no
// partial object behind.
func (c *Cache) Ensure(ctx context.Context, version string) (*Manifest, error) {
	rel, err := ReleaseFor(version)
	if err != nil {
		return nil, err
	}
	cl, err := lock(ctx, filepath.Join(c.dir, locksDir, cacheLock), false, nil)
	if err != nil {
		return nil, err
	}
	defer cl.unlock()

	gt, goErr := c.goTool(ctx)
	if m, ok := c.current(version, rel, gt); ok {
		c.emitCached(m)
		return m, nil
	}
	vl, err := lock(ctx, filepath.Join(c.dir, locksDir, "kubernetes-"+version+".lock"), true, func() {
		c.emit(Event{Version: version, Component: ComponentKubernetes, Phase: PhaseWaiting})
	})
	if err != nil {
		return nil, err
	}
	defer vl.unlock()
	if m, ok := c.current(version, rel, gt); ok {
		c.emitCached(m)
		return m, nil
	}
	if goErr != nil {
		return nil, &BuildError{Version: version, Component: "go", Err: goErr}
	}
	m, err := c.build(ctx, rel, gt.version)
	if err != nil {
		return nil, err
	}
	if err := writeJSON(c.manifestPath(version), m); err != nil {
		return nil, fmt.Errorf("write manifest of kubernetes %s: %w", version, err)
	}
	m.resolve(c.dir)
	return m, nil
}

// current returns the cached manifest of version if it exists and every
// built component in it comes from today's recipe. Without a Go toolchain
// nothing can be rebuilt, so any complete manifest is current.
func (c *Cache) current(version string, rel Release, gt *goTool) (*Manifest, bool) {
	m, err := c.Lookup(version)
	if err != nil {
		return nil, false
	}
	if gt == nil {
		return m, true
	}
	for _, r := range c.recipes(gt.version, rel) {
		comp, ok := m.Component(r.Component)
		if !ok || comp.Object != r.name() {
			return nil, false
		}
	}
	return m, true
}

func (c *Cache) emitCached(m *Manifest) {
	for _, comp := range m.Components {
		if comp.Object != "" {
			c.emit(Event{Version: m.Kubernetes, Component: comp.Name, Phase: PhaseCached})
		}
	}
}

// build makes every missing object of rel and returns the manifest, with
// paths relative to the cache directory.
func (c *Cache) build(ctx context.Context, rel Release, gover string) (*Manifest, error) {
	v := rel.Kubernetes
	m := &Manifest{Kubernetes: v, Release: rel, Go: gover, Platform: platform()}
	src := sources(rel)
	objs := map[string]*object{}
	for _, r := range c.recipes(gover, rel) {
		o, err := c.ensureObject(ctx, v, r)
		if err != nil {
			return nil, err
		}
		objs[r.Component] = o
		m.Components = append(m.Components, Component{
			Name: r.Component, Version: r.Version, Source: src[r.Component], Object: o.Name,
			BuiltAt: o.BuiltAt, BuildSeconds: o.BuildSeconds, CPUSeconds: o.CPUSeconds, Files: o.files(),
		})
	}
	m.Components = append(m.Components, runcComponent(ctx), cniComponent(ctx))

	pauseBin := objs[ComponentPause].file("pause")
	pauseFile := File{Path: pauseBin, SHA256: fileSum(objs[ComponentPause], "pause")}
	img, err := c.ensureImage(ctx, v, imagePause, PauseRepository+":"+rel.Pause, pauseFile)
	if err != nil {
		return nil, newBuildError(v, imagePause, err)
	}
	m.Images = append(m.Images, img)

	dnsFile := File{Path: objs[ComponentCoreDNS].file("coredns"), SHA256: fileSum(objs[ComponentCoreDNS], "coredns")}
	img, err = c.ensureImage(ctx, v, imageCoreDNS, CoreDNSRepository+":"+rel.CoreDNS, dnsFile)
	if err != nil {
		return nil, newBuildError(v, imageCoreDNS, err)
	}
	m.Images = append(m.Images, img)

	if path, debVersion, _, err := busybox(ctx); err != nil {
		c.log.Warn("no busybox test image", "err", err)
	} else {
		bb, err := hashFile(path)
		if err != nil {
			return nil, newBuildError(v, ComponentBusybox, err)
		}
		m.Components = append(m.Components, Component{
			Name: ComponentBusybox, Version: debVersion, Source: "debian:" + busyboxPackage + " " + debVersion, Files: []File{bb},
		})
		img, err := c.ensureImage(ctx, v, imageBusybox, BusyboxRepository+":"+busyboxTag(debVersion), bb)
		if err != nil {
			return nil, newBuildError(v, imageBusybox, err)
		}
		m.Images = append(m.Images, img)
	}
	m.CreatedAt = time.Now().UTC().Truncate(time.Second)
	return m, nil
}

// fileSum returns the SHA-256 of o's file called name.
func fileSum(o *object, name string) string {
	for _, f := range o.Files {
		if f.Name == name {
			return f.SHA256
		}
	}
	return ""
}
