// Package netplan plans a Kubernetes cluster's addresses: the fixed IP of
// every node in the cluster subnet, every node's pod range carved from the
// cluster pod range, and the Service and DNS IPs. It is pure and
// deterministic: the same Input always gives the same Network, and nodes that
// already have an Assignment keep it across resizes.
package netplan

import (
	"fmt"
	"net/netip"

	"github.com/slipway/slipway/internal/model"
)

// Defaults, as Magnum's.
const (
	// DefaultFixedCIDR is Magnum's fixed_subnet_cidr default.
	DefaultFixedCIDR = "10.0.0.0/24"
	// DefaultPodCIDR is Magnum's calico_ipv4pool/flannel_network_cidr default.
	DefaultPodCIDR = "10.100.0.0/16"
	// DefaultServiceCIDR is Magnum's service_cluster_ip_range default.
	DefaultServiceCIDR = "10.254.0.0/16"
	// DefaultNodeMaskSize is the prefix length of every node's pod range.
	DefaultNodeMaskSize = 24
)

// ReservedHosts is how many addresses at the start of the fixed subnet are
// not given to nodes: the network address, the gateway (.1) and .2–.9 for
// the router, DHCP and the load balancer's VIP. Nodes start at .10.
const ReservedHosts = 10

// clusterDNSOffset is the ClusterDNS's offset in the Service range (the
// 10th address, as kubeadm: 10.254.0.10).
const clusterDNSOffset = 10

// Role is a node's role in the cluster.
type Role string

// Roles.
const (
	RoleMaster Role = "master"
	RoleWorker Role = "worker"
)

// Input is what the plan is made from.
type Input struct {
	// FixedCIDR is the cluster subnet (fixed_subnet_cidr); empty means
	// DefaultFixedCIDR.
	FixedCIDR string
	// PodCIDR is the cluster's whole pod range; empty means DefaultPodCIDR.
	PodCIDR string
	// ServiceCIDR is the Service IP range (service_cluster_ip_range); empty
	// means DefaultServiceCIDR.
	ServiceCIDR string
	// NodeMaskSize is the prefix length of each node's pod range; 0 means
	// DefaultNodeMaskSize.
	NodeMaskSize int
	// Masters and Workers name the nodes, in order. Names are unique across
	// both lists.
	Masters []string
	Workers []string
	// Existing holds, by node name, what a previous plan gave nodes. Nodes
	// still listed keep their IP and pod range; entries for nodes no longer
	// listed are ignored, which frees their slots. An entry with a zero IP
	// or PodCIDR gets a fresh one.
	Existing map[string]Assignment
}

// Assignment is one node's addresses.
type Assignment struct {
	Name    string       `json:"name"`
	Role    Role         `json:"role"`
	IP      netip.Addr   `json:"ip"`
	PodCIDR netip.Prefix `json:"pod_cidr"`
}

// Network is a planned cluster network.
type Network struct {
	// FixedCIDR, PodCIDR and ServiceCIDR are the ranges the plan used.
	FixedCIDR   netip.Prefix
	PodCIDR     netip.Prefix
	ServiceCIDR netip.Prefix
	// NodeMaskSize is the prefix length of each node's pod range.
	NodeMaskSize int
	// Gateway is the first address of FixedCIDR.
	Gateway netip.Addr
	// APIServiceIP is the first Service IP (the kubernetes Service).
	APIServiceIP netip.Addr
	// ClusterDNS is the 10th Service IP (kube-dns).
	ClusterDNS netip.Addr
	// Nodes lists the masters, then the workers, in Input order.
	Nodes []Assignment
}

// Node returns the named node's assignment.
func (n *Network) Node(name string) (Assignment, bool) {
	for _, a := range n.Nodes {
		if a.Name == name {
			return a, true
		}
	}
	return Assignment{}, false
}

