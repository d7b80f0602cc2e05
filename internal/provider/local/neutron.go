package local

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/hot"
	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/provider/local/network"
)

// The Neutron types. Each resource's physical id is the id the engine
// reserved, so that the object is found again after a crash; creating
// again what exists returns it, and deleting what is gone succeeds.

// netPlugin is OS::Neutron::Net: a bridge in a namespace of its own.
type netPlugin struct{ p *Provider }

func (netPlugin) Schema() *hot.Schema { return schemaOf("OS::Neutron::Net") }

func (n netPlugin) Create(ctx context.Context, r *resources.Resource) (string, error) {
	mtu := toInt(dict(r.Properties["value_specs"])["mtu"], 0)
	if _, err := n.p.net.CreateNetwork(ctx, network.Network{
		ID: r.PhysicalID, Name: physicalName(r), ProjectID: r.Stack.ProjectID, MTU: mtu,
	}); err != nil {
		return "", err
	}
	return r.PhysicalID, nil
}

// Update accepts the changes Neutron makes in place; the local network has
// nothing that depends on them.
func (netPlugin) Update(context.Context, *resources.Resource, *resources.Resource) error { return nil }

func (n netPlugin) Delete(ctx context.Context, r *resources.Resource) error {
	return n.p.net.DeleteNetwork(ctx, r.PhysicalID)
}

func (n netPlugin) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	if _, err := n.p.net.GetNetwork(ctx, r.PhysicalID); err != nil {
		return false, nil
	}
	_, err := n.Create(ctx, r)
	return err == nil, err
}

func (n netPlugin) Attributes(ctx context.Context, r *resources.Resource) (map[string]any, error) {
	net, err := n.p.net.GetNetwork(ctx, r.PhysicalID)
	if err != nil {
		return nil, err
	}
	subnets := []any{}
	for _, s := range n.p.net.ListSubnets(ctx, net.ID) {
		subnets = append(subnets, s.ID)
	}
	mtu := net.MTU
	if mtu == 0 {
		mtu = 1500
	}
	return map[string]any{
		"status": "ACTIVE", "name": physicalName(r), "subnets": subnets,
		"admin_state_up": boolean(r.Properties, "admin_state_up", true), "tenant_id": net.ProjectID,
		"port_security_enabled": boolean(r.Properties, "port_security_enabled", true), "mtu": mtu,
		"qos_policy_id": nil, "l2_adjacency": true, "segments": []any{},
	}, nil
}

// subnetPlugin is OS::Neutron::Subnet: an IPv4 CIDR and its address pool.
type subnetPlugin struct{ p *Provider }

func (subnetPlugin) Schema() *hot.Schema { return schemaOf("OS::Neutron::Subnet") }

// subnetSpec turns a Subnet resource's properties into the network
// manager's subnet.
func (s subnetPlugin) subnetSpec(ctx context.Context, r *resources.Resource) (network.Subnet, error) {
	props := r.Properties
	if integer(props, "ip_version", 4) != 4 {
		return network.Subnet{}, model.Invalidf("The local provider supports IPv4 subnets only.")
	}
	for _, unsupported := range []string{"subnetpool", "prefixlen", "ipv6_address_mode", "ipv6_ra_mode", "segment"} {
		if str(props, unsupported) != "" {
			return network.Subnet{}, model.Invalidf("The property %s is not supported by the local provider.", unsupported)
		}
	}
	if len(list(props, "host_routes")) > 0 {
		return network.Subnet{}, model.Invalidf("The property host_routes is not supported by the local provider.")
	}
	netRef := str(props, "network")
	if netRef == "" {
		netRef = str(props, "network_id")
	}
	net, err := s.p.networkRef(ctx, r.Stack.ProjectID, netRef)
	if err != nil {
		return network.Subnet{}, err
	}
	cidr, err := netip.ParsePrefix(str(props, "cidr"))
	if err != nil {
		return network.Subnet{}, model.Invalidf("Invalid input for cidr: %q is not a valid CIDR.", str(props, "cidr"))
	}
	sub := network.Subnet{ID: r.PhysicalID, NetworkID: net.ID, Name: physicalName(r), ProjectID: r.Stack.ProjectID,
		CIDR: cidr, DNSNameservers: stringList(props, "dns_nameservers")}
	if has(props, "gateway_ip") {
		gw := str(props, "gateway_ip")
		if gw == "" {
			sub.NoGateway = true
		} else if sub.GatewayIP, err = netip.ParseAddr(gw); err != nil {
			return network.Subnet{}, model.Invalidf("Invalid input for gateway_ip: %q is not an IP address.", gw)
		}
	}
	for _, raw := range list(props, "allocation_pools") {
		m := dict(raw)
		start, err1 := netip.ParseAddr(str(m, "start"))
		end, err2 := netip.ParseAddr(str(m, "end"))
		if err1 != nil || err2 != nil {
			return network.Subnet{}, model.Invalidf("Invalid input for allocation_pools: %v.", raw)
		}
		sub.AllocationPools = append(sub.AllocationPools, network.AddressRange{Start: start, End: end})
	}
	return sub, nil
}

