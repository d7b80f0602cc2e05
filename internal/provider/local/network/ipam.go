package network

import (
	"net/netip"

	"github.com/slipway/slipway/internal/model"
)

// prepareSubnet validates s and fills in Neutron's defaults: the gateway is
// the first host address and the pools cover the rest of the CIDR.
func prepareSubnet(s *Subnet) error {
	if !s.CIDR.IsValid() || !s.CIDR.Addr().Is4() {
		return model.Invalidf("Invalid input for cidr. Reason: '%s' is not a valid IPv4 subnet.", s.CIDR)
	}
	if s.CIDR != s.CIDR.Masked() {
		return model.Invalidf("Invalid input for cidr. Reason: '%s' isn't a recognized IP subnet cidr, '%s' is recommended.", s.CIDR, s.CIDR.Masked())
	}
	if s.CIDR.Bits() > 30 {
		return model.Invalidf("Invalid input for cidr. Reason: prefix /%d leaves no room for ports.", s.CIDR.Bits())
	}
	first := s.CIDR.Addr().Next()
	last := lastAddr(s.CIDR).Prev()
	if s.NoGateway {
		s.GatewayIP = netip.Addr{}
	} else if !s.GatewayIP.IsValid() {
		s.GatewayIP = first
	} else if !s.CIDR.Contains(s.GatewayIP) || s.GatewayIP == s.CIDR.Addr() || s.GatewayIP == lastAddr(s.CIDR) {
		return model.Invalidf("Invalid input for operation: Gateway IP %s conflicts with subnet %s.", s.GatewayIP, s.CIDR)
	}
	if len(s.AllocationPools) == 0 {
		switch {
		case !s.GatewayIP.IsValid():
			s.AllocationPools = []AddressRange{{first, last}}
		case s.GatewayIP == first:
			s.AllocationPools = []AddressRange{{first.Next(), last}}
		case s.GatewayIP == last:
			s.AllocationPools = []AddressRange{{first, last.Prev()}}
		default:
			s.AllocationPools = []AddressRange{{first, s.GatewayIP.Prev()}, {s.GatewayIP.Next(), last}}
		}
	}
	for _, p := range s.AllocationPools {
		if !s.CIDR.Contains(p.Start) || !s.CIDR.Contains(p.End) || p.End.Less(p.Start) {
			return model.Invalidf("The allocation pool %s-%s spans beyond the subnet cidr %s.", p.Start, p.End, s.CIDR)
		}
		if s.GatewayIP.IsValid() && !s.GatewayIP.Less(p.Start) && !p.End.Less(s.GatewayIP) {
			return model.Conflictf("Gateway ip %s conflicts with allocation pool %s-%s.", s.GatewayIP, p.Start, p.End)
		}
	}
	return nil
}

// lastAddr is the broadcast address of an IPv4 prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	v |= host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// usedOn returns the addresses of subnet sid that are taken: fixed IPs of
// ports, floating IPs, and the gateway. The caller holds m.mu.
func (m *Manager) usedOn(sid string) map[netip.Addr]bool {
	used := map[netip.Addr]bool{}
	if s := m.subnets[sid]; s != nil && s.GatewayIP.IsValid() {
		used[s.GatewayIP] = true
	}
	for _, p := range m.ports {
		for _, f := range p.FixedIPs {
			if f.SubnetID == sid {
				used[f.IPAddress] = true
			}
		}
	}
	for _, f := range m.fips {
		used[f.FloatingIPAddress] = true
	}
	return used
}

// allocate returns the first free address of the subnet's pools. The caller
// holds m.mu and records the address before releasing it.
func (m *Manager) allocate(s *Subnet) (netip.Addr, error) {
	used := m.usedOn(s.ID)
	for _, p := range s.AllocationPools {
		for a := p.Start; a.IsValid() && !p.End.Less(a); a = a.Next() {
			if !used[a] {
				return a, nil
			}
		}
	}
	return netip.Addr{}, model.Conflictf("No more IP addresses available on network %s.", s.NetworkID)
}

// claim checks that a requested address is on the subnet and free.
func (m *Manager) claim(s *Subnet, a netip.Addr) error {
	if !s.CIDR.Contains(a) || a == s.CIDR.Addr() || a == lastAddr(s.CIDR) {
		return model.Invalidf("IP address %s is not a valid IP for the specified subnet.", a)
	}
	if m.usedOn(s.ID)[a] {
		return model.Conflictf("IP address %s already allocated in subnet %s", a, s.ID)
	}
	return nil
}
