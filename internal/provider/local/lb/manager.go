package lb

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/provider/local/network"
	"github.com/slipway/slipway/internal/provider/local/network/netns"
)

// Store persists one record per load balancer (network.FileStore and
// Slipway's SQL store both satisfy it).
type Store interface {
	Put(ctx context.Context, kind, id string, data []byte) error
	Delete(ctx context.Context, kind, id string) error
	List(ctx context.Context, kind string) (map[string][]byte, error)
}

// Ports is what a load balancer needs from the network: a VIP port on a
// subnet, plugged into its namespace. *network.Manager implements it.
type Ports interface {
	CreatePort(ctx context.Context, p network.Port) (network.Port, error)
	PlugPort(ctx context.Context, id string, b network.Binding) (network.Port, error)
	DeletePort(ctx context.Context, id string) error
	GetSubnet(ctx context.Context, id string) (network.Subnet, error)
}

const kindLB = "loadbalancer"

// Options configure a Manager.
type Options struct {
	// Store keeps the records and Ports provides VIP ports. Required.
	Store Store
	Ports Ports
	// StateDir holds one directory per load balancer: HAProxy's
	// configuration, pid file, master and stats sockets. Required.
	StateDir string
	// HAProxy is the haproxy binary; default "haproxy" from PATH.
	HAProxy string
	// Prefix starts the names of the load balancers' namespaces; it is the
	// network Manager's prefix. Default "slw-".
	Prefix string
	// HardStopAfter bounds, in seconds, how long workers replaced by a
	// reload keep serving their connections. Default 3600; -1 is unbounded.
	HardStopAfter int
	// MaxConn is HAProxy's global connection limit. Default: 50000, or
	// what the process's hard file limit allows (two descriptors per
	// connection) when that is lower.
	MaxConn int
	// Logger receives operator logs; nil discards them.
	Logger *slog.Logger
}

// Manager creates load balancers and keeps their HAProxy in line with
// their listeners, pools, members and health monitors. Changes to one load
// balancer are serialised; different load balancers change in parallel.
type Manager struct {
	opts Options
	log  *slog.Logger

	mu    sync.Mutex // guards lbs and locks
	lbs   map[string]*LoadBalancer
	locks map[string]*sync.Mutex
}

// New returns a Manager over the records in opts.Store. It changes nothing
// on the host: call Adopt or Reconcile next.
func New(ctx context.Context, opts Options) (*Manager, error) {
	if opts.Store == nil || opts.Ports == nil || opts.StateDir == "" {
		return nil, fmt.Errorf("new load balancer manager: %w", model.Invalidf("store, ports and state directory are required"))
	}
	if p := filepath.Join(opts.StateDir, dirName(""), masterSocket); len(p) > maxSocketPath {
		return nil, fmt.Errorf("new load balancer manager: %w", model.Invalidf("the state directory %s is too long: HAProxy's socket paths under it must fit in %d bytes", opts.StateDir, maxSocketPath))
	}
	if opts.HAProxy == "" {
		opts.HAProxy = "haproxy"
	}
	if opts.Prefix == "" {
		opts.Prefix = "slw-"
	}
	if opts.MaxConn == 0 {
		opts.MaxConn = 50000
		var lim unix.Rlimit
		if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err == nil && lim.Max < uint64(2*opts.MaxConn+1000) {
			opts.MaxConn = max(int(lim.Max)/2-500, 100)
		}
	}
	if opts.HardStopAfter == 0 {
		opts.HardStopAfter = 3600
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Manager{opts: opts, log: log, lbs: map[string]*LoadBalancer{}, locks: map[string]*sync.Mutex{}}
	recs, err := opts.Store.List(ctx, kindLB)
	if err != nil {
		return nil, fmt.Errorf("load load balancers: %w", err)
	}
	for id, b := range recs {
		lb := &LoadBalancer{}
		if err := json.Unmarshal(b, lb); err != nil {
			return nil, fmt.Errorf("load load balancer %s: %w", id, err)
		}
		m.lbs[id] = lb
	}
	return m, nil
}

func (m *Manager) nsName(id string) string { return m.opts.Prefix + "lb-" + id }
func (m *Manager) dir(id string) string    { return filepath.Join(m.opts.StateDir, dirName(id)) }

// dirName names a load balancer's state directory: a short digest of its
// id, because the paths of HAProxy's sockets in it must fit a Unix socket
// address (108 bytes).
func dirName(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:6])
}

