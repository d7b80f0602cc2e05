package lb_test

import (
	"bufio"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/provider/local/lb"
	"github.com/slipway/slipway/internal/provider/local/leakcheck"
	"github.com/slipway/slipway/internal/provider/local/network"
	"github.com/slipway/slipway/internal/provider/local/network/netns"
	"github.com/slipway/slipway/internal/provider/local/network/nettest"
)

// env is a network with a router to "public", machines on it, and a load
// balancer Manager, all with names of their own.
type env struct {
	t      *testing.T
	net    *network.Manager
	lbs    *lb.Manager
	lbOpts lb.Options
	prefix string
}

func newEnv(t *testing.T, n int) *env {
	t.Helper()
	nettest.NeedHost(t, "busybox", "haproxy")
	ctx := t.Context()
	unlock, err := leakcheck.Lock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(unlock)
	state := t.TempDir()
	if err := os.Mkdir(filepath.Join(state, "lb"), 0o700); err != nil {
		t.Fatal(err)
	}
	before, err := leakcheck.Snapshot(ctx, leakcheck.NamespacedProcessesOnly(), leakcheck.FilesUnder(state))
	if err != nil {
		t.Fatal(err)
	}
	tag := fmt.Sprintf("%d%d", os.Getpid()%10000, n)
	e := &env{t: t, prefix: "slwl" + tag + "-"}
	store := network.NewFileStore(t.TempDir())
	e.net, err = network.New(ctx, network.Options{
		Store: store, Prefix: e.prefix, HostInterface: "slwl" + tag,
		PublicCIDR: netip.MustParsePrefix(fmt.Sprintf("10.253.%d.0/24", n)),
	})
	if err != nil {
		t.Fatal(err)
	}
	e.lbOpts = lb.Options{Store: store, Ports: e.net, StateDir: filepath.Join(state, "lb"), Prefix: e.prefix}
	e.lbs = e.lbManager()
	t.Cleanup(func() {
		ctx := context.Background()
		if err := e.lbs.Reconcile(ctx, nil); err != nil {
			t.Errorf("remove load balancers: %v", err)
		}
		if err := e.net.Teardown(ctx); err != nil {
			t.Errorf("teardown: %v", err)
		}
		if pids := haproxyPids(state); len(pids) > 0 {
			t.Errorf("haproxy processes left: %v", pids)
		}
		err := nettest.Eventually(ctx, 5*time.Second, func() error {
			after, err := leakcheck.Snapshot(ctx, leakcheck.NamespacedProcessesOnly(), leakcheck.FilesUnder(state))
			if err != nil {
				return err
			}
			var diff []string
			for _, d := range leakcheck.Diff(before, after) {
				if !strings.HasPrefix(d[2:], string(leakcheck.Processes)+" ") && !strings.Contains(d, filepath.Join(state, "records")) {
					diff = append(diff, d)
				}
			}
			if len(diff) > 0 {
				return fmt.Errorf("left behind:\n%s", strings.Join(diff, "\n"))
			}
			return nil
		})
		if err != nil {
			t.Error(err)
		}
	})
	if _, _, err := e.net.EnsurePublic(ctx); err != nil {
		t.Fatal(err)
	}
	must(e.net.CreateNetwork(ctx, network.Network{ID: "n1"}))(t)
	must(e.net.CreateSubnet(ctx, network.Subnet{ID: "n1-sub", NetworkID: "n1", CIDR: netip.MustParsePrefix("10.71.0.0/24")}))(t)
	must(e.net.CreateRouter(ctx, network.Router{ID: "r1", Gateway: &network.Gateway{NetworkID: e.net.PublicNetworkID()}}))(t)
	must(e.net.AddRouterInterface(ctx, "r1", network.RouterInterface{SubnetID: "n1-sub"}))(t)
	must(e.net.CreateSecurityGroup(ctx, network.SecurityGroup{ID: "members", Rules: []network.Rule{
		{Direction: network.Ingress, Protocol: "tcp", PortRangeMin: 7000, PortRangeMax: 8080},
		{Direction: network.Egress},
	}}))(t)
	return e
}