func (s subnetPlugin) Create(ctx context.Context, r *resources.Resource) (string, error) {
	sub, err := s.subnetSpec(ctx, r)
	if err != nil {
		return "", err
	}
	if _, err := s.p.net.CreateSubnet(ctx, sub); err != nil {
		return "", err
	}
	return r.PhysicalID, nil
}

// Update accepts a new name and enable_dhcp; the addresses of a local
// subnet cannot change under its ports.
func (s subnetPlugin) Update(_ context.Context, r, old *resources.Resource) error {
	for _, name := range []string{"dns_nameservers", "gateway_ip", "allocation_pools", "host_routes"} {
		if !sameValue(r.Properties[name], old.Properties[name]) {
			return model.Invalidf("Changing %s of a subnet is not supported by the local provider; replace the subnet.", name)
		}
	}
	return nil
}

// sameValue compares two property values.
func sameValue(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

func (s subnetPlugin) Delete(ctx context.Context, r *resources.Resource) error {
	return s.p.net.DeleteSubnet(ctx, r.PhysicalID)
}

func (s subnetPlugin) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	_, err := s.p.net.GetSubnet(ctx, r.PhysicalID)
	return err == nil, nil
}

func (s subnetPlugin) Attributes(ctx context.Context, r *resources.Resource) (map[string]any, error) {
	sub, err := s.p.net.GetSubnet(ctx, r.PhysicalID)
	if err != nil {
		return nil, err
	}
	return subnetAttrs(sub, physicalName(r), boolean(r.Properties, "enable_dhcp", true)), nil
}

func subnetAttrs(sub network.Subnet, name string, dhcp bool) map[string]any {
	pools := []any{}
	for _, p := range sub.AllocationPools {
		pools = append(pools, map[string]any{"start": p.Start.String(), "end": p.End.String()})
	}
	dns := []any{}
	for _, d := range sub.DNSNameservers {
		dns = append(dns, d)
	}
	var gw any
	if sub.GatewayIP.IsValid() && !sub.NoGateway {
		gw = sub.GatewayIP.String()
	}
	return map[string]any{
		"name": name, "network_id": sub.NetworkID, "tenant_id": sub.ProjectID, "allocation_pools": pools,
		"gateway_ip": gw, "host_routes": []any{}, "ip_version": 4, "cidr": sub.CIDR.String(),
		"dns_nameservers": dns, "enable_dhcp": dhcp, "segment_id": nil, "id": sub.ID,
	}
}

// routerPlugin is OS::Neutron::Router: a namespace that routes between its
// subnets and, through its gateway, to the public network.
type routerPlugin struct{ p *Provider }

func (routerPlugin) Schema() *hot.Schema { return schemaOf("OS::Neutron::Router") }

// gateway reads external_gateway_info.
func (rp routerPlugin) gateway(ctx context.Context, r *resources.Resource) (*network.Gateway, error) {
	info := dict(r.Properties["external_gateway_info"])
	if len(info) == 0 {
		return nil, nil
	}
	if len(list(info, "external_fixed_ips")) > 0 {
		return nil, model.Invalidf("external_fixed_ips is not supported by the local provider.")
	}
	net, err := rp.p.networkRef(ctx, r.Stack.ProjectID, str(info, "network"))
	if err != nil {
		return nil, err
	}
	return &network.Gateway{NetworkID: net.ID, DisableSNAT: !boolean(info, "enable_snat", true)}, nil
}

func (rp routerPlugin) Create(ctx context.Context, r *resources.Resource) (string, error) {
	gw, err := rp.gateway(ctx, r)
	if err != nil {
		return "", err
	}
	if _, err := rp.p.net.CreateRouter(ctx, network.Router{ID: r.PhysicalID, Name: physicalName(r),
		ProjectID: r.Stack.ProjectID, Gateway: gw}); err != nil {
		return "", err
	}
	return r.PhysicalID, nil
}

func (rp routerPlugin) Update(ctx context.Context, r, old *resources.Resource) error {
	if sameValue(r.Properties["external_gateway_info"], old.Properties["external_gateway_info"]) {
		return nil
	}
	gw, err := rp.gateway(ctx, r)
	if err != nil {
		return err
	}
	_, err = rp.p.net.SetRouterGateway(ctx, r.PhysicalID, gw)
	return err
}

func (rp routerPlugin) Delete(ctx context.Context, r *resources.Resource) error {
	return rp.p.net.DeleteRouter(ctx, r.PhysicalID)
}