// Assignments returns the nodes by name, the form Input.Existing takes.
func (n *Network) Assignments() map[string]Assignment {
	m := make(map[string]Assignment, len(n.Nodes))
	for _, a := range n.Nodes {
		m[a.Name] = a
	}
	return m
}

// Plan assigns every node an IP and a pod range. Errors are model.Invalidf
// errors naming the offending Input field.
func Plan(in Input) (*Network, error) {
	fixed, err := parseCIDR("FixedCIDR", in.FixedCIDR, DefaultFixedCIDR)
	if err != nil {
		return nil, err
	}
	pod, err := parseCIDR("PodCIDR", in.PodCIDR, DefaultPodCIDR)
	if err != nil {
		return nil, err
	}
	svc, err := parseCIDR("ServiceCIDR", in.ServiceCIDR, DefaultServiceCIDR)
	if err != nil {
		return nil, err
	}
	ranges := []struct {
		name string
		p    netip.Prefix
	}{{"FixedCIDR", fixed}, {"PodCIDR", pod}, {"ServiceCIDR", svc}}
	for i := range ranges {
		for j := i + 1; j < len(ranges); j++ {
			if ranges[i].p.Overlaps(ranges[j].p) {
				return nil, model.Invalidf("%s %s overlaps %s %s.",
					ranges[i].name, ranges[i].p, ranges[j].name, ranges[j].p)
			}
		}
	}
	if svc.Bits() > 32-4 {
		return nil, model.Invalidf("ServiceCIDR %s is too small: it needs at least %d addresses (prefix /28 or shorter) for the API and DNS Service IPs.",
			svc, 16)
	}

	mask := in.NodeMaskSize
	if mask == 0 {
		mask = DefaultNodeMaskSize
	}
	if mask < pod.Bits() || mask > 30 {
		return nil, model.Invalidf("NodeMaskSize %d must be between PodCIDR's prefix length %d and 30.", mask, pod.Bits())
	}

	// Capacities. Prefix lengths are bounded, so these fit in int.
	ipCap := (1 << (32 - fixed.Bits())) - ReservedHosts - 1 // minus the broadcast address
	ipCap = max(ipCap, 0)
	podCap := 1 << (mask - pod.Bits())

	// Nodes in order, names unique.
	type node struct {
		name string
		role Role
	}
	nodes := make([]node, 0, len(in.Masters)+len(in.Workers))
	seen := make(map[string]string, cap(nodes))
	for _, l := range []struct {
		field string
		role  Role
		names []string
	}{{"Masters", RoleMaster, in.Masters}, {"Workers", RoleWorker, in.Workers}} {
		for _, name := range l.names {
			if name == "" {
				return nil, model.Invalidf("%s has an empty node name.", l.field)
			}
			if prev, dup := seen[name]; dup {
				return nil, model.Invalidf("%s: node name %q is listed twice (also in %s).", l.field, name, prev)
			}
			seen[name] = l.field
			nodes = append(nodes, node{name, l.role})
		}
	}
	if len(nodes) > ipCap {
		return nil, model.Invalidf("FixedCIDR %s holds %d node addresses (after the gateway and reserved .1–.9); %d nodes requested.",
			fixed, ipCap, len(nodes))
	}
	if len(nodes) > podCap {
		return nil, model.Invalidf("PodCIDR %s holds %d /%d node pod ranges; %d nodes requested.",
			pod, podCap, mask, len(nodes))
	}

	// Keep what still-existing nodes had.
	firstIP := nth(fixed.Addr(), ReservedHosts)
	lastIP := nth(fixed.Addr(), (1<<(32-fixed.Bits()))-2)
	usedIP := make(map[netip.Addr]string)
	usedPod := make(map[netip.Prefix]string)
	out := make([]Assignment, len(nodes))
	for i, n := range nodes {
		a := Assignment{Name: n.name, Role: n.role}
		old, ok := in.Existing[n.name]
		if ok {
			if old.Name != "" && old.Name != n.name {
				return nil, model.Invalidf("Existing[%q] is the assignment of node %q.", n.name, old.Name)
			}
			if old.IP.IsValid() {
				ip := old.IP.Unmap()
				if !fixed.Contains(ip) {
					return nil, model.Invalidf("Existing[%q].IP %s is outside FixedCIDR %s.", n.name, ip, fixed)
				}
				if ip.Less(firstIP) || lastIP.Less(ip) {
					return nil, model.Invalidf("Existing[%q].IP %s is a reserved address of FixedCIDR %s (nodes use %s–%s).",
						n.name, ip, fixed, firstIP, lastIP)
				}
				if other, dup := usedIP[ip]; dup {
					return nil, model.Invalidf("Existing[%q].IP %s is also node %q's.", n.name, ip, other)
				}
				usedIP[ip] = n.name
				a.IP = ip
			}
			if old.PodCIDR.IsValid() {
				p := old.PodCIDR
				if !p.Addr().Is4() && !p.Addr().Is4In6() {
					return nil, model.Invalidf("Existing[%q].PodCIDR %s is not IPv4.", n.name, p)
				}
				if p.Addr().Is4In6() {
					p = netip.PrefixFrom(p.Addr().Unmap(), p.Bits()-96)
				}
				if p.Bits() != mask || p.Masked() != p || !pod.Contains(p.Addr()) {
					return nil, model.Invalidf("Existing[%q].PodCIDR %s is not a /%d of PodCIDR %s.", n.name, p, mask, pod)
				}
				if other, dup := usedPod[p]; dup {
					return nil, model.Invalidf("Existing[%q].PodCIDR %s is also node %q's.", n.name, p, other)
				}
				usedPod[p] = n.name
				a.PodCIDR = p
			}
		}
		out[i] = a
	}

	// New nodes fill the lowest free slots, in node order.
	nextIP, nextPod := 0, 0
	for i := range out {
		if !out[i].IP.IsValid() {
			for {
				ip := nth(firstIP, nextIP)
				nextIP++
				if _, used := usedIP[ip]; !used {
					usedIP[ip] = out[i].Name
					out[i].IP = ip
					break
				}
			}
		}
		if !out[i].PodCIDR.IsValid() {
			for {
				p := netip.PrefixFrom(nth(pod.Addr(), nextPod<<(32-mask)), mask)
				nextPod++
				if _, used := usedPod[p]; !used {
					usedPod[p] = out[i].Name
					out[i].PodCIDR = p
					break
				}
			}
		}
	}

	return &Network{
		FixedCIDR:    fixed,
		PodCIDR:      pod,
		ServiceCIDR:  svc,
		NodeMaskSize: mask,
		Gateway:      nth(fixed.Addr(), 1),
		APIServiceIP: nth(svc.Addr(), 1),
		ClusterDNS:   nth(svc.Addr(), clusterDNSOffset),
		Nodes:        out,
	}, nil
}

// parseCIDR parses an IPv4 network in CIDR form; empty means def.
func parseCIDR(field, s, def string) (netip.Prefix, error) {
	if s == "" {
		s = def
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, model.Invalidf("%s %q is not a CIDR such as %s.", field, s, def)
	}
	if !p.Addr().Is4() {
		return netip.Prefix{}, model.Invalidf("%s %s is not IPv4; only IPv4 clusters are supported.", field, p)
	}
	if p.Masked() != p {
		return netip.Prefix{}, model.Invalidf("%s %s has host bits set; did you mean %s?", field, p, p.Masked())
	}
	return p, nil
}

// nth returns the IPv4 address n after a. Callers keep the result inside a
// prefix they have sized, so it does not wrap.
func nth(a netip.Addr, n int) netip.Addr {
	b := a.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	v += uint32(n)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// String is for logs.
func (a Assignment) String() string {
	return fmt.Sprintf("%s (%s) %s pods %s", a.Name, a.Role, a.IP, a.PodCIDR)
}
