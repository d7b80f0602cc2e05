package local

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/provider/local/network/nettest"
)

// routesOf returns the routes via a gateway in a router's namespace.
func (e *env) routesOf(routerID string) []string {
	e.t.Helper()
	rt, err := e.p.net.GetRouter(e.t.Context(), routerID)
	if err != nil {
		e.t.Fatal(err)
	}
	return nettest.Routes(e.t, rt.Netns)
}

// wantRoutes checks a router's routes via a gateway.
func (e *env) wantRoutes(routerID string, want ...string) {
	e.t.Helper()
	slices.Sort(want)
	if got := e.routesOf(routerID); !slices.Equal(got, want) {
		e.t.Fatalf("routes in router %s = %q, want %q", routerID, got, want)
	}
}

// TestExtraRoutes routes nodes' pod ranges through a cluster's router, as
// the Kubernetes driver does: an ExtraRouteSet names the router by name,
// an update adds and drops routes, an ExtraRoute adds one more and is
// replaced, both come back after a host reboot, and deletes remove exactly
// their own routes.
// Routes that cannot be made are refused with the reason.
func TestExtraRoutes(t *testing.T) {
	e := newEnv(t)
	ctx := t.Context()
	net := e.create("net", "OS::Neutron::Net", map[string]any{})
	subnet := e.create("subnet", "OS::Neutron::Subnet", map[string]any{"network": net.PhysicalID, "cidr": "10.0.0.0/24"})
	router := e.create("router", "OS::Neutron::Router", map[string]any{"name": "cluster-router"})
	ri := e.create("ri", "OS::Neutron::RouterInterface", map[string]any{"router": router.PhysicalID, "subnet": subnet.PhysicalID})
	ports := map[string]*resources.Resource{}
	for _, ip := range []string{"10.0.0.12", "10.0.0.13"} {
		ports[ip] = e.create("node-"+ip, "OS::Neutron::Port", map[string]any{"network": net.PhysicalID,
			"fixed_ips": []any{map[string]any{"subnet": subnet.PhysicalID, "ip_address": ip}}})
	}
	routes := func(pairs ...string) []any {
		var out []any
		for i := 0; i < len(pairs); i += 2 {
			out = append(out, map[string]any{"destination": pairs[i], "nexthop": pairs[i+1]})
		}
		return out
	}
	set := e.create("pod_routes", "OS::Neutron::ExtraRouteSet", map[string]any{"router": "cluster-router",
		"routes": routes("10.100.3.0/24", "10.0.0.12", "10.100.4.0/24", "10.0.0.13")})
	e.wantRoutes(router.PhysicalID, "10.100.3.0/24 via 10.0.0.12", "10.100.4.0/24 via 10.0.0.13")

	plugin, _ := e.registry().Lookup("OS::Neutron::ExtraRouteSet")
	updated := *set
	updated.Properties = map[string]any{"router": "cluster-router",
		"routes": routes("10.100.3.0/24", "10.0.0.12", "10.100.5.0/24", "10.0.0.13")}
	for range 2 { // an update resumed after a crash runs again
		if err := plugin.Update(ctx, &updated, set); err != nil {
			t.Fatal(err)
		}
	}
	set = &updated
	e.wantRoutes(router.PhysicalID, "10.100.3.0/24 via 10.0.0.12", "10.100.5.0/24 via 10.0.0.13")

	one := e.create("one_route", "OS::Neutron::ExtraRoute", map[string]any{"router_id": router.PhysicalID,
		"destination": "10.100.9.0/24", "nexthop": "10.0.0.12"})
	e.wantRoutes(router.PhysicalID, "10.100.3.0/24 via 10.0.0.12", "10.100.5.0/24 via 10.0.0.13", "10.100.9.0/24 via 10.0.0.12")

	t.Run("refuses what cannot be routed, and says why", func(t *testing.T) {
		for name, tc := range map[string]struct {
			routes []any
			err    error
			want   string
		}{
			"nexthop on no subnet of the router": {routes("10.100.7.0/24", "192.168.9.9"), model.ErrInvalid,
				"nexthop 192.168.9.9 of the route to 10.100.7.0/24 is not on a subnet router " + router.PhysicalID + " has an interface on (its interfaces are on 10.0.0.0/24)"},
			"destination without a prefix length": {routes("10.100.7.0", "10.0.0.12"), model.ErrInvalid, `destination "10.100.7.0" is not an IPv4 CIDR`},
			"nexthop that is no address":          {routes("10.100.7.0/24", "node-1"), model.ErrInvalid, `nexthop "node-1" of the route to 10.100.7.0/24 is not an IPv4 address`},
			"another set's route":                 {routes("10.100.3.0/24", "10.0.0.12"), model.ErrConflict, "has the route to 10.100.3.0/24 via 10.0.0.12 already, from route set " + set.PhysicalID},
		} {
			t.Run(name, func(t *testing.T) {
				r := &resources.Resource{Stack: e.stack, Name: "bad", Type: "OS::Neutron::ExtraRouteSet", PhysicalID: uuid.NewString(),
					Properties: map[string]any{"router": router.PhysicalID, "routes": tc.routes}}
				_, err := plugin.Create(ctx, r)
				if !errors.Is(err, tc.err) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("create: %v; want %v saying %q", err, tc.err, tc.want)
				}
				if found, err := plugin.Check(ctx, r); found || err != nil {
					t.Fatalf("a refused route set exists: %v, %v", found, err)
				}
			})
		}
		e.wantRoutes(router.PhysicalID, "10.100.3.0/24 via 10.0.0.12", "10.100.5.0/24 via 10.0.0.13", "10.100.9.0/24 via 10.0.0.12")
	})

	t.Run("an ExtraRoute is replaced with another nexthop", func(t *testing.T) {
		// The engine creates the replacement before it deletes the old
		// route: meanwhile the destination goes over both nexthops.
		again := e.create("one_route", "OS::Neutron::ExtraRoute", map[string]any{"router_id": router.PhysicalID,
			"destination": "10.100.9.0/24", "nexthop": "10.0.0.13"})
		e.wantRoutes(router.PhysicalID, "10.100.3.0/24 via 10.0.0.12", "10.100.5.0/24 via 10.0.0.13",
			"10.100.9.0/24 via 10.0.0.12", "10.100.9.0/24 via 10.0.0.13")
		single, _ := e.registry().Lookup("OS::Neutron::ExtraRoute")
		if err := single.Delete(ctx, one); err != nil {
			t.Fatal(err)
		}
		one = again
		e.wantRoutes(router.PhysicalID, "10.100.3.0/24 via 10.0.0.12", "10.100.5.0/24 via 10.0.0.13", "10.100.9.0/24 via 10.0.0.13")
	})

	t.Run("routes come back after a host reboot", func(t *testing.T) {
		known := map[string]bool{}
		for _, r := range []*resources.Resource{net, subnet, router, ri, set, one, ports["10.0.0.12"], ports["10.0.0.13"]} {
			known[r.PhysicalID] = true
		}
		simulateReboot(t, e.p)
		e.p = e.provider()
		for range 2 {
			if _, err := e.p.Reconcile(ctx, known); err != nil {
				t.Fatal(err)
			}
		}
		e.wantRoutes(router.PhysicalID, "10.100.3.0/24 via 10.0.0.12", "10.100.5.0/24 via 10.0.0.13", "10.100.9.0/24 via 10.0.0.13")
	})

	t.Run("a delete removes its own routes only, and again succeeds", func(t *testing.T) {
		plugin, _ := e.registry().Lookup("OS::Neutron::ExtraRouteSet")
		for range 2 {
			if err := plugin.Delete(ctx, set); err != nil {
				t.Fatal(err)
			}
		}
		e.wantRoutes(router.PhysicalID, "10.100.9.0/24 via 10.0.0.13")
		single, _ := e.registry().Lookup("OS::Neutron::ExtraRoute")
		if err := single.Delete(ctx, one); err != nil {
			t.Fatal(err)
		}
		e.wantRoutes(router.PhysicalID)
	})
}
