package network

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/provider/local/network/netns"
)

func (m *Manager) mtu(n *Network) int {
	if n.MTU > 0 {
		return n.MTU
	}
	return 1500
}

// publicCandidates returns the external network's default subnets, to try
// in order.
func publicCandidates() []string {
	return []string{"10.250.0.0/24", "10.251.0.0/24", "172.31.250.0/24", "172.31.251.0/24"}
}

// pickPublicCIDR returns the first candidate that overlaps no address or
// route of the host (the default route aside).
func pickPublicCIDR() (netip.Prefix, error) {
	var taken []netip.Prefix
	addrs, err := netlink.AddrList(nil, unix.AF_INET)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("list host addresses: %w", err)
	}
	for _, a := range addrs {
		if p, ok := netip.AddrFromSlice(a.IP.To4()); ok {
			ones, _ := a.Mask.Size()
			taken = append(taken, netip.PrefixFrom(p, ones).Masked())
		}
	}
	routes, err := netlink.RouteListFiltered(unix.AF_INET, &netlink.Route{Table: unix.RT_TABLE_UNSPEC}, netlink.RT_FILTER_TABLE)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("list host routes: %w", err)
	}
	for _, r := range routes {
		if r.Dst == nil {
			continue
		}
		if p, ok := netip.AddrFromSlice(r.Dst.IP.To4()); ok {
			ones, _ := r.Dst.Mask.Size()
			if ones > 0 {
				taken = append(taken, netip.PrefixFrom(p, ones).Masked())
			}
		}
	}
	for _, c := range publicCandidates() {
		p := netip.MustParsePrefix(c)
		if !slices.ContainsFunc(taken, p.Overlaps) {
			return p, nil
		}
	}
	return netip.Prefix{}, fmt.Errorf("pick a subnet for the external network: all of %v are in use on this host; set one", publicCandidates())
}

// EnsurePublic creates the external network, its subnet, the host's veth
// into it and the host's guard table, or checks that they are in place. It
// returns the network and its subnet, whose gateway address is the host's.
func (m *Manager) EnsurePublic(ctx context.Context) (Network, Subnet, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n, s, err := m.ensurePublic(ctx)
	if err != nil {
		return Network{}, Subnet{}, fmt.Errorf("ensure network %s: %w", m.opts.PublicName, err)
	}
	return m.viewNetwork(n), *s, nil
}

func (m *Manager) publicSubnet() *Subnet {
	for _, s := range m.subnets {
		if s.NetworkID == m.opts.PublicNetworkID {
			return s
		}
	}
	return nil
}

func (m *Manager) ensurePublic(ctx context.Context) (*Network, *Subnet, error) {
	id := m.opts.PublicNetworkID
	n := m.networks[id]
	if n == nil {
		n = &Network{ID: id, Name: m.opts.PublicName, External: true}
		if err := m.put(ctx, kindNetwork, id, n); err != nil {
			return nil, nil, err
		}
		m.networks[id] = n
	}
	s := m.publicSubnet()
	if s == nil {
		cidr := m.opts.PublicCIDR
		if !cidr.IsValid() {
			var err error
			if cidr, err = pickPublicCIDR(); err != nil {
				return nil, nil, err
			}
		}
		s = &Subnet{ID: id + "-subnet", NetworkID: id, Name: m.opts.PublicName + "-subnet", CIDR: cidr}
		if err := prepareSubnet(s); err != nil {
			return nil, nil, err
		}
		if err := m.put(ctx, kindSubnet, s.ID, s); err != nil {
			return nil, nil, err
		}
		m.subnets[s.ID] = s
	}
	if err := m.applyNetwork(n); err != nil {
		return nil, nil, err
	}
	return n, s, nil
}

// applyNetwork makes the kernel match a network record: its namespace,
// bridge and tables and, for the external network, the host's veth and
// guard table. It is idempotent.
func (m *Manager) applyNetwork(n *Network) error {
	h, err := makeNamespace(m.netnsName("net", n.ID),
		"net.ipv6.conf.all.disable_ipv6", "1",
		"net.ipv6.conf.default.disable_ipv6", "1",
		"net.bridge.bridge-nf-call-iptables", "1")
	if err != nil {
		return err
	}
	defer h.Close()
	br, err := h.ensureBridge(m.mtu(n))
	if err != nil {
		return err
	}
	if n.External {
		if err := m.applyHostSide(h, br); err != nil {
			return err
		}
	}
	c, err := h.nft()
	if err != nil {
		return err
	}
	return applyTables(c, renderConntrackMark(), renderNetworkFilter(m.filterPorts(n.ID)))
}

