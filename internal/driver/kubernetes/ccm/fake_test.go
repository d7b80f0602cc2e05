package ccm

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
)

// fakeBackend is an in-memory Backend that records what it was asked.
type fakeBackend struct {
	mu      sync.Mutex
	lbs     map[string]fakeLB
	ensures []ensureCall
	deletes []string
	// block, when set, makes Ensure wait for its context to end, and
	// records entering and leaving.
	block           bool
	entered, exited int
}

type fakeLB struct {
	ports   []Port
	members []string
	address string
}

type ensureCall struct {
	name    string
	ports   []Port
	members []string
}

func newFakeBackend() *fakeBackend { return &fakeBackend{lbs: map[string]fakeLB{}} }

func (f *fakeBackend) Ensure(ctx context.Context, name string, ports []Port, members []string) (string, error) {
	f.mu.Lock()
	f.ensures = append(f.ensures, ensureCall{name: name, ports: slices.Clone(ports), members: slices.Clone(members)})
	if f.block {
		f.entered++
		f.mu.Unlock()
		<-ctx.Done()
		f.mu.Lock()
		f.exited++
		f.mu.Unlock()
		return "", ctx.Err()
	}
	defer f.mu.Unlock()
	lb, ok := f.lbs[name]
	if !ok {
		lb.address = fmt.Sprintf("192.0.2.%d", len(f.lbs)+10)
	}
	lb.ports, lb.members = slices.Clone(ports), slices.Clone(members)
	f.lbs[name] = lb
	return lb.address, nil
}

func (f *fakeBackend) Delete(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deletes = append(f.deletes, name)
	delete(f.lbs, name)
	return nil
}

func (f *fakeBackend) Get(_ context.Context, name string) (string, bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	lb, ok := f.lbs[name]
	return lb.address, ok, nil
}

// lb returns the load balancer named name, if it exists.
func (f *fakeBackend) lb(name string) (fakeLB, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	lb, ok := f.lbs[name]
	return lb, ok
}

func (f *fakeBackend) ensureCalls() []ensureCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.ensures)
}

func (f *fakeBackend) deleteCalls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.deletes)
}

// eventually polls cond until it holds, failing the test with what after
// a generous deadline.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out waiting until %s", what)
		case <-tick.C:
		}
	}
}

func node(name, internalIP string) *v1.Node {
	n := &v1.Node{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if internalIP != "" {
		n.Status.Addresses = []v1.NodeAddress{
			{Type: v1.NodeHostName, Address: name},
			{Type: v1.NodeInternalIP, Address: internalIP},
		}
	}
	return n
}

func lbService(namespace, name string, ports ...v1.ServicePort) *v1.Service {
	return &v1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, UID: types.UID(namespace + "-" + name + "-uid")},
		Spec:       v1.ServiceSpec{Type: v1.ServiceTypeLoadBalancer, Ports: ports},
	}
}

func tcpPort(name string, port, nodePort int32) v1.ServicePort {
	return v1.ServicePort{Name: name, Protocol: v1.ProtocolTCP, Port: port, NodePort: nodePort}
}

// startRun runs Run for cfg until the test ends, and then checks that it
// returned nil.
func startRun(t *testing.T, cfg Config) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run returned %v after cancel, want nil", err)
		}
	})
}

func getService(t *testing.T, client kubernetes.Interface, namespace, name string) *v1.Service {
	t.Helper()
	svc, err := client.CoreV1().Services(namespace).Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get service %s/%s: %v", namespace, name, err)
	}
	return svc
}
