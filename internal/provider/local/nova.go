package local

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"unicode"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/hot"
	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/provider"
	"github.com/slipway/slipway/internal/provider/local/machine"
	"github.com/slipway/slipway/internal/provider/local/network"
)

// serverPlugin is OS::Nova::Server: a machine (namespaces, a root of its
// own, a cgroup sized by the flavor) booted by `slipway node` with the
// server's user_data, with its ports plugged into its network namespace.
type serverPlugin struct{ p *Provider }

// Schema is Heat's, except that a change of flavor, image, networks or
// user_data replaces the server: a local machine is not resized, rebuilt
// or re-plugged in place.
func (serverPlugin) Schema() *hot.Schema {
	return schemaOf("OS::Nova::Server", "flavor", "image", "networks", "user_data", "user_data_format", "personality")
}

// maxServerPorts bounds the ports a server may have; it also bounds the
// search for a server's own ports at delete.
const maxServerPorts = 32

// hostname turns a server name into a host name, as Nova does: lower
// case, letters, digits and hyphens, at most 63 characters.
func hostname(name, id string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(name) {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)), r == '-', r == '.':
			b.WriteRune(r)
		case r == ' ' || r == '_':
			b.WriteByte('-')
		}
	}
	h := b.String()
	if len(h) > 63 {
		h = h[:63]
	}
	h = strings.Trim(h, ".-")
	for strings.Contains(h, "..") {
		h = strings.ReplaceAll(h, "..", ".")
	}
	if h == "" {
		h = "server-" + shortID(id)
	}
	return h
}

// serverPort is one entry of a server's networks: a port the provider
// made for it, or one the template made.
type serverPort struct {
	id         string
	implicit   bool
	floatingIP string
}

// ports makes (or finds again) the ports of a server's networks, in the
// template's order. The caller plugs them.
func (s serverPlugin) ports(ctx context.Context, r *resources.Resource) ([]serverPort, error) {
	props := r.Properties
	entries := list(props, "networks")
	if len(entries) > maxServerPorts {
		return nil, model.Invalidf("A local server has at most %d networks.", maxServerPorts)
	}
	var groups []string
	var err error
	if refs := stringList(props, "security_groups"); len(refs) > 0 {
		if groups, err = s.p.groupRefs(ctx, r.Stack.ProjectID, refs); err != nil {
			return nil, err
		}
	}
	var out []serverPort
	for i, raw := range entries {
		m := dict(raw)
		sp := serverPort{floatingIP: str(m, "floating_ip")}
		switch mode := str(m, "allocate_network"); {
		case mode == "none":
			continue
		case mode == "auto":
			return nil, model.Invalidf("allocate_network auto is not supported by the local provider; name a network.")
		}
		if ref := str(m, "port"); ref != "" {
			port, err := s.p.portRef(ctx, r.Stack.ProjectID, ref)
			if err != nil {
				return nil, err
			}
			sp.id = port.ID
			out = append(out, sp)
			continue
		}
		var fixed []network.FixedIP
		netRef := str(m, "network")
		if netRef == "" {
			netRef = str(m, "uuid")
		}
		var netID string
		if subRef := str(m, "subnet"); subRef != "" {
			sub, err := s.p.subnetRef(ctx, r.Stack.ProjectID, subRef)
			if err != nil {
				return nil, err
			}
			netID = sub.NetworkID
			fixed = []network.FixedIP{{SubnetID: sub.ID}}
		}
		if netRef != "" {
			net, err := s.p.networkRef(ctx, r.Stack.ProjectID, netRef)
			if err != nil {
				return nil, err
			}
			if netID != "" && netID != net.ID {
				return nil, model.Invalidf("Subnet %s is not on network %s.", str(m, "subnet"), netRef)
			}
			netID = net.ID
		}
		if netID == "" {
			return nil, model.Invalidf("Each of a server's networks needs a network, a subnet or a port.")
		}
		if a := str(m, "fixed_ip"); a != "" {
			f, err := s.p.fixedIPs(ctx, r.Stack.ProjectID, []any{map[string]any{"ip_address": a}})
			if err != nil {
				return nil, err
			}
			if len(fixed) > 0 {
				f[0].SubnetID = fixed[0].SubnetID
			}
			fixed = f
		}
		sp.id, sp.implicit = childID(r.PhysicalID, "port", i), true
		if _, err := s.p.net.CreatePort(ctx, network.Port{
			ID: sp.id, NetworkID: netID, ProjectID: r.Stack.ProjectID, DeviceID: r.PhysicalID,
			DeviceOwner: network.OwnerCompute, FixedIPs: fixed, SecurityGroups: groups,
		}); err != nil {
			return nil, err
		}
		out = append(out, sp)
	}
	return out, nil
}

