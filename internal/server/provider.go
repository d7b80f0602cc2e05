package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"slices"
	"strconv"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/provider"
	"github.com/slipway/slipway/internal/store"
)

// Provider is an infrastructure provider as a Slipway process runs it: it
// implements the OpenStack resource types, brings its infrastructure in
// line with the store at start-up, and reports servers' live state.
type Provider interface {
	// Register adds the provider's resource types to the registry.
	Register(reg *resources.Registry) error
	// Start brings the provider's infrastructure in line with the store:
	// known holds the physical id of every resource the store knows.
	// What no known resource owns is removed; what should run and does
	// not is started again. An error names what could not be; the process
	// runs anyway.
	Start(ctx context.Context, known map[string]bool) error
	// HostAddress is where the provider's machines reach this host, or
	// the zero address when they reach it wherever clients do.
	HostAddress() netip.Addr
	provider.Servers
}

// ProviderDeps is what a process hands the provider it builds.
type ProviderDeps struct {
	// DataDir is the process's data directory.
	DataDir string
	// Store is the process's store, for the provider's records.
	Store store.Store
	// Egress lets machines reach beyond this host (serve --egress).
	Egress bool
	Log    *slog.Logger
	// APIURL is the orchestration API's versioned root as users reach it.
	APIURL string
	// CacheDir is the host's artifacts cache; empty means artifacts.Dir().
	CacheDir string
}

// ProviderFactory builds a provider.
type ProviderFactory func(ctx context.Context, deps ProviderDeps) (Provider, error)

// ProviderNone is the --provider value that runs no provider.
const ProviderNone = "none"

// startProvider builds the configured provider of a process that runs a
// conductor, registers its types and runs its start-up reconciliation,
// before any work item runs. When its machines reach this host at an
// address of their own, the API listens there too, on the main listener's
// port when it is free, and machineURL is the root URL there: signal URLs
// (wait condition handles' curl_cli) must use it.
func startProvider(ctx context.Context, cfg Config, comps Components, st store.Store, run *Running, ln net.Listener, log *slog.Logger) (Provider, string, error) {
	name := cfg.Provider
	if name == "" || name == ProviderNone || cfg.Mode == ModeAPI {
		return nil, "", nil
	}
	factory, ok := comps.Providers[name]
	if !ok {
		known := []string{ProviderNone}
		for n := range comps.Providers {
			known = append(known, n)
		}
		slices.Sort(known)
		return nil, "", fmt.Errorf("unknown provider %q: choose one of %v", name, known)
	}
	prov, err := factory(ctx, ProviderDeps{DataDir: cfg.DataDir, Store: st, Egress: cfg.Egress, Log: log,
		APIURL: publicURL(cfg, run) + OrchestrationPrefix + "/v1", CacheDir: cfg.CacheDir})
	if errors.Is(err, provider.ErrUnsupported) {
		log.Warn("running without an infrastructure provider: the OpenStack resource types fail at create", "provider", name, "reason", err)
		return nil, "", nil
	}
	if err != nil {
		return nil, "", fmt.Errorf("start provider %s: %w", name, err)
	}
	if err := prov.Register(comps.Resources); err != nil {
		return nil, "", fmt.Errorf("start provider %s: %w", name, err)
	}
	known, err := knownResources(ctx, st)
	if err != nil {
		return nil, "", fmt.Errorf("start provider %s: %w", name, err)
	}
	if err := prov.Start(ctx, known); err != nil {
		log.Error("the provider's start-up reconciliation is incomplete", "provider", name, "error", err)
	}
	addr := prov.HostAddress()
	if !addr.IsValid() || ln == nil {
		return prov, "", nil
	}
	tcp, ok := ln.Addr().(*net.TCPAddr)
	if !ok {
		return prov, "", nil
	}
	if tcp.IP.IsUnspecified() {
		// The main listener already answers on every address.
		return prov, "http://" + net.JoinHostPort(addr.String(), strconv.Itoa(tcp.Port)), nil
	}
	mln, err := net.Listen("tcp", net.JoinHostPort(addr.String(), strconv.Itoa(tcp.Port)))
	if err != nil {
		mln, err = net.Listen("tcp", net.JoinHostPort(addr.String(), "0"))
	}
	if err != nil {
		return nil, "", fmt.Errorf("listen where machines reach this host (%s): %w", addr, err)
	}
	run.machineLn = mln
	run.closers = append(run.closers, func() error { _ = mln.Close(); return nil })
	return prov, "http://" + mln.Addr().String(), nil
}

// knownResources returns the physical id of every resource the store
// knows, and of every resource a replacement has still to delete.
func knownResources(ctx context.Context, st store.Store) (map[string]bool, error) {
	recs, err := store.List[model.StackResource](ctx, st, store.Query{})
	if err != nil {
		return nil, fmt.Errorf("list stack resources: %w", err)
	}
	known := map[string]bool{}
	for _, r := range recs {
		if r.PhysicalID != "" {
			known[r.PhysicalID] = true
		}
		for _, old := range r.Replaced {
			known[old.PhysicalID] = true
		}
	}
	return known, nil
}

// servers returns what answers the server routes: the provider, or nil.
func servers(p Provider) provider.Servers {
	if p == nil {
		return nil
	}
	return p
}
