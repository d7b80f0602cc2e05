package network_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/provider/local/lb"
	"github.com/slipway/slipway/internal/provider/local/leakcheck"
	"github.com/slipway/slipway/internal/provider/local/network"
	"github.com/slipway/slipway/internal/provider/local/network/nettest"
)

func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

func TestFigures(t *testing.T) {
	if os.Getenv("SLIPWAY_BENCH") == "" {
		t.Skip("set SLIPWAY_BENCH=1 to measure")
	}
	nettest.NeedHost(t, "busybox", "haproxy")
	ctx := t.Context()
	unlock, err := leakcheck.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	const rounds = 5
	var create, reload, del time.Duration
	for round := range rounds {
		c, r, d := once(t, ctx, round)
		create, reload, del = create+c, reload+r, del+d
	}
	t.Logf("network + subnet + router (gateway, interface) + security group + 3 ports + LB (listener, pool, 3 members, health monitor) + floating IP: %v", create/rounds)
	t.Logf("member add (render, haproxy -c, reload, new worker up): %v", reload/rounds)
	t.Logf("delete all (LB, floating IP, ports, router, network): %v", del/rounds)
}

func once(t *testing.T, ctx context.Context, round int) (create, reload, del time.Duration) {
	prefix := fmt.Sprintf("slwb%d-", round)
	store := network.NewFileStore(t.TempDir())
	nm := must(network.New(ctx, network.Options{Store: store, Prefix: prefix, HostInterface: fmt.Sprintf("slwb%d", round),
		PublicCIDR: netip.MustParsePrefix("10.254.0.0/24")}))(t)
	lbs := must(lb.New(ctx, lb.Options{Store: store, Ports: nm, StateDir: filepath.Join(t.TempDir(), "lb"), Prefix: prefix}))(t)
	if _, _, err := nm.EnsurePublic(ctx); err != nil {
		t.Fatal(err)
	}
	var paths []string
	for i := range 3 {
		p := nettest.Machine(t, fmt.Sprintf("%sm%d", prefix, i))
		nettest.Serve(t, p, 8080, fmt.Sprint("member ", i))
		paths = append(paths, p)
	}

	start := time.Now()
	must(nm.CreateNetwork(ctx, network.Network{ID: "n"}))(t)
	must(nm.CreateSubnet(ctx, network.Subnet{ID: "s", NetworkID: "n", CIDR: netip.MustParsePrefix("10.80.0.0/24")}))(t)
	must(nm.CreateRouter(ctx, network.Router{ID: "r", Gateway: &network.Gateway{NetworkID: nm.PublicNetworkID()}}))(t)
	must(nm.AddRouterInterface(ctx, "r", network.RouterInterface{SubnetID: "s"}))(t)
	must(nm.CreateSecurityGroup(ctx, network.SecurityGroup{ID: "g", Rules: []network.Rule{
		{Direction: network.Ingress, Protocol: "tcp", PortRangeMin: 8080, PortRangeMax: 8080}, {Direction: network.Egress}}}))(t)
	var addrs []netip.Addr
	for i, p := range paths {
		port := must(nm.CreatePort(ctx, network.Port{ID: fmt.Sprint("p", i), NetworkID: "n", SecurityGroups: []string{"g"},
			Binding: &network.Binding{Netns: p, DefaultRoute: true}}))(t)
		addrs = append(addrs, port.FixedIPs[0].IPAddress)
	}
	l := must(lbs.CreateLoadBalancer(ctx, lb.LoadBalancer{ID: "lb", VIPSubnetID: "s"}))(t)
	must(lbs.SaveListener(ctx, lb.Listener{ID: "l", LoadBalancerID: "lb", Protocol: lb.ProtocolHTTP, ProtocolPort: 80}))(t)
	must(lbs.SavePool(ctx, lb.Pool{ID: "pool", ListenerID: "l", Protocol: lb.ProtocolHTTP}))(t)
	must(lbs.SaveHealthMonitor(ctx, lb.HealthMonitor{ID: "hm", PoolID: "pool", Type: lb.MonitorHTTP, Delay: 1, Timeout: 1, MaxRetries: 1}))(t)
	for i, a := range addrs[:2] {
		must(lbs.SaveMember(ctx, lb.Member{ID: fmt.Sprint("m", i), PoolID: "pool", Address: a, ProtocolPort: 8080}))(t)
	}
	f := must(nm.CreateFloatingIP(ctx, network.FloatingIP{ID: "fip", PortID: l.VIPPortID}))(t)
	create = time.Since(start)

	start = time.Now()
	must(lbs.SaveMember(ctx, lb.Member{ID: "m2", PoolID: "pool", Address: addrs[2], ProtocolPort: 8080}))(t)
	reload = time.Since(start)
	create += reload // three members in all

	if err := nettest.Eventually(ctx, 10*time.Second, func() error {
		_, err := nettest.Get(ctx, "", fmt.Sprintf("http://%s/", f.FloatingIPAddress))
		return err
	}); err != nil {
		t.Fatal(err)
	}

	start = time.Now()
	if err := lbs.DeleteLoadBalancer(ctx, "lb"); err != nil {
		t.Fatal(err)
	}
	if err := nm.DeleteFloatingIP(ctx, "fip"); err != nil {
		t.Fatal(err)
	}
	for i := range paths {
		if err := nm.DeletePort(ctx, fmt.Sprint("p", i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := nm.RemoveRouterInterface(ctx, "r", network.RouterInterface{SubnetID: "s"}); err != nil {
		t.Fatal(err)
	}
	if err := nm.DeleteRouter(ctx, "r"); err != nil {
		t.Fatal(err)
	}
	if err := nm.DeleteNetwork(ctx, "n"); err != nil {
		t.Fatal(err)
	}
	del = time.Since(start)
	if err := nm.Teardown(ctx); err != nil {
		t.Fatal(err)
	}
	return create, reload, del
}
