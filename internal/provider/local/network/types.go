package network

import "net/netip"

// Device owners, as Neutron names them.
const (
	OwnerRouterInterface = "network:router_interface"
	OwnerRouterGateway   = "network:router_gateway"
	OwnerFloatingIP      = "network:floatingip"
	OwnerCompute         = "compute:nova"
	OwnerLoadBalancer    = "Octavia"
)

// Port statuses.
const (
	StatusActive = "ACTIVE"
	StatusDown   = "DOWN"
)

// Network is a Neutron network: one Linux bridge, alone in a network
// namespace of its own.
type Network struct {
	ID        string `json:"id"`
	Name      string `json:"name,omitempty"`
	ProjectID string `json:"project_id,omitempty"`
	// External marks the network that carries router gateways and floating
	// IPs ("public"); the host has an address on it.
	External bool `json:"external,omitempty"`
	// MTU is the bridge's and the ports' MTU; 0 means 1500.
	MTU int `json:"mtu,omitempty"`
	// Netns is the path of the namespace holding the bridge. Output only.
	Netns string `json:"-"`
}

// AddressRange is an inclusive range of addresses: an allocation pool.
type AddressRange struct {
	Start netip.Addr `json:"start"`
	End   netip.Addr `json:"end"`
}

// Subnet is a Neutron subnet: an IPv4 CIDR on a network, with the pools that
// fixed IPs are allocated from.
type Subnet struct {
	ID        string       `json:"id"`
	NetworkID string       `json:"network_id"`
	Name      string       `json:"name,omitempty"`
	ProjectID string       `json:"project_id,omitempty"`
	CIDR      netip.Prefix `json:"cidr"`
	// GatewayIP is the router's address on the subnet. Zero means the first
	// host address, unless NoGateway is set.
	GatewayIP netip.Addr `json:"gateway_ip,omitzero"`
	NoGateway bool       `json:"no_gateway,omitempty"`
	// AllocationPools default to the whole CIDR less the network, broadcast
	// and gateway addresses.
	AllocationPools []AddressRange `json:"allocation_pools,omitempty"`
	// DNSNameservers are recorded for the machines' resolv.conf.
	DNSNameservers []string `json:"dns_nameservers,omitempty"`
}

// FixedIP is one address of a port.
type FixedIP struct {
	SubnetID  string     `json:"subnet_id"`
	IPAddress netip.Addr `json:"ip_address"`
}

// Port is a Neutron port: fixed IPs and a MAC address on a network and,
// once plugged, a veth pair between the network's bridge and a namespace.
type Port struct {
	ID        string `json:"id"`
	NetworkID string `json:"network_id"`
	Name      string `json:"name,omitempty"`
	ProjectID string `json:"project_id,omitempty"`
	// DeviceID is the owner: a server, router or load balancer id.
	// Reconcile keeps a port whose owner is known.
	DeviceID    string `json:"device_id,omitempty"`
	DeviceOwner string `json:"device_owner,omitempty"`
	// MAC defaults to an fa:16:3e address derived from the id.
	MAC string `json:"mac_address,omitempty"`
	// FixedIPs name a subnet and optionally an address; with none, one
	// address is allocated on the network's first subnet.
	FixedIPs []FixedIP `json:"fixed_ips,omitempty"`
	// NoPortSecurity turns security groups and anti-spoofing off for the
	// port (Neutron's port_security_enabled=false).
	NoPortSecurity bool `json:"no_port_security,omitempty"`
	// SecurityGroups apply to the port; none means the project's default
	// group, which admits traffic from its own members only.
	SecurityGroups []string `json:"security_groups,omitempty"`
	// AllowedAddressPairs are extra source addresses the port may use.
	AllowedAddressPairs []netip.Prefix `json:"allowed_address_pairs,omitempty"`
	// Binding is where the port is plugged; nil when it is not.
	Binding *Binding `json:"binding,omitempty"`
	// Status is ACTIVE when plugged, DOWN otherwise. Output only.
	Status string `json:"-"`
}

// Binding says where a port is plugged.
type Binding struct {
	// Netns is the path of the namespace that receives the port's interface.
	Netns string `json:"netns"`
	// IfName is the interface's name there; it defaults to eth0.
	IfName string `json:"ifname,omitempty"`
	// DefaultRoute adds a default route via the subnet's gateway.
	DefaultRoute bool `json:"default_route,omitempty"`
}