func (rp routerPlugin) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	if _, err := rp.p.net.GetRouter(ctx, r.PhysicalID); err != nil {
		return false, nil
	}
	_, err := rp.Create(ctx, r)
	return err == nil, err
}

func (rp routerPlugin) Attributes(ctx context.Context, r *resources.Resource) (map[string]any, error) {
	rt, err := rp.p.net.GetRouter(ctx, r.PhysicalID)
	if err != nil {
		return nil, err
	}
	var gw any
	if rt.Gateway != nil {
		gw = map[string]any{
			"network_id": rt.Gateway.NetworkID, "enable_snat": !rt.Gateway.DisableSNAT,
			"external_fixed_ips": []any{map[string]any{"subnet_id": publicNetworkID + "-subnet", "ip_address": rt.Gateway.IP.String()}},
		}
	}
	return map[string]any{
		"status": "ACTIVE", "external_gateway_info": gw, "name": physicalName(r),
		"admin_state_up": boolean(r.Properties, "admin_state_up", true), "tenant_id": rt.ProjectID,
	}, nil
}

// routerRef resolves a router by id or name.
func (p *Provider) routerRef(ctx context.Context, project, ref string) (network.Router, error) {
	if rt, err := p.net.GetRouter(ctx, ref); err == nil {
		return rt, nil
	}
	var found []network.Router
	for _, rt := range p.net.ListRouters(ctx) {
		if rt.Name == ref && ref != "" && (project == "" || rt.ProjectID == project) {
			found = append(found, rt)
		}
	}
	switch len(found) {
	case 0:
		return network.Router{}, model.NotFoundf("Unable to find router with name or id '%s'", ref)
	case 1:
		return found[0], nil
	}
	return network.Router{}, model.Conflictf("Multiple router matches found for name '%s', use an ID to be more specific.", ref)
}

// routerInterface is the record of an OS::Neutron::RouterInterface: which
// interface of which router it made.
type routerInterface struct {
	Router string `json:"router"`
	Subnet string `json:"subnet,omitempty"`
	Port   string `json:"port,omitempty"`
	// ByPort says the interface was made from a given port.
	ByPort bool `json:"by_port,omitempty"`
}

// routerInterfacePlugin is OS::Neutron::RouterInterface.
type routerInterfacePlugin struct{ p *Provider }

func (routerInterfacePlugin) Schema() *hot.Schema { return schemaOf("OS::Neutron::RouterInterface") }

// target resolves the router and the subnet or port.
func (ri routerInterfacePlugin) target(ctx context.Context, r *resources.Resource) (*routerInterface, error) {
	props := r.Properties
	ref := str(props, "router")
	if ref == "" {
		ref = str(props, "router_id")
	}
	rt, err := ri.p.routerRef(ctx, r.Stack.ProjectID, ref)
	if err != nil {
		return nil, err
	}
	rec := &routerInterface{Router: rt.ID}
	subRef, portRef := str(props, "subnet"), str(props, "port")
	if subRef == "" {
		subRef = str(props, "subnet_id")
	}
	if portRef == "" {
		portRef = str(props, "port_id")
	}
	switch {
	case subRef != "" && portRef != "":
		return nil, model.Invalidf("Only one of subnet and port may be given.")
	case subRef != "":
		sub, err := ri.p.subnetRef(ctx, r.Stack.ProjectID, subRef)
		if err != nil {
			return nil, err
		}
		rec.Subnet = sub.ID
	case portRef != "":
		port, err := ri.p.portRef(ctx, r.Stack.ProjectID, portRef)
		if err != nil {
			return nil, err
		}
		rec.Port, rec.ByPort = port.ID, true
	default:
		return nil, model.Invalidf("Either subnet or port must be specified.")
	}
	return rec, nil
}

func (ri routerInterfacePlugin) Create(ctx context.Context, r *resources.Resource) (string, error) {
	rec, err := ri.target(ctx, r)
	if err != nil {
		return "", err
	}
	// The record comes first: after a crash it names what may exist.
	if err := ri.p.putRecord(ctx, kindRouterInterface, r.PhysicalID, rec); err != nil {
		return "", err
	}
	got, err := ri.p.net.AddRouterInterface(ctx, rec.Router, network.RouterInterface{SubnetID: rec.Subnet, PortID: rec.Port})
	if err != nil {
		return "", err
	}
	rec.Subnet, rec.Port = got.SubnetID, got.PortID
	if err := ri.p.putRecord(ctx, kindRouterInterface, r.PhysicalID, rec); err != nil {
		return "", err
	}
	return r.PhysicalID, nil
}

// Update is never called: no property is updatable.
func (routerInterfacePlugin) Update(context.Context, *resources.Resource, *resources.Resource) error {
	return nil
}

