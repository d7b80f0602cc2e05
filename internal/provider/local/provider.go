package local

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strings"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/provider"
	"github.com/slipway/slipway/internal/provider/local/lb"
	"github.com/slipway/slipway/internal/provider/local/machine"
	"github.com/slipway/slipway/internal/provider/local/network"
	"github.com/slipway/slipway/internal/provider/local/volume"
)

// Options configure a Provider. DataDir and Store are required; the rest
// have defaults that suit `slipway serve`.
type Options struct {
	// DataDir is Slipway's data directory; the provider keeps its state
	// (machines' disks, load balancers' HAProxy files, volume files) under
	// DataDir/provider.
	DataDir string
	// Store keeps the provider's records: networks, subnets, ports (the IP
	// allocations), routers, security groups, floating IPs, load balancers,
	// volumes, attachments, router interfaces. Records(st) puts them in
	// Slipway's store.
	Store Store
	// Egress lets machines reach beyond this host through their routers'
	// gateways (slipway serve --egress). Off by default: no packet from a
	// machine then leaves the host.
	Egress bool
	// Log receives operators' messages; slog.Default() when nil.
	Log *slog.Logger
	// APIURL is the orchestration API's versioned root as users reach it
	// (http://host:port/orchestration/v1). Servers' console_urls attribute
	// points under it; empty leaves console_urls empty.
	APIURL string

	// Prefix starts the names of the network namespaces the provider makes.
	// Default "slw" and 4 hex digits of a hash of DataDir, then "-", so
	// that two data directories on one host never touch each other's
	// namespaces.
	Prefix string
	// HostInterface is the host's interface on the public network; at most
	// 15 characters. Default "slw" and the same 4 hex digits.
	HostInterface string
	// PublicCIDR is the public network's subnet; zero picks one that does
	// not clash with the host's (see network.Options).
	PublicCIDR netip.Prefix
	// CgroupRoot is where machines' cgroups live (see machine.Config).
	CgroupRoot string
	// NodeCommand runs `slipway node`; default this executable's "node".
	NodeCommand []string
	// HAProxy is the haproxy binary; default "haproxy" from PATH.
	HAProxy string
	// MachineMounts are host paths bound into every machine the provider
	// creates, read-only unless Writable: the artifacts cache, whose
	// Kubernetes binaries machines run, at its own path. A mount whose
	// source does not exist when a server is created is left out of that
	// server. A source must neither hold DataDir nor lie inside it:
	// machines never see Slipway's data.
	MachineMounts []machine.Mount
}

// Provider is the local infrastructure provider: it owns the managers of
// machines, networks, load balancers and volumes on this host, implements
// the OpenStack resource types over them (Register), and brings the host
// in line with the store when Slipway starts (Reconcile).
type Provider struct {
	opts     Options
	log      *slog.Logger
	store    Store
	machines *machine.Manager
	net      *network.Manager
	lbs      *lb.Manager
	vols     *volume.Manager
}

// New builds the provider. It needs root: without, the error wraps
// provider.ErrUnsupported. It changes nothing on the host beyond creating
// its state directories: call Reconcile next.
func New(ctx context.Context, opts Options) (*Provider, error) {
	if opts.DataDir == "" || opts.Store == nil {
		return nil, fmt.Errorf("new local provider: %w", model.Invalidf("a data directory and a store are required"))
	}
	if opts.Log == nil {
		opts.Log = slog.Default()
	}
	state := filepath.Join(opts.DataDir, "provider")
	if err := os.MkdirAll(state, 0o700); err != nil {
		return nil, fmt.Errorf("new local provider: %w", err)
	}
	tag, err := dataDirTag(opts.DataDir)
	if err != nil {
		return nil, fmt.Errorf("new local provider: %w", err)
	}
	if opts.Prefix == "" {
		opts.Prefix = "slw" + tag + "-"
	}
	if opts.HostInterface == "" {
		opts.HostInterface = "slw" + tag
	}
	if err := checkMachineMounts(opts.MachineMounts, opts.DataDir); err != nil {
		return nil, fmt.Errorf("new local provider: %w", err)
	}
	p := &Provider{opts: opts, log: opts.Log, store: opts.Store}
	if p.machines, err = machine.New(ctx, machine.Config{
		StateDir: state, Command: opts.NodeCommand, CgroupRoot: opts.CgroupRoot, Log: opts.Log,
	}); err != nil {
		if errors.Is(err, machine.ErrUnsupported) {
			return nil, fmt.Errorf("new local provider: %w: %w", provider.ErrUnsupported, err)
		}
		return nil, fmt.Errorf("new local provider: %w", err)
	}
	if p.net, err = network.New(ctx, network.Options{
		Store: opts.Store, Logger: opts.Log, Prefix: opts.Prefix, HostInterface: opts.HostInterface,
		PublicNetworkID: publicNetworkID, PublicName: ExternalNetworkName, PublicCIDR: opts.PublicCIDR, Egress: opts.Egress,
	}); err != nil {
		return nil, fmt.Errorf("new local provider: %w", err)
	}
	lbDir := filepath.Join(state, "lb")
	if err := os.MkdirAll(lbDir, 0o700); err != nil {
		return nil, fmt.Errorf("new local provider: %w", err)
	}
	if p.lbs, err = lb.New(ctx, lb.Options{
		Store: opts.Store, Ports: p.net, StateDir: lbDir,
		HAProxy: opts.HAProxy, Prefix: opts.Prefix, Logger: opts.Log,
	}); err != nil {
		return nil, fmt.Errorf("new local provider: %w", err)
	}
	if p.vols, err = volume.New(ctx, volume.Options{
		Store: opts.Store, StateDir: filepath.Join(state, "volumes"), Machines: machinePIDs{p.machines}, Logger: opts.Log,
	}); err != nil {
		return nil, fmt.Errorf("new local provider: %w", err)
	}
	return p, nil
}

