package ccm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"sync"

	v1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"
)

var (
	// ErrUnsupportedProtocol is returned for a Service with a port that is
	// not TCP: Slipway's load balancers are TCP only.
	ErrUnsupportedProtocol = errors.New("unsupported protocol")
	// ErrNoNodePort is returned for a Service port without a NodePort
	// (spec.allocateLoadBalancerNodePorts: false): members are reached on
	// their NodePorts, so there is nowhere to forward to.
	ErrNoNodePort = errors.New("no NodePort")
	// ErrNoAddress is returned when the Backend made a load balancer but
	// reported no address for it.
	ErrNoAddress = errors.New("load balancer has no address")
	// ErrStopped is returned for a call made after the controller that
	// owns the load balancer began to stop.
	ErrStopped = errors.New("cloud controller stopped")
)

// maxNameLen bounds load balancer names: a DNS label, which also suits
// orchestration stack and HAProxy names.
const maxNameLen = 63

// LoadBalancerName returns the name of the load balancer of the Service
// namespace/name in the cluster clusterID:
// "lb-<first 8 characters of clusterID>-<namespace>-<name>". It is at most
// 63 characters of [a-z0-9-], starts with a letter and ends with a letter
// or digit. When that would be too long it is cut and ends in a hash of
// the whole namespace/name, so that two long names never share a load
// balancer.
//
// The name depends on the Service's namespace and name, not its UID: a
// Service deleted and made again while no controller ran finds its load
// balancer again instead of leaking it.
func LoadBalancerName(clusterID, namespace, name string) string {
	short := sanitize(strings.ReplaceAll(clusterID, "-", ""))
	if len(short) > 8 {
		short = short[:8]
	}
	parts := []string{"lb"}
	if short != "" {
		parts = append(parts, short)
	}
	full := strings.Join(append(parts, sanitize(namespace), sanitize(name)), "-")
	if len(full) <= maxNameLen {
		return full
	}
	sum := sha256.Sum256([]byte(namespace + "/" + name))
	suffix := hex.EncodeToString(sum[:])[:8]
	return strings.TrimRight(full[:maxNameLen-len(suffix)-1], "-") + "-" + suffix
}

// sanitize lowers s and turns everything outside [a-z0-9-] into '-'.
func sanitize(s string) string {
	return strings.Trim(strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-':
			return r
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		default:
			return '-'
		}
	}, s), "-")
}

// servicePorts returns the listeners of svc, or an error naming the first
// port Slipway cannot serve.
func servicePorts(svc *v1.Service) ([]Port, error) {
	ports := make([]Port, 0, len(svc.Spec.Ports))
	for _, p := range svc.Spec.Ports {
		name := p.Name
		if name == "" {
			name = fmt.Sprintf("port-%d", p.Port)
		}
		protocol := p.Protocol
		if protocol == "" {
			protocol = v1.ProtocolTCP // the API server's default
		}
		if protocol != v1.ProtocolTCP {
			return nil, fmt.Errorf("port %s: %w %s; Slipway load balancers serve TCP only", name, ErrUnsupportedProtocol, protocol)
		}
		if p.NodePort == 0 {
			return nil, fmt.Errorf("port %s: %w; set spec.allocateLoadBalancerNodePorts to true", name, ErrNoNodePort)
		}
		ports = append(ports, Port{Name: name, Protocol: string(v1.ProtocolTCP), Port: p.Port, NodePort: p.NodePort})
	}
	return ports, nil
}

// memberAddresses returns the InternalIP of every node, sorted and without
// duplicates. A node without one is skipped: nothing could reach it.
func memberAddresses(nodes []*v1.Node) (members []string, skipped []string) {
	for _, n := range nodes {
		ip := ""
		for _, a := range n.Status.Addresses {
			if a.Type == v1.NodeInternalIP {
				ip = a.Address
				break
			}
		}
		if ip == "" {
			skipped = append(skipped, n.Name)
			continue
		}
		members = append(members, ip)
	}
	slices.Sort(members)
	return slices.Compact(members), skipped
}

// loadBalancerStatus is the Service status that points at address.
func loadBalancerStatus(address string) *v1.LoadBalancerStatus {
	if address == "" {
		return &v1.LoadBalancerStatus{}
	}
	ingress := v1.LoadBalancerIngress{Hostname: address}
	if ip, err := netip.ParseAddr(address); err == nil {
		// IPMode is set as the API server would default it, so that the
		// controller's comparison with the stored status stays equal.
		vip := v1.LoadBalancerIPModeVIP
		ingress = v1.LoadBalancerIngress{IP: ip.String(), IPMode: &vip}
	}
	return &v1.LoadBalancerStatus{Ingress: []v1.LoadBalancerIngress{ingress}}
}

// loadBalancer is the cloudprovider.LoadBalancer over a Backend.
//
// It runs one Backend call at a time per load balancer name: the upstream
// controller's node worker may update a load balancer while a service
// worker deletes it, and an update must not bring a deleted load balancer
// back, so updates only touch load balancers that exist.
//
// It also fences the Backend: once stop returns, no Backend call is running
// and none will start, so the conductor may delete load balancers behind
// it.
type loadBalancer struct {
	clusterID string
	backend   Backend
	log       *slog.Logger

	mu       sync.Mutex
	stopped  bool
	quit     chan struct{} // closed by stop: cancels running calls
	inflight sync.WaitGroup
	names    map[string]*nameLock
}

// nameLock serializes the Backend calls for one name.
type nameLock struct {
	sync.Mutex
	users int // holders and waiters, under loadBalancer.mu
}

var _ cloudprovider.LoadBalancer = (*loadBalancer)(nil)

