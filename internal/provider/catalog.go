package provider

import (
	"context"

	"github.com/slipway/slipway/internal/model"
)

// Image is a bootable machine image.
type Image struct {
	ID       string
	Name     string
	OSDistro string
}

// Flavor is a machine size.
type Flavor struct {
	ID      string
	Name    string
	VCPUs   int
	RAMMiB  int
	DiskGiB int
}

// Network is a network that clusters may attach to.
type Network struct {
	ID       string
	Name     string
	External bool
}

// Catalog lists what a provider offers. Lists are small; callers search them.
type Catalog interface {
	Images(ctx context.Context) ([]Image, error)
	Flavors(ctx context.Context) ([]Flavor, error)
	Networks(ctx context.Context) ([]Network, error)
	Keypairs(ctx context.Context) ([]string, error)
}

// find returns the single item whose id or name is ref. A name shared by
// several items is a conflict, as in OpenStack.
func find[T any](items []T, ref string, id, name func(T) string) (T, int) {
	var zero T
	for _, it := range items {
		if id(it) == ref {
			return it, 1
		}
	}
	var match T
	n := 0
	for _, it := range items {
		if name(it) == ref {
			match = it
			n++
		}
	}
	if n == 0 {
		return zero, 0
	}
	return match, n
}

// FindImage resolves an image by id or name. Errors are the 400s and 409s
// Magnum gives.
func FindImage(ctx context.Context, c Catalog, ref string) (Image, error) {
	images, err := c.Images(ctx)
	if err != nil {
		return Image{}, err
	}
	img, n := find(images, ref, func(i Image) string { return i.ID }, func(i Image) string { return i.Name })
	switch {
	case n == 0:
		return Image{}, model.Invalidf("Image %s could not be found.", ref)
	case n > 1:
		return Image{}, model.Conflictf("Multiple images exist with same name %s. Please use the image id instead.", ref)
	case img.OSDistro == "":
		return Image{}, model.Invalidf("Image %s doesn't contain os_distro field.", ref)
	}
	return img, nil
}

// FindFlavor resolves a flavor by id or name.
func FindFlavor(ctx context.Context, c Catalog, ref string) (Flavor, error) {
	flavors, err := c.Flavors(ctx)
	if err != nil {
		return Flavor{}, err
	}
	f, n := find(flavors, ref, func(f Flavor) string { return f.ID }, func(f Flavor) string { return f.Name })
	if n == 0 {
		return Flavor{}, model.Invalidf("Flavor %s could not be found.", ref)
	}
	return f, nil
}

// FindExternalNetwork resolves an external network by id or name.
func FindExternalNetwork(ctx context.Context, c Catalog, ref string) (Network, error) {
	nets, err := c.Networks(ctx)
	if err != nil {
		return Network{}, err
	}
	var ext []Network
	for _, n := range nets {
		if n.External {
			ext = append(ext, n)
		}
	}
	net, n := find(ext, ref, func(n Network) string { return n.ID }, func(n Network) string { return n.Name })
	switch {
	case n == 0:
		return Network{}, model.Invalidf("External network %s could not be found.", ref)
	case n > 1:
		return Network{}, model.Conflictf("Multiple external networks exist with same name %s. Please use the external network ID instead.", ref)
	}
	return net, nil
}

// FindNetwork resolves a fixed network by id or name.
func FindNetwork(ctx context.Context, c Catalog, ref string) (Network, error) {
	nets, err := c.Networks(ctx)
	if err != nil {
		return Network{}, err
	}
	net, n := find(nets, ref, func(n Network) string { return n.ID }, func(n Network) string { return n.Name })
	switch {
	case n == 0:
		return Network{}, model.Invalidf("Fixed network %s could not be found.", ref)
	case n > 1:
		return Network{}, model.Conflictf("Multiple networks exist with same name %s. Please use the network ID instead.", ref)
	}
	return net, nil
}

// HasKeypair reports whether a keypair exists; a missing one is a 404, as in
// Magnum.
func HasKeypair(ctx context.Context, c Catalog, name string) error {
	kps, err := c.Keypairs(ctx)
	if err != nil {
		return err
	}
	for _, k := range kps {
		if k == name {
			return nil
		}
	}
	return model.NotFoundf("Unable to find keypair %s.", name)
}
