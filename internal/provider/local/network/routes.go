package network

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/slipway/slipway/internal/model"
)

// routeProtocol marks the extra routes in a router's routing table, so
// that a sync finds its own routes and never touches the kernel's
// (interfaces' connected routes) or the default route egress adds. The
// kernel does not interpret protocol numbers above RTPROT_STATIC; this one
// is unassigned in iproute2's rt_protos.
const routeProtocol = netlink.RouteProtocol(0x53)

// routeMetric is the extra routes' metric. A route of the interfaces and
// the gateway has metric 0, so an extra route to the same destination
// never replaces it: it loses to it instead.
const routeMetric = 100

// SetRouteSet creates or replaces a route set: afterwards the router
// routes exactly s.Routes for s.ID, besides its other route sets' routes.
// Routes the set keeps are not touched in the kernel. A new route's
// nexthop must be on a subnet the router has an interface on, and the
// route must not be another route set's. Route sets that route one
// destination via different nexthops share it: the router spreads it over
// them (ECMP), as Neutron's does. A route whose interface is later removed
// stays recorded and is routed again when an interface on its nexthop's
// subnet comes back. Setting a route set again with the same routes
// changes nothing.
func (m *Manager) SetRouteSet(ctx context.Context, s RouteSet) (RouteSet, error) {
	if s.ID == "" {
		return RouteSet{}, model.Invalidf("A route set id is required.")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	r := m.routers[s.RouterID]
	if r == nil {
		return RouteSet{}, model.NotFoundf("Router %s could not be found", s.RouterID)
	}
	old := m.routeSets[s.ID]
	if old != nil && old.RouterID != s.RouterID {
		return RouteSet{}, model.Invalidf("Route set %s belongs to router %s; its router cannot change.", s.ID, old.RouterID)
	}
	routes, err := m.checkRoutes(r, s.ID, s.Routes, old)
	if err != nil {
		return RouteSet{}, err
	}
	rec := &RouteSet{ID: s.ID, RouterID: r.ID, Routes: routes}
	if err := m.put(ctx, kindRouteSet, s.ID, rec); err != nil {
		return RouteSet{}, fmt.Errorf("set routes of router %s: %w", r.ID, err)
	}
	m.routeSets[s.ID] = rec
	if err := m.applyRouter(r); err != nil {
		return RouteSet{}, fmt.Errorf("set routes of router %s: %w", r.ID, err)
	}
	return viewRouteSet(rec), nil
}

// GetRouteSet returns a route set.
func (m *Manager) GetRouteSet(_ context.Context, id string) (RouteSet, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	s := m.routeSets[id]
	if s == nil {
		return RouteSet{}, model.NotFoundf("Route set %s could not be found.", id)
	}
	return viewRouteSet(s), nil
}

// DeleteRouteSet removes a route set's routes from its router, and the
// route set. Deleting a route set that does not exist, or whose router is
// gone, is a success.
func (m *Manager) DeleteRouteSet(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.deleteRouteSet(ctx, id); err != nil {
		return fmt.Errorf("delete route set %s: %w", id, err)
	}
	return nil
}

// deleteRouteSet removes the route set's routes from the kernel, then its
// record. The caller holds m.mu.
func (m *Manager) deleteRouteSet(ctx context.Context, id string) error {
	s := m.routeSets[id]
	if s == nil {
		return nil
	}
	delete(m.routeSets, id)
	if r := m.routers[s.RouterID]; r != nil {
		if err := m.applyRouter(r); err != nil {
			m.routeSets[id] = s
			return err
		}
	}
	if err := m.del(ctx, kindRouteSet, id); err != nil {
		m.routeSets[id] = s
		return err
	}
	return nil
}

func viewRouteSet(s *RouteSet) RouteSet {
	v := *s
	v.Routes = slices.Clone(s.Routes)
	return v
}

// routerRoutes returns the union of a router's route sets, sorted.
func (m *Manager) routerRoutes(routerID string) []Route {
	var out []Route
	for _, id := range sortedKeys(m.routeSets) {
		if s := m.routeSets[id]; s.RouterID == routerID {
			out = append(out, s.Routes...)
		}
	}
	slices.SortFunc(out, compareRoutes)
	return out
}

func compareRoutes(a, b Route) int {
	return cmp.Or(a.Destination.Addr().Compare(b.Destination.Addr()),
		cmp.Compare(a.Destination.Bits(), b.Destination.Bits()),
		a.Nexthop.Compare(b.Nexthop))
}

// checkRoutes validates the routes a route set is to have and returns
// them sorted, without duplicates. Routes the set has already (old) are
// not checked against the router's interfaces again: they stay valid when
// an interface goes. The caller holds m.mu.
func (m *Manager) checkRoutes(r *Router, id string, routes []Route, old *RouteSet) ([]Route, error) {
	out := slices.Clone(routes)
	slices.SortFunc(out, compareRoutes)
	out = slices.Compact(out)
	for i, rt := range out {
		d, nh := rt.Destination, rt.Nexthop
		switch {
		case !d.IsValid() || !d.Addr().Is4():
			return nil, model.Invalidf("Invalid input for routes: destination %s is not an IPv4 CIDR such as 10.100.3.0/24.", d)
		case d != d.Masked():
			return nil, model.Invalidf("Invalid input for routes: destination %s is not a network address; use %s.", d, d.Masked())
		case !nh.Is4():
			return nil, model.Invalidf("Invalid input for routes: nexthop %s of the route to %s is not an IPv4 address.", nh, d)
		case i > 0 && out[i-1].Destination == d:
			return nil, model.Invalidf("Invalid input for routes: destination %s is given twice, via %s and via %s; give it one nexthop.", d, out[i-1].Nexthop, nh)
		}
		if old != nil && slices.Contains(old.Routes, rt) {
			continue
		}
		if err := m.checkNexthop(r, rt); err != nil {
			return nil, err
		}
		for _, oid := range sortedKeys(m.routeSets) {
			if o := m.routeSets[oid]; oid != id && o.RouterID == r.ID && slices.Contains(o.Routes, rt) {
				return nil, model.Conflictf("Router %s has the route to %s via %s already, from route set %s; a route belongs to one route set only.",
					r.ID, d, nh, oid)
			}
		}
	}
	return out, nil
}

// checkNexthop checks that a route's nexthop is on a subnet the router has
// an interface on, and is not the router's own address there.
func (m *Manager) checkNexthop(r *Router, rt Route) error {
	var cidrs []string
	for _, ri := range r.Interfaces {
		s := m.subnets[ri.SubnetID]
		if s == nil {
			continue
		}
		cidrs = append(cidrs, s.CIDR.String())
		if !s.CIDR.Contains(rt.Nexthop) {
			continue
		}
		if s.CIDR.Bits() < 31 && (rt.Nexthop == s.CIDR.Addr() || rt.Nexthop == lastAddr(s.CIDR)) {
			return model.Invalidf("Invalid input for routes: nexthop %s of the route to %s is the network or broadcast address of subnet %s; give the address of a server or port on it.",
				rt.Nexthop, rt.Destination, s.ID)
		}
		if p := m.ports[ri.PortID]; p != nil && slices.ContainsFunc(p.FixedIPs, func(f FixedIP) bool { return f.IPAddress == rt.Nexthop }) {
			return model.Invalidf("Invalid input for routes: nexthop %s of the route to %s is the router's own address on subnet %s; give the address of a server or port on that subnet.",
				rt.Nexthop, rt.Destination, s.ID)
		}
		return nil
	}
	attached := "it has no interface yet"
	if len(cidrs) > 0 {
		attached = "its interfaces are on " + strings.Join(cidrs, ", ")
	}
	return model.Invalidf("Invalid input for routes: nexthop %s of the route to %s is not on a subnet router %s has an interface on (%s). Give the address of a server or port on one of those subnets, or add a router interface on the nexthop's subnet first.",
		rt.Nexthop, rt.Destination, r.ID, attached)
}

// kernelRoute is an extra route as the router's namespace holds it: one
// destination, over one nexthop or several (ECMP).
type kernelRoute struct {
	dst  netip.Prefix
	hops []kernelHop
}

// kernelHop is one nexthop of a kernelRoute.
type kernelHop struct {
	gw  netip.Addr
	dev string
}

// kernelRoutes are the extra routes a router can route now: those whose
// nexthop is on a subnet it has an interface on, by destination. The
// caller holds m.mu.
func (m *Manager) kernelRoutes(r *Router) []kernelRoute {
	var out []kernelRoute
	for _, rt := range m.routerRoutes(r.ID) {
		for _, ri := range r.Interfaces {
			s := m.subnets[ri.SubnetID]
			if s == nil || !s.CIDR.Contains(rt.Nexthop) {
				continue
			}
			hop := kernelHop{gw: rt.Nexthop, dev: interfaceDev(ri.PortID)}
			if n := len(out); n > 0 && out[n-1].dst == rt.Destination {
				out[n-1].hops = append(out[n-1].hops, hop)
			} else {
				out = append(out, kernelRoute{dst: rt.Destination, hops: []kernelHop{hop}})
			}
			break
		}
	}
	return out
}

// syncRoutes makes the extra routes in a router's namespace exactly want:
// it adds or changes what differs and removes the other routes of
// routeProtocol. A route that is as wanted already is left alone; a route
// whose nexthops change is replaced in place.
func syncRoutes(h *nsHandles, want []kernelRoute) error {
	have, err := h.nl.RouteListFiltered(unix.AF_INET, &netlink.Route{Table: unix.RT_TABLE_MAIN, Protocol: routeProtocol},
		netlink.RT_FILTER_TABLE|netlink.RT_FILTER_PROTOCOL)
	if err != nil {
		return fmt.Errorf("list routes: %w", err)
	}
	present := map[netip.Prefix]string{}
	for _, rt := range have {
		if rt.Priority == routeMetric {
			present[routeDst(rt.Dst)] = hopsKey(rt)
		}
	}
	var errs []error
	wanted := map[netip.Prefix]bool{}
	for _, w := range want {
		wanted[w.dst] = true
		rt := &netlink.Route{Dst: prefixNet(w.dst), Protocol: routeProtocol, Priority: routeMetric,
			Table: unix.RT_TABLE_MAIN, Scope: netlink.SCOPE_UNIVERSE}
		for _, hop := range w.hops {
			l, err := h.nl.LinkByName(hop.dev)
			if err != nil {
				errs = append(errs, fmt.Errorf("route %s: find %s: %w", w.dst, hop.dev, err))
				continue
			}
			rt.MultiPath = append(rt.MultiPath, &netlink.NexthopInfo{LinkIndex: l.Attrs().Index, Gw: hop.gw.AsSlice()})
		}
		if len(rt.MultiPath) == 0 {
			continue
		}
		if len(rt.MultiPath) == 1 {
			rt.LinkIndex, rt.Gw, rt.MultiPath = rt.MultiPath[0].LinkIndex, rt.MultiPath[0].Gw, nil
		}
		if k, ok := present[w.dst]; ok && k == hopsKey(*rt) {
			continue
		}
		if err := h.nl.RouteReplace(rt); err != nil {
			errs = append(errs, fmt.Errorf("route %s: %w", w.dst, err))
		}
	}
	for _, rt := range have {
		dst := routeDst(rt.Dst)
		if rt.Priority == routeMetric && wanted[dst] {
			continue // as wanted, or replaced above
		}
		if err := h.nl.RouteDel(&rt); err != nil && !errors.Is(err, unix.ESRCH) {
			errs = append(errs, fmt.Errorf("remove route to %s: %w", dst, err))
		}
	}
	return errors.Join(errs...)
}

// hopsKey names a route's nexthops, in order, for comparison.
func hopsKey(rt netlink.Route) string {
	hops := rt.MultiPath
	if len(hops) == 0 {
		hops = []*netlink.NexthopInfo{{LinkIndex: rt.LinkIndex, Gw: rt.Gw}}
	}
	keys := make([]string, 0, len(hops))
	for _, h := range hops {
		keys = append(keys, fmt.Sprintf("%s@%d", h.Gw, h.LinkIndex))
	}
	slices.Sort(keys)
	return strings.Join(keys, ",")
}

// routeDst is a route's destination; nil is the default route.
func routeDst(n *net.IPNet) netip.Prefix {
	if n == nil {
		return netip.PrefixFrom(netip.IPv4Unspecified(), 0)
	}
	a, _ := netip.AddrFromSlice(n.IP.To4())
	ones, _ := n.Mask.Size()
	return netip.PrefixFrom(a, ones)
}
