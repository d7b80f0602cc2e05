package ccm

import (
	"context"
	"log/slog"

	cloudprovider "k8s.io/cloud-provider"
)

// ProviderName is the name Slipway's cloud provider reports.
const ProviderName = "slipway"

// Backend makes provider load balancers for one cluster. It is implemented
// by the driver (with orchestration stacks on the provider). It is three
// methods rather than one because the service controller asks for each
// separately: it looks before it deletes, and reads the address back.
// The driver tags what it makes with the cluster's id (slipway-cluster), so
// that deleting the cluster also finds load balancers the controller never
// got to delete.
type Backend interface {
	// Ensure makes or updates the load balancer named name: one TCP
	// listener per port, forwarding to every member address at the port's
	// NodePort. It returns the address reachable from the host (the
	// Service's external IP). Calling it twice with the same arguments has
	// the effect of calling it once.
	Ensure(ctx context.Context, name string, ports []Port, members []string) (string, error)
	// Delete removes the load balancer named name; already gone is success.
	Delete(ctx context.Context, name string) error
	// Get reports whether the load balancer named name exists, and its
	// address.
	Get(ctx context.Context, name string) (address string, exists bool, err error)
}

// Port is one listener of a load balancer.
type Port struct {
	// Name is the Service port's name, or "port-<Port>" when the Service
	// leaves it empty (allowed for a single port).
	Name string
	// Protocol is always "TCP": other protocols are refused before the
	// Backend is called.
	Protocol string
	// Port is where the load balancer listens.
	Port int32
	// NodePort is where every member receives the traffic.
	NodePort int32
}

// Instances finds the servers behind a cluster's nodes, by node name
// (which is the server's name).
type Instances interface {
	// Instance returns the server behind the node named nodeName; exists
	// is false when the cluster has no such server (any more). An error
	// means the answer is unknown, and nothing is done about the node.
	Instance(ctx context.Context, nodeName string) (inst Instance, exists bool, err error)
}

// Cloud is Slipway's cloudprovider.Interface for one cluster. Build it with
// NewCloud.
type Cloud struct {
	lb        *loadBalancer
	instances Instances
	clusterID string
}

var _ cloudprovider.Interface = (*Cloud)(nil)

// NewCloud returns the cloud provider of the cluster clusterID. backend
// must not be nil; instances may be, and then InstancesV2 reports false.
// log may be nil.
func NewCloud(clusterID string, backend Backend, instances Instances, log *slog.Logger) *Cloud {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Cloud{
		lb:        newLoadBalancer(clusterID, backend, log),
		instances: instances,
		clusterID: clusterID,
	}
}

// Initialize does nothing: the cloud needs no clients of its own.
func (c *Cloud) Initialize(cloudprovider.ControllerClientBuilder, <-chan struct{}) {}

// LoadBalancer returns the load balancer implementation; it is always
// supported.
func (c *Cloud) LoadBalancer() (cloudprovider.LoadBalancer, bool) { return c.lb, true }

// Instances is not supported: InstancesV2 replaces it.
func (c *Cloud) Instances() (cloudprovider.Instances, bool) { return nil, false }

// InstancesV2 reports on nodes' machines when the cloud was given an
// Instances.
func (c *Cloud) InstancesV2() (cloudprovider.InstancesV2, bool) {
	if c.instances == nil {
		return nil, false
	}
	return &instancesV2{instances: c.instances}, true
}

// Zones is not supported: a Slipway cluster lives on one host.
func (c *Cloud) Zones() (cloudprovider.Zones, bool) { return nil, false }

// Clusters is not supported.
func (c *Cloud) Clusters() (cloudprovider.Clusters, bool) { return nil, false }

// Routes is not supported: pod routes are laid down by the node bootstrap.
func (c *Cloud) Routes() (cloudprovider.Routes, bool) { return nil, false }

// ProviderName returns "slipway".
func (c *Cloud) ProviderName() string { return ProviderName }

// HasClusterID reports whether the cloud was given a cluster id.
func (c *Cloud) HasClusterID() bool { return c.clusterID != "" }
