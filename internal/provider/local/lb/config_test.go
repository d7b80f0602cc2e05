package lb

import (
	"flag"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got != string(want) {
		t.Fatalf("%s differs from the golden file (go test -update rewrites it):\n%s", name, got)
	}
}

func TestRenderConfig(t *testing.T) {
	t.Parallel()
	zero := 0
	lb := &LoadBalancer{
		ID: "lb-1", VIPAddress: netip.MustParseAddr("10.0.0.10"),
		Listeners: []Listener{
			{ID: "api", Protocol: ProtocolTCP, ProtocolPort: 6443, DefaultPoolID: "masters", ConnectionLimit: 1000},
			{ID: "web", Protocol: ProtocolHTTP, ProtocolPort: 80, DefaultPoolID: "web"},
			{ID: "idle", Protocol: ProtocolTCP, ProtocolPort: 9000},
		},
		Pools: []Pool{
			{ID: "masters", Protocol: ProtocolTCP, LBAlgorithm: SourceIP,
				Members:       []Member{{ID: "m1", Address: netip.MustParseAddr("10.0.0.5"), ProtocolPort: 6443}},
				HealthMonitor: &HealthMonitor{ID: "hm1", Type: MonitorTCP, Delay: 5, Timeout: 3, MaxRetries: 2}},
			{ID: "web", Protocol: ProtocolHTTP, LBAlgorithm: RoundRobin,
				Members: []Member{
					{ID: "w1", Address: netip.MustParseAddr("10.0.0.6"), ProtocolPort: 8080},
					{ID: "w2", Address: netip.MustParseAddr("10.0.0.7"), ProtocolPort: 8080, Weight: &zero},
					{ID: "w3", Address: netip.MustParseAddr("10.0.0.8"), ProtocolPort: 8080, AdminStateDown: true},
				},
				HealthMonitor: &HealthMonitor{ID: "hm2", Type: MonitorHTTP, Delay: 2, Timeout: 1, MaxRetries: 1,
					MaxRetriesDown: 2, URLPath: "/healthz", ExpectedCodes: "200-202,204"}},
			{ID: "unused", Protocol: ProtocolTCP, LBAlgorithm: LeastConnections},
		},
	}
	got, err := renderConfig(lb, configParams{dir: "/var/lib/slipway/lb/lb-1", hardStopAfter: 3600, maxConn: 9500})
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "haproxy.cfg", got)
}

func TestRenderConfigRejects(t *testing.T) {
	t.Parallel()
	vip := netip.MustParseAddr("10.0.0.10")
	for name, lb := range map[string]*LoadBalancer{
		"udp listener": {VIPAddress: vip, Listeners: []Listener{{ID: "l", Protocol: "UDP", ProtocolPort: 53}}},
		"mixed modes": {VIPAddress: vip, Listeners: []Listener{{ID: "l", Protocol: ProtocolHTTP, ProtocolPort: 80, DefaultPoolID: "p"}},
			Pools: []Pool{{ID: "p", Protocol: ProtocolTCP}}},
		"bad codes": {VIPAddress: vip, Listeners: []Listener{{ID: "l", Protocol: ProtocolHTTP, ProtocolPort: 80, DefaultPoolID: "p"}},
			Pools: []Pool{{ID: "p", Protocol: ProtocolHTTP, HealthMonitor: &HealthMonitor{Type: MonitorHTTP, Delay: 1, Timeout: 1, MaxRetries: 1, ExpectedCodes: "2xx"}}}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if _, err := renderConfig(lb, configParams{dir: "/d", maxConn: 100}); err == nil {
				t.Fatal("rendered")
			}
		})
	}
}

func TestApplyStatus(t *testing.T) {
	t.Parallel()
	out := "# pxname,svname,qcur,status,check_status\n" +
		"web,FRONTEND,,OPEN,\n" +
		"pool,a,0,UP,L7OK\n" +
		"pool,b,0,DOWN,L4CON\n" +
		"pool,c,0,MAINT,\n" +
		"pool,BACKEND,0,UP,\n"
	lb := &LoadBalancer{
		Listeners: []Listener{{ID: "web"}},
		Pools:     []Pool{{ID: "pool", HealthMonitor: &HealthMonitor{}, Members: []Member{{ID: "a"}, {ID: "b"}, {ID: "c"}, {ID: "d"}}}},
	}
	applyStatus(lb, parseStat(out), true)
	var got []string
	for _, m := range lb.Pools[0].Members {
		got = append(got, m.OperatingStatus)
	}
	if strings.Join(got, " ") != "ONLINE ERROR OFFLINE OFFLINE" || lb.Pools[0].OperatingStatus != OperatingDegraded ||
		lb.Listeners[0].OperatingStatus != OperatingOnline || lb.OperatingStatus != OperatingDegraded {
		t.Fatalf("members %v, pool %s, listener %s, lb %s", got, lb.Pools[0].OperatingStatus, lb.Listeners[0].OperatingStatus, lb.OperatingStatus)
	}
	applyStatus(lb, nil, false)
	if lb.OperatingStatus != OperatingError {
		t.Fatalf("lb with haproxy down: %s", lb.OperatingStatus)
	}
}