func (ri routerInterfacePlugin) Delete(ctx context.Context, r *resources.Resource) error {
	rec, ok, err := getRecord[routerInterface](ctx, ri.p, kindRouterInterface, r.PhysicalID)
	if err != nil {
		return err
	}
	if !ok {
		return nil
	}
	if err := ri.p.removeInterface(ctx, rec); err != nil {
		return err
	}
	return ri.p.deleteRecord(ctx, kindRouterInterface, r.PhysicalID)
}

// removeInterface removes the interface a RouterInterface made.
func (p *Provider) removeInterface(ctx context.Context, rec *routerInterface) error {
	ri := network.RouterInterface{SubnetID: rec.Subnet}
	if rec.ByPort {
		ri = network.RouterInterface{PortID: rec.Port}
	}
	if ri.SubnetID == "" && ri.PortID == "" {
		return nil
	}
	return p.net.RemoveRouterInterface(ctx, rec.Router, ri)
}

func (ri routerInterfacePlugin) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	rec, ok, err := getRecord[routerInterface](ctx, ri.p, kindRouterInterface, r.PhysicalID)
	if err != nil || !ok {
		return false, err
	}
	rt, err := ri.p.net.GetRouter(ctx, rec.Router)
	if err != nil {
		return false, nil
	}
	return slices.ContainsFunc(rt.Interfaces, func(h network.RouterInterface) bool {
		return (rec.Subnet != "" && h.SubnetID == rec.Subnet) || (rec.Port != "" && h.PortID == rec.Port)
	}), nil
}

func (routerInterfacePlugin) Attributes(context.Context, *resources.Resource) (map[string]any, error) {
	return map[string]any{}, nil
}

// portPlugin is OS::Neutron::Port: fixed IPs and a MAC address; a server
// that names it plugs it into its machine.
type portPlugin struct{ p *Provider }

func (portPlugin) Schema() *hot.Schema { return schemaOf("OS::Neutron::Port") }

// fixedIPs reads a fixed_ips list.
func (p *Provider) fixedIPs(ctx context.Context, project string, raw []any) ([]network.FixedIP, error) {
	var out []network.FixedIP
	for _, item := range raw {
		m := dict(item)
		var f network.FixedIP
		ref := str(m, "subnet")
		if ref == "" {
			ref = str(m, "subnet_id")
		}
		if ref != "" {
			sub, err := p.subnetRef(ctx, project, ref)
			if err != nil {
				return nil, err
			}
			f.SubnetID = sub.ID
		}
		if a := str(m, "ip_address"); a != "" {
			addr, err := netip.ParseAddr(a)
			if err != nil {
				return nil, model.Invalidf("Invalid input for fixed_ips: %q is not an IP address.", a)
			}
			f.IPAddress = addr
		}
		out = append(out, f)
	}
	return out, nil
}

// addressPairs reads allowed_address_pairs.
func addressPairs(raw []any) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, item := range raw {
		a := str(dict(item), "ip_address")
		pfx, err := netip.ParsePrefix(a)
		if err != nil {
			addr, aerr := netip.ParseAddr(a)
			if aerr != nil {
				return nil, model.Invalidf("Invalid input for allowed_address_pairs: %q is not an IP address or CIDR.", a)
			}
			pfx = netip.PrefixFrom(addr, addr.BitLen())
		}
		out = append(out, pfx)
	}
	return out, nil
}

func (pp portPlugin) Create(ctx context.Context, r *resources.Resource) (string, error) {
	props := r.Properties
	if boolean(props, "no_fixed_ips", false) {
		return "", model.Invalidf("Ports without fixed IPs are not supported by the local provider.")
	}
	ref := str(props, "network")
	if ref == "" {
		ref = str(props, "network_id")
	}
	net, err := pp.p.networkRef(ctx, r.Stack.ProjectID, ref)
	if err != nil {
		return "", err
	}
	fixed, err := pp.p.fixedIPs(ctx, r.Stack.ProjectID, list(props, "fixed_ips"))
	if err != nil {
		return "", err
	}
	groups, err := pp.p.groupRefs(ctx, r.Stack.ProjectID, stringList(props, "security_groups"))
	if err != nil {
		return "", err
	}
	pairs, err := addressPairs(list(props, "allowed_address_pairs"))
	if err != nil {
		return "", err
	}
	_, err = pp.p.net.CreatePort(ctx, network.Port{
		ID: r.PhysicalID, NetworkID: net.ID, Name: physicalName(r), ProjectID: r.Stack.ProjectID,
		DeviceID: str(props, "device_id"), DeviceOwner: str(props, "device_owner"), MAC: str(props, "mac_address"),
		FixedIPs: fixed, NoPortSecurity: has(props, "port_security_enabled") && !boolean(props, "port_security_enabled", true),
		SecurityGroups: groups, AllowedAddressPairs: pairs,
	})
	if err != nil {
		return "", err
	}
	return r.PhysicalID, nil
}