// Gateway is a router's external gateway.
type Gateway struct {
	NetworkID string `json:"network_id"`
	// DisableSNAT turns off source NAT of internal traffic to the gateway
	// address (Neutron's enable_snat=false).
	DisableSNAT bool `json:"disable_snat,omitempty"`
	// PortID and IP are the gateway port and its address. Output only.
	PortID string     `json:"port_id,omitempty"`
	IP     netip.Addr `json:"ip,omitzero"`
}

// RouterInterface attaches a router to a subnet, through the subnet's
// gateway address or through a given port.
type RouterInterface struct {
	SubnetID string `json:"subnet_id,omitempty"`
	PortID   string `json:"port_id,omitempty"`
}

// Router is a Neutron router: a namespace with one interface per attached
// subnet and, optionally, one on the external network.
type Router struct {
	ID         string            `json:"id"`
	Name       string            `json:"name,omitempty"`
	ProjectID  string            `json:"project_id,omitempty"`
	Gateway    *Gateway          `json:"external_gateway_info,omitempty"`
	Interfaces []RouterInterface `json:"interfaces,omitempty"`
	// Routes are the router's extra routes: those of every route set on
	// it, sorted. Output only.
	Routes []Route `json:"-"`
	// Netns is the path of the router's namespace. Output only.
	Netns string `json:"-"`
}

// Route is an extra route of a router (Neutron's extraroute): packets for
// Destination go to Nexthop, an address on a subnet the router has an
// interface on.
type Route struct {
	Destination netip.Prefix `json:"destination"`
	Nexthop     netip.Addr   `json:"nexthop"`
}

// RouteSet is extra routes of one router that one owner manages, such as
// an OS::Neutron::ExtraRouteSet. The router routes the union of its route
// sets; a route belongs to one route set at most, and a destination has
// one nexthop in a route set.
type RouteSet struct {
	ID       string  `json:"id"`
	RouterID string  `json:"router_id"`
	Routes   []Route `json:"routes,omitempty"`
}

// Rule directions.
const (
	Ingress = "ingress"
	Egress  = "egress"
)

// Rule is a security group rule, with Neutron's fields. Protocol is empty
// (any), a name (tcp, udp, icmp) or a number. For tcp and udp the port range
// bounds the destination port; for icmp PortRangeMin and PortRangeMax are the
// type and code. At most one of RemoteIPPrefix and RemoteGroupID is set.
type Rule struct {
	ID             string `json:"id,omitempty"`
	Direction      string `json:"direction"`
	Ethertype      string `json:"ethertype,omitempty"`
	Protocol       string `json:"protocol,omitempty"`
	PortRangeMin   int    `json:"port_range_min,omitempty"`
	PortRangeMax   int    `json:"port_range_max,omitempty"`
	RemoteIPPrefix string `json:"remote_ip_prefix,omitempty"`
	RemoteGroupID  string `json:"remote_group_id,omitempty"`
}

// SecurityGroup is a Neutron security group.
type SecurityGroup struct {
	ID        string `json:"id"`
	Name      string `json:"name,omitempty"`
	ProjectID string `json:"project_id,omitempty"`
	Rules     []Rule `json:"rules,omitempty"`
}

// DefaultGroupRules are the rules of Neutron's default group: ingress from
// members of the group itself, and any egress.
func DefaultGroupRules(groupID string) []Rule {
	return []Rule{
		{Direction: Ingress, Ethertype: "IPv4", RemoteGroupID: groupID},
		{Direction: Egress, Ethertype: "IPv4"},
	}
}

// FloatingIP is an address of the external network translated to a port's
// fixed IP.
type FloatingIP struct {
	ID                string     `json:"id"`
	ProjectID         string     `json:"project_id,omitempty"`
	FloatingNetworkID string     `json:"floating_network_id"`
	FloatingIPAddress netip.Addr `json:"floating_ip_address,omitzero"`
	PortID            string     `json:"port_id,omitempty"`
	FixedIPAddress    netip.Addr `json:"fixed_ip_address,omitzero"`
	// RouterID is the router that translates the address. Output only.
	RouterID string `json:"router_id,omitempty"`
}
