package network

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"

	"github.com/google/nftables"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/provider/local/network/netns"
)

func hostNFT() (*nftables.Conn, error) {
	c, err := nftables.New(nftables.WithSockOptions(ackBuffer))
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	return c, nil
}

func (m *Manager) viewPort(p *Port) Port {
	v := *p
	v.FixedIPs = slices.Clone(p.FixedIPs)
	v.SecurityGroups = slices.Clone(p.SecurityGroups)
	v.AllowedAddressPairs = slices.Clone(p.AllowedAddressPairs)
	if p.Binding != nil {
		b := *p.Binding
		v.Binding = &b
		v.Status = StatusActive
	} else {
		v.Status = StatusDown
	}
	return v
}

// CreatePort allocates a port's fixed IPs and records it; with a Binding it
// also plugs it. Creating a port that exists returns it.
func (m *Manager) CreatePort(ctx context.Context, p Port) (Port, error) {
	if p.ID == "" {
		return Port{}, model.Invalidf("A port id is required.")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old := m.ports[p.ID]; old != nil {
		if p.Binding != nil && old.Binding == nil {
			if err := m.plugPort(ctx, old, *p.Binding); err != nil {
				return Port{}, fmt.Errorf("create port %s: %w", p.ID, err)
			}
		}
		return m.viewPort(old), nil
	}
	binding := p.Binding
	if err := m.createPort(ctx, &p, false); err != nil {
		return Port{}, fmt.Errorf("create port %s: %w", p.ID, err)
	}
	if binding != nil {
		b := *binding
		if err := m.plugPort(ctx, m.ports[p.ID], b); err != nil {
			return Port{}, fmt.Errorf("create port %s: %w", p.ID, err)
		}
	}
	return m.viewPort(m.ports[p.ID]), nil
}

// createPort validates p, allocates its addresses and records it. gateway
// lets a router interface take its subnet's gateway address. The caller
// holds m.mu.
func (m *Manager) createPort(ctx context.Context, p *Port, gateway bool) error {
	n := m.networks[p.NetworkID]
	if n == nil {
		return model.NotFoundf("Network %s could not be found.", p.NetworkID)
	}
	if p.MAC == "" {
		p.MAC = macFor(p.ID)
	} else if _, err := net.ParseMAC(p.MAC); err != nil {
		return model.Invalidf("Invalid input for mac_address: %s is not a valid MAC address.", p.MAC)
	}
	for _, g := range p.SecurityGroups {
		if m.groups[g] == nil {
			return model.NotFoundf("Security group %s does not exist", g)
		}
	}
	for _, a := range p.AllowedAddressPairs {
		if !a.IsValid() || !a.Addr().Is4() {
			return model.Invalidf("Invalid input for allowed_address_pairs: %s is not an IPv4 prefix.", a)
		}
	}
	if len(p.FixedIPs) == 0 {
		subs := m.networkSubnets(p.NetworkID)
		if len(subs) == 0 {
			return model.Invalidf("The network %s has no subnet to allocate an address from.", p.NetworkID)
		}
		p.FixedIPs = []FixedIP{{SubnetID: subs[0].ID}}
	}
	fixed := make([]FixedIP, 0, len(p.FixedIPs))
	for _, f := range p.FixedIPs {
		var s *Subnet
		if f.SubnetID != "" {
			s = m.subnets[f.SubnetID]
		} else if f.IPAddress.IsValid() {
			s = m.subnetOf(p.NetworkID, f.IPAddress)
		}
		if s == nil || s.NetworkID != p.NetworkID {
			return model.Invalidf("Invalid input for fixed_ips: no subnet of network %s matches %v.", p.NetworkID, f)
		}
		switch {
		case gateway:
			f.IPAddress = s.GatewayIP
		case f.IPAddress.IsValid():
			if err := m.claim(s, f.IPAddress); err != nil {
				return err
			}
		default:
			a, err := m.allocate(s)
			if err != nil {
				return err
			}
			f.IPAddress = a
		}
		f.SubnetID = s.ID
		fixed = append(fixed, f)
	}
	p.FixedIPs = fixed
	p.Binding = nil
	p.Status = ""
	if err := m.put(ctx, kindPort, p.ID, p); err != nil {
		return err
	}
	m.ports[p.ID] = p
	return nil
}

// GetPort returns a port.
func (m *Manager) GetPort(_ context.Context, id string) (Port, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.ports[id]
	if p == nil {
		return Port{}, model.NotFoundf("Port %s could not be found.", id)
	}
	return m.viewPort(p), nil
}

// UpdatePort changes a port's name, security groups, port security and
// allowed address pairs, and reprograms the filters.
func (m *Manager) UpdatePort(ctx context.Context, u Port) (Port, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.ports[u.ID]
	if p == nil {
		return Port{}, model.NotFoundf("Port %s could not be found.", u.ID)
	}
	for _, g := range u.SecurityGroups {
		if m.groups[g] == nil {
			return Port{}, model.NotFoundf("Security group %s does not exist", g)
		}
	}
	next := *p
	next.Name, next.SecurityGroups, next.NoPortSecurity, next.AllowedAddressPairs = u.Name, u.SecurityGroups, u.NoPortSecurity, u.AllowedAddressPairs
	if err := m.put(ctx, kindPort, p.ID, &next); err != nil {
		return Port{}, fmt.Errorf("update port %s: %w", u.ID, err)
	}
	*p = next
	if err := m.refreshFilters(""); err != nil {
		return Port{}, fmt.Errorf("update port %s: %w", u.ID, err)
	}
	return m.viewPort(p), nil
}

// PlugPort connects a port to the namespace at b.Netns: a veth whose far
// end is b.IfName there, with the port's MAC and fixed IPs and, if asked, a
// default route via the subnet's gateway. Plugging again (after the
// namespace was re-created, say) is safe.
func (m *Manager) PlugPort(ctx context.Context, id string, b Binding) (Port, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.ports[id]
	if p == nil {
		return Port{}, model.NotFoundf("Port %s could not be found.", id)
	}
	if err := m.plugPort(ctx, p, b); err != nil {
		return Port{}, fmt.Errorf("plug port %s: %w", id, err)
	}
	return m.viewPort(p), nil
}

func (m *Manager) plugPort(ctx context.Context, p *Port, b Binding) error {
	if b.IfName == "" {
		b.IfName = "eth0"
	}
	if b.Netns == "" {
		return model.Invalidf("A namespace path is required to plug port %s.", p.ID)
	}
	if p.Binding != nil && (p.Binding.Netns != b.Netns || p.Binding.IfName != b.IfName) {
		if err := unplug(m.networkNS(p.NetworkID), portDev(p.ID)); err != nil {
			return err
		}
	}
	next := *p
	next.Binding = &b
	if err := m.put(ctx, kindPort, p.ID, &next); err != nil {
		return err
	}
	*p = next
	if err := m.plugKernel(p); err != nil {
		return err
	}
	return m.refreshFilters("")
}

// plugKernel makes the kernel match a bound port.
func (m *Manager) plugKernel(p *Port) error {
	n := m.networks[p.NetworkID]
	mac, err := net.ParseMAC(p.MAC)
	if err != nil {
		return fmt.Errorf("port %s: %w", p.ID, err)
	}
	s := plugSpec{
		networkNS: m.networkNS(p.NetworkID),
		dev:       portDev(p.ID),
		mac:       mac,
		mtu:       m.mtu(n),
		target:    p.Binding.Netns,
		ifName:    p.Binding.IfName,
	}
	for i, f := range p.FixedIPs {
		sub := m.subnets[f.SubnetID]
		if sub == nil {
			continue
		}
		s.addrs = append(s.addrs, netip.PrefixFrom(f.IPAddress, sub.CIDR.Bits()))
		if i == 0 && p.Binding.DefaultRoute && sub.GatewayIP.IsValid() {
			s.gateway = sub.GatewayIP
		}
	}
	return plug(s)
}

// UnplugPort removes a port's veth; the port keeps its addresses.
func (m *Manager) UnplugPort(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.ports[id]
	if p == nil || p.Binding == nil {
		return nil
	}
	if err := m.unplugPort(ctx, p); err != nil {
		return fmt.Errorf("unplug port %s: %w", id, err)
	}
	return nil
}

func (m *Manager) unplugPort(ctx context.Context, p *Port) error {
	if err := unplug(m.networkNS(p.NetworkID), portDev(p.ID)); err != nil {
		return err
	}
	next := *p
	next.Binding = nil
	if err := m.put(ctx, kindPort, p.ID, &next); err != nil {
		return err
	}
	*p = next
	return m.refreshFilters("")
}

// DeletePort unplugs a port, disassociates its floating IPs and releases
// its addresses. Ports that routers own are removed through the router.
// Deleting a port that does not exist is a success.
func (m *Manager) DeletePort(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.ports[id]
	if p == nil {
		return nil
	}
	if p.DeviceOwner == OwnerRouterInterface || p.DeviceOwner == OwnerRouterGateway {
		return model.Conflictf("Port %s cannot be deleted directly via the port API: has device owner %s.", id, p.DeviceOwner)
	}
	if err := m.deletePort(ctx, p); err != nil {
		return fmt.Errorf("delete port %s: %w", id, err)
	}
	return nil
}

// deletePort removes a port whatever owns it. The caller holds m.mu.
func (m *Manager) deletePort(ctx context.Context, p *Port) error {
	var routers []string
	for _, f := range m.fips {
		if f.PortID == p.ID {
			if f.RouterID != "" {
				routers = append(routers, f.RouterID)
			}
			next := *f
			next.PortID, next.FixedIPAddress, next.RouterID = "", netip.Addr{}, ""
			if err := m.put(ctx, kindFloating, f.ID, &next); err != nil {
				return err
			}
			*f = next
		}
	}
	var errs []error
	for _, r := range routers {
		if rt := m.routers[r]; rt != nil {
			errs = append(errs, m.applyRouter(rt))
		}
	}
	if err := unplug(m.networkNS(p.NetworkID), portDev(p.ID)); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := m.del(ctx, kindPort, p.ID); err != nil {
		return err
	}
	delete(m.ports, p.ID)
	return m.refreshFilters("")
}

// groupsOf returns the security groups that apply to a port: its own, or
// its project's default group.
func groupsOf(p *Port) []string {
	if len(p.SecurityGroups) > 0 {
		return p.SecurityGroups
	}
	return []string{defaultGroupID(p.ProjectID)}
}

// defaultGroupID names a project's implicit default group.
func defaultGroupID(project string) string { return "default:" + project }

// rulesOf returns a group's rules; an implicit default group has Neutron's
// default rules.
func (m *Manager) rulesOf(gid string) []Rule {
	if g := m.groups[gid]; g != nil {
		return g.Rules
	}
	if len(gid) >= 8 && gid[:8] == "default:" {
		return DefaultGroupRules(gid)
	}
	return nil
}

// filterPorts resolves what the bridge table of network netID must
// enforce. The caller holds m.mu.
func (m *Manager) filterPorts(netID string) []filterPort {
	members := map[string][]netip.Prefix{}
	for _, p := range m.ports {
		if p.NoPortSecurity || p.DeviceOwner == OwnerRouterInterface || p.DeviceOwner == OwnerRouterGateway {
			continue
		}
		for _, g := range groupsOf(p) {
			members[g] = append(members[g], portSources(p)...)
		}
	}
	var out []filterPort
	for _, p := range m.ports {
		if p.NetworkID != netID || p.Binding == nil || p.NoPortSecurity ||
			p.DeviceOwner == OwnerRouterInterface || p.DeviceOwner == OwnerRouterGateway {
			continue
		}
		mac, err := net.ParseMAC(p.MAC)
		if err != nil {
			continue
		}
		fp := filterPort{dev: portDev(p.ID), mac: mac, srcs: portSources(p)}
		for _, g := range groupsOf(p) {
			for _, r := range m.rulesOf(g) {
				fr, ok := resolveRule(r, members)
				if !ok {
					continue
				}
				if r.Direction == Egress {
					fp.egress = append(fp.egress, fr)
				} else {
					fp.ingress = append(fp.ingress, fr)
				}
			}
		}
		out = append(out, fp)
	}
	return out
}

func portSources(p *Port) []netip.Prefix {
	var out []netip.Prefix
	for _, f := range p.FixedIPs {
		out = append(out, netip.PrefixFrom(f.IPAddress, 32))
	}
	return append(out, p.AllowedAddressPairs...)
}

// resolveRule turns a rule into what the filter matches. ok is false for
// rules that cannot apply to IPv4.
func resolveRule(r Rule, members map[string][]netip.Prefix) (filterRule, bool) {
	if r.Ethertype == "IPv6" {
		return filterRule{}, false
	}
	proto, ok := protocolNumber(r.Protocol)
	if !ok {
		return filterRule{}, false
	}
	fr := filterRule{proto: proto, icmpType: -1, icmpCode: -1}
	switch proto {
	case 6, 17, 132:
		if r.PortRangeMin > 0 || r.PortRangeMax > 0 {
			lo, hi := r.PortRangeMin, r.PortRangeMax
			if lo == 0 {
				lo = 1
			}
			if hi == 0 {
				hi = lo
			}
			fr.lo, fr.hi = uint16(lo), uint16(hi)
		}
	case 1:
		if r.PortRangeMin > 0 || (r.PortRangeMin == 0 && r.PortRangeMax > 0) {
			fr.icmpType = r.PortRangeMin
		}
		if r.PortRangeMax > 0 {
			fr.icmpCode = r.PortRangeMax
		}
	}
	switch {
	case r.RemoteGroupID != "":
		fr.remotes = members[r.RemoteGroupID]
	case r.RemoteIPPrefix != "":
		p, err := netip.ParsePrefix(r.RemoteIPPrefix)
		if err != nil {
			a, aerr := netip.ParseAddr(r.RemoteIPPrefix)
			if aerr != nil {
				return filterRule{}, false
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		if !p.Addr().Is4() {
			return filterRule{}, false
		}
		if p.Bits() == 0 {
			fr.any = true
		} else {
			fr.remotes = []netip.Prefix{p.Masked()}
		}
	default:
		fr.any = true
	}
	return fr, true
}

// refreshFilters reprograms the bridge tables: of network netID only, or of
// every network when netID is empty. Membership of a remote group spans
// networks, so a change of groups refreshes them all. The caller holds m.mu.
func (m *Manager) refreshFilters(netID string) error {
	var errs []error
	for id, n := range m.networks {
		if netID != "" && id != netID {
			continue
		}
		if !netns.Exists(m.netnsName("net", id)) {
			continue
		}
		h, err := openNS(m.networkNS(n.ID))
		if err != nil {
			errs = append(errs, err)
			continue
		}
		c, err := h.nft()
		if err == nil {
			err = applyTables(c, renderNetworkFilter(m.filterPorts(id)))
		}
		h.Close()
		if err != nil {
			errs = append(errs, fmt.Errorf("network %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}
