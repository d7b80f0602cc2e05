package network

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/provider/local/network/netns"
)

func (m *Manager) viewRouter(r *Router) Router {
	v := *r
	v.Interfaces = slices.Clone(r.Interfaces)
	if r.Gateway != nil {
		g := *r.Gateway
		v.Gateway = &g
	}
	v.Routes = m.routerRoutes(r.ID)
	v.Netns = m.routerNS(r.ID)
	return v
}

// CreateRouter creates a router namespace, with its external gateway when
// r.Gateway names the external network. Creating a router that exists
// returns it.
func (m *Manager) CreateRouter(ctx context.Context, r Router) (Router, error) {
	if r.ID == "" {
		return Router{}, model.Invalidf("A router id is required.")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if old := m.routers[r.ID]; old != nil {
		if err := m.applyRouter(old); err != nil {
			return Router{}, fmt.Errorf("create router %s: %w", r.ID, err)
		}
		return m.viewRouter(old), nil
	}
	gw := r.Gateway
	rec := &Router{ID: r.ID, Name: r.Name, ProjectID: r.ProjectID}
	if err := m.put(ctx, kindRouter, r.ID, rec); err != nil {
		return Router{}, fmt.Errorf("create router %s: %w", r.ID, err)
	}
	m.routers[r.ID] = rec
	if gw != nil {
		if err := m.setGateway(ctx, rec, gw); err != nil {
			return Router{}, fmt.Errorf("create router %s: %w", r.ID, err)
		}
	}
	if err := m.applyRouter(rec); err != nil {
		return Router{}, fmt.Errorf("create router %s: %w", r.ID, err)
	}
	m.log.Info("router created", "router", r.ID)
	return m.viewRouter(rec), nil
}

// GetRouter returns a router.
func (m *Manager) GetRouter(_ context.Context, id string) (Router, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.routers[id]
	if r == nil {
		return Router{}, model.NotFoundf("Router %s could not be found", id)
	}
	return m.viewRouter(r), nil
}

// SetRouterGateway sets (gw non-nil) or clears (gw nil) a router's external
// gateway. Clearing fails while floating IPs go through the router.
func (m *Manager) SetRouterGateway(ctx context.Context, id string, gw *Gateway) (Router, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.routers[id]
	if r == nil {
		return Router{}, model.NotFoundf("Router %s could not be found", id)
	}
	if gw == nil {
		for _, f := range m.fips {
			if f.RouterID == id {
				return Router{}, model.Conflictf("Gateway cannot be updated for router %s, since a gateway to external network %s is required by one or more floating IPs.", id, r.Gateway.NetworkID)
			}
		}
	}
	if err := m.setGateway(ctx, r, gw); err != nil {
		return Router{}, fmt.Errorf("set gateway of router %s: %w", id, err)
	}
	if err := m.applyRouter(r); err != nil {
		return Router{}, fmt.Errorf("set gateway of router %s: %w", id, err)
	}
	return m.viewRouter(r), nil
}

// setGateway records the gateway and its port. The caller holds m.mu and
// applies the router afterwards.
func (m *Manager) setGateway(ctx context.Context, r *Router, gw *Gateway) error {
	if gw != nil && r.Gateway != nil && gw.NetworkID == r.Gateway.NetworkID {
		next := *r
		g := *r.Gateway
		g.DisableSNAT = gw.DisableSNAT
		next.Gateway = &g
		if err := m.put(ctx, kindRouter, r.ID, &next); err != nil {
			return err
		}
		*r = next
		return nil
	}
	if r.Gateway != nil {
		if p := m.ports[r.Gateway.PortID]; p != nil {
			if err := m.deletePort(ctx, p); err != nil {
				return err
			}
		}
		next := *r
		next.Gateway = nil
		if err := m.put(ctx, kindRouter, r.ID, &next); err != nil {
			return err
		}
		*r = next
	}
	if gw == nil {
		return nil
	}
	n := m.networks[gw.NetworkID]
	if n == nil {
		return model.NotFoundf("Network %s could not be found.", gw.NetworkID)
	}
	if !n.External {
		return model.Invalidf("Bad router request: Network %s is not an external network.", gw.NetworkID)
	}
	p := &Port{
		ID: "gw-" + r.ID, NetworkID: n.ID, ProjectID: r.ProjectID, DeviceID: r.ID,
		DeviceOwner: OwnerRouterGateway, NoPortSecurity: true,
	}
	if old := m.ports[p.ID]; old != nil {
		p = old
	} else if err := m.createPort(ctx, p, false); err != nil {
		return err
	}
	next := *r
	next.Gateway = &Gateway{NetworkID: n.ID, DisableSNAT: gw.DisableSNAT, PortID: p.ID, IP: p.FixedIPs[0].IPAddress}
	if err := m.put(ctx, kindRouter, r.ID, &next); err != nil {
		return err
	}
	*r = next
	return nil
}

// AddRouterInterface attaches a router to a subnet: through the subnet's
// gateway address (ri.SubnetID) or through an existing port (ri.PortID). It
// returns the interface with both fields set. Adding an interface that
// exists returns it.
func (m *Manager) AddRouterInterface(ctx context.Context, routerID string, ri RouterInterface) (RouterInterface, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.routers[routerID]
	if r == nil {
		return RouterInterface{}, model.NotFoundf("Router %s could not be found", routerID)
	}
	for _, have := range r.Interfaces {
		if (ri.PortID != "" && have.PortID == ri.PortID) || (ri.PortID == "" && have.SubnetID == ri.SubnetID) {
			return have, nil
		}
	}
	var p *Port
	switch {
	case ri.PortID != "":
		p = m.ports[ri.PortID]
		if p == nil {
			return RouterInterface{}, model.NotFoundf("Port %s could not be found.", ri.PortID)
		}
		if p.DeviceID != "" && p.DeviceID != routerID || p.Binding != nil || len(p.FixedIPs) == 0 {
			return RouterInterface{}, model.Conflictf("Port %s is in use or has no fixed IP.", ri.PortID)
		}
		ri.SubnetID = p.FixedIPs[0].SubnetID
	case ri.SubnetID != "":
		s := m.subnets[ri.SubnetID]
		if s == nil {
			return RouterInterface{}, model.NotFoundf("Subnet %s could not be found.", ri.SubnetID)
		}
		if !s.GatewayIP.IsValid() {
			return RouterInterface{}, model.Invalidf("Bad router request: Subnet %s does not have a gateway IP.", s.ID)
		}
	default:
		return RouterInterface{}, model.Invalidf("Bad router request: Either subnet_id or port_id must be specified.")
	}
	s := m.subnets[ri.SubnetID]
	if m.networks[s.NetworkID].External {
		return RouterInterface{}, model.Invalidf("Bad router request: Router interfaces cannot be on the external network.")
	}
	for _, have := range r.Interfaces {
		if o := m.subnets[have.SubnetID]; o != nil && o.CIDR.Overlaps(s.CIDR) {
			return RouterInterface{}, model.Invalidf("Bad router request: Cidr %s of subnet %s overlaps with cidr %s of subnet %s.", s.CIDR, s.ID, o.CIDR, o.ID)
		}
	}
	if p == nil {
		p = &Port{ID: "ri-" + routerID + "-" + s.ID, NetworkID: s.NetworkID, ProjectID: r.ProjectID,
			FixedIPs: []FixedIP{{SubnetID: s.ID}}}
		if old := m.ports[p.ID]; old != nil {
			p = old
		} else {
			p.DeviceID, p.DeviceOwner, p.NoPortSecurity = routerID, OwnerRouterInterface, true
			if err := m.createPort(ctx, p, true); err != nil {
				return RouterInterface{}, fmt.Errorf("add interface to router %s: %w", routerID, err)
			}
		}
	} else {
		next := *p
		next.DeviceID, next.DeviceOwner, next.NoPortSecurity = routerID, OwnerRouterInterface, true
		if err := m.put(ctx, kindPort, p.ID, &next); err != nil {
			return RouterInterface{}, fmt.Errorf("add interface to router %s: %w", routerID, err)
		}
		*p = next
	}
	ri.PortID = p.ID
	next := *r
	next.Interfaces = append(slices.Clone(r.Interfaces), ri)
	if err := m.put(ctx, kindRouter, r.ID, &next); err != nil {
		return RouterInterface{}, fmt.Errorf("add interface to router %s: %w", routerID, err)
	}
	*r = next
	if err := m.applyRouter(r); err != nil {
		return RouterInterface{}, fmt.Errorf("add interface to router %s: %w", routerID, err)
	}
	return ri, nil
}

// RemoveRouterInterface detaches a router from a subnet (by subnet or by
// port) and deletes the interface's port. It fails while a floating IP
// needs the interface. Removing an interface that is not there is a
// success.
func (m *Manager) RemoveRouterInterface(ctx context.Context, routerID string, ri RouterInterface) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.routers[routerID]
	if r == nil {
		return nil
	}
	i := slices.IndexFunc(r.Interfaces, func(h RouterInterface) bool {
		return (ri.PortID != "" && h.PortID == ri.PortID) || (ri.PortID == "" && h.SubnetID == ri.SubnetID)
	})
	if i < 0 {
		return nil
	}
	have := r.Interfaces[i]
	for _, f := range m.fips {
		if f.RouterID == routerID && m.fipSubnet(f) == have.SubnetID {
			return model.Conflictf("Router interface for subnet %s on router %s cannot be deleted, as it is required by one or more floating IPs.", have.SubnetID, routerID)
		}
	}
	if err := m.removeInterface(ctx, r, i); err != nil {
		return fmt.Errorf("remove interface from router %s: %w", routerID, err)
	}
	return m.applyRouter(r)
}

