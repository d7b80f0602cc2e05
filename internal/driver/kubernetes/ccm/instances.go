package ccm

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"
)

// instancesV2 is the cloudprovider.InstancesV2 over an Instances.
type instancesV2 struct {
	clusterID string
	instances Instances
}

var _ cloudprovider.InstancesV2 = (*instancesV2)(nil)

// ProviderID returns the provider id Slipway gives the node nodeName of the
// cluster clusterID: "slipway://<clusterID>/<nodeName>".
func ProviderID(clusterID, nodeName string) string {
	return ProviderName + "://" + clusterID + "/" + nodeName
}

// InstanceExists reports whether the node's machine still exists.
func (i *instancesV2) InstanceExists(ctx context.Context, node *v1.Node) (bool, error) {
	ok, err := i.instances.Exists(ctx, node.Name)
	if err != nil {
		return false, fmt.Errorf("check machine of node %s: %w", node.Name, err)
	}
	return ok, nil
}

// InstanceShutdown always reports false: Instances has no notion of a
// stopped machine, and a machine that is gone is reported by
// InstanceExists.
func (i *instancesV2) InstanceShutdown(context.Context, *v1.Node) (bool, error) {
	return false, nil
}

// InstanceMetadata returns the node's provider id and addresses.
func (i *instancesV2) InstanceMetadata(ctx context.Context, node *v1.Node) (*cloudprovider.InstanceMetadata, error) {
	addresses, err := i.instances.Addresses(ctx, node.Name)
	if err != nil {
		return nil, fmt.Errorf("addresses of node %s: %w", node.Name, err)
	}
	id := node.Spec.ProviderID
	if id == "" {
		id = ProviderID(i.clusterID, node.Name)
	}
	return &cloudprovider.InstanceMetadata{ProviderID: id, NodeAddresses: addresses}, nil
}