// hostGuardName is the host table that isolates the external network.
func (m *Manager) hostGuardName() string { return "slipway-" + m.opts.HostInterface }

// applyHostSide plugs the host into the external network: a veth whose host
// end carries the subnet's gateway address.
func (m *Manager) applyHostSide(h *nsHandles, br netlink.Link) error {
	s := m.publicSubnet()
	if s == nil {
		return fmt.Errorf("external network has no subnet")
	}
	hostIf := m.opts.HostInterface
	link, err := netlink.LinkByName(hostIf)
	if err != nil {
		if !isNotFound(err) {
			return fmt.Errorf("find %s: %w", hostIf, err)
		}
		if l, err := h.nl.LinkByName(hostPeer); err == nil {
			if err := h.nl.LinkDel(l); err != nil {
				return fmt.Errorf("remove stale %s: %w", hostPeer, err)
			}
		}
		v := &netlink.Veth{
			LinkAttrs:     netlink.LinkAttrs{Name: hostIf, MTU: 1500},
			PeerName:      hostPeer,
			PeerNamespace: netlink.NsFd(int(h.ns)),
		}
		if err := netlink.LinkAdd(v); err != nil {
			return fmt.Errorf("add %s: %w", hostIf, err)
		}
		if link, err = netlink.LinkByName(hostIf); err != nil {
			return fmt.Errorf("find %s: %w", hostIf, err)
		}
	}
	if err := hostSysctl("net/ipv6/conf/"+hostIf+"/disable_ipv6", "1"); err != nil {
		return err
	}
	peer, err := h.nl.LinkByName(hostPeer)
	if err != nil {
		return fmt.Errorf("find %s: %w", hostPeer, err)
	}
	if err := h.nl.LinkSetMaster(peer, br); err != nil {
		return fmt.Errorf("attach %s: %w", hostPeer, err)
	}
	if err := h.nl.LinkSetUp(peer); err != nil {
		return fmt.Errorf("set %s up: %w", hostPeer, err)
	}
	addr := netip.PrefixFrom(s.GatewayIP, s.CIDR.Bits())
	if err := netlink.AddrReplace(link, &netlink.Addr{IPNet: prefixNet(addr)}); err != nil {
		return fmt.Errorf("address %s on %s: %w", addr, hostIf, err)
	}
	if err := netlink.LinkSetUp(link); err != nil {
		return fmt.Errorf("set %s up: %w", hostIf, err)
	}
	if m.opts.Egress {
		if err := hostSysctl("net/ipv4/ip_forward", "1"); err != nil {
			return err
		}
	}
	c, err := hostNFT()
	if err != nil {
		return err
	}
	return applyTables(c, renderHostGuard(m.hostGuardName(), hostIf, s.CIDR, m.opts.Egress))
}

// viewNetwork returns a copy of n with its output fields set.
func (m *Manager) viewNetwork(n *Network) Network {
	v := *n
	v.Netns = m.networkNS(n.ID)
	return v
}

