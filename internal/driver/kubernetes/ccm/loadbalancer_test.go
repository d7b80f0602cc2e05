package ccm

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "k8s.io/api/core/v1"
)

var dnsLabel = regexp.MustCompile(`^[a-z]([-a-z0-9]*[a-z0-9])?$`)

func TestLoadBalancerName(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 70)
	for name, tc := range map[string]struct {
		clusterID, namespace, service string
		want                          string
	}{
		"short":             {testClusterID, "default", "web", "lb-7d2f3c4e-default-web"},
		"no cluster id":     {"", "default", "web", "lb-default-web"},
		"upper-case id":     {"ABCDEF12-3456", "kube-system", "dns", "lb-abcdef12-kube-system-dns"},
		"exactly 63":        {testClusterID, "ns", strings.Repeat("s", 63-len("lb-7d2f3c4e-ns-")), "lb-7d2f3c4e-ns-" + strings.Repeat("s", 63-len("lb-7d2f3c4e-ns-"))},
		"long is shortened": {testClusterID, long, "web", ""},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got := LoadBalancerName(tc.clusterID, tc.namespace, tc.service)
			if tc.want != "" && got != tc.want {
				t.Errorf("LoadBalancerName = %q, want %q", got, tc.want)
			}
			if len(got) > 63 || !dnsLabel.MatchString(got) {
				t.Errorf("LoadBalancerName = %q (%d characters), want a DNS label of at most 63", got, len(got))
			}
			if again := LoadBalancerName(tc.clusterID, tc.namespace, tc.service); again != got {
				t.Errorf("LoadBalancerName is not stable: %q then %q", got, again)
			}
		})
	}

	t.Run("long names that share a prefix differ", func(t *testing.T) {
		t.Parallel()
		a := LoadBalancerName(testClusterID, "team", long+"-a")
		b := LoadBalancerName(testClusterID, "team", long+"-b")
		c := LoadBalancerName(testClusterID, "team-"+long, "a")
		if a == b || a == c || b == c {
			t.Errorf("names collide: %q, %q, %q", a, b, c)
		}
	})
}

func TestServicePorts(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		ports   []v1.ServicePort
		want    []Port
		wantErr error
	}{
		"named TCP ports keep their order": {
			ports: []v1.ServicePort{tcpPort("https", 443, 30443), tcpPort("http", 80, 30080)},
			want: []Port{
				{Name: "https", Protocol: "TCP", Port: 443, NodePort: 30443},
				{Name: "http", Protocol: "TCP", Port: 80, NodePort: 30080},
			},
		},
		"unnamed port is named after its number": {
			ports: []v1.ServicePort{tcpPort("", 8080, 31000)},
			want:  []Port{{Name: "port-8080", Protocol: "TCP", Port: 8080, NodePort: 31000}},
		},
		"empty protocol is TCP": {
			ports: []v1.ServicePort{{Name: "http", Port: 80, NodePort: 30080}},
			want:  []Port{{Name: "http", Protocol: "TCP", Port: 80, NodePort: 30080}},
		},
		"UDP": {
			ports:   []v1.ServicePort{{Name: "dns", Protocol: v1.ProtocolUDP, Port: 53, NodePort: 30053}},
			wantErr: ErrUnsupportedProtocol,
		},
		"SCTP after TCP": {
			ports:   []v1.ServicePort{tcpPort("http", 80, 30080), {Name: "sig", Protocol: v1.ProtocolSCTP, Port: 2905, NodePort: 32905}},
			wantErr: ErrUnsupportedProtocol,
		},
		"no NodePort": {
			ports:   []v1.ServicePort{tcpPort("http", 80, 0)},
			wantErr: ErrNoNodePort,
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			got, err := servicePorts(lbService("default", "web", tc.ports...))
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("servicePorts error = %v, want %v", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); tc.wantErr == nil && diff != "" {
				t.Errorf("servicePorts (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMemberAddresses(t *testing.T) {
	t.Parallel()
	external := node("edge", "")
	external.Status.Addresses = []v1.NodeAddress{{Type: v1.NodeExternalIP, Address: "203.0.113.5"}}
	members, skipped := memberAddresses([]*v1.Node{
		node("worker-2", "10.0.0.13"),
		node("worker-1", "10.0.0.12"),
		node("no-address", ""),
		external,
		node("worker-1-again", "10.0.0.12"),
	})
	if want := []string{"10.0.0.12", "10.0.0.13"}; !slices.Equal(members, want) {
		t.Errorf("members = %v, want %v (InternalIPs only, sorted, once each)", members, want)
	}
	if want := []string{"no-address", "edge"}; !slices.Equal(skipped, want) {
		t.Errorf("skipped = %v, want %v", skipped, want)
	}
}

func TestLoadBalancerStatus(t *testing.T) {
	t.Parallel()
	vip := v1.LoadBalancerIPModeVIP
	for name, tc := range map[string]struct {
		address string
		want    *v1.LoadBalancerStatus
	}{
		"IPv4":     {"192.0.2.10", &v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{{IP: "192.0.2.10", IPMode: &vip}}}},
		"IPv6":     {"2001:db8::a", &v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{{IP: "2001:db8::a", IPMode: &vip}}}},
		"hostname": {"lb.example.test", &v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{{Hostname: "lb.example.test"}}}},
		"none":     {"", &v1.LoadBalancerStatus{}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if diff := cmp.Diff(tc.want, loadBalancerStatus(tc.address)); diff != "" {
				t.Errorf("loadBalancerStatus(%q) (-want +got):\n%s", tc.address, diff)
			}
		})
	}
}

