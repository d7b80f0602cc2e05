package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"

	corev1 "k8s.io/api/core/v1"

	"github.com/slipway/slipway/internal/driver/kubernetes/ccm"
	"github.com/slipway/slipway/internal/model"
)

// serverType is the resource type of a node's server in the node template.
const serverType = "OS::Nova::Server"

// nodeServers is the cloud controller's ccm.Instances for one cluster: a
// node's server is the OS::Nova::Server of the cluster's stack (in the
// group member that made it) whose name is the node's, as the provider
// reports it now.
type nodeServers struct {
	d       *Driver
	stackID string
	// fixed is the cluster network's range: a server's addresses in it are
	// InternalIPs, any other an ExternalIP.
	fixed netip.Prefix
}

var _ ccm.Instances = (*nodeServers)(nil)

// nodeServers returns the servers of the cluster whose stack is stackID.
func (d *Driver) nodeServers(stackID string, cfg *config) *nodeServers {
	return &nodeServers{d: d, stackID: stackID, fixed: cfg.fixedNet()}
}

// Instance implements ccm.Instances.
func (n *nodeServers) Instance(ctx context.Context, nodeName string) (ccm.Instance, bool, error) {
	// Members live two levels down: cluster stack, group, member stack.
	tree, err := n.d.opts.Stacks.ResourceTree(ctx, n.stackID, 2)
	if err != nil {
		return ccm.Instance{}, false, err
	}
	var res *model.StackResource
	for _, r := range tree {
		if r.Type == serverType && r.PhysicalID != "" && r.Action != model.ActionDelete && r.Properties["name"] == nodeName {
			res = r.StackResource
		}
	}
	if res == nil {
		return ccm.Instance{}, false, nil
	}
	srv, err := n.d.opts.Servers.Server(ctx, res.PhysicalID)
	if errors.Is(err, model.ErrNotFound) {
		return ccm.Instance{}, false, nil
	}
	if err != nil {
		return ccm.Instance{}, false, fmt.Errorf("server %s: %w", res.PhysicalID, err)
	}
	if srv.Status == "DELETING" {
		return ccm.Instance{}, false, nil
	}
	flavor, _ := res.Properties["flavor"].(string)
	return ccm.Instance{
		ID:        srv.ID,
		Type:      flavor,
		Addresses: n.addresses(nodeName, srv.Addresses),
		Shutdown:  srv.Status == "SHUTOFF",
	}, true, nil
}

// addresses are a server's addresses as a node's, in a stable order:
// InternalIPs, ExternalIPs, then the hostname.
func (n *nodeServers) addresses(nodeName string, byNetwork map[string][]string) []corev1.NodeAddress {
	var internal, external []string
	for _, addrs := range byNetwork {
		for _, s := range addrs {
			a, err := netip.ParseAddr(s)
			switch {
			case err != nil:
			case n.fixed.Contains(a):
				internal = append(internal, s)
			default:
				external = append(external, s)
			}
		}
	}
	sort.Strings(internal)
	sort.Strings(external)
	var out []corev1.NodeAddress
	for _, a := range internal {
		out = append(out, corev1.NodeAddress{Type: corev1.NodeInternalIP, Address: a})
	}
	for _, a := range external {
		out = append(out, corev1.NodeAddress{Type: corev1.NodeExternalIP, Address: a})
	}
	return append(out, corev1.NodeAddress{Type: corev1.NodeHostName, Address: nodeName})
}