// haproxyPids returns the haproxy processes whose command line names a
// path under dir.
func haproxyPids(dir string) []string {
	var out []string
	entries, _ := os.ReadDir("/proc")
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err == nil && strings.Contains(string(b), "haproxy") && strings.Contains(string(b), dir) {
			out = append(out, e.Name())
		}
	}
	return out
}

func (e *env) lbManager() *lb.Manager {
	m, err := lb.New(e.t.Context(), e.lbOpts)
	if err != nil {
		e.t.Fatal(err)
	}
	return m
}

// must fails the test on err: must(f())(t).
func must[T any](v T, err error) func(*testing.T) T {
	return func(t *testing.T) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// machine creates a namespace on n1 in the "members" group.
func (e *env) machine(name string) (string, netip.Addr) {
	ctx := e.t.Context()
	path := nettest.Machine(e.t, e.prefix+"m-"+name)
	p := must(e.net.CreatePort(ctx, network.Port{
		ID: "port-" + name, NetworkID: "n1", DeviceID: "server-" + name, SecurityGroups: []string{"members"},
		Binding: &network.Binding{Netns: path, DefaultRoute: true},
	}))(e.t)
	return path, p.FixedIPs[0].IPAddress
}

// loadBalancer creates a load balancer on n1 with a floating IP on its VIP
// port, and returns the load balancer and the floating IP.
func (e *env) loadBalancer(id string) (lb.LoadBalancer, netip.Addr) {
	ctx := e.t.Context()
	l := must(e.lbs.CreateLoadBalancer(ctx, lb.LoadBalancer{ID: id, VIPSubnetID: "n1-sub"}))(e.t)
	f := must(e.net.CreateFloatingIP(ctx, network.FloatingIP{ID: "fip-" + id, PortID: l.VIPPortID}))(e.t)
	return l, f.FloatingIPAddress
}

// TestRoundRobinAndHealthMonitor balances HTTP across two members, seen from
// the host through a floating IP on the VIP, then stops one member and
// checks that the health monitor takes it out of rotation and that the
// statuses say so.
func TestRoundRobinAndHealthMonitor(t *testing.T) {
	e := newEnv(t, 1)
	ctx := t.Context()
	a, aIP := e.machine("a")
	b, bIP := e.machine("b")
	nettest.Serve(t, a, 8080, "member a")
	hb := nettest.Serve(t, b, 8080, "member b")

	l, fip := e.loadBalancer("lb1")
	must(e.lbs.SaveListener(ctx, lb.Listener{ID: "http", LoadBalancerID: l.ID, Protocol: lb.ProtocolHTTP, ProtocolPort: 80}))(t)
	must(e.lbs.SavePool(ctx, lb.Pool{ID: "web", ListenerID: "http", Protocol: lb.ProtocolHTTP, LBAlgorithm: lb.RoundRobin}))(t)
	must(e.lbs.SaveMember(ctx, lb.Member{ID: "ma", PoolID: "web", Address: aIP, ProtocolPort: 8080}))(t)
	must(e.lbs.SaveMember(ctx, lb.Member{ID: "mb", PoolID: "web", Address: bIP, ProtocolPort: 8080}))(t)
	must(e.lbs.SaveHealthMonitor(ctx, lb.HealthMonitor{ID: "hm", PoolID: "web", Type: lb.MonitorHTTP,
		Delay: 1, Timeout: 1, MaxRetries: 1, MaxRetriesDown: 1, URLPath: "/", ExpectedCodes: "200"}))(t)

	await(t, "both members ONLINE", func() error { return memberStatus(e, "web", lb.OperatingOnline, lb.OperatingOnline) })
	url := fmt.Sprintf("http://%s/", fip)
	var seq []string
	for range 6 {
		body, err := nettest.Get(ctx, "", url)
		if err != nil {
			t.Fatal(err)
		}
		seq = append(seq, body)
	}
	for i := 1; i < len(seq); i++ {
		if seq[i] == seq[i-1] {
			t.Fatalf("not round-robin: %q", seq)
		}
	}

	hb.Stop()
	await(t, "member b ERROR", func() error { return memberStatus(e, "web", lb.OperatingOnline, lb.OperatingError) })
	got := must(e.lbs.GetLoadBalancer(ctx, l.ID))(t)
	if got.Pools[0].OperatingStatus != lb.OperatingDegraded || got.OperatingStatus != lb.OperatingDegraded ||
		got.ProvisioningStatus != lb.ProvisioningActive || got.Listeners[0].OperatingStatus != lb.OperatingOnline {
		t.Fatalf("statuses: lb %s/%s, listener %s, pool %s", got.ProvisioningStatus, got.OperatingStatus,
			got.Listeners[0].OperatingStatus, got.Pools[0].OperatingStatus)
	}
	for range 4 {
		if body, err := nettest.Get(ctx, "", url); err != nil || body != "member a" {
			t.Fatalf("with b down: %q, %v", body, err)
		}
	}
	// Deletes are idempotent.
	for range 2 {
		if err := e.lbs.DeleteLoadBalancer(ctx, l.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.net.DeleteFloatingIP(ctx, "fip-lb1"); err != nil {
		t.Fatal(err)
	}
}

func memberStatus(e *env, poolID string, want ...string) error {
	p, err := e.lbs.GetPool(e.t.Context(), poolID)
	if err != nil {
		return err
	}
	var got []string
	for _, m := range p.Members {
		got = append(got, m.OperatingStatus)
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		return fmt.Errorf("member statuses %v, want %v", got, want)
	}
	return nil
}

func await(t *testing.T, what string, f func() error) {
	t.Helper()
	if err := nettest.Eventually(t.Context(), 15*time.Second, f); err != nil {
		t.Fatalf("awaiting %s: %v", what, err)
	}
}

// TestReloadKeepsEstablishedConnections holds a TCP connection through the
// VIP while a member is added, and checks that it still carries data after
// HAProxy reloaded.
func TestReloadKeepsEstablishedConnections(t *testing.T) {
	e := newEnv(t, 2)
	ctx := t.Context()
	a, aIP := e.machine("a")
	b, bIP := e.machine("b")
	nettest.Echo(t, a, ":7000")
	nettest.Echo(t, b, ":7000")
	l, fip := e.loadBalancer("lb2")
	must(e.lbs.SaveListener(ctx, lb.Listener{ID: "tcp", LoadBalancerID: l.ID, Protocol: lb.ProtocolTCP, ProtocolPort: 7000}))(t)
	must(e.lbs.SavePool(ctx, lb.Pool{ID: "echo", ListenerID: "tcp", Protocol: lb.ProtocolTCP, LBAlgorithm: lb.LeastConnections}))(t)
	must(e.lbs.SaveMember(ctx, lb.Member{ID: "ma", PoolID: "echo", Address: aIP, ProtocolPort: 7000}))(t)

	conn, err := nettest.Dial(ctx, "", netip.AddrPortFrom(fip, 7000).String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	echo := func(msg string) {
		t.Helper()
		_ = conn.SetDeadline(time.Now().Add(3 * time.Second))
		if _, err := fmt.Fprintln(conn, msg); err != nil {
			t.Fatalf("write %q: %v", msg, err)
		}
		line, err := r.ReadString('\n')
		if err != nil || strings.TrimSpace(line) != msg {
			t.Fatalf("echo %q: %q, %v", msg, line, err)
		}
	}
	echo("before the reload")
	workersBefore := workers(t, e, l.ID)
	start := time.Now()
	must(e.lbs.SaveMember(ctx, lb.Member{ID: "mb", PoolID: "echo", Address: bIP, ProtocolPort: 7000}))(t)
	t.Logf("member add with reload: %v", time.Since(start))
	if after := workers(t, e, l.ID); after == workersBefore {
		t.Fatalf("no new worker after the member add (workers %q)", after)
	}
	echo("after the reload")
	// New connections go to the new worker, which knows both members.
	c2, err := nettest.Dial(ctx, "", netip.AddrPortFrom(fip, 7000).String(), 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c2.Close()
}

// workers lists the HAProxy processes in the load balancer's namespace.
func workers(t *testing.T, e *env, id string) string {
	t.Helper()
	pids, err := netns.Pids(netns.Path(e.prefix + "lb-" + id))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(pids)
}

// TestAdoptAndReconcileAfterCrash restarts the Manager (HAProxy keeps
// running and is adopted, the VIP keeps answering), then simulates a crash
// that killed HAProxy and lost the records, and checks that Reconcile with
// nothing known removes the namespace, the VIP port and the state.
func TestAdoptAndReconcileAfterCrash(t *testing.T) {
	e := newEnv(t, 3)
	ctx := t.Context()
	a, aIP := e.machine("a")
	nettest.Serve(t, a, 8080, "member a")
	l, fip := e.loadBalancer("lb3")
	must(e.lbs.SaveListener(ctx, lb.Listener{ID: "http", LoadBalancerID: l.ID, Protocol: lb.ProtocolTCP, ProtocolPort: 80}))(t)
	must(e.lbs.SavePool(ctx, lb.Pool{ID: "web", ListenerID: "http", Protocol: lb.ProtocolTCP}))(t)
	must(e.lbs.SaveMember(ctx, lb.Member{ID: "ma", PoolID: "web", Address: aIP, ProtocolPort: 8080}))(t)
	url := fmt.Sprintf("http://%s/", fip)
	if body, err := nettest.Get(ctx, "", url); err != nil || body != "member a" {
		t.Fatalf("GET %s: %q, %v", url, body, err)
	}
	before := workers(t, e, l.ID)
	if ppid := parentOf(t, strings.Fields(strings.Trim(before, "[]"))[0]); ppid == fmt.Sprint(os.Getpid()) {
		t.Fatal("haproxy is a child of this process")
	}

	// A restart adopts the running HAProxy without restarting it, twice.
	e.lbs = e.lbManager()
	for range 2 {
		if err := e.lbs.Adopt(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if after := workers(t, e, l.ID); after != before {
		t.Fatalf("adoption restarted haproxy: %s -> %s", before, after)
	}
	if body, err := nettest.Get(ctx, "", url); err != nil || body != "member a" {
		t.Fatalf("GET %s after adoption: %q, %v", url, body, err)
	}

	// A crash: HAProxy dies, the namespace stays, the records are lost.
	pids, _ := netns.Pids(netns.Path(e.prefix + "lb-" + l.ID))
	for _, pid := range pids {
		_ = killPid(pid)
	}
	lost := e.lbOpts
	lost.Store = network.NewFileStore(t.TempDir())
	e.lbs, _ = lb.New(ctx, lost)
	if err := e.net.DeleteFloatingIP(ctx, "fip-lb3"); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if err := e.lbs.Reconcile(ctx, nil); err != nil {
			t.Fatal(err)
		}
	}
	if netns.Exists(e.prefix + "lb-" + l.ID) {
		t.Fatal("the load balancer's namespace survived Reconcile")
	}
	if left, _ := os.ReadDir(e.lbOpts.StateDir); len(left) > 0 {
		t.Fatalf("the load balancer's state directory survived Reconcile: %v", left)
	}
	// The network side forgets the VIP port of a load balancer it does not
	// know.
	if err := e.net.Reconcile(ctx, map[string]bool{"n1": true, "n1-sub": true, "r1": true, "members": true, "server-a": true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.net.GetPort(ctx, l.VIPPortID); err == nil {
		t.Fatal("the VIP port survived Reconcile")
	}
}

func parentOf(t *testing.T, pid string) string {
	b, err := os.ReadFile(filepath.Join("/proc", pid, "stat"))
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndex(s, ")")+2:])
	return f[1]
}