func (s serverPlugin) Create(ctx context.Context, r *resources.Resource) (string, error) {
	props := r.Properties
	id := r.PhysicalID
	flavor, err := provider.FindFlavor(ctx, Catalog{}, str(props, "flavor"))
	if err != nil {
		return "", err
	}
	if len(list(props, "block_device_mapping")) > 0 || len(list(props, "block_device_mapping_v2")) > 0 {
		return "", model.Invalidf("Booting from volumes is not supported by the local provider; attach volumes with OS::Cinder::VolumeAttachment.")
	}
	if img := str(props, "image"); img == "" {
		return "", model.Invalidf("An image is required: the local provider offers %s.", ImageName)
	} else if _, err := provider.FindImage(ctx, Catalog{}, img); err != nil {
		return "", err
	}
	ports, err := s.ports(ctx, r)
	if err != nil {
		return "", err
	}
	spec := machine.Spec{
		ID: id, Name: hostname(physicalName(r), id),
		Flavor:   machine.Flavor{VCPUs: flavor.VCPUs, MemoryMiB: flavor.RAMMiB},
		UserData: []byte(str(props, "user_data")),
		Mounts:   s.p.machineMounts(),
	}
	if len(ports) > 0 {
		if spec.NetnsPath, err = s.p.net.CreateMachineNamespace(ctx, id); err != nil {
			return "", err
		}
		for i, sp := range ports {
			port, err := s.p.net.PlugPort(ctx, sp.id, network.Binding{Netns: spec.NetnsPath, IfName: fmt.Sprintf("eth%d", i), DefaultRoute: i == 0})
			if err != nil {
				return "", err
			}
			if i == 0 && len(port.FixedIPs) > 0 {
				if sub, err := s.p.net.GetSubnet(ctx, port.FixedIPs[0].SubnetID); err == nil {
					spec.Nameservers = sub.DNSNameservers
				}
			}
		}
	}
	if _, err := s.p.machines.Create(ctx, spec); err != nil && !errors.Is(err, machine.ErrExists) {
		return "", err
	}
	if err := s.awaitActive(ctx, id); err != nil {
		return "", err
	}
	for _, sp := range ports {
		if sp.floatingIP == "" {
			continue
		}
		if _, err := s.p.net.AssociateFloatingIP(ctx, sp.floatingIP, sp.id, netip.Addr{}); err != nil {
			return "", err
		}
	}
	return id, nil
}

// awaitActive waits until a machine has booted: ACTIVE, or the reason it
// is not.
func (s serverPlugin) awaitActive(ctx context.Context, id string) error {
	mach, err := s.p.machines.Wait(ctx, id)
	if err != nil {
		return err
	}
	if mach.State != machine.StateActive {
		return fmt.Errorf("server %s is %s: %s", mach.Name, mach.State, mach.Reason)
	}
	return nil
}

// Update changes what a server changes in place: its security groups, on
// the ports the provider made for it. A new name, metadata or tags need
// nothing on the host.
func (s serverPlugin) Update(ctx context.Context, r, old *resources.Resource) error {
	if sameValue(r.Properties["security_groups"], old.Properties["security_groups"]) {
		return nil
	}
	groups, err := s.p.groupRefs(ctx, r.Stack.ProjectID, stringList(r.Properties, "security_groups"))
	if err != nil {
		return err
	}
	for _, port := range s.p.net.ListPorts(ctx, r.PhysicalID) {
		if !s.implicit(r.PhysicalID, port.ID) {
			continue
		}
		port.SecurityGroups = groups
		if _, err := s.p.net.UpdatePort(ctx, port); err != nil {
			return err
		}
	}
	return nil
}

// implicit reports whether a port is one the provider made for a server.
func (serverPlugin) implicit(serverID, portID string) bool {
	for i := range maxServerPorts {
		if childID(serverID, "port", i) == portID {
			return true
		}
	}
	return false
}

// Delete removes the machine, then the ports made for it (a port the
// template made is unplugged and kept), then its network namespace.
func (s serverPlugin) Delete(ctx context.Context, r *resources.Resource) error {
	return s.p.deleteServer(ctx, r.PhysicalID)
}

func (p *Provider) deleteServer(ctx context.Context, id string) error {
	if err := p.machines.Delete(ctx, id); err != nil {
		return err
	}
	var errs []error
	errs = append(errs, p.vols.ReleaseServer(ctx, id))
	ns := p.net.MachineNamespace(id)
	sp := serverPlugin{p}
	for _, port := range p.net.ListPorts(ctx, "") {
		switch {
		case port.DeviceID == id && sp.implicit(id, port.ID):
			errs = append(errs, p.net.DeletePort(ctx, port.ID))
		case port.Binding != nil && port.Binding.Netns == ns:
			errs = append(errs, p.net.UnplugPort(ctx, port.ID))
		}
	}
	errs = append(errs, p.net.DeleteMachineNamespace(ctx, id))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("delete server %s: %w", id, err)
	}
	return nil
}

func (s serverPlugin) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	if _, err := s.p.machines.Get(ctx, r.PhysicalID); errors.Is(err, machine.ErrNotFound) {
		return false, nil
	} else if err != nil {
		return false, err
	}
	// The machine exists: finish what Create would have done after it.
	if _, err := s.Create(ctx, r); err != nil {
		return false, err
	}
	return true, nil
}