// maxSocketPath is the longest path a Unix socket address holds.
const maxSocketPath = 107

func (m *Manager) proc(id string) proc {
	return proc{bin: m.opts.HAProxy, dir: m.dir(id), netns: netns.Path(m.nsName(id))}
}

func (m *Manager) params(id string) configParams {
	p := configParams{dir: m.dir(id), hardStopAfter: m.opts.HardStopAfter, maxConn: m.opts.MaxConn}
	if p.hardStopAfter < 0 {
		p.hardStopAfter = 0
	}
	return p
}

// lock serialises changes to one load balancer.
func (m *Manager) lock(id string) func() {
	m.mu.Lock()
	l := m.locks[id]
	if l == nil {
		l = &sync.Mutex{}
		m.locks[id] = l
	}
	m.mu.Unlock()
	l.Lock()
	return l.Unlock
}

func (m *Manager) get(id string) *LoadBalancer {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lbs[id]
}

func clone(lb *LoadBalancer) *LoadBalancer {
	b, _ := json.Marshal(lb)
	c := &LoadBalancer{}
	_ = json.Unmarshal(b, c)
	c.OperatingStatus = lb.OperatingStatus
	return c
}

func (m *Manager) save(ctx context.Context, lb *LoadBalancer) error {
	b, err := json.Marshal(lb)
	if err != nil {
		return fmt.Errorf("encode load balancer %s: %w", lb.ID, err)
	}
	if err := m.opts.Store.Put(ctx, kindLB, lb.ID, b); err != nil {
		return fmt.Errorf("store load balancer %s: %w", lb.ID, err)
	}
	m.mu.Lock()
	m.lbs[lb.ID] = lb
	m.mu.Unlock()
	return nil
}

// CreateLoadBalancer allocates the VIP on the subnet, creates the
// namespace that holds it and starts HAProxy there. Creating a load
// balancer that exists makes sure it runs and returns it.
func (m *Manager) CreateLoadBalancer(ctx context.Context, spec LoadBalancer) (LoadBalancer, error) {
	if spec.ID == "" {
		return LoadBalancer{}, model.Invalidf("A load balancer id is required.")
	}
	defer m.lock(spec.ID)()
	lb := m.get(spec.ID)
	if lb == nil {
		if _, err := m.opts.Ports.GetSubnet(ctx, spec.VIPSubnetID); err != nil {
			return LoadBalancer{}, fmt.Errorf("create load balancer %s: %w", spec.ID, err)
		}
		lb = &LoadBalancer{ID: spec.ID, Name: spec.Name, ProjectID: spec.ProjectID, VIPSubnetID: spec.VIPSubnetID,
			VIPAddress: spec.VIPAddress, VIPPortID: spec.VIPPortID, ProvisioningStatus: ProvisioningActive}
		if lb.VIPPortID == "" {
			lb.VIPPortID = "vip-" + lb.ID
		}
		if err := m.save(ctx, lb); err != nil {
			return LoadBalancer{}, fmt.Errorf("create load balancer %s: %w", spec.ID, err)
		}
	}
	if err := m.ensure(ctx, lb); err != nil {
		return LoadBalancer{}, fmt.Errorf("create load balancer %s: %w", spec.ID, err)
	}
	m.log.Info("load balancer created", "loadbalancer", lb.ID, "vip", lb.VIPAddress)
	return m.view(ctx, lb), nil
}