func newLoadBalancer(clusterID string, backend Backend, log *slog.Logger) *loadBalancer {
	return &loadBalancer{
		clusterID: clusterID,
		backend:   backend,
		log:       log,
		quit:      make(chan struct{}),
		names:     map[string]*nameLock{},
	}
}

// enter admits one Backend call on the load balancer name, once no other
// call on it runs. The returned context is also cancelled by stop; leave
// must be called when the call returns.
func (l *loadBalancer) enter(ctx context.Context, name string) (_ context.Context, leave func(), _ error) {
	l.mu.Lock()
	if l.stopped {
		l.mu.Unlock()
		return nil, nil, ErrStopped
	}
	l.inflight.Add(1)
	nl := l.names[name]
	if nl == nil {
		nl = &nameLock{}
		l.names[name] = nl
	}
	nl.users++
	l.mu.Unlock()

	ctx, cancel := context.WithCancel(ctx)
	finished := make(chan struct{})
	go func() {
		select {
		case <-l.quit:
			cancel()
		case <-finished:
		}
	}()
	nl.Lock()
	leave = func() {
		nl.Unlock()
		l.mu.Lock()
		if nl.users--; nl.users == 0 {
			delete(l.names, name)
		}
		l.mu.Unlock()
		close(finished)
		cancel()
		l.inflight.Done()
	}
	l.mu.Lock()
	stopped := l.stopped
	l.mu.Unlock()
	if stopped {
		leave()
		return nil, nil, ErrStopped
	}
	return ctx, leave, nil
}

// stop refuses further Backend calls, cancels the running ones and waits
// for them to return. It may be called more than once.
func (l *loadBalancer) stop() {
	l.mu.Lock()
	if !l.stopped {
		l.stopped = true
		close(l.quit)
	}
	l.mu.Unlock()
	l.inflight.Wait()
}

func (l *loadBalancer) name(svc *v1.Service) string {
	return LoadBalancerName(l.clusterID, svc.Namespace, svc.Name)
}

// GetLoadBalancerName returns LoadBalancerName for svc.
func (l *loadBalancer) GetLoadBalancerName(_ context.Context, _ string, svc *v1.Service) string {
	return l.name(svc)
}

// GetLoadBalancer reports whether svc's load balancer exists, and its status.
func (l *loadBalancer) GetLoadBalancer(ctx context.Context, _ string, svc *v1.Service) (*v1.LoadBalancerStatus, bool, error) {
	name := l.name(svc)
	ctx, leave, err := l.enter(ctx, name)
	if err != nil {
		return nil, false, err
	}
	defer leave()
	address, exists, err := l.backend.Get(ctx, name)
	if err != nil {
		return nil, false, fmt.Errorf("get load balancer %s: %w", name, err)
	}
	if !exists {
		return nil, false, nil
	}
	return loadBalancerStatus(address), true, nil
}

// EnsureLoadBalancer makes or updates svc's load balancer over nodes and
// returns the status that points at it.
func (l *loadBalancer) EnsureLoadBalancer(ctx context.Context, _ string, svc *v1.Service, nodes []*v1.Node) (*v1.LoadBalancerStatus, error) {
	address, err := l.ensure(ctx, svc, nodes, false)
	if err != nil {
		return nil, err
	}
	if address == "" {
		return nil, fmt.Errorf("ensure load balancer %s: %w", l.name(svc), ErrNoAddress)
	}
	return loadBalancerStatus(address), nil
}

// UpdateLoadBalancer points svc's load balancer at nodes. It does nothing
// when the load balancer does not exist: it was deleted, or it is still to
// be made by EnsureLoadBalancer, which lists the nodes itself.
func (l *loadBalancer) UpdateLoadBalancer(ctx context.Context, _ string, svc *v1.Service, nodes []*v1.Node) error {
	_, err := l.ensure(ctx, svc, nodes, true)
	return err
}

func (l *loadBalancer) ensure(ctx context.Context, svc *v1.Service, nodes []*v1.Node, existingOnly bool) (string, error) {
	name := l.name(svc)
	ports, err := servicePorts(svc)
	if err != nil {
		return "", fmt.Errorf("ensure load balancer %s: %w", name, err)
	}
	members, skipped := memberAddresses(nodes)
	if len(skipped) > 0 {
		l.log.Warn("nodes without an InternalIP left out of load balancer",
			"load_balancer", name, "service", svc.Namespace+"/"+svc.Name, "nodes", skipped)
	}
	ctx, leave, err := l.enter(ctx, name)
	if err != nil {
		return "", err
	}
	defer leave()
	if existingOnly {
		_, exists, err := l.backend.Get(ctx, name)
		if err != nil {
			return "", fmt.Errorf("get load balancer %s: %w", name, err)
		}
		if !exists {
			return "", nil
		}
	}
	address, err := l.backend.Ensure(ctx, name, ports, members)
	if err != nil {
		return "", fmt.Errorf("ensure load balancer %s: %w", name, err)
	}
	l.log.Info("load balancer ensured", "load_balancer", name,
		"service", svc.Namespace+"/"+svc.Name, "address", address, "members", len(members))
	return address, nil
}

// EnsureLoadBalancerDeleted removes svc's load balancer; already gone is
// success.
func (l *loadBalancer) EnsureLoadBalancerDeleted(ctx context.Context, _ string, svc *v1.Service) error {
	name := l.name(svc)
	ctx, leave, err := l.enter(ctx, name)
	if err != nil {
		return err
	}
	defer leave()
	if err := l.backend.Delete(ctx, name); err != nil {
		return fmt.Errorf("delete load balancer %s: %w", name, err)
	}
	l.log.Info("load balancer deleted", "load_balancer", name, "service", svc.Namespace+"/"+svc.Name)
	return nil
}