// CreateNetwork creates a network: a namespace holding a bridge. Creating a
// network that exists returns it.
func (m *Manager) CreateNetwork(ctx context.Context, n Network) (Network, error) {
	if n.ID == "" {
		return Network{}, model.Invalidf("A network id is required.")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old := m.networks[n.ID]; old != nil {
		if err := m.applyNetwork(old); err != nil {
			return Network{}, fmt.Errorf("create network %s: %w", n.ID, err)
		}
		return m.viewNetwork(old), nil
	}
	if n.External {
		return Network{}, model.Invalidf("Only the network %s is external.", m.opts.PublicName)
	}
	rec := n
	rec.Netns = ""
	if err := m.put(ctx, kindNetwork, n.ID, &rec); err != nil {
		return Network{}, fmt.Errorf("create network %s: %w", n.ID, err)
	}
	m.networks[n.ID] = &rec
	if err := m.applyNetwork(&rec); err != nil {
		return Network{}, fmt.Errorf("create network %s: %w", n.ID, err)
	}
	m.log.Info("network created", "network", n.ID, "name", n.Name)
	return m.viewNetwork(&rec), nil
}

// GetNetwork returns a network.
func (m *Manager) GetNetwork(_ context.Context, id string) (Network, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.networks[id]
	if n == nil {
		return Network{}, model.NotFoundf("Network %s could not be found.", id)
	}
	return m.viewNetwork(n), nil
}

// DeleteNetwork deletes a network and its subnets. It fails while ports
// remain on it. Deleting a network that does not exist is a success.
func (m *Manager) DeleteNetwork(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.networks[id]
	if n == nil {
		return nil
	}
	if n.External {
		return model.Conflictf("The network %s belongs to the provider and cannot be deleted.", id)
	}
	for _, p := range m.ports {
		if p.NetworkID == id {
			return model.Conflictf("Unable to complete operation on network %s. There are one or more ports still in use on the network.", id)
		}
	}
	if err := m.deleteNetwork(ctx, n); err != nil {
		return fmt.Errorf("delete network %s: %w", id, err)
	}
	m.log.Info("network deleted", "network", id)
	return nil
}

// deleteNetwork removes a network's namespace (and with it the bridge, every
// port's veth and the tables) and then its records.
func (m *Manager) deleteNetwork(ctx context.Context, n *Network) error {
	if n.External {
		// The kernel frees a namespace asynchronously; remove the host's end
		// now so that the host is clean when this returns.
		if l, err := netlink.LinkByName(m.opts.HostInterface); err == nil {
			if err := netlink.LinkDel(l); err != nil && !isNotFound(err) {
				return fmt.Errorf("remove %s: %w", m.opts.HostInterface, err)
			}
		}
	}
	if err := netns.Delete(m.netnsName("net", n.ID)); err != nil {
		return err
	}
	var errs []error
	for _, s := range m.subnets {
		if s.NetworkID == n.ID {
			if err := m.del(ctx, kindSubnet, s.ID); err != nil {
				errs = append(errs, err)
				continue
			}
			delete(m.subnets, s.ID)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	if err := m.del(ctx, kindNetwork, n.ID); err != nil {
		return err
	}
	delete(m.networks, n.ID)
	return nil
}

// CreateSubnet records a subnet on a network. Creating a subnet that exists
// returns it.
func (m *Manager) CreateSubnet(ctx context.Context, s Subnet) (Subnet, error) {
	if s.ID == "" {
		return Subnet{}, model.Invalidf("A subnet id is required.")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old := m.subnets[s.ID]; old != nil {
		return *old, nil
	}
	n := m.networks[s.NetworkID]
	if n == nil {
		return Subnet{}, model.NotFoundf("Network %s could not be found.", s.NetworkID)
	}
	if n.External {
		return Subnet{}, model.Conflictf("The network %s belongs to the provider; its subnet cannot change.", n.ID)
	}
	if err := prepareSubnet(&s); err != nil {
		return Subnet{}, err
	}
	for _, o := range m.subnets {
		if o.NetworkID == s.NetworkID && o.CIDR.Overlaps(s.CIDR) {
			return Subnet{}, model.Invalidf("Invalid input for operation: Requested subnet with cidr: %s for network: %s overlaps with another subnet.", s.CIDR, s.NetworkID)
		}
	}
	if err := m.put(ctx, kindSubnet, s.ID, &s); err != nil {
		return Subnet{}, fmt.Errorf("create subnet %s: %w", s.ID, err)
	}
	m.subnets[s.ID] = &s
	return s, nil
}

// GetSubnet returns a subnet.
func (m *Manager) GetSubnet(_ context.Context, id string) (Subnet, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.subnets[id]
	if s == nil {
		return Subnet{}, model.NotFoundf("Subnet %s could not be found.", id)
	}
	return *s, nil
}

// DeleteSubnet deletes a subnet that no port uses. Deleting a subnet that
// does not exist is a success.
func (m *Manager) DeleteSubnet(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.subnets[id]
	if s == nil {
		return nil
	}
	if m.networks[s.NetworkID] != nil && m.networks[s.NetworkID].External {
		return model.Conflictf("The subnet %s belongs to the provider and cannot be deleted.", id)
	}
	for _, p := range m.ports {
		for _, f := range p.FixedIPs {
			if f.SubnetID == id {
				return model.Conflictf("Unable to complete operation on subnet %s: One or more ports have an IP allocation from this subnet.", id)
			}
		}
	}
	if err := m.del(ctx, kindSubnet, id); err != nil {
		return fmt.Errorf("delete subnet %s: %w", id, err)
	}
	delete(m.subnets, id)
	return nil
}

// networkSubnets returns the subnets of a network, in a stable order.
func (m *Manager) networkSubnets(netID string) []*Subnet {
	var out []*Subnet
	for _, s := range m.subnets {
		if s.NetworkID == netID {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b *Subnet) int { return a.CIDR.Addr().Compare(b.CIDR.Addr()) })
	return out
}

// subnetOf returns the subnet of netID that contains a.
func (m *Manager) subnetOf(netID string, a netip.Addr) *Subnet {
	for _, s := range m.networkSubnets(netID) {
		if s.CIDR.Contains(a) {
			return s
		}
	}
	return nil
}