func (m *Manager) removeInterface(ctx context.Context, r *Router, i int) error {
	have := r.Interfaces[i]
	if p := m.ports[have.PortID]; p != nil {
		if err := m.deletePort(ctx, p); err != nil {
			return err
		}
	}
	next := *r
	next.Interfaces = slices.Delete(slices.Clone(r.Interfaces), i, i+1)
	if err := m.put(ctx, kindRouter, r.ID, &next); err != nil {
		return err
	}
	*r = next
	return nil
}

// DeleteRouter deletes a router that has no interface left, with its
// gateway. Deleting a router that does not exist is a success.
func (m *Manager) DeleteRouter(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.routers[id]
	if r == nil {
		return nil
	}
	if len(r.Interfaces) > 0 {
		return model.Conflictf("Router %s still has ports", id)
	}
	for _, f := range m.fips {
		if f.RouterID == id {
			return model.Conflictf("Router %s is in use by floating IP %s.", id, f.ID)
		}
	}
	if err := m.deleteRouter(ctx, r); err != nil {
		return fmt.Errorf("delete router %s: %w", id, err)
	}
	m.log.Info("router deleted", "router", id)
	return nil
}

// deleteRouter removes a router whatever is attached: floating IPs through
// it are disassociated, its ports deleted, its namespace removed.
func (m *Manager) deleteRouter(ctx context.Context, r *Router) error {
	for _, f := range m.fips {
		if f.RouterID == r.ID {
			next := *f
			next.PortID, next.FixedIPAddress, next.RouterID = "", netip.Addr{}, ""
			if err := m.put(ctx, kindFloating, f.ID, &next); err != nil {
				return err
			}
			*f = next
		}
	}
	for len(r.Interfaces) > 0 {
		if err := m.removeInterface(ctx, r, len(r.Interfaces)-1); err != nil {
			return err
		}
	}
	if err := m.setGateway(ctx, r, nil); err != nil {
		return err
	}
	if err := netns.Delete(m.netnsName("rtr", r.ID)); err != nil {
		return err
	}
	if err := m.del(ctx, kindRouter, r.ID); err != nil {
		return err
	}
	delete(m.routers, r.ID)
	return nil
}