// portsOf returns a server's ports in the order of its networks.
func (p *Provider) portsOf(ctx context.Context, r *resources.Resource) []network.Port {
	var out []network.Port
	for i, raw := range list(r.Properties, "networks") {
		m := dict(raw)
		id := childID(r.PhysicalID, "port", i)
		if ref := str(m, "port"); ref != "" {
			if port, err := p.portRef(ctx, r.Stack.ProjectID, ref); err == nil {
				id = port.ID
			}
		}
		if port, err := p.net.GetPort(ctx, id); err == nil {
			out = append(out, port)
		}
	}
	return out
}

func (s serverPlugin) Attributes(ctx context.Context, r *resources.Resource) (map[string]any, error) {
	mach, err := s.p.machines.Get(ctx, r.PhysicalID)
	if err != nil {
		return nil, err
	}
	ports := s.p.portsOf(ctx, r)
	addresses, networks, first := s.p.addresses(ctx, ports)
	consoles := map[string]any{}
	if s.p.opts.APIURL != "" {
		consoles["log"] = strings.TrimRight(s.p.opts.APIURL, "/") + "/" + url.PathEscape(r.Stack.ProjectID) +
			"/servers/" + url.PathEscape(r.PhysicalID) + "/log"
	}
	tags := append([]any{}, list(r.Properties, "tags")...)
	return map[string]any{
		"addresses": addresses, "networks": networks, "first_address": first,
		"instance_name": "instance-" + shortID(r.PhysicalID), "accessIPv4": "", "accessIPv6": "",
		"console_urls": consoles, "name": physicalName(r), "os_collect_config": map[string]any{}, "tags": tags,
		"hostname": mach.Name, "status": string(mach.State), "status_reason": mach.Reason,
	}, nil
}

// addresses computes Nova's addresses and networks attributes and the
// first fixed address from a server's ports.
func (p *Provider) addresses(ctx context.Context, ports []network.Port) (map[string]any, map[string]any, string) {
	addresses, networks := map[string]any{}, map[string]any{}
	first := ""
	fips := p.net.ListFloatingIPs(ctx)
	for _, port := range ports {
		name := port.NetworkID
		if n, err := p.net.GetNetwork(ctx, port.NetworkID); err == nil && n.Name != "" {
			name = n.Name
		}
		var addrs, ips []any
		for _, f := range port.FixedIPs {
			ip := f.IPAddress.String()
			if first == "" {
				first = ip
			}
			ips = append(ips, ip)
			addrs = append(addrs, map[string]any{"addr": ip, "version": 4, "OS-EXT-IPS:type": "fixed",
				"OS-EXT-IPS-MAC:mac_addr": port.MAC, "port": port.ID})
		}
		for _, f := range fips {
			if f.PortID == port.ID {
				ip := f.FloatingIPAddress.String()
				ips = append(ips, ip)
				addrs = append(addrs, map[string]any{"addr": ip, "version": 4, "OS-EXT-IPS:type": "floating",
					"OS-EXT-IPS-MAC:mac_addr": port.MAC, "port": port.ID})
			}
		}
		if have, ok := addresses[name].([]any); ok {
			addrs = append(have, addrs...)
		}
		addresses[name] = addrs
		if have, ok := networks[name].([]any); ok {
			ips = append(have, ips...)
		}
		networks[name] = ips
		networks[port.NetworkID] = ips
	}
	return addresses, networks, first
}

// serverGroup is the record of an OS::Nova::ServerGroup.
type serverGroup struct {
	Name      string   `json:"name"`
	ProjectID string   `json:"project_id"`
	Policies  []string `json:"policies"`
}

// serverGroupPlugin is OS::Nova::ServerGroup. Every local machine runs on
// this one host, so a group records its policies and places nothing.
type serverGroupPlugin struct{ p *Provider }

func (serverGroupPlugin) Schema() *hot.Schema { return schemaOf("OS::Nova::ServerGroup") }

func (sg serverGroupPlugin) Create(ctx context.Context, r *resources.Resource) (string, error) {
	rec := &serverGroup{Name: physicalName(r), ProjectID: r.Stack.ProjectID, Policies: stringList(r.Properties, "policies")}
	if err := sg.p.putRecord(ctx, kindServerGroup, r.PhysicalID, rec); err != nil {
		return "", err
	}
	return r.PhysicalID, nil
}

// Update is never called: no property is updatable.
func (serverGroupPlugin) Update(context.Context, *resources.Resource, *resources.Resource) error {
	return nil
}

func (sg serverGroupPlugin) Delete(ctx context.Context, r *resources.Resource) error {
	return sg.p.deleteRecord(ctx, kindServerGroup, r.PhysicalID)
}

func (sg serverGroupPlugin) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	_, ok, err := getRecord[serverGroup](ctx, sg.p, kindServerGroup, r.PhysicalID)
	return ok, err
}

func (sg serverGroupPlugin) Attributes(ctx context.Context, r *resources.Resource) (map[string]any, error) {
	rec, ok, err := getRecord[serverGroup](ctx, sg.p, kindServerGroup, r.PhysicalID)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, model.NotFoundf("Server group %s could not be found.", r.PhysicalID)
	}
	return map[string]any{"name": rec.Name, "policies": slices.Clone(rec.Policies)}, nil
}
