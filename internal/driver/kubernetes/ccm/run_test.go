package ccm

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	v1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	cloudproviderapi "k8s.io/cloud-provider/api"
	servicehelper "k8s.io/cloud-provider/service/helpers"
)

const testClusterID = "7d2f3c4e-1111-4222-8333-944445555666"

func hasIngress(svc *v1.Service, ip string) bool {
	ing := svc.Status.LoadBalancer.Ingress
	return len(ing) == 1 && ing[0].IP == ip
}

// markDeleted does what the API server does when a Service with
// finalizers is deleted: it only sets the deletion timestamp. (The fake
// clientset would drop the object at once, finalizers or not.)
func markDeleted(t *testing.T, client kubernetes.Interface, namespace, name string) {
	t.Helper()
	svc := getService(t, client, namespace, name)
	if !servicehelper.HasLBFinalizer(svc) {
		t.Fatalf("service %s/%s has no load balancer finalizer before delete: %v", namespace, name, svc.Finalizers)
	}
	now := metav1.Now()
	svc.DeletionTimestamp = &now
	if _, err := client.CoreV1().Services(namespace).Update(t.Context(), svc, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("mark service deleted: %v", err)
	}
}

func TestLoadBalancerFollowsServiceAndNodes(t *testing.T) {
	t.Parallel()
	client := fake.NewClientset(
		node("worker-0", "10.0.0.11"),
		node("worker-1", "10.0.0.12"),
		lbService("default", "web", tcpPort("http", 80, 30080), tcpPort("https", 443, 30443)),
	)
	backend := newFakeBackend()
	startRun(t, Config{ClusterID: testClusterID, Client: client, Backend: backend})
	name := LoadBalancerName(testClusterID, "default", "web")

	// The Service gets a load balancer over both nodes, and its address.
	eventually(t, "the service shows the load balancer's address", func() bool {
		lb, ok := backend.lb(name)
		return ok && hasIngress(getService(t, client, "default", "web"), lb.address)
	})
	first := backend.ensureCalls()[0]
	want := ensureCall{
		name: name,
		ports: []Port{
			{Name: "http", Protocol: "TCP", Port: 80, NodePort: 30080},
			{Name: "https", Protocol: "TCP", Port: 443, NodePort: 30443},
		},
		members: []string{"10.0.0.11", "10.0.0.12"},
	}
	if diff := cmp.Diff(want, first, cmp.AllowUnexported(ensureCall{})); diff != "" {
		t.Errorf("first Ensure (-want +got):\n%s", diff)
	}
	if svc := getService(t, client, "default", "web"); !servicehelper.HasLBFinalizer(svc) {
		t.Errorf("finalizers = %v, want the load balancer cleanup finalizer", svc.Finalizers)
	}

	// A new node becomes a member.
	if _, err := client.CoreV1().Nodes().Create(t.Context(), node("worker-2", "10.0.0.13"), metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the new node is a member", func() bool {
		lb, _ := backend.lb(name)
		return slices.Equal(lb.members, []string{"10.0.0.11", "10.0.0.12", "10.0.0.13"})
	})

	// A deleted node stops being one.
	if err := client.CoreV1().Nodes().Delete(t.Context(), "worker-0", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deleted node is no longer a member", func() bool {
		lb, _ := backend.lb(name)
		return slices.Equal(lb.members, []string{"10.0.0.12", "10.0.0.13"})
	})

	// Deleting the Service deletes its load balancer, then releases the
	// Service.
	markDeleted(t, client, "default", "web")
	eventually(t, "the load balancer is deleted and the finalizer removed", func() bool {
		_, exists := backend.lb(name)
		return !exists && slices.Contains(backend.deleteCalls(), name) &&
			!servicehelper.HasLBFinalizer(getService(t, client, "default", "web"))
	})
}