// interfaceDev names a router's interface on an internal subnet.
func interfaceDev(portID string) string { return "qr-" + short(portID) }

// applyRouter makes the kernel match a router record: the namespace, an
// interface per attached subnet, the gateway with its floating IP addresses,
// the routes (its route sets' among them) and the NAT table. It is
// idempotent. The caller holds m.mu.
func (m *Manager) applyRouter(r *Router) error {
	h, err := makeNamespace(m.netnsName("rtr", r.ID),
		"net.ipv4.ip_forward", "1",
		"net.ipv4.conf.all.arp_notify", "1",
		"net.ipv4.conf.default.arp_notify", "1",
		"net.ipv6.conf.all.disable_ipv6", "1",
		"net.ipv6.conf.default.disable_ipv6", "1")
	if err != nil {
		return fmt.Errorf("router %s: %w", r.ID, err)
	}
	defer h.Close()
	path := m.routerNS(r.ID)
	want := map[string]bool{"lo": true}
	var errs []error
	for _, ri := range r.Interfaces {
		p := m.ports[ri.PortID]
		if p == nil {
			continue
		}
		p.Binding = &Binding{Netns: path, IfName: interfaceDev(p.ID)}
		want[p.Binding.IfName] = true
		if err := m.plugKernel(p); err != nil {
			errs = append(errs, fmt.Errorf("interface %s: %w", ri.SubnetID, err))
		}
	}
	view := routerView{egress: m.opts.Egress}
	if pub := m.publicSubnet(); pub != nil {
		view.public = pub.CIDR
	}
	if r.Gateway != nil {
		if p := m.ports[r.Gateway.PortID]; p != nil {
			p.Binding = &Binding{Netns: path, IfName: gatewayDev, DefaultRoute: m.opts.Egress}
			want[gatewayDev] = true
			if err := m.plugKernel(p); err != nil {
				errs = append(errs, fmt.Errorf("gateway: %w", err))
			} else {
				view.gateway, view.gwIP, view.snat = true, r.Gateway.IP, !r.Gateway.DisableSNAT
			}
		}
	}
	for _, f := range m.fips {
		if f.RouterID == r.ID && f.FixedIPAddress.IsValid() {
			view.fips = append(view.fips, routerFIP{fip: f.FloatingIPAddress, fixed: f.FixedIPAddress})
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("router %s: %w", r.ID, err)
	}
	if err := syncRouterLinks(h, want, view); err != nil {
		return fmt.Errorf("router %s: %w", r.ID, err)
	}
	c, err := h.nft()
	if err == nil {
		err = applyTables(c, renderRouter(view))
	}
	if err != nil {
		return fmt.Errorf("router %s: %w", r.ID, err)
	}
	if err := syncRoutes(h, m.kernelRoutes(r)); err != nil {
		return fmt.Errorf("router %s: %w", r.ID, err)
	}
	return nil
}

// syncRouterLinks removes interfaces the router no longer has and makes the
// gateway carry exactly the floating IPs (as /32 addresses) besides its own.
func syncRouterLinks(h *nsHandles, want map[string]bool, v routerView) error {
	links, err := h.nl.LinkList()
	if err != nil {
		return fmt.Errorf("list links: %w", err)
	}
	for _, l := range links {
		name := l.Attrs().Name
		if !want[name] && (strings.HasPrefix(name, "qr-") || name == gatewayDev) {
			if err := h.nl.LinkDel(l); err != nil && !isNotFound(err) {
				return fmt.Errorf("remove %s: %w", name, err)
			}
		}
	}
	if !v.gateway {
		return nil
	}
	qg, err := h.nl.LinkByName(gatewayDev)
	if err != nil {
		return fmt.Errorf("find %s: %w", gatewayDev, err)
	}
	addrs, err := h.nl.AddrList(qg, unix.AF_INET)
	if err != nil {
		return fmt.Errorf("list addresses: %w", err)
	}
	fips := map[netip.Addr]bool{}
	for _, f := range v.fips {
		fips[f.fip] = true
	}
	for _, a := range addrs {
		ip, _ := netip.AddrFromSlice(a.IP.To4())
		ones, _ := a.Mask.Size()
		if ones == 32 && !fips[ip] {
			if err := h.nl.AddrDel(qg, &a); err != nil {
				return fmt.Errorf("remove %s: %w", ip, err)
			}
		}
		delete(fips, ip)
	}
	for ip := range fips {
		if err := h.nl.AddrReplace(qg, &netlink.Addr{IPNet: prefixNet(netip.PrefixFrom(ip, 32))}); err != nil {
			return fmt.Errorf("add %s: %w", ip, err)
		}
	}
	return nil
}