func TestEnsureLoadBalancerIsIdempotent(t *testing.T) {
	t.Parallel()
	backend := newFakeBackend()
	lb := NewCloud(testClusterID, backend, nil, nil).lb
	svc := lbService("default", "web", tcpPort("http", 80, 30080))
	nodes := []*v1.Node{node("worker-0", "10.0.0.11"), node("worker-1", "10.0.0.12")}

	first, err := lb.EnsureLoadBalancer(t.Context(), "c", svc, nodes)
	if err != nil {
		t.Fatal(err)
	}
	second, err := lb.EnsureLoadBalancer(t.Context(), "c", svc, nodes)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("second EnsureLoadBalancer changed the status (-first +second):\n%s", diff)
	}
	calls := backend.ensureCalls()
	if len(calls) != 2 || !cmp.Equal(calls[0], calls[1], cmp.AllowUnexported(ensureCall{})) {
		t.Errorf("Backend.Ensure calls = %+v, want two identical ones", calls)
	}
	if n := len(backend.lbs); n != 1 {
		t.Errorf("backend holds %d load balancers, want 1", n)
	}
}

func TestUpdateLoadBalancerNeverMakesOne(t *testing.T) {
	t.Parallel()
	backend := newFakeBackend()
	lb := NewCloud(testClusterID, backend, nil, nil).lb
	svc := lbService("default", "web", tcpPort("http", 80, 30080))
	one := []*v1.Node{node("worker-0", "10.0.0.11")}
	two := append(slices.Clone(one), node("worker-1", "10.0.0.12"))

	// Before EnsureLoadBalancer, or after a delete, an update is a no-op.
	if err := lb.UpdateLoadBalancer(t.Context(), "c", svc, one); err != nil {
		t.Fatal(err)
	}
	if calls := backend.ensureCalls(); len(calls) != 0 {
		t.Fatalf("UpdateLoadBalancer of a missing load balancer called Ensure: %+v", calls)
	}

	if _, err := lb.EnsureLoadBalancer(t.Context(), "c", svc, one); err != nil {
		t.Fatal(err)
	}
	if err := lb.UpdateLoadBalancer(t.Context(), "c", svc, two); err != nil {
		t.Fatal(err)
	}
	if got, _ := backend.lb(lb.name(svc)); !slices.Equal(got.members, []string{"10.0.0.11", "10.0.0.12"}) {
		t.Errorf("members after update = %v", got.members)
	}

	if err := lb.EnsureLoadBalancerDeleted(t.Context(), "c", svc); err != nil {
		t.Fatal(err)
	}
	if err := lb.UpdateLoadBalancer(t.Context(), "c", svc, two); err != nil {
		t.Fatal(err)
	}
	if _, exists := backend.lb(lb.name(svc)); exists {
		t.Error("UpdateLoadBalancer brought a deleted load balancer back")
	}
}

func TestGetAndDeleteLoadBalancer(t *testing.T) {
	t.Parallel()
	backend := newFakeBackend()
	lb := NewCloud(testClusterID, backend, nil, nil).lb
	svc := lbService("default", "web", tcpPort("http", 80, 30080))

	if _, exists, err := lb.GetLoadBalancer(t.Context(), "c", svc); err != nil || exists {
		t.Fatalf("GetLoadBalancer before ensure = exists %v, %v; want false, nil", exists, err)
	}
	want, err := lb.EnsureLoadBalancer(t.Context(), "c", svc, []*v1.Node{node("worker-0", "10.0.0.11")})
	if err != nil {
		t.Fatal(err)
	}
	got, exists, err := lb.GetLoadBalancer(t.Context(), "c", svc)
	if err != nil || !exists {
		t.Fatalf("GetLoadBalancer after ensure = exists %v, %v; want true, nil", exists, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GetLoadBalancer status (-ensured +got):\n%s", diff)
	}
	for range 2 { // deleting what is gone succeeds
		if err := lb.EnsureLoadBalancerDeleted(t.Context(), "c", svc); err != nil {
			t.Fatal(err)
		}
	}
	if _, exists, _ := lb.GetLoadBalancer(t.Context(), "c", svc); exists {
		t.Error("load balancer exists after EnsureLoadBalancerDeleted")
	}
}

func TestStoppedLoadBalancerRefusesCalls(t *testing.T) {
	t.Parallel()
	backend := newFakeBackend()
	lb := NewCloud(testClusterID, backend, nil, nil).lb
	svc := lbService("default", "web", tcpPort("http", 80, 30080))
	lb.stop()
	lb.stop() // twice is fine

	_, err := lb.EnsureLoadBalancer(t.Context(), "c", svc, nil)
	if !errors.Is(err, ErrStopped) {
		t.Errorf("EnsureLoadBalancer after stop = %v, want ErrStopped", err)
	}
	if err := lb.EnsureLoadBalancerDeleted(t.Context(), "c", svc); !errors.Is(err, ErrStopped) {
		t.Errorf("EnsureLoadBalancerDeleted after stop = %v, want ErrStopped", err)
	}
	if _, _, err := lb.GetLoadBalancer(t.Context(), "c", svc); !errors.Is(err, ErrStopped) {
		t.Errorf("GetLoadBalancer after stop = %v, want ErrStopped", err)
	}
	if len(backend.ensureCalls()) != 0 || len(backend.deleteCalls()) != 0 {
		t.Error("the Backend was called after stop")
	}
}
