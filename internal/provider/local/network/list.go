package network

import (
	"context"
	"slices"
)

// ListNetworks returns every network, the external one included, sorted by
// id.
func (m *Manager) ListNetworks(_ context.Context) []Network {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Network, 0, len(m.networks))
	for _, id := range sortedKeys(m.networks) {
		out = append(out, m.viewNetwork(m.networks[id]))
	}
	return out
}

// ListSubnets returns the subnets of a network (of every network when
// networkID is empty), ordered by address.
func (m *Manager) ListSubnets(_ context.Context, networkID string) []Subnet {
	m.mu.Lock()
	defer m.mu.Unlock()
	var subs []*Subnet
	if networkID != "" {
		subs = m.networkSubnets(networkID)
	} else {
		for _, id := range sortedKeys(m.subnets) {
			subs = append(subs, m.subnets[id])
		}
	}
	out := make([]Subnet, 0, len(subs))
	for _, s := range subs {
		v := *s
		v.AllocationPools = slices.Clone(s.AllocationPools)
		v.DNSNameservers = slices.Clone(s.DNSNameservers)
		out = append(out, v)
	}
	return out
}

// ListPorts returns the ports whose owner is deviceID (every port when
// deviceID is empty), sorted by id.
func (m *Manager) ListPorts(_ context.Context, deviceID string) []Port {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Port
	for _, id := range sortedKeys(m.ports) {
		if p := m.ports[id]; deviceID == "" || p.DeviceID == deviceID {
			out = append(out, m.viewPort(p))
		}
	}
	return out
}

// ListSecurityGroups returns every security group, sorted by id.
func (m *Manager) ListSecurityGroups(_ context.Context) []SecurityGroup {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]SecurityGroup, 0, len(m.groups))
	for _, id := range sortedKeys(m.groups) {
		out = append(out, m.viewGroup(m.groups[id]))
	}
	return out
}

// ListFloatingIPs returns every floating IP, sorted by id.
func (m *Manager) ListFloatingIPs(_ context.Context) []FloatingIP {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]FloatingIP, 0, len(m.fips))
	for _, id := range sortedKeys(m.fips) {
		out = append(out, *m.fips[id])
	}
	return out
}

// ListRouters returns every router, sorted by id.
func (m *Manager) ListRouters(_ context.Context) []Router {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Router, 0, len(m.routers))
	for _, id := range sortedKeys(m.routers) {
		out = append(out, m.viewRouter(m.routers[id]))
	}
	return out
}