// ensure makes the host match a load balancer's record: the namespace, the
// VIP port plugged into it, the configuration, and a running HAProxy that
// has loaded it. The caller holds the load balancer's lock.
func (m *Manager) ensure(ctx context.Context, lb *LoadBalancer) error {
	path, err := netns.Create(m.nsName(lb.ID))
	if err != nil {
		return err
	}
	sub, err := m.opts.Ports.GetSubnet(ctx, lb.VIPSubnetID)
	if err != nil {
		return err
	}
	var fixed []network.FixedIP
	if lb.VIPAddress.IsValid() {
		fixed = []network.FixedIP{{SubnetID: sub.ID, IPAddress: lb.VIPAddress}}
	} else {
		fixed = []network.FixedIP{{SubnetID: sub.ID}}
	}
	port, err := m.opts.Ports.CreatePort(ctx, network.Port{
		ID: lb.VIPPortID, NetworkID: sub.NetworkID, Name: "octavia-lb-" + lb.ID, ProjectID: lb.ProjectID,
		DeviceID: lb.ID, DeviceOwner: network.OwnerLoadBalancer, FixedIPs: fixed, NoPortSecurity: true,
	})
	if err != nil {
		return err
	}
	if _, err := m.opts.Ports.PlugPort(ctx, port.ID, network.Binding{Netns: path, IfName: "eth0", DefaultRoute: true}); err != nil {
		return err
	}
	if !lb.VIPAddress.IsValid() {
		next := clone(lb)
		next.VIPAddress = port.FixedIPs[0].IPAddress
		if err := m.save(ctx, next); err != nil {
			return err
		}
		*lb = *next
	}
	if err := os.MkdirAll(m.dir(lb.ID), 0o700); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	return m.apply(ctx, lb)
}

// apply renders, validates and installs the configuration, then starts
// HAProxy or reloads it when the configuration changed.
func (m *Manager) apply(ctx context.Context, lb *LoadBalancer) error {
	p := m.proc(lb.ID)
	cfg, err := renderConfig(lb, m.params(lb.ID))
	if err != nil {
		return err
	}
	cur, _ := os.ReadFile(p.path(configFile))
	changed := string(cur) != cfg
	if changed {
		tmp := p.path(configFile + ".new")
		if err := os.WriteFile(tmp, []byte(cfg), 0o600); err != nil {
			return fmt.Errorf("write configuration: %w", err)
		}
		if err := p.validate(ctx, tmp); err != nil {
			os.Remove(tmp)
			return err
		}
		if err := os.Rename(tmp, p.path(configFile)); err != nil {
			return fmt.Errorf("install configuration: %w", err)
		}
	}
	switch {
	case !p.running(ctx):
		if err := stopAll(ctx, p.netns); err != nil {
			return err
		}
		return p.start(ctx)
	case changed:
		return p.reload(ctx)
	}
	return nil
}

// change applies fn to a copy of the load balancer, installs the result
// and records it. A change HAProxy rejects leaves the running configuration
// and the record as they were, and marks the load balancer ERROR with the
// reason.
func (m *Manager) change(ctx context.Context, lbID string, fn func(lb *LoadBalancer) error) (*LoadBalancer, error) {
	if lbID == "" {
		return nil, model.Invalidf("A load balancer id is required.")
	}
	defer m.lock(lbID)()
	cur := m.get(lbID)
	if cur == nil {
		return nil, model.NotFoundf("Load Balancer %s not found.", lbID)
	}
	next := clone(cur)
	if err := fn(next); err != nil {
		return nil, err
	}
	next.ProvisioningStatus, next.LastError = ProvisioningActive, ""
	if err := m.apply(ctx, next); err != nil {
		failed := clone(cur)
		failed.ProvisioningStatus, failed.LastError = ProvisioningError, err.Error()
		return nil, errors.Join(err, m.save(ctx, failed))
	}
	if err := m.save(ctx, next); err != nil {
		return nil, err
	}
	return next, nil
}

// view returns a copy of lb with operating statuses read from HAProxy.
func (m *Manager) view(ctx context.Context, lb *LoadBalancer) LoadBalancer {
	v := clone(lb)
	p := m.proc(lb.ID)
	running := p.running(ctx)
	var rows []statRow
	if running {
		if out, err := cli(ctx, p.path(statsSocket), "show stat"); err == nil {
			rows = parseStat(out)
		}
	}
	applyStatus(v, rows, running)
	return *v
}

