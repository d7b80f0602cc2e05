package netplan

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/slipway/slipway/internal/model"
)

func asg(name string, role Role, ip, pod string) Assignment {
	return Assignment{Name: name, Role: role, IP: netip.MustParseAddr(ip), PodCIDR: netip.MustParsePrefix(pod)}
}

func names(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", prefix, i)
	}
	return out
}

func TestPlanDefaults(t *testing.T) {
	n, err := Plan(Input{Masters: []string{"m0"}, Workers: []string{"w0", "w1"}})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := n.Gateway, netip.MustParseAddr("10.0.0.1"); got != want {
		t.Errorf("Gateway = %s, want %s", got, want)
	}
	if got, want := n.APIServiceIP, netip.MustParseAddr("10.254.0.1"); got != want {
		t.Errorf("APIServiceIP = %s, want %s", got, want)
	}
	if got, want := n.ClusterDNS, netip.MustParseAddr("10.254.0.10"); got != want {
		t.Errorf("ClusterDNS = %s, want %s", got, want)
	}
	if n.FixedCIDR.String() != DefaultFixedCIDR || n.PodCIDR.String() != DefaultPodCIDR ||
		n.ServiceCIDR.String() != DefaultServiceCIDR || n.NodeMaskSize != DefaultNodeMaskSize {
		t.Errorf("ranges = %s %s %s /%d, want the defaults", n.FixedCIDR, n.PodCIDR, n.ServiceCIDR, n.NodeMaskSize)
	}
	want := []Assignment{
		asg("m0", RoleMaster, "10.0.0.10", "10.100.0.0/24"),
		asg("w0", RoleWorker, "10.0.0.11", "10.100.1.0/24"),
		asg("w1", RoleWorker, "10.0.0.12", "10.100.2.0/24"),
	}
	if !reflect.DeepEqual(n.Nodes, want) {
		t.Errorf("Nodes = %v, want %v", n.Nodes, want)
	}
	if a, ok := n.Node("w1"); !ok || a != want[2] {
		t.Errorf("Node(w1) = %v, %v", a, ok)
	}
	if _, ok := n.Node("nope"); ok {
		t.Error("Node(nope) found")
	}
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		want []Assignment
	}{
		{
			name: "custom ranges and mask",
			in: Input{
				FixedCIDR: "192.168.5.0/26", PodCIDR: "172.16.0.0/20", ServiceCIDR: "10.96.0.0/12", NodeMaskSize: 26,
				Masters: []string{"m0"}, Workers: []string{"w0"},
			},
			want: []Assignment{
				asg("m0", RoleMaster, "192.168.5.10", "172.16.0.0/26"),
				asg("w0", RoleWorker, "192.168.5.11", "172.16.0.64/26"),
			},
		},
		{
			name: "scale up keeps existing",
			in: Input{
				Masters: []string{"m0"}, Workers: []string{"w0", "w1", "w2"},
				Existing: map[string]Assignment{
					"m0": asg("m0", RoleMaster, "10.0.0.10", "10.100.0.0/24"),
					"w0": asg("w0", RoleWorker, "10.0.0.11", "10.100.1.0/24"),
				},
			},
			want: []Assignment{
				asg("m0", RoleMaster, "10.0.0.10", "10.100.0.0/24"),
				asg("w0", RoleWorker, "10.0.0.11", "10.100.1.0/24"),
				asg("w1", RoleWorker, "10.0.0.12", "10.100.2.0/24"),
				asg("w2", RoleWorker, "10.0.0.13", "10.100.3.0/24"),
			},
		},
		{
			name: "scale down keeps the rest where they were",
			in: Input{
				Masters: []string{"m0"}, Workers: []string{"w2"},
				Existing: map[string]Assignment{
					"m0": asg("m0", RoleMaster, "10.0.0.10", "10.100.0.0/24"),
					"w0": asg("w0", RoleWorker, "10.0.0.11", "10.100.1.0/24"),
					"w1": asg("w1", RoleWorker, "10.0.0.12", "10.100.2.0/24"),
					"w2": asg("w2", RoleWorker, "10.0.0.13", "10.100.3.0/24"),
				},
			},
			want: []Assignment{
				asg("m0", RoleMaster, "10.0.0.10", "10.100.0.0/24"),
				asg("w2", RoleWorker, "10.0.0.13", "10.100.3.0/24"),
			},
		},
		{
			name: "freed slots are reused lowest first",
			in: Input{
				Masters: []string{"m0"}, Workers: []string{"w2", "w3", "w4", "w5"},
				Existing: map[string]Assignment{
					// w0 (.11, 10.100.1) and w1 (.12, 10.100.2) were removed.
					"m0": asg("m0", RoleMaster, "10.0.0.10", "10.100.0.0/24"),
					"w2": asg("w2", RoleWorker, "10.0.0.13", "10.100.3.0/24"),
				},
			},
			want: []Assignment{
				asg("m0", RoleMaster, "10.0.0.10", "10.100.0.0/24"),
				asg("w2", RoleWorker, "10.0.0.13", "10.100.3.0/24"),
				asg("w3", RoleWorker, "10.0.0.11", "10.100.1.0/24"),
				asg("w4", RoleWorker, "10.0.0.12", "10.100.2.0/24"),
				asg("w5", RoleWorker, "10.0.0.14", "10.100.4.0/24"),
			},
		},
		{
			name: "existing addresses need not be in slot order",
			in: Input{
				Workers: []string{"a", "b"},
				Existing: map[string]Assignment{
					"b": asg("b", RoleWorker, "10.0.0.10", "10.100.7.0/24"),
				},
			},
			want: []Assignment{
				asg("a", RoleWorker, "10.0.0.11", "10.100.0.0/24"),
				asg("b", RoleWorker, "10.0.0.10", "10.100.7.0/24"),
			},
		},
		{
			name: "partial existing gets the missing part",
			in: Input{
				Masters: []string{"m0"}, Workers: []string{"w0"},
				Existing: map[string]Assignment{
					"m0": {Name: "m0", Role: RoleMaster, IP: netip.MustParseAddr("10.0.0.20")},
					"w0": {PodCIDR: netip.MustParsePrefix("10.100.0.0/24")},
				},
			},
			want: []Assignment{
				asg("m0", RoleMaster, "10.0.0.20", "10.100.1.0/24"),
				asg("w0", RoleWorker, "10.0.0.10", "10.100.0.0/24"),
			},
		},
		{
			name: "role follows the lists",
			in: Input{
				Masters:  []string{"n0"},
				Existing: map[string]Assignment{"n0": asg("n0", RoleWorker, "10.0.0.15", "10.100.5.0/24")},
			},
			want: []Assignment{asg("n0", RoleMaster, "10.0.0.15", "10.100.5.0/24")},
		},
		{
			name: "exactly full",
			in:   Input{FixedCIDR: "10.0.0.0/28", PodCIDR: "10.100.0.0/23", Workers: names("w", 2)},
			want: []Assignment{
				asg("w-0", RoleWorker, "10.0.0.10", "10.100.0.0/24"),
				asg("w-1", RoleWorker, "10.0.0.11", "10.100.1.0/24"),
			},
		},
		{
			name: "no nodes",
			in:   Input{},
			want: []Assignment{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Plan(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(n.Nodes, tt.want) {
				t.Errorf("Nodes =\n%v\nwant\n%v", n.Nodes, tt.want)
			}
			// Planning again from the result changes nothing.
			in := tt.in
			in.Existing = n.Assignments()
			again, err := Plan(in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(again, n) {
				t.Errorf("replanning changed the plan:\n%v\n%v", again.Nodes, n.Nodes)
			}
		})
	}
}

func TestPlanErrors(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		want string // substrings, separated by |
	}{
		{"fixed not a CIDR", Input{FixedCIDR: "10.0.0.0"}, "FixedCIDR|not a CIDR"},
		{"pod not a CIDR", Input{PodCIDR: "nonsense"}, "PodCIDR|not a CIDR"},
		{"service not a CIDR", Input{ServiceCIDR: "10.254.0.0/33"}, "ServiceCIDR|not a CIDR"},
		{"ipv6", Input{PodCIDR: "fd00::/64"}, "PodCIDR|not IPv4"},
		{"host bits", Input{FixedCIDR: "10.0.0.1/24"}, "FixedCIDR|host bits|10.0.0.0/24"},
		{"fixed overlaps pod", Input{PodCIDR: "10.0.0.0/8"}, "FixedCIDR 10.0.0.0/24 overlaps PodCIDR 10.0.0.0/8"},
		{"fixed overlaps service", Input{ServiceCIDR: "10.0.0.0/24"}, "FixedCIDR 10.0.0.0/24 overlaps ServiceCIDR 10.0.0.0/24"},
		{"pod overlaps service", Input{ServiceCIDR: "10.100.128.0/17"}, "PodCIDR 10.100.0.0/16 overlaps ServiceCIDR 10.100.128.0/17"},
		{"service too small", Input{ServiceCIDR: "10.254.0.0/29"}, "ServiceCIDR 10.254.0.0/29|too small"},
		{"mask shorter than pod range", Input{NodeMaskSize: 8}, "NodeMaskSize 8|16"},
		{"mask too long", Input{NodeMaskSize: 31}, "NodeMaskSize 31"},
		{"fixed exhausted", Input{FixedCIDR: "10.0.0.0/28", Workers: names("w", 6)},
			"FixedCIDR 10.0.0.0/28 holds 5 node addresses|6 nodes"},
		{"fixed /24 exhausted", Input{Masters: names("m", 3), Workers: names("w", 243)},
			"FixedCIDR 10.0.0.0/24 holds 245 node addresses|246 nodes"},
		{"tiny fixed", Input{FixedCIDR: "10.0.0.0/30", Workers: names("w", 1)}, "holds 0 node addresses"},
		{"pod exhausted", Input{PodCIDR: "10.100.0.0/22", Workers: names("w", 5)},
			"PodCIDR 10.100.0.0/22 holds 4 /24 node pod ranges|5 nodes"},
		{"empty name", Input{Workers: []string{"w0", ""}}, "Workers|empty"},
		{"duplicate name", Input{Workers: []string{"w0", "w0"}}, `Workers|"w0"|twice`},
		{"duplicate across roles", Input{Masters: []string{"n"}, Workers: []string{"n"}}, `"n"|twice|Masters`},
		{"existing ip outside", Input{Workers: []string{"w0"}, Existing: map[string]Assignment{
			"w0": asg("w0", RoleWorker, "10.0.1.10", "10.100.0.0/24")}}, `Existing["w0"].IP 10.0.1.10|outside FixedCIDR`},
		{"existing ip reserved", Input{Workers: []string{"w0"}, Existing: map[string]Assignment{
			"w0": asg("w0", RoleWorker, "10.0.0.5", "10.100.0.0/24")}}, `Existing["w0"].IP 10.0.0.5|reserved`},
		{"existing ip broadcast", Input{Workers: []string{"w0"}, Existing: map[string]Assignment{
			"w0": asg("w0", RoleWorker, "10.0.0.255", "10.100.0.0/24")}}, `Existing["w0"].IP 10.0.0.255|reserved`},
		{"existing pod outside", Input{Workers: []string{"w0"}, Existing: map[string]Assignment{
			"w0": asg("w0", RoleWorker, "10.0.0.10", "10.101.0.0/24")}}, `Existing["w0"].PodCIDR 10.101.0.0/24|PodCIDR 10.100.0.0/16`},
		{"existing pod wrong size", Input{Workers: []string{"w0"}, Existing: map[string]Assignment{
			"w0": asg("w0", RoleWorker, "10.0.0.10", "10.100.0.0/25")}}, `Existing["w0"].PodCIDR|not a /24`},
		{"existing pod unaligned", Input{Workers: []string{"w0"}, Existing: map[string]Assignment{
			"w0": {IP: netip.MustParseAddr("10.0.0.10"), PodCIDR: netip.PrefixFrom(netip.MustParseAddr("10.100.0.5"), 24)}}},
			`Existing["w0"].PodCIDR`},
		{"existing duplicate ip", Input{Workers: []string{"a", "b"}, Existing: map[string]Assignment{
			"a": asg("a", RoleWorker, "10.0.0.10", "10.100.0.0/24"),
			"b": asg("b", RoleWorker, "10.0.0.10", "10.100.1.0/24")}}, `Existing["b"].IP 10.0.0.10|"a"`},
		{"existing duplicate pod", Input{Workers: []string{"a", "b"}, Existing: map[string]Assignment{
			"a": asg("a", RoleWorker, "10.0.0.10", "10.100.0.0/24"),
			"b": asg("b", RoleWorker, "10.0.0.11", "10.100.0.0/24")}}, `Existing["b"].PodCIDR 10.100.0.0/24|"a"`},
		{"existing under the wrong key", Input{Workers: []string{"a"}, Existing: map[string]Assignment{
			"a": asg("b", RoleWorker, "10.0.0.10", "10.100.0.0/24")}}, `Existing["a"]|"b"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n, err := Plan(tt.in)
			if err == nil {
				t.Fatalf("Plan = %v, want an error", n)
			}
			if !errors.Is(err, model.ErrInvalid) {
				t.Errorf("error %v is not model.ErrInvalid", err)
			}
			for _, s := range strings.Split(tt.want, "|") {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not contain %q", err, s)
				}
			}
		})
	}
}

// TestPlanDeterministic checks the plan does not depend on map order.
func TestPlanDeterministic(t *testing.T) {
	existing := map[string]Assignment{}
	for i := 0; i < 40; i += 3 {
		name := fmt.Sprintf("w-%d", i)
		existing[name] = asg(name, RoleWorker, fmt.Sprintf("10.0.0.%d", 100+i), fmt.Sprintf("10.100.%d.0/24", 200-i))
	}
	in := Input{Masters: names("m", 3), Workers: names("w", 40), Existing: existing}
	first, err := Plan(in)
	if err != nil {
		t.Fatal(err)
	}
	for range 50 {
		n, err := Plan(in)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(n, first) {
			t.Fatal("Plan is not deterministic")
		}
	}
	// Every node has distinct addresses inside the ranges.
	ips, pods := map[netip.Addr]bool{}, map[netip.Prefix]bool{}
	for _, a := range first.Nodes {
		if ips[a.IP] || pods[a.PodCIDR] {
			t.Errorf("%v reuses an address", a)
		}
		ips[a.IP], pods[a.PodCIDR] = true, true
		if !first.FixedCIDR.Contains(a.IP) || !first.PodCIDR.Contains(a.PodCIDR.Addr()) {
			t.Errorf("%v is outside the ranges", a)
		}
	}
}

func TestPlanFillsFixedSubnet(t *testing.T) {
	n, err := Plan(Input{Masters: names("m", 3), Workers: names("w", 242)})
	if err != nil {
		t.Fatal(err)
	}
	last := n.Nodes[len(n.Nodes)-1]
	if got, want := last.IP, netip.MustParseAddr("10.0.0.254"); got != want {
		t.Errorf("last IP = %s, want %s", got, want)
	}
	if got, want := last.PodCIDR, netip.MustParsePrefix("10.100.244.0/24"); got != want {
		t.Errorf("last PodCIDR = %s, want %s", got, want)
	}
}