func TestServiceTypeChangeDeletesLoadBalancer(t *testing.T) {
	t.Parallel()
	client := fake.NewClientset(node("worker-0", "10.0.0.11"), lbService("shop", "api", tcpPort("", 8080, 31000)))
	backend := newFakeBackend()
	startRun(t, Config{ClusterID: testClusterID, ClusterName: "prod", Client: client, Backend: backend})
	name := LoadBalancerName(testClusterID, "shop", "api")
	eventually(t, "the service shows the load balancer's address", func() bool {
		lb, ok := backend.lb(name)
		return ok && hasIngress(getService(t, client, "shop", "api"), lb.address)
	})
	if got := backend.ensureCalls()[0].ports; !slices.Equal(got, []Port{{Name: "port-8080", Protocol: "TCP", Port: 8080, NodePort: 31000}}) {
		t.Errorf("ports of an unnamed Service port = %+v", got)
	}

	svc := getService(t, client, "shop", "api")
	svc.Spec.Type = v1.ServiceTypeClusterIP
	svc.Spec.Ports[0].NodePort = 0
	if _, err := client.CoreV1().Services("shop").Update(t.Context(), svc, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the load balancer is deleted and the service's status and finalizer cleared", func() bool {
		_, exists := backend.lb(name)
		svc := getService(t, client, "shop", "api")
		return !exists && slices.Contains(backend.deleteCalls(), name) &&
			len(svc.Status.LoadBalancer.Ingress) == 0 && !servicehelper.HasLBFinalizer(svc)
	})
}

func TestUnsupportedServiceIsReported(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct {
		ports []v1.ServicePort
		want  string
	}{
		"UDP": {
			ports: []v1.ServicePort{{Name: "dns", Protocol: v1.ProtocolUDP, Port: 53, NodePort: 30053}},
			want:  "port dns: unsupported protocol UDP; Slipway load balancers serve TCP only",
		},
		"SCTP": {
			ports: []v1.ServicePort{{Name: "sig", Protocol: v1.ProtocolSCTP, Port: 2905, NodePort: 32905}},
			want:  "port sig: unsupported protocol SCTP; Slipway load balancers serve TCP only",
		},
		"TCP and UDP": {
			ports: []v1.ServicePort{tcpPort("dns-tcp", 53, 30054), {Name: "dns-udp", Protocol: v1.ProtocolUDP, Port: 53, NodePort: 30053}},
			want:  "port dns-udp: unsupported protocol UDP; Slipway load balancers serve TCP only",
		},
		"no NodePort": {
			ports: []v1.ServicePort{tcpPort("http", 80, 0)},
			want:  "port http: no NodePort; set spec.allocateLoadBalancerNodePorts to true",
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			client := fake.NewClientset(node("worker-0", "10.0.0.11"), lbService("default", "odd", tc.ports...))
			backend := newFakeBackend()
			startRun(t, Config{ClusterID: testClusterID, Client: client, Backend: backend})

			var event v1.Event
			eventually(t, "a SyncLoadBalancerFailed event is recorded", func() bool {
				events, err := client.CoreV1().Events("default").List(t.Context(), metav1.ListOptions{})
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range events.Items {
					if e.Reason == "SyncLoadBalancerFailed" && e.InvolvedObject.Name == "odd" {
						event = e
						return true
					}
				}
				return false
			})
			if event.Type != v1.EventTypeWarning || !strings.Contains(event.Message, tc.want) {
				t.Errorf("event = %s %q, want a Warning containing %q", event.Type, event.Message, tc.want)
			}
			// The event is recorded after EnsureLoadBalancer returned, so
			// had the Backend been called, it would show by now.
			if calls := backend.ensureCalls(); len(calls) != 0 {
				t.Errorf("Backend.Ensure called %d times, want none", len(calls))
			}
			if ing := getService(t, client, "default", "odd").Status.LoadBalancer.Ingress; len(ing) != 0 {
				t.Errorf("ingress = %v, want none", ing)
			}
		})
	}
}

func TestRunFencesBackendOnStop(t *testing.T) {
	t.Parallel()
	client := fake.NewClientset(node("worker-0", "10.0.0.11"), lbService("default", "web", tcpPort("http", 80, 30080)))
	backend := newFakeBackend()
	backend.block = true
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, Config{ClusterID: testClusterID, Client: client, Backend: backend}) }()
	eventually(t, "Ensure is running", func() bool {
		backend.mu.Lock()
		defer backend.mu.Unlock()
		return backend.entered == 1
	})

	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run returned %v after cancel, want nil", err)
	}
	backend.mu.Lock()
	defer backend.mu.Unlock()
	if backend.exited != backend.entered {
		t.Errorf("Run returned with %d Backend call(s) still running", backend.entered-backend.exited)
	}
}

