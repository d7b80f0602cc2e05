package local

import (
	"context"
	"net/netip"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/hot"
	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/provider/local/network"
)

// extraRoutePlugin is OS::Neutron::ExtraRouteSet, and with single set
// OS::Neutron::ExtraRoute: extra routes of a router, in the router's
// namespace. Each resource is a route set of the network manager, under
// its physical id, so that two resources on one router never touch each
// other's routes.
type extraRoutePlugin struct {
	p *Provider
	// single says the resource is OS::Neutron::ExtraRoute: one route,
	// named by router_id, destination and nexthop.
	single bool
}

func (e extraRoutePlugin) Schema() *hot.Schema {
	if e.single {
		return schemaOf("OS::Neutron::ExtraRoute")
	}
	return schemaOf("OS::Neutron::ExtraRouteSet")
}

// routeSet reads the resource's router and routes.
func (e extraRoutePlugin) routeSet(ctx context.Context, r *resources.Resource) (network.RouteSet, error) {
	props := r.Properties
	routerProp, raw := "router", list(props, "routes")
	if e.single {
		routerProp = "router_id"
		raw = []any{map[string]any{"destination": props["destination"], "nexthop": props["nexthop"]}}
	}
	ref := str(props, routerProp)
	if ref == "" {
		return network.RouteSet{}, model.Invalidf("The property %s is required: name the router by name or id.", routerProp)
	}
	routes, err := parseRoutes(raw)
	if err != nil {
		return network.RouteSet{}, err
	}
	rt, err := e.p.routerRef(ctx, r.Stack.ProjectID, ref)
	if err != nil {
		return network.RouteSet{}, err
	}
	return network.RouteSet{ID: r.PhysicalID, RouterID: rt.ID, Routes: routes}, nil
}

// parseRoutes reads a list of {destination, nexthop}.
func parseRoutes(raw []any) ([]network.Route, error) {
	out := make([]network.Route, 0, len(raw))
	for _, item := range raw {
		m := dict(item)
		d, nh := str(m, "destination"), str(m, "nexthop")
		dst, err := netip.ParsePrefix(d)
		if err != nil || !dst.Addr().Is4() {
			return nil, model.Invalidf("Invalid input for routes: destination %q is not an IPv4 CIDR such as 10.100.3.0/24.", d)
		}
		hop, err := netip.ParseAddr(nh)
		if err != nil || !hop.Is4() {
			return nil, model.Invalidf("Invalid input for routes: nexthop %q of the route to %s is not an IPv4 address.", nh, d)
		}
		out = append(out, network.Route{Destination: dst, Nexthop: hop})
	}
	return out, nil
}

func (e extraRoutePlugin) Create(ctx context.Context, r *resources.Resource) (string, error) {
	set, err := e.routeSet(ctx, r)
	if err != nil {
		return "", err
	}
	if _, err := e.p.net.SetRouteSet(ctx, set); err != nil {
		return "", err
	}
	return r.PhysicalID, nil
}

// Update sets the new routes: the network manager adds what is new,
// removes what is no longer listed and leaves the rest alone. Only an
// ExtraRouteSet's routes change in place.
func (e extraRoutePlugin) Update(ctx context.Context, r, _ *resources.Resource) error {
	set, err := e.routeSet(ctx, r)
	if err != nil {
		return err
	}
	_, err = e.p.net.SetRouteSet(ctx, set)
	return err
}

func (e extraRoutePlugin) Delete(ctx context.Context, r *resources.Resource) error {
	return e.p.net.DeleteRouteSet(ctx, r.PhysicalID)
}

func (e extraRoutePlugin) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	if _, err := e.p.net.GetRouteSet(ctx, r.PhysicalID); err != nil {
		return false, nil
	}
	_, err := e.Create(ctx, r)
	return err == nil, err
}

func (extraRoutePlugin) Attributes(context.Context, *resources.Resource) (map[string]any, error) {
	return map[string]any{}, nil
}