// checkMachineMounts refuses a machine mount a machine could not get, or
// through which it would see Slipway's data directory.
func checkMachineMounts(mounts []machine.Mount, dataDir string) error {
	data, err := realPath(dataDir)
	if err != nil {
		return err
	}
	for _, m := range mounts {
		if err := m.Validate(); err != nil {
			return model.Invalidf("machine mount %s: %v", m.Source, err)
		}
		src, err := realPath(m.Source)
		if err != nil {
			return err
		}
		if within(data, src) || within(src, data) {
			return model.Invalidf("machine mount %s: machines would see the data directory %s", m.Source, dataDir)
		}
	}
	return nil
}

// realPath is a path made absolute, its links resolved as far as it
// exists.
func realPath(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		return real, nil
	}
	return abs, nil
}

// within reports whether path is dir or below it.
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, "../")
}

// machineMounts are the machine mounts whose source exists now.
func (p *Provider) machineMounts() []machine.Mount {
	var out []machine.Mount
	for _, m := range p.opts.MachineMounts {
		if _, err := os.Stat(m.Source); err != nil {
			p.log.Debug("machine mount left out: its source is missing", "source", m.Source, "err", err)
			continue
		}
		out = append(out, m)
	}
	return out
}

// publicNetworkID is the id of the public network: the catalogue's.
const publicNetworkID = "9d6c2f0a-2b7e-4a37-8c1e-7075626c6963"

// dataDirTag is 4 hex digits of a hash of the data directory's absolute
// path.
func dataDirTag(dir string) (string, error) {
	abs, err := realPath(dir)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(abs))
	return hex.EncodeToString(sum[:2]), nil
}

// machinePIDs lets the volume manager find running machines.
type machinePIDs struct{ m *machine.Manager }

// InitPID implements volume.Machines: the init of an ACTIVE machine.
func (a machinePIDs) InitPID(ctx context.Context, id string) (int, error) {
	mach, err := a.m.Get(ctx, id)
	if errors.Is(err, machine.ErrNotFound) {
		return 0, model.NotFoundf("No server with id %s exists.", id)
	}
	if err != nil {
		return 0, err
	}
	if mach.State != machine.StateActive {
		// Until the agent is up, the machine's root is not built yet.
		return 0, nil
	}
	return mach.InitPID, nil
}

// HostAddress returns the host's address on the public network: where
// machines reach the host, and Slipway's endpoints. It is valid once
// Reconcile has run.
func (p *Provider) HostAddress() netip.Addr { return p.net.HostAddress() }

// Catalog returns the provider's catalogue of images, flavors and networks.
func (p *Provider) Catalog() Catalog { return Catalog{} }

// Prefix returns the prefix of the network namespaces the provider makes.
func (p *Provider) Prefix() string { return p.opts.Prefix }

// HostInterface returns the name of the host's interface on the public
// network.
func (p *Provider) HostInterface() string { return p.opts.HostInterface }

// StateDir returns the directory under which the provider keeps its files.
func (p *Provider) StateDir() string { return filepath.Join(p.opts.DataDir, "provider") }

// Provider-own record kinds, next to those of the managers.
const (
	kindRouterInterface = "router_interface"
	kindFIPAssociation  = "floatingip_association"
	kindServerGroup     = "server_group"
)

// putRecord stores one of the provider's own records.
func (p *Provider) putRecord(ctx context.Context, kind, id string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s %s: %w", kind, id, err)
	}
	if err := p.store.Put(ctx, kind, id, b); err != nil {
		return fmt.Errorf("store %s %s: %w", kind, id, err)
	}
	return nil
}

// getRecord loads one of the provider's own records; ok is false when
// there is none.
func getRecord[T any](ctx context.Context, p *Provider, kind, id string) (*T, bool, error) {
	all, err := listRecords[T](ctx, p, kind)
	if err != nil {
		return nil, false, err
	}
	v, ok := all[id]
	return v, ok, nil
}

// listRecords loads every record of one of the provider's own kinds.
func listRecords[T any](ctx context.Context, p *Provider, kind string) (map[string]*T, error) {
	recs, err := p.store.List(ctx, kind)
	if err != nil {
		return nil, fmt.Errorf("load %s records: %w", kind, err)
	}
	out := make(map[string]*T, len(recs))
	for id, b := range recs {
		v := new(T)
		if err := json.Unmarshal(b, v); err != nil {
			return nil, fmt.Errorf("decode %s %s: %w", kind, id, err)
		}
		out[id] = v
	}
	return out, nil
}

// deleteRecord forgets one of the provider's own records.
func (p *Provider) deleteRecord(ctx context.Context, kind, id string) error {
	if err := p.store.Delete(ctx, kind, id); err != nil {
		return fmt.Errorf("forget %s %s: %w", kind, id, err)
	}
	return nil
}