func (pp portPlugin) Update(ctx context.Context, r, old *resources.Resource) error {
	props := r.Properties
	if !sameValue(props["fixed_ips"], old.Properties["fixed_ips"]) {
		return model.Invalidf("Changing the fixed IPs of a port is not supported by the local provider; replace the port.")
	}
	groups, err := pp.p.groupRefs(ctx, r.Stack.ProjectID, stringList(props, "security_groups"))
	if err != nil {
		return err
	}
	pairs, err := addressPairs(list(props, "allowed_address_pairs"))
	if err != nil {
		return err
	}
	_, err = pp.p.net.UpdatePort(ctx, network.Port{ID: r.PhysicalID, Name: physicalName(r), SecurityGroups: groups,
		NoPortSecurity:      has(props, "port_security_enabled") && !boolean(props, "port_security_enabled", true),
		AllowedAddressPairs: pairs})
	return err
}

func (pp portPlugin) Delete(ctx context.Context, r *resources.Resource) error {
	return pp.p.net.DeletePort(ctx, r.PhysicalID)
}

func (pp portPlugin) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	_, err := pp.p.net.GetPort(ctx, r.PhysicalID)
	return err == nil, nil
}

func (pp portPlugin) Attributes(ctx context.Context, r *resources.Resource) (map[string]any, error) {
	port, err := pp.p.net.GetPort(ctx, r.PhysicalID)
	if err != nil {
		return nil, err
	}
	return pp.p.portAttrs(ctx, port), nil
}

// portAttrs are a port's attributes, with Neutron's names.
func (p *Provider) portAttrs(ctx context.Context, port network.Port) map[string]any {
	fixed := []any{}
	subnets := []any{}
	for _, f := range port.FixedIPs {
		fixed = append(fixed, map[string]any{"subnet_id": f.SubnetID, "ip_address": f.IPAddress.String()})
		if sub, err := p.net.GetSubnet(ctx, f.SubnetID); err == nil {
			subnets = append(subnets, subnetAttrs(sub, sub.Name, true))
		}
	}
	groups := []any{}
	for _, g := range port.SecurityGroups {
		groups = append(groups, g)
	}
	pairs := []any{}
	for _, a := range port.AllowedAddressPairs {
		pairs = append(pairs, map[string]any{"ip_address": a.String(), "mac_address": port.MAC})
	}
	var net any
	if n, err := p.net.GetNetwork(ctx, port.NetworkID); err == nil {
		net = map[string]any{"id": n.ID, "name": n.Name, "tenant_id": n.ProjectID, "status": "ACTIVE"}
	}
	return map[string]any{
		"admin_state_up": true, "device_id": port.DeviceID, "device_owner": port.DeviceOwner,
		"fixed_ips": fixed, "mac_address": port.MAC, "name": port.Name, "network_id": port.NetworkID,
		"security_groups": groups, "status": port.Status, "tenant_id": port.ProjectID,
		"allowed_address_pairs": pairs, "subnets": subnets, "port_security_enabled": !port.NoPortSecurity,
		"qos_policy_id": nil, "dns_assignment": []any{}, "network": net,
	}
}

// securityGroupPlugin is OS::Neutron::SecurityGroup: nftables rules on
// the bridges of the networks its ports are on.
type securityGroupPlugin struct{ p *Provider }

func (securityGroupPlugin) Schema() *hot.Schema { return schemaOf("OS::Neutron::SecurityGroup") }

// rule reads one rule as Heat and Neutron define it. self is the group the
// rule belongs to, which remote_mode remote_group_id without a group means.
func (p *Provider) rule(ctx context.Context, project string, m map[string]any, id, self string, withMode bool) (network.Rule, error) {
	rule := network.Rule{ID: id, Direction: str(m, "direction"), Ethertype: str(m, "ethertype"),
		Protocol: strings.ToLower(str(m, "protocol")), PortRangeMin: integer(m, "port_range_min", 0),
		PortRangeMax: integer(m, "port_range_max", 0)}
	if rule.Direction == "" {
		rule.Direction = network.Ingress
	}
	if rule.Ethertype == "" {
		rule.Ethertype = "IPv4"
	}
	remoteGroup := str(m, "remote_group_id")
	if withMode && str(m, "remote_mode") != "remote_group_id" {
		remoteGroup = ""
	}
	switch {
	case withMode && str(m, "remote_mode") == "remote_group_id" && remoteGroup == "":
		rule.RemoteGroupID = self
	case remoteGroup != "":
		ids, err := p.groupRefs(ctx, project, []string{remoteGroup})
		if err != nil {
			return network.Rule{}, err
		}
		if len(ids) == 0 {
			return network.Rule{}, model.Invalidf("The implicit default group cannot be a remote group.")
		}
		rule.RemoteGroupID = ids[0]
	default:
		rule.RemoteIPPrefix = str(m, "remote_ip_prefix")
	}
	return rule, nil
}

