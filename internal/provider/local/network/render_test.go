package network

import (
	"flag"
	"net"
	"net/netip"
	"os"
	"path/filepath"
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

// TestRenderTables pins the nftables tables of a network, a router and the
// host guard, as resolved from records by filterPorts and friends.
func TestRenderTables(t *testing.T) {
	t.Parallel()
	m := &Manager{
		opts:     Options{Prefix: "slw-"},
		networks: map[string]*Network{"n1": {ID: "n1"}},
		subnets:  map[string]*Subnet{"s1": {ID: "s1", NetworkID: "n1", CIDR: netip.MustParsePrefix("10.0.0.0/24")}},
		groups: map[string]*SecurityGroup{"web": {ID: "web", Rules: []Rule{
			{Direction: Ingress, Protocol: "tcp", PortRangeMin: 8080, PortRangeMax: 8080, RemoteIPPrefix: "0.0.0.0/0"},
			{Direction: Ingress, Protocol: "icmp", PortRangeMin: 8},
			{Direction: Ingress, Protocol: "udp", PortRangeMin: 53, PortRangeMax: 54, RemoteGroupID: "web"},
			{Direction: Egress, RemoteIPPrefix: "10.0.0.0/8"},
			{Direction: Ingress, Ethertype: "IPv6"},
		}}},
		ports: map[string]*Port{
			"a": {ID: "a", NetworkID: "n1", MAC: "fa:16:3e:00:00:0a", SecurityGroups: []string{"web"},
				FixedIPs:            []FixedIP{{SubnetID: "s1", IPAddress: netip.MustParseAddr("10.0.0.10")}},
				AllowedAddressPairs: []netip.Prefix{netip.MustParsePrefix("10.244.1.0/24")}, Binding: &Binding{Netns: "/x"}},
			"b": {ID: "b", NetworkID: "n1", MAC: "fa:16:3e:00:00:0b", ProjectID: "p",
				FixedIPs: []FixedIP{{SubnetID: "s1", IPAddress: netip.MustParseAddr("10.0.0.11")}}, Binding: &Binding{Netns: "/y"}},
			"open": {ID: "open", NetworkID: "n1", MAC: "fa:16:3e:00:00:0c", NoPortSecurity: true,
				FixedIPs: []FixedIP{{SubnetID: "s1", IPAddress: netip.MustParseAddr("10.0.0.12")}}, Binding: &Binding{Netns: "/z"}},
			"unplugged": {ID: "unplugged", NetworkID: "n1", MAC: "fa:16:3e:00:00:0d",
				FixedIPs: []FixedIP{{SubnetID: "s1", IPAddress: netip.MustParseAddr("10.0.0.13")}}},
		},
		fips:    map[string]*FloatingIP{},
		routers: map[string]*Router{},
	}
	got := renderConntrackMark().String() + renderNetworkFilter(m.filterPorts("n1")).String()
	golden(t, "network.nft", got)

	router := renderRouter(routerView{
		gateway: true, gwIP: netip.MustParseAddr("10.250.0.5"), public: netip.MustParsePrefix("10.250.0.0/24"), snat: true,
		fips: []routerFIP{{fip: netip.MustParseAddr("10.250.0.9"), fixed: netip.MustParseAddr("10.0.0.10")}},
	})
	golden(t, "router.nft", router.String())
	guard := renderHostGuard("slipway-slw-public", "slw-public", netip.MustParsePrefix("10.250.0.0/24"), false).String() +
		renderHostGuard("slipway-slw-public", "slw-public", netip.MustParsePrefix("10.250.0.0/24"), true).String()
	golden(t, "host.nft", guard)
}

func TestPrepareSubnet(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		in    Subnet
		pools string
		ok    bool
	}{
		"defaults":        {Subnet{CIDR: netip.MustParsePrefix("10.0.0.0/24")}, "[{10.0.0.2 10.0.0.254}]", true},
		"middle gateway":  {Subnet{CIDR: netip.MustParsePrefix("10.0.0.0/29"), GatewayIP: netip.MustParseAddr("10.0.0.3")}, "[{10.0.0.1 10.0.0.2} {10.0.0.4 10.0.0.6}]", true},
		"no gateway":      {Subnet{CIDR: netip.MustParsePrefix("10.0.0.0/30"), NoGateway: true}, "[{10.0.0.1 10.0.0.2}]", true},
		"not masked":      {Subnet{CIDR: netip.MustParsePrefix("10.0.0.1/24")}, "", false},
		"ipv6":            {Subnet{CIDR: netip.MustParsePrefix("fd00::/64")}, "", false},
		"gateway in pool": {Subnet{CIDR: netip.MustParsePrefix("10.0.0.0/24"), AllocationPools: []AddressRange{{netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.9")}}}, "", false},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			s := tc.in
			err := prepareSubnet(&s)
			if (err == nil) != tc.ok {
				t.Fatalf("err = %v", err)
			}
			if tc.ok {
				if got := fmtPools(s.AllocationPools); got != tc.pools {
					t.Fatalf("pools %s, want %s", got, tc.pools)
				}
			}
		})
	}
}

func fmtPools(p []AddressRange) string {
	s := "["
	for i, r := range p {
		if i > 0 {
			s += " "
		}
		s += "{" + r.Start.String() + " " + r.End.String() + "}"
	}
	return s + "]"
}

func TestMACAndNamesAreStable(t *testing.T) {
	t.Parallel()
	if a, b := macFor("x"), macFor("x"); a != b || a == macFor("y") {
		t.Fatal("MACs are not derived from ids")
	}
	if mac, err := net.ParseMAC(macFor("x")); err != nil || mac[0] != 0xfa {
		t.Fatalf("MAC %s: %v", mac, err)
	}
	if d := portDev("0d6f8e6c-3a52-4b5a-9c1e-5d1f6e0c7a11"); len(d) > 15 {
		t.Fatalf("device name %q is longer than 15", d)
	}
}
