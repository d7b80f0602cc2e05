package local

import (
	"context"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/provider/local/network"
)

// Templates name networks, subnets and security groups by id or by name,
// as Heat lets them. A name matches within the resource's project, and the
// public network's name everywhere.

// networkRef resolves a network by id or name.
func (p *Provider) networkRef(ctx context.Context, project, ref string) (network.Network, error) {
	if ref == "" {
		return network.Network{}, model.Invalidf("A network is required.")
	}
	if n, err := p.net.GetNetwork(ctx, ref); err == nil {
		return n, nil
	}
	var found []network.Network
	for _, n := range p.net.ListNetworks(ctx) {
		if n.Name == ref && (n.External || project == "" || n.ProjectID == project) {
			found = append(found, n)
		}
	}
	switch len(found) {
	case 0:
		return network.Network{}, model.NotFoundf("Unable to find network with name or id '%s'", ref)
	case 1:
		return found[0], nil
	}
	return network.Network{}, model.Conflictf("Multiple network matches found for name '%s', use an ID to be more specific.", ref)
}

// subnetRef resolves a subnet by id or name.
func (p *Provider) subnetRef(ctx context.Context, project, ref string) (network.Subnet, error) {
	if ref == "" {
		return network.Subnet{}, model.Invalidf("A subnet is required.")
	}
	if s, err := p.net.GetSubnet(ctx, ref); err == nil {
		return s, nil
	}
	var found []network.Subnet
	for _, s := range p.net.ListSubnets(ctx, "") {
		if s.Name == ref && (project == "" || s.ProjectID == project || s.NetworkID == publicNetworkID) {
			found = append(found, s)
		}
	}
	switch len(found) {
	case 0:
		return network.Subnet{}, model.NotFoundf("Unable to find subnet with name or id '%s'", ref)
	case 1:
		return found[0], nil
	}
	return network.Subnet{}, model.Conflictf("Multiple subnet matches found for name '%s', use an ID to be more specific.", ref)
}

// portRef resolves a port by id or name.
func (p *Provider) portRef(ctx context.Context, project, ref string) (network.Port, error) {
	if port, err := p.net.GetPort(ctx, ref); err == nil {
		return port, nil
	}
	var found []network.Port
	for _, port := range p.net.ListPorts(ctx, "") {
		if port.Name == ref && ref != "" && (project == "" || port.ProjectID == project) {
			found = append(found, port)
		}
	}
	switch len(found) {
	case 0:
		return network.Port{}, model.NotFoundf("Unable to find port with name or id '%s'", ref)
	case 1:
		return found[0], nil
	}
	return network.Port{}, model.Conflictf("Multiple port matches found for name '%s', use an ID to be more specific.", ref)
}

// groupRefs resolves security groups by id or name. "default" is the
// project's implicit default group, which a port gets by naming none.
func (p *Provider) groupRefs(ctx context.Context, project string, refs []string) ([]string, error) {
	var out []string
	var groups []network.SecurityGroup
	for _, ref := range refs {
		if ref == "default" {
			continue
		}
		if _, err := p.net.GetSecurityGroup(ctx, ref); err == nil {
			out = append(out, ref)
			continue
		}
		if groups == nil {
			groups = p.net.ListSecurityGroups(ctx)
		}
		var found []string
		for _, g := range groups {
			if g.Name == ref && (project == "" || g.ProjectID == project) {
				found = append(found, g.ID)
			}
		}
		switch len(found) {
		case 0:
			return nil, model.NotFoundf("Unable to find security_group with name or id '%s'", ref)
		case 1:
			out = append(out, found[0])
		default:
			return nil, model.Conflictf("Multiple security_group matches found for name '%s', use an ID to be more specific.", ref)
		}
	}
	return out, nil
}