// templateRules are the rules a SecurityGroup resource defines, with
// Neutron's default egress rule unless it defines egress rules itself (as
// Heat does: a group's explicit egress rules replace the defaults).
func (sg securityGroupPlugin) templateRules(ctx context.Context, r *resources.Resource) ([]network.Rule, error) {
	var out []network.Rule
	egress := false
	for i, raw := range list(r.Properties, "rules") {
		rule, err := sg.p.rule(ctx, r.Stack.ProjectID, dict(raw), fmt.Sprintf("%s/%d", r.PhysicalID, i), r.PhysicalID, true)
		if err != nil {
			return nil, err
		}
		egress = egress || rule.Direction == network.Egress
		out = append(out, rule)
	}
	if !egress {
		out = append(out, network.Rule{ID: r.PhysicalID + "/default-egress", Direction: network.Egress, Ethertype: "IPv4"})
	}
	return out, nil
}

func (sg securityGroupPlugin) Create(ctx context.Context, r *resources.Resource) (string, error) {
	rules, err := sg.templateRules(ctx, r)
	if err != nil {
		return "", err
	}
	if _, err := sg.p.net.CreateSecurityGroup(ctx, network.SecurityGroup{ID: r.PhysicalID, Name: physicalName(r),
		ProjectID: r.Stack.ProjectID, Rules: rules}); err != nil {
		return "", err
	}
	return r.PhysicalID, nil
}

// Update replaces the template's rules and keeps those that
// SecurityGroupRule resources added.
func (sg securityGroupPlugin) Update(ctx context.Context, r, _ *resources.Resource) error {
	cur, err := sg.p.net.GetSecurityGroup(ctx, r.PhysicalID)
	if err != nil {
		return err
	}
	rules, err := sg.templateRules(ctx, r)
	if err != nil {
		return err
	}
	for _, rule := range cur.Rules {
		if !strings.HasPrefix(rule.ID, r.PhysicalID+"/") {
			rules = append(rules, rule)
		}
	}
	_, err = sg.p.net.UpdateSecurityGroup(ctx, network.SecurityGroup{ID: r.PhysicalID, Name: physicalName(r),
		ProjectID: r.Stack.ProjectID, Rules: rules})
	return err
}

func (sg securityGroupPlugin) Delete(ctx context.Context, r *resources.Resource) error {
	return sg.p.net.DeleteSecurityGroup(ctx, r.PhysicalID)
}

func (sg securityGroupPlugin) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	_, err := sg.p.net.GetSecurityGroup(ctx, r.PhysicalID)
	return err == nil, nil
}

func (sg securityGroupPlugin) Attributes(ctx context.Context, r *resources.Resource) (map[string]any, error) {
	g, err := sg.p.net.GetSecurityGroup(ctx, r.PhysicalID)
	if err != nil {
		return nil, err
	}
	rules := []any{}
	for _, rule := range g.Rules {
		rules = append(rules, ruleAttrs(rule, g.ID))
	}
	return map[string]any{"name": g.Name, "tenant_id": g.ProjectID, "rules": rules}, nil
}

func ruleAttrs(rule network.Rule, group string) map[string]any {
	return map[string]any{
		"id": rule.ID, "security_group_id": group, "direction": rule.Direction, "ethertype": rule.Ethertype,
		"protocol": rule.Protocol, "port_range_min": rule.PortRangeMin, "port_range_max": rule.PortRangeMax,
		"remote_ip_prefix": rule.RemoteIPPrefix, "remote_group_id": rule.RemoteGroupID,
	}
}

// securityGroupRulePlugin is OS::Neutron::SecurityGroupRule: one rule
// added to a group.
type securityGroupRulePlugin struct{ p *Provider }

func (securityGroupRulePlugin) Schema() *hot.Schema {
	return schemaOf("OS::Neutron::SecurityGroupRule")
}

func (sr securityGroupRulePlugin) Create(ctx context.Context, r *resources.Resource) (string, error) {
	ids, err := sr.p.groupRefs(ctx, r.Stack.ProjectID, []string{str(r.Properties, "security_group")})
	if err != nil {
		return "", err
	}
	if len(ids) == 0 {
		return "", model.Invalidf("Rules of the implicit default group cannot change on the local provider.")
	}
	rule, err := sr.p.rule(ctx, r.Stack.ProjectID, r.Properties, r.PhysicalID, ids[0], false)
	if err != nil {
		return "", err
	}
	g, err := sr.p.net.GetSecurityGroup(ctx, ids[0])
	if err != nil {
		return "", err
	}
	g.Rules = slices.DeleteFunc(g.Rules, func(o network.Rule) bool { return o.ID == rule.ID })
	g.Rules = append(g.Rules, rule)
	if _, err := sr.p.net.UpdateSecurityGroup(ctx, g); err != nil {
		return "", err
	}
	return r.PhysicalID, nil
}

