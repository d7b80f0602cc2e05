package local

import (
	"context"

	"github.com/slipway/slipway/internal/provider"
)

// ImageName is the one image the local provider offers: the host's userland,
// read-only.
const ImageName = "slipway-node"

// ExternalNetworkName is the host-reachable network that carries router
// gateways and floating IPs.
const ExternalNetworkName = "public"

// Catalog is the local provider's fixed catalogue.
type Catalog struct{}

// Images implements provider.Catalog.
func (Catalog) Images(context.Context) ([]provider.Image, error) {
	return []provider.Image{{ID: "5b2f3c1e-6c1a-4f5e-9d1e-51f1a0de0001", Name: ImageName, OSDistro: "debian"}}, nil
}

// Flavors implements provider.Catalog. The sizes are OpenStack's customary
// m1 flavors.
func (Catalog) Flavors(context.Context) ([]provider.Flavor, error) {
	return []provider.Flavor{
		{ID: "1", Name: "m1.tiny", VCPUs: 1, RAMMiB: 512, DiskGiB: 1},
		{ID: "2", Name: "m1.small", VCPUs: 1, RAMMiB: 2048, DiskGiB: 20},
		{ID: "3", Name: "m1.medium", VCPUs: 2, RAMMiB: 4096, DiskGiB: 40},
		{ID: "4", Name: "m1.large", VCPUs: 2, RAMMiB: 8192, DiskGiB: 80},
	}, nil
}

// Networks implements provider.Catalog.
func (Catalog) Networks(context.Context) ([]provider.Network, error) {
	return []provider.Network{{ID: publicNetworkID, Name: ExternalNetworkName, External: true}}, nil
}

// Keypairs implements provider.Catalog. Local machines take no SSH keys.
func (Catalog) Keypairs(context.Context) ([]string, error) { return nil, nil }
