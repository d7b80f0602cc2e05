package artifacts

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/slipway/slipway/internal/artifacts/images"
)

// Image components: objects that hold an OCI image layout.
const (
	imagePause   = "image-pause"
	imageCoreDNS = "image-coredns"
	imageBusybox = "image-busybox"
	// imageRevision changes whenever image building changes in a way its
	// inputs do not show.
	imageRevision = "1"
	layoutDir     = "oci"
)

// Names the images are published under. containerd resolves them through
// Slipway when it uses Slipway as the mirror of registry.k8s.io and
// docker.io; see docs/artifacts.md for how names map to repositories.
const (
	PauseRepository   = "registry.k8s.io/pause"
	CoreDNSRepository = "registry.k8s.io/coredns/coredns"
	BusyboxRepository = "docker.io/library/busybox"
)

// imageRecipe is the recipe of an image made from the file at source,
// published as ref.
func imageRecipe(component, version, ref, source, sum string) recipe {
	return recipe{Component: component, Version: version, Platform: platform(), Inputs: map[string]string{
		"ref": ref, "source": source, "sha256": sum, "revision": imageRevision,
	}}
}

// buildImage makes the image a recipe describes and writes it as an OCI
// layout into out.
func buildImage(make func(source string) (v1.Image, error)) objectBuilder {
	return func(_ context.Context, _ *Cache, r recipe, out string) error {
		img, err := make(r.Inputs["source"])
		if err != nil {
			return err
		}
		return images.WriteLayout(filepath.Join(out, layoutDir), img, r.Inputs["ref"])
	}
}

// buildBusyboxImage makes the busybox image, with the applets the binary
// lists.
func buildBusyboxImage(ctx context.Context, _ *Cache, r recipe, out string) error {
	_, _, applets, err := busybox(ctx)
	if err != nil {
		return err
	}
	img, err := images.Busybox(r.Inputs["source"], applets)
	if err != nil {
		return err
	}
	return images.WriteLayout(filepath.Join(out, layoutDir), img, r.Inputs["ref"])
}

// ensureImage makes, or finds, the image of component from the cached file
// at source and describes it.
func (c *Cache) ensureImage(ctx context.Context, version, component, ref string, source File) (Image, error) {
	path := source.Path
	if !filepath.IsAbs(path) {
		path = filepath.Join(c.dir, path)
	}
	tag := ref[strings.LastIndex(ref, ":")+1:]
	o, err := c.ensureObject(ctx, version, imageRecipe(component, tag, ref, path, source.SHA256))
	if err != nil {
		return Image{}, err
	}
	dir := filepath.Join(o.dir(), layoutDir)
	img, _, err := images.ReadLayout(filepath.Join(c.dir, dir))
	if err != nil {
		return Image{}, err
	}
	d, err := img.Digest()
	if err != nil {
		return Image{}, fmt.Errorf("image %s: %w", ref, err)
	}
	size, err := images.Size(img)
	if err != nil {
		return Image{}, fmt.Errorf("image %s: %w", ref, err)
	}
	return Image{Ref: ref, Digest: d.String(), Size: size, Layout: dir, Object: o.Name}, nil
}

// Publisher stores an image in a registry under ref, a name such as
// "registry.k8s.io/pause:3.10.2".
type Publisher interface {
	Publish(ctx context.Context, ref string, img v1.Image) error
}

// Publish stores every image of m in p.
func Publish(ctx context.Context, p Publisher, m *Manifest) error {
	for _, im := range m.Images {
		img, _, err := images.ReadLayout(im.Layout)
		if err != nil {
			return fmt.Errorf("publish %s: %w", im.Ref, err)
		}
		if err := p.Publish(ctx, im.Ref, img); err != nil {
			return fmt.Errorf("publish %s: %w", im.Ref, err)
		}
	}
	return nil
}

// PublishCached stores in p the images of every cached Kubernetes version.
// It builds nothing, so it is quick enough for start-up.
func (c *Cache) PublishCached(ctx context.Context, p Publisher) error {
	ms, err := c.List()
	if err != nil {
		return err
	}
	for _, m := range ms {
		if err := Publish(ctx, p, m); err != nil {
			return err
		}
	}
	return nil
}
