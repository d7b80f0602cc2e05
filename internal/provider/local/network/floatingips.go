package network

import (
	"context"
	"fmt"
	"net/netip"

	"github.com/vishvananda/netlink"

	"github.com/slipway/slipway/internal/model"
)

// CreateFloatingIP allocates an address on the external network and, when
// f.PortID is set, associates it with that port. Creating a floating IP
// that exists returns it.
func (m *Manager) CreateFloatingIP(ctx context.Context, f FloatingIP) (FloatingIP, error) {
	if f.ID == "" {
		return FloatingIP{}, model.Invalidf("A floating IP id is required.")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old := m.fips[f.ID]; old != nil {
		return *old, nil
	}
	if f.FloatingNetworkID == "" {
		f.FloatingNetworkID = m.opts.PublicNetworkID
	}
	n := m.networks[f.FloatingNetworkID]
	if n == nil {
		return FloatingIP{}, model.NotFoundf("Network %s could not be found.", f.FloatingNetworkID)
	}
	if !n.External {
		return FloatingIP{}, model.Invalidf("Bad floatingip request: Network %s is not a valid external network.", n.ID)
	}
	s := m.publicSubnet()
	if s == nil {
		return FloatingIP{}, model.Conflictf("The external network has no subnet.")
	}
	if f.FloatingIPAddress.IsValid() {
		if err := m.claim(s, f.FloatingIPAddress); err != nil {
			return FloatingIP{}, err
		}
	} else {
		a, err := m.allocate(s)
		if err != nil {
			return FloatingIP{}, err
		}
		f.FloatingIPAddress = a
	}
	portID, fixed := f.PortID, f.FixedIPAddress
	rec := &FloatingIP{ID: f.ID, ProjectID: f.ProjectID, FloatingNetworkID: n.ID, FloatingIPAddress: f.FloatingIPAddress}
	if err := m.put(ctx, kindFloating, rec.ID, rec); err != nil {
		return FloatingIP{}, fmt.Errorf("create floating IP %s: %w", f.ID, err)
	}
	m.fips[rec.ID] = rec
	if portID != "" {
		if err := m.associate(ctx, rec, portID, fixed); err != nil {
			return FloatingIP{}, fmt.Errorf("create floating IP %s: %w", f.ID, err)
		}
	}
	return *rec, nil
}

// GetFloatingIP returns a floating IP.
func (m *Manager) GetFloatingIP(_ context.Context, id string) (FloatingIP, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.fips[id]
	if f == nil {
		return FloatingIP{}, model.NotFoundf("Floating IP %s could not be found", id)
	}
	return *f, nil
}

// AssociateFloatingIP points a floating IP at a port's fixed IP (the first
// one when fixed is zero), or disassociates it when portID is empty.
func (m *Manager) AssociateFloatingIP(ctx context.Context, id, portID string, fixed netip.Addr) (FloatingIP, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.fips[id]
	if f == nil {
		return FloatingIP{}, model.NotFoundf("Floating IP %s could not be found", id)
	}
	if err := m.associate(ctx, f, portID, fixed); err != nil {
		return FloatingIP{}, fmt.Errorf("associate floating IP %s: %w", id, err)
	}
	return *f, nil
}

// associate moves f to portID (or nowhere) and reprograms the routers
// involved. The caller holds m.mu.
func (m *Manager) associate(ctx context.Context, f *FloatingIP, portID string, fixed netip.Addr) error {
	next := *f
	next.PortID, next.FixedIPAddress, next.RouterID = "", netip.Addr{}, ""
	if portID != "" {
		p := m.ports[portID]
		if p == nil {
			return model.NotFoundf("Port %s could not be found.", portID)
		}
		if len(p.FixedIPs) == 0 {
			return model.Invalidf("Bad floatingip request: Port %s does not have any IP addresses on it.", portID)
		}
		fi := p.FixedIPs[0]
		if fixed.IsValid() {
			found := false
			for _, x := range p.FixedIPs {
				if x.IPAddress == fixed {
					fi, found = x, true
				}
			}
			if !found {
				return model.Invalidf("Bad floatingip request: Port %s does not have fixed ip %s.", portID, fixed)
			}
		}
		r := m.routerFor(fi.SubnetID)
		if r == nil {
			return model.NotFoundf("External network %s is not reachable from subnet %s. Therefore, cannot associate Port %s with a Floating IP.", f.FloatingNetworkID, fi.SubnetID, portID)
		}
		for _, o := range m.fips {
			if o.ID != f.ID && o.PortID == portID && o.FixedIPAddress == fi.IPAddress {
				return model.Conflictf("Cannot associate floating IP %s with port %s using fixed IP %s, as that fixed IP already has a floating IP %s.", f.FloatingIPAddress, portID, fi.IPAddress, o.FloatingIPAddress)
			}
		}
		next.PortID, next.FixedIPAddress, next.RouterID = portID, fi.IPAddress, r.ID
	}
	oldRouter := f.RouterID
	if err := m.put(ctx, kindFloating, f.ID, &next); err != nil {
		return err
	}
	*f = next
	if r := m.routers[oldRouter]; r != nil && oldRouter != f.RouterID {
		if err := m.applyRouter(r); err != nil {
			return err
		}
	}
	if r := m.routers[f.RouterID]; r != nil {
		if err := m.applyRouter(r); err != nil {
			return err
		}
	}
	m.forgetNeighbour(f.FloatingIPAddress)
	return nil
}

// forgetNeighbour drops the host's cached MAC for a floating IP that moved
// to another router.
func (m *Manager) forgetNeighbour(a netip.Addr) {
	l, err := netlink.LinkByName(m.opts.HostInterface)
	if err != nil {
		return
	}
	_ = netlink.NeighDel(&netlink.Neigh{LinkIndex: l.Attrs().Index, IP: a.AsSlice()})
}

// routerFor returns the router that connects a subnet to the external
// network.
func (m *Manager) routerFor(subnetID string) *Router {
	for _, r := range m.routers {
		if r.Gateway == nil {
			continue
		}
		for _, ri := range r.Interfaces {
			if ri.SubnetID == subnetID {
				return r
			}
		}
	}
	return nil
}

// fipSubnet returns the subnet of a floating IP's fixed address.
func (m *Manager) fipSubnet(f *FloatingIP) string {
	if p := m.ports[f.PortID]; p != nil {
		for _, x := range p.FixedIPs {
			if x.IPAddress == f.FixedIPAddress {
				return x.SubnetID
			}
		}
	}
	return ""
}

// DeleteFloatingIP disassociates and releases a floating IP. Deleting one
// that does not exist is a success.
func (m *Manager) DeleteFloatingIP(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	f := m.fips[id]
	if f == nil {
		return nil
	}
	if err := m.deleteFloatingIP(ctx, f); err != nil {
		return fmt.Errorf("delete floating IP %s: %w", id, err)
	}
	return nil
}

func (m *Manager) deleteFloatingIP(ctx context.Context, f *FloatingIP) error {
	if f.PortID != "" {
		if err := m.associate(ctx, f, "", netip.Addr{}); err != nil {
			return err
		}
	}
	if err := m.del(ctx, kindFloating, f.ID); err != nil {
		return err
	}
	delete(m.fips, f.ID)
	return nil
}