// Update is never called: no property is updatable.
func (securityGroupRulePlugin) Update(context.Context, *resources.Resource, *resources.Resource) error {
	return nil
}

// groupOfRule finds the group that holds the rule id.
func (p *Provider) groupOfRule(ctx context.Context, id string) (network.SecurityGroup, bool) {
	for _, g := range p.net.ListSecurityGroups(ctx) {
		if slices.ContainsFunc(g.Rules, func(o network.Rule) bool { return o.ID == id }) {
			return g, true
		}
	}
	return network.SecurityGroup{}, false
}

func (sr securityGroupRulePlugin) Delete(ctx context.Context, r *resources.Resource) error {
	g, ok := sr.p.groupOfRule(ctx, r.PhysicalID)
	if !ok {
		return nil
	}
	g.Rules = slices.DeleteFunc(g.Rules, func(o network.Rule) bool { return o.ID == r.PhysicalID })
	_, err := sr.p.net.UpdateSecurityGroup(ctx, g)
	return err
}

func (sr securityGroupRulePlugin) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	_, ok := sr.p.groupOfRule(ctx, r.PhysicalID)
	return ok, nil
}

func (sr securityGroupRulePlugin) Attributes(ctx context.Context, r *resources.Resource) (map[string]any, error) {
	g, ok := sr.p.groupOfRule(ctx, r.PhysicalID)
	if !ok {
		return nil, model.NotFoundf("Security group rule %s could not be found.", r.PhysicalID)
	}
	for _, rule := range g.Rules {
		if rule.ID == r.PhysicalID {
			return ruleAttrs(rule, g.ID), nil
		}
	}
	return map[string]any{}, nil
}

// floatingIPPlugin is OS::Neutron::FloatingIP: an address of the public
// network, translated by a router to a port's fixed IP.
type floatingIPPlugin struct{ p *Provider }

func (floatingIPPlugin) Schema() *hot.Schema { return schemaOf("OS::Neutron::FloatingIP") }

// association reads port_id and fixed_ip_address.
func (p *Provider) association(ctx context.Context, project string, props map[string]any) (string, netip.Addr, error) {
	var fixed netip.Addr
	if a := str(props, "fixed_ip_address"); a != "" {
		var err error
		if fixed, err = netip.ParseAddr(a); err != nil {
			return "", netip.Addr{}, model.Invalidf("Invalid input for fixed_ip_address: %q is not an IP address.", a)
		}
	}
	ref := str(props, "port_id")
	if ref == "" {
		return "", fixed, nil
	}
	port, err := p.portRef(ctx, project, ref)
	if err != nil {
		return "", netip.Addr{}, err
	}
	return port.ID, fixed, nil
}

func (fp floatingIPPlugin) Create(ctx context.Context, r *resources.Resource) (string, error) {
	props := r.Properties
	ref := str(props, "floating_network")
	if ref == "" {
		ref = str(props, "floating_network_id")
	}
	net, err := fp.p.networkRef(ctx, r.Stack.ProjectID, ref)
	if err != nil {
		return "", err
	}
	var addr netip.Addr
	if a := str(props, "floating_ip_address"); a != "" {
		if addr, err = netip.ParseAddr(a); err != nil {
			return "", model.Invalidf("Invalid input for floating_ip_address: %q is not an IP address.", a)
		}
	}
	port, fixed, err := fp.p.association(ctx, r.Stack.ProjectID, props)
	if err != nil {
		return "", err
	}
	f, err := fp.p.net.CreateFloatingIP(ctx, network.FloatingIP{ID: r.PhysicalID, ProjectID: r.Stack.ProjectID,
		FloatingNetworkID: net.ID, FloatingIPAddress: addr, PortID: port, FixedIPAddress: fixed})
	if err != nil {
		return "", err
	}
	if f.PortID != port {
		// A create resumed after a crash: the address exists, the
		// association may not.
		if _, err := fp.p.net.AssociateFloatingIP(ctx, f.ID, port, fixed); err != nil {
			return "", err
		}
	}
	return r.PhysicalID, nil
}

func (fp floatingIPPlugin) Update(ctx context.Context, r, _ *resources.Resource) error {
	port, fixed, err := fp.p.association(ctx, r.Stack.ProjectID, r.Properties)
	if err != nil {
		return err
	}
	_, err = fp.p.net.AssociateFloatingIP(ctx, r.PhysicalID, port, fixed)
	return err
}