func TestRunRejectsInvalidConfig(t *testing.T) {
	t.Parallel()
	client := fake.NewClientset()
	for name, cfg := range map[string]Config{
		"no cluster id": {Client: client, Backend: newFakeBackend()},
		"no client":     {ClusterID: testClusterID, Backend: newFakeBackend()},
		"no backend":    {ClusterID: testClusterID, Client: client},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			if err := Run(t.Context(), cfg); !errors.Is(err, ErrInvalidConfig) {
				t.Errorf("Run = %v, want ErrInvalidConfig", err)
			}
		})
	}
}

// lockedInstances are fakeInstances a test may change while Run reads
// them.
type lockedInstances struct {
	mu sync.Mutex
	m  fakeInstances
}

func (l *lockedInstances) Instance(ctx context.Context, nodeName string) (Instance, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.m.Instance(ctx, nodeName)
}

func TestNodesFollowTheirServers(t *testing.T) {
	t.Parallel()
	uninitialized := node("worker-0", "10.0.0.11")
	uninitialized.Spec.Taints = []v1.Taint{
		{Key: cloudproviderapi.TaintExternalCloudProvider, Value: "true", Effect: v1.TaintEffectNoSchedule},
		{Key: "team", Value: "blue", Effect: v1.TaintEffectNoSchedule},
	}
	lost := node("worker-1", "10.0.0.12")
	lost.Status.Conditions = []v1.NodeCondition{{Type: v1.NodeReady, Status: v1.ConditionUnknown}}
	client := fake.NewClientset(uninitialized, lost)
	// The kubelet reported its InternalIP and Hostname; the server also
	// has a floating IP.
	addrs := []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: "10.0.0.11"}, {Type: v1.NodeExternalIP, Address: "172.24.4.7"},
		{Type: v1.NodeHostName, Address: "worker-0"}}
	servers := &lockedInstances{m: fakeInstances{
		"worker-0": {ID: "3f1c", Type: "m1.small", Addresses: addrs},
		"worker-1": {ID: "77aa", Type: "m1.small"},
	}}
	startRun(t, Config{ClusterID: testClusterID, Client: client, Backend: newFakeBackend(), Instances: servers})

	// A node that registers uninitialized gets its server's identity and
	// loses the taint, and only that taint.
	eventually(t, "worker-0 is initialized", func() bool {
		n := getNode(t, client, "worker-0")
		return n.Spec.ProviderID != "" && len(n.Spec.Taints) == 1 && len(n.Status.Addresses) == 3
	})
	n := getNode(t, client, "worker-0")
	if n.Spec.ProviderID != "slipway:///3f1c" {
		t.Errorf("providerID = %q, want slipway:///3f1c", n.Spec.ProviderID)
	}
	if got := n.Labels[v1.LabelInstanceTypeStable]; got != "m1.small" {
		t.Errorf("label %s = %q, want the flavor m1.small", v1.LabelInstanceTypeStable, got)
	}
	if n.Spec.Taints[0].Key != "team" {
		t.Errorf("taints = %v, want only the node's own", n.Spec.Taints)
	}
	byType := cmpopts.SortSlices(func(a, b v1.NodeAddress) bool { return a.Type < b.Type })
	if diff := cmp.Diff(addrs, n.Status.Addresses, byType); diff != "" {
		t.Errorf("addresses (-want +got):\n%s", diff)
	}

	// A NotReady node whose server is deleted goes; a Ready one whose
	// server answers stays.
	servers.mu.Lock()
	delete(servers.m, "worker-1")
	servers.mu.Unlock()
	eventually(t, "worker-1, whose server is gone, is deleted", func() bool {
		_, err := client.CoreV1().Nodes().Get(t.Context(), "worker-1", metav1.GetOptions{})
		return apierrors.IsNotFound(err)
	})
	getNode(t, client, "worker-0")
}

func getNode(t *testing.T, client kubernetes.Interface, name string) *v1.Node {
	t.Helper()
	n, err := client.CoreV1().Nodes().Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get node %s: %v", name, err)
	}
	return n
}
