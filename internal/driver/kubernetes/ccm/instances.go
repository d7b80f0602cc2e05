package ccm

import (
	"context"
	"fmt"

	v1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"
)

// Instance is what the provider knows of the machine behind a node.
type Instance struct {
	// ID is the server's id.
	ID string
	// Type is the server's flavor; it becomes the node's
	// node.kubernetes.io/instance-type label.
	Type string
	// Addresses are the node's addresses: InternalIP on the cluster
	// network, ExternalIP for any other, and its Hostname.
	Addresses []v1.NodeAddress
	// Shutdown says the server exists but is stopped (SHUTOFF).
	Shutdown bool
}

// instancesV2 is the cloudprovider.InstancesV2 over an Instances.
type instancesV2 struct {
	instances Instances
}

var _ cloudprovider.InstancesV2 = (*instancesV2)(nil)

// ProviderID returns a node's spec.providerID for the server serverID:
// "slipway:///<serverID>", the form OpenStack's cloud controller uses for a
// cloud without regions.
func ProviderID(serverID string) string {
	return ProviderName + ":///" + serverID
}

func (i *instancesV2) instance(ctx context.Context, node *v1.Node) (Instance, bool, error) {
	inst, ok, err := i.instances.Instance(ctx, node.Name)
	if err != nil {
		return Instance{}, false, fmt.Errorf("look up the server of node %s: %w", node.Name, err)
	}
	return inst, ok, nil
}

// InstanceExists reports whether the node's server still exists. The
// upstream node lifecycle controller deletes a NotReady node whose server
// does not.
func (i *instancesV2) InstanceExists(ctx context.Context, node *v1.Node) (bool, error) {
	_, ok, err := i.instance(ctx, node)
	return ok, err
}

// InstanceShutdown reports whether the node's server is stopped; the
// upstream node lifecycle controller then taints the node
// node.cloudprovider.kubernetes.io/shutdown.
func (i *instancesV2) InstanceShutdown(ctx context.Context, node *v1.Node) (bool, error) {
	inst, ok, err := i.instance(ctx, node)
	return ok && inst.Shutdown, err
}

// InstanceMetadata returns the node's provider id, instance type and
// addresses, which the upstream node controller writes into the Node.
func (i *instancesV2) InstanceMetadata(ctx context.Context, node *v1.Node) (*cloudprovider.InstanceMetadata, error) {
	inst, ok, err := i.instance(ctx, node)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, fmt.Errorf("node %s: %w", node.Name, cloudprovider.InstanceNotFound)
	}
	return &cloudprovider.InstanceMetadata{
		ProviderID:    ProviderID(inst.ID),
		InstanceType:  inst.Type,
		NodeAddresses: inst.Addresses,
	}, nil
}
