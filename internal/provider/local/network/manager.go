package network

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/provider/local/network/netns"
)

// Record kinds in the Store.
const (
	kindNetwork  = "network"
	kindSubnet   = "subnet"
	kindPort     = "port"
	kindRouter   = "router"
	kindGroup    = "secgroup"
	kindFloating = "floatingip"
	kindRouteSet = "routeset"
)

// Options configure a Manager. Zero values take the documented defaults.
type Options struct {
	// Store keeps the records. Required.
	Store Store
	// Logger receives operator logs; nil discards them.
	Logger *slog.Logger
	// Prefix starts the name of every namespace the Manager creates, so that
	// reconciliation touches only its own. Default "slw-".
	Prefix string
	// PublicNetworkID and PublicName identify the external network.
	// Defaults: "public" for both.
	PublicNetworkID string
	PublicName      string
	// PublicCIDR is the external network's subnet. Zero picks, once, the
	// first of 10.250.0.0/24, 10.251.0.0/24, 172.31.250.0/24 and
	// 172.31.251.0/24 that overlaps no address or route of the host; the
	// choice is stored.
	PublicCIDR netip.Prefix
	// HostInterface is the host's end of the veth to "public", which holds
	// the host's address there (the subnet's gateway address). At most 15
	// characters. Default "slw-public".
	HostInterface string
	// Egress lets machines reach beyond the host: routers get a default
	// route to the host, which masquerades their traffic to its uplink.
	// Off by default, and no test turns it on.
	Egress bool
}

// Manager creates and deletes networks, subnets, ports, routers (and their
// extra routes), security groups and floating IPs on the local host. Its methods are safe for
// concurrent use; changes are serialised.
type Manager struct {
	opts  Options
	store Store
	log   *slog.Logger

	mu       sync.Mutex
	networks map[string]*Network
	subnets  map[string]*Subnet
	ports    map[string]*Port
	routers  map[string]*Router
	groups   map[string]*SecurityGroup
	fips     map[string]*FloatingIP
	// routeSets are the routers' extra routes, by route set.
	routeSets map[string]*RouteSet
}

// New returns a Manager that loads its records from opts.Store. It changes
// nothing on the host: call EnsurePublic, Adopt or Reconcile next.
func New(ctx context.Context, opts Options) (*Manager, error) {
	if opts.Store == nil {
		return nil, fmt.Errorf("new network manager: %w", model.Invalidf("a store is required"))
	}
	if opts.Prefix == "" {
		opts.Prefix = "slw-"
	}
	if opts.PublicNetworkID == "" {
		opts.PublicNetworkID = "public"
	}
	if opts.PublicName == "" {
		opts.PublicName = "public"
	}
	if opts.HostInterface == "" {
		opts.HostInterface = "slw-public"
	}
	if len(opts.HostInterface) > 15 {
		return nil, fmt.Errorf("new network manager: %w", model.Invalidf("host interface name %q is longer than 15 characters", opts.HostInterface))
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	m := &Manager{
		opts: opts, store: opts.Store, log: log,
		networks: map[string]*Network{}, subnets: map[string]*Subnet{}, ports: map[string]*Port{},
		routers: map[string]*Router{}, groups: map[string]*SecurityGroup{}, fips: map[string]*FloatingIP{},
		routeSets: map[string]*RouteSet{},
	}
	if err := loadKind(ctx, m.store, kindNetwork, m.networks); err != nil {
		return nil, err
	}
	if err := loadKind(ctx, m.store, kindSubnet, m.subnets); err != nil {
		return nil, err
	}
	if err := loadKind(ctx, m.store, kindPort, m.ports); err != nil {
		return nil, err
	}
	if err := loadKind(ctx, m.store, kindRouter, m.routers); err != nil {
		return nil, err
	}
	if err := loadKind(ctx, m.store, kindGroup, m.groups); err != nil {
		return nil, err
	}
	if err := loadKind(ctx, m.store, kindFloating, m.fips); err != nil {
		return nil, err
	}
	if err := loadKind(ctx, m.store, kindRouteSet, m.routeSets); err != nil {
		return nil, err
	}
	return m, nil
}

func loadKind[T any](ctx context.Context, s Store, kind string, into map[string]*T) error {
	recs, err := s.List(ctx, kind)
	if err != nil {
		return fmt.Errorf("load %s records: %w", kind, err)
	}
	for id, b := range recs {
		v := new(T)
		if err := json.Unmarshal(b, v); err != nil {
			return fmt.Errorf("load %s %s: %w", kind, id, err)
		}
		into[id] = v
	}
	return nil
}

func (m *Manager) put(ctx context.Context, kind, id string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %s: %w", kind, id, err)
	}
	if err := m.store.Put(ctx, kind, id, b); err != nil {
		return fmt.Errorf("store %s %s: %w", kind, id, err)
	}
	return nil
}

func (m *Manager) del(ctx context.Context, kind, id string) error {
	if err := m.store.Delete(ctx, kind, id); err != nil {
		return fmt.Errorf("forget %s %s: %w", kind, id, err)
	}
	return nil
}

// short is a stable 12-character tag for an id, used in interface names,
// which the kernel limits to 15 characters.
func short(id string) string {
	h := sha256.Sum256([]byte(id))
	return hex.EncodeToString(h[:6])
}

// macFor derives a port's MAC address from its id, with OpenStack's fa:16:3e
// prefix, so that a port re-created after a crash gets the same address.
func macFor(id string) string {
	h := sha256.Sum256([]byte("mac:" + id))
	return net.HardwareAddr{0xfa, 0x16, 0x3e, h[0], h[1], h[2]}.String()
}

func (m *Manager) netnsName(kind, id string) string { return m.opts.Prefix + kind + "-" + id }

func (m *Manager) networkNS(id string) string { return netns.Path(m.netnsName("net", id)) }
func (m *Manager) routerNS(id string) string  { return netns.Path(m.netnsName("rtr", id)) }

// bridgeName is the bridge's name inside a network namespace; the namespace
// holds nothing else, so the name need not be unique.
const bridgeName = "br"

// hostPeer is the name, inside the external network's namespace, of the
// veth end that leads to the host.
const hostPeer = "host"

func portDev(portID string) string { return "p-" + short(portID) }

// PublicNetworkID returns the id of the external network.
func (m *Manager) PublicNetworkID() string { return m.opts.PublicNetworkID }

// HostAddress returns the host's address on the external network, where
// machines reach the host and Slipway's endpoints. It is valid after
// EnsurePublic.
func (m *Manager) HostAddress() netip.Addr {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range m.subnets {
		if s.NetworkID == m.opts.PublicNetworkID {
			return s.GatewayIP
		}
	}
	return netip.Addr{}
}