func (fp floatingIPPlugin) Delete(ctx context.Context, r *resources.Resource) error {
	return fp.p.net.DeleteFloatingIP(ctx, r.PhysicalID)
}

func (fp floatingIPPlugin) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	if _, err := fp.p.net.GetFloatingIP(ctx, r.PhysicalID); err != nil {
		return false, nil
	}
	_, err := fp.Create(ctx, r)
	return err == nil, err
}

func (fp floatingIPPlugin) Attributes(ctx context.Context, r *resources.Resource) (map[string]any, error) {
	f, err := fp.p.net.GetFloatingIP(ctx, r.PhysicalID)
	if err != nil {
		return nil, err
	}
	return fipAttrs(f), nil
}

func fipAttrs(f network.FloatingIP) map[string]any {
	out := map[string]any{
		"router_id": nil, "tenant_id": f.ProjectID, "floating_network_id": f.FloatingNetworkID,
		"fixed_ip_address": nil, "floating_ip_address": f.FloatingIPAddress.String(), "port_id": nil,
	}
	if f.PortID != "" {
		out["router_id"], out["fixed_ip_address"], out["port_id"] = f.RouterID, f.FixedIPAddress.String(), f.PortID
	}
	return out
}

// fipAssociation is the record of an OS::Neutron::FloatingIPAssociation.
type fipAssociation struct {
	FloatingIP string `json:"floatingip_id"`
	Port       string `json:"port_id"`
	Fixed      string `json:"fixed_ip_address,omitempty"`
}

// fipAssociationPlugin is OS::Neutron::FloatingIPAssociation.
type fipAssociationPlugin struct{ p *Provider }

func (fipAssociationPlugin) Schema() *hot.Schema {
	return schemaOf("OS::Neutron::FloatingIPAssociation")
}

func (fa fipAssociationPlugin) apply(ctx context.Context, r *resources.Resource) error {
	port, fixed, err := fa.p.association(ctx, r.Stack.ProjectID, r.Properties)
	if err != nil {
		return err
	}
	fip := str(r.Properties, "floatingip_id")
	if _, err := fa.p.net.GetFloatingIP(ctx, fip); err != nil {
		return err
	}
	old, ok, err := getRecord[fipAssociation](ctx, fa.p, kindFIPAssociation, r.PhysicalID)
	if err != nil {
		return err
	}
	if ok && old.FloatingIP != fip {
		if err := fa.p.disassociate(ctx, old); err != nil {
			return err
		}
	}
	rec := &fipAssociation{FloatingIP: fip, Port: port}
	if fixed.IsValid() {
		rec.Fixed = fixed.String()
	}
	if err := fa.p.putRecord(ctx, kindFIPAssociation, r.PhysicalID, rec); err != nil {
		return err
	}
	_, err = fa.p.net.AssociateFloatingIP(ctx, fip, port, fixed)
	return err
}

// disassociate undoes an association if the floating IP still points where
// it made it point.
func (p *Provider) disassociate(ctx context.Context, rec *fipAssociation) error {
	f, err := p.net.GetFloatingIP(ctx, rec.FloatingIP)
	if err != nil || f.PortID != rec.Port {
		return nil
	}
	_, err = p.net.AssociateFloatingIP(ctx, rec.FloatingIP, "", netip.Addr{})
	return err
}

func (fa fipAssociationPlugin) Create(ctx context.Context, r *resources.Resource) (string, error) {
	if err := fa.apply(ctx, r); err != nil {
		return "", err
	}
	return r.PhysicalID, nil
}

func (fa fipAssociationPlugin) Update(ctx context.Context, r, _ *resources.Resource) error {
	return fa.apply(ctx, r)
}

func (fa fipAssociationPlugin) Delete(ctx context.Context, r *resources.Resource) error {
	rec, ok, err := getRecord[fipAssociation](ctx, fa.p, kindFIPAssociation, r.PhysicalID)
	if err != nil || !ok {
		return err
	}
	if err := fa.p.disassociate(ctx, rec); err != nil {
		return err
	}
	return fa.p.deleteRecord(ctx, kindFIPAssociation, r.PhysicalID)
}

func (fa fipAssociationPlugin) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	rec, ok, err := getRecord[fipAssociation](ctx, fa.p, kindFIPAssociation, r.PhysicalID)
	if err != nil || !ok {
		return false, err
	}
	f, err := fa.p.net.GetFloatingIP(ctx, rec.FloatingIP)
	if errors.Is(err, model.ErrNotFound) {
		return false, nil
	}
	return err == nil && f.PortID == rec.Port, err
}

func (fipAssociationPlugin) Attributes(context.Context, *resources.Resource) (map[string]any, error) {
	return map[string]any{}, nil
}
