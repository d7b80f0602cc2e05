package network_test

import (
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/sys/unix"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/provider/local/network"
	"github.com/slipway/slipway/internal/provider/local/network/netns"
	"github.com/slipway/slipway/internal/provider/local/network/nettest"
)

func route(dst, nexthop string) network.Route {
	return network.Route{Destination: netip.MustParsePrefix(dst), Nexthop: netip.MustParseAddr(nexthop)}
}

// wantRoutes checks the routes via a gateway in the router's namespace.
func (e *env) wantRoutes(routerID string, want ...string) {
	e.t.Helper()
	rt := must[network.Router](e.t)(e.m.GetRouter(e.t.Context(), routerID))
	slices.Sort(want)
	if got := nettest.Routes(e.t, rt.Netns); !slices.Equal(got, want) {
		e.t.Fatalf("routes in router %s = %q, want %q", routerID, got, want)
	}
}

// TestRouteSetsRouteToAddressesBehindMachines routes a /24 that lives
// behind machine b (an address of its loopback, as a node's pods) through the
// router: a reaches it only while a route set says so. Two route sets
// share the router without touching each other's routes; an update
// changes only what differs; the routes come back after a reboot and with
// a router interface that comes back; Reconcile removes the unknown set.
func TestRouteSetsRouteToAddressesBehindMachines(t *testing.T) {
	e := newEnv(t, 6)
	ctx := t.Context()
	e.lan("n1", "10.66.1.0/24")
	e.lan("n2", "10.66.2.0/24")
	must[network.SecurityGroup](t)(e.m.CreateSecurityGroup(ctx, network.SecurityGroup{ID: "open", Rules: open}))
	must[network.Router](t)(e.m.CreateRouter(ctx, network.Router{ID: "r1"}))
	for _, s := range []string{"n1-sub", "n2-sub"} {
		must[network.RouterInterface](t)(e.m.AddRouterInterface(ctx, "r1", network.RouterInterface{SubnetID: s}))
	}
	a, aIP := e.machine("a", "n1", "open")
	// b answers for 10.100.3.0/24 too: its port allows those sources, as
	// a node's port allows its pods'.
	b := nettest.Machine(t, e.prefix+"m-b")
	bp := must[network.Port](t)(e.m.CreatePort(ctx, network.Port{
		ID: "port-b", NetworkID: "n2", DeviceID: "server-b", DeviceOwner: network.OwnerCompute, SecurityGroups: []string{"open"},
		AllowedAddressPairs: []netip.Prefix{netip.MustParsePrefix("10.100.3.0/24")},
		Binding:             &network.Binding{Netns: b, DefaultRoute: true},
	}))
	bIP := bp.FixedIPs[0].IPAddress.String()
	nettest.LoopbackAddress(t, b, netip.MustParsePrefix("10.100.3.1/32"))
	nettest.Serve(t, b, 8080, "pod behind b")
	pod := "http://10.100.3.1:8080/"

	if _, err := nettest.Dial(ctx, a, "10.100.3.1:8080", 300*time.Millisecond); err == nil {
		t.Fatal("a reached 10.100.3.1 with no route to it")
	}
	must[network.RouteSet](t)(e.m.SetRouteSet(ctx, network.RouteSet{ID: "set1", RouterID: "r1", Routes: []network.Route{
		route("10.100.3.0/24", bIP), route("10.100.6.0/24", bIP),
	}}))
	err := nettest.Eventually(ctx, 10*time.Second, func() error {
		got, err := nettest.Get(ctx, a, pod)
		if err == nil && got != "pod behind b" {
			err = fmt.Errorf("body %q", got)
		}
		return err
	})
	if err != nil {
		t.Fatalf("a -> 10.100.3.1 behind b through the route set: %v", err)
	}

	t.Run("a second set shares the router, and a route has one owner", func(t *testing.T) {
		must[network.RouteSet](t)(e.m.SetRouteSet(ctx, network.RouteSet{ID: "set2", RouterID: "r1", Routes: []network.Route{
			route("10.100.4.0/24", aIP.String()),
		}}))
		_, err := e.m.SetRouteSet(ctx, network.RouteSet{ID: "set2", RouterID: "r1", Routes: []network.Route{
			route("10.100.4.0/24", aIP.String()), route("10.100.6.0/24", bIP),
		}})
		if !errors.Is(err, model.ErrConflict) || !strings.Contains(err.Error(), "set1") {
			t.Fatalf("a second set with set1's route: err = %v, want a conflict naming set1", err)
		}
		e.wantRoutes("r1", "10.100.3.0/24 via "+bIP, "10.100.6.0/24 via "+bIP, "10.100.4.0/24 via "+aIP.String())
		// Another nexthop for set1's destination: the two share it, as a
		// replacement shares it with what it replaces until that goes.
		must[network.RouteSet](t)(e.m.SetRouteSet(ctx, network.RouteSet{ID: "set3", RouterID: "r1", Routes: []network.Route{
			route("10.100.6.0/24", aIP.String()),
		}}))
		e.wantRoutes("r1", "10.100.3.0/24 via "+bIP, "10.100.6.0/24 via "+bIP, "10.100.6.0/24 via "+aIP.String(),
			"10.100.4.0/24 via "+aIP.String())
		if err := e.m.DeleteRouteSet(ctx, "set3"); err != nil {
			t.Fatal(err)
		}
		e.wantRoutes("r1", "10.100.3.0/24 via "+bIP, "10.100.6.0/24 via "+bIP, "10.100.4.0/24 via "+aIP.String())
	})

	t.Run("refuses what cannot be routed, and says why", func(t *testing.T) {
		for name, tc := range map[string]struct {
			route network.Route
			want  string
		}{
			"nexthop off the router's subnets": {route("10.100.7.0/24", "10.9.9.9"), "is not on a subnet router r1 has an interface on (its interfaces are on 10.66.1.0/24, 10.66.2.0/24)"},
			"nexthop is the router itself":     {route("10.100.7.0/24", "10.66.1.1"), "is the router's own address"},
			"nexthop is a broadcast address":   {route("10.100.7.0/24", "10.66.2.255"), "is the network or broadcast address of subnet n2-sub"},
			"destination is not a network":     {route("10.100.7.5/24", bIP), "use 10.100.7.0/24"},
			"destination is IPv6":              {network.Route{Destination: netip.MustParsePrefix("fd00::/64"), Nexthop: netip.MustParseAddr(bIP)}, "not an IPv4 CIDR"},
		} {
			t.Run(name, func(t *testing.T) {
				_, err := e.m.SetRouteSet(ctx, network.RouteSet{ID: "bad", RouterID: "r1", Routes: []network.Route{tc.route}})
				if !errors.Is(err, model.ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("err = %v, want invalid input saying %q", err, tc.want)
				}
			})
		}
		if _, err := e.m.GetRouteSet(ctx, "bad"); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("a refused route set was recorded: %v", err)
		}
	})

	t.Run("an update changes only what differs", func(t *testing.T) {
		rt := must[network.Router](t)(e.m.GetRouter(ctx, "r1"))
		ns, err := netns.Open(rt.Netns)
		if err != nil {
			t.Fatal(err)
		}
		defer ns.Close()
		updates, done := make(chan netlink.RouteUpdate, 64), make(chan struct{})
		defer close(done)
		if err := netlink.RouteSubscribeWithOptions(updates, done, netlink.RouteSubscribeOptions{Namespace: &ns}); err != nil {
			t.Fatal(err)
		}
		must[network.RouteSet](t)(e.m.SetRouteSet(ctx, network.RouteSet{ID: "set1", RouterID: "r1", Routes: []network.Route{
			route("10.100.3.0/24", bIP), route("10.100.5.0/24", bIP),
		}}))
		// The removal of 10.100.6.0/24 is the update's last change.
		var seen []string
		for removed := false; !removed; {
			select {
			case u := <-updates:
				if u.Dst == nil || !strings.HasPrefix(u.Dst.String(), "10.100.") {
					continue
				}
				what := map[uint16]string{unix.RTM_NEWROUTE: "add", unix.RTM_DELROUTE: "del"}[u.Type] + " " + u.Dst.String()
				seen = append(seen, what)
				removed = what == "del 10.100.6.0/24"
			case <-time.After(5 * time.Second):
				t.Fatalf("no removal of 10.100.6.0/24 among the route changes %q", seen)
			}
		}
		if !slices.Equal(seen, []string{"add 10.100.5.0/24", "del 10.100.6.0/24"}) {
			t.Fatalf("route changes of the update = %q, want only the new route added and the dropped one removed", seen)
		}
		e.wantRoutes("r1", "10.100.3.0/24 via "+bIP, "10.100.5.0/24 via "+bIP, "10.100.4.0/24 via "+aIP.String())
		if got := must[network.Router](t)(e.m.GetRouter(ctx, "r1")).Routes; len(got) != 3 {
			t.Fatalf("the router reports routes %v, want the 3 of its two sets", got)
		}
	})

	t.Run("routes come back with their interface", func(t *testing.T) {
		if err := e.m.RemoveRouterInterface(ctx, "r1", network.RouterInterface{SubnetID: "n2-sub"}); err != nil {
			t.Fatal(err)
		}
		e.wantRoutes("r1", "10.100.4.0/24 via "+aIP.String())
		must[network.RouterInterface](t)(e.m.AddRouterInterface(ctx, "r1", network.RouterInterface{SubnetID: "n2-sub"}))
		e.wantRoutes("r1", "10.100.3.0/24 via "+bIP, "10.100.5.0/24 via "+bIP, "10.100.4.0/24 via "+aIP.String())
	})

	t.Run("routes come back after a reboot", func(t *testing.T) {
		if err := netns.Delete(e.prefix + "rtr-r1"); err != nil {
			t.Fatal(err)
		}
		e.m = e.manager()
		for range 2 {
			if err := e.m.Adopt(ctx); err != nil {
				t.Fatal(err)
			}
		}
		e.wantRoutes("r1", "10.100.3.0/24 via "+bIP, "10.100.5.0/24 via "+bIP, "10.100.4.0/24 via "+aIP.String())
		err := nettest.Eventually(ctx, 10*time.Second, func() error {
			_, err := nettest.Get(ctx, a, pod)
			return err
		})
		if err != nil {
			t.Fatalf("a -> 10.100.3.1 after the reboot: %v", err)
		}
	})

	t.Run("Reconcile removes the set it does not know", func(t *testing.T) {
		known := map[string]bool{"n1": true, "n1-sub": true, "n2": true, "n2-sub": true, "r1": true, "open": true,
			"server-a": true, "server-b": true, "set1": true}
		for range 2 {
			if err := e.m.Reconcile(ctx, known); err != nil {
				t.Fatal(err)
			}
		}
		e.wantRoutes("r1", "10.100.3.0/24 via "+bIP, "10.100.5.0/24 via "+bIP)
		if _, err := e.m.GetRouteSet(ctx, "set2"); !errors.Is(err, model.ErrNotFound) {
			t.Fatalf("set2 survived Reconcile: %v", err)
		}
	})

	t.Run("deletes are idempotent", func(t *testing.T) {
		for range 2 {
			if err := e.m.DeleteRouteSet(ctx, "set1"); err != nil {
				t.Fatal(err)
			}
		}
		e.wantRoutes("r1")
		if _, err := nettest.Dial(ctx, a, "10.100.3.1:8080", 300*time.Millisecond); err == nil {
			t.Fatal("a still reaches 10.100.3.1 after the route set's delete")
		}
	})
}