// GetLoadBalancer returns a load balancer with everything under it and the
// operating status of each part, read from HAProxy's stats.
func (m *Manager) GetLoadBalancer(ctx context.Context, id string) (LoadBalancer, error) {
	lb := m.get(id)
	if lb == nil {
		return LoadBalancer{}, model.NotFoundf("Load Balancer %s not found.", id)
	}
	return m.view(ctx, lb), nil
}

// DeleteLoadBalancer deletes a load balancer and everything under it: its
// HAProxy processes, namespace, VIP port and state directory. Deleting one
// that does not exist is a success.
func (m *Manager) DeleteLoadBalancer(ctx context.Context, id string) error {
	defer m.lock(id)()
	lb := m.get(id)
	if lb == nil {
		return nil
	}
	if err := m.destroy(ctx, id, lb.VIPPortID); err != nil {
		return fmt.Errorf("delete load balancer %s: %w", id, err)
	}
	if err := m.opts.Store.Delete(ctx, kindLB, id); err != nil {
		return fmt.Errorf("delete load balancer %s: %w", id, err)
	}
	m.mu.Lock()
	delete(m.lbs, id)
	m.mu.Unlock()
	m.log.Info("load balancer deleted", "loadbalancer", id)
	return nil
}

// destroy removes what a load balancer made on the host.
func (m *Manager) destroy(ctx context.Context, id, vipPort string) error {
	path := netns.Path(m.nsName(id))
	if netns.IsNamespace(path) {
		if err := stopAll(ctx, path); err != nil {
			return err
		}
	}
	var errs []error
	if vipPort != "" {
		errs = append(errs, m.opts.Ports.DeletePort(ctx, vipPort))
	}
	errs = append(errs, netns.Delete(m.nsName(id)))
	if err := os.RemoveAll(m.dir(id)); err != nil {
		errs = append(errs, fmt.Errorf("remove state directory: %w", err))
	}
	return errors.Join(errs...)
}

// Adopt brings every recorded load balancer back after a restart or a
// reboot: a running HAProxy is kept (and reloaded only if its
// configuration differs), a missing one is started, and namespaces or
// state directories that no record names are removed.
func (m *Manager) Adopt(ctx context.Context) error {
	return m.reconcile(ctx, nil)
}

// Reconcile is Adopt for a caller whose own records are the truth: load
// balancers whose id is not in known are deleted first. Reconciling twice
// has the effect of reconciling once.
func (m *Manager) Reconcile(ctx context.Context, known map[string]bool) error {
	return m.reconcile(ctx, func(id string) bool { return known[id] })
}

func (m *Manager) reconcile(ctx context.Context, keep func(string) bool) error {
	var errs []error
	m.mu.Lock()
	ids := make([]string, 0, len(m.lbs))
	for id := range m.lbs {
		ids = append(ids, id)
	}
	m.mu.Unlock()
	slices.Sort(ids)
	for _, id := range ids {
		if keep != nil && !keep(id) {
			errs = append(errs, m.DeleteLoadBalancer(ctx, id))
			continue
		}
		unlock := m.lock(id)
		if lb := m.get(id); lb != nil {
			if err := m.ensure(ctx, lb); err != nil {
				errs = append(errs, fmt.Errorf("load balancer %s: %w", id, err))
			}
		}
		unlock()
	}
	// Leftovers: namespaces and state directories no record names.
	names, err := netns.List(m.opts.Prefix + "lb-")
	errs = append(errs, err)
	for _, name := range names {
		id := strings.TrimPrefix(name, m.opts.Prefix+"lb-")
		if m.get(id) == nil {
			m.log.Info("removing leftover load balancer", "loadbalancer", id)
			errs = append(errs, m.destroy(ctx, id, ""))
		}
	}
	entries, err := os.ReadDir(m.opts.StateDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		errs = append(errs, err)
	}
	named := map[string]bool{}
	for _, id := range ids {
		if m.get(id) != nil {
			named[dirName(id)] = true
		}
	}
	for _, e := range entries {
		if e.IsDir() && !named[e.Name()] {
			errs = append(errs, os.RemoveAll(filepath.Join(m.opts.StateDir, e.Name())))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("reconcile load balancers: %w", err)
	}
	return nil
}
