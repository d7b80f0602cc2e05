package network

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/google/nftables"

	"github.com/slipway/slipway/internal/provider/local/network/netns"
)

// Adopt brings the host in line with the Manager's records after a restart
// or a host reboot: what the records describe is re-created where it is
// missing, and namespaces of this Manager's prefix that no record names are
// removed. Ports whose target namespace is gone stay recorded and are
// plugged again by the next PlugPort.
func (m *Manager) Adopt(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.reconcile(ctx, nil)
}

// Reconcile is Adopt for a caller whose own records are the truth: known
// holds the ids of every network, subnet, port, router, security group,
// floating IP, route set, server and load balancer it knows. Records that
// are not known (ports are kept when their device is known) are deleted
// with everything they made, then the rest is adopted. The external
// network is always kept. Reconciling twice has the effect of reconciling
// once.
func (m *Manager) Reconcile(ctx context.Context, known map[string]bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	keep := func(id string) bool { return known[id] }
	return m.reconcile(ctx, keep)
}

func (m *Manager) isPublic(netID string) bool { return netID == m.opts.PublicNetworkID }

func (m *Manager) reconcile(ctx context.Context, keep func(string) bool) error {
	var errs []error
	if keep != nil {
		errs = append(errs, m.forget(ctx, keep))
	}
	errs = append(errs, m.removeStrays(keep))
	if _, _, err := m.ensurePublic(ctx); err != nil {
		errs = append(errs, fmt.Errorf("network %s: %w", m.opts.PublicName, err))
	}
	for _, id := range sortedKeys(m.networks) {
		if err := m.applyNetwork(m.networks[id]); err != nil {
			errs = append(errs, fmt.Errorf("network %s: %w", id, err))
		}
	}
	for _, id := range sortedKeys(m.ports) {
		p := m.ports[id]
		if p.Binding == nil || p.DeviceOwner == OwnerRouterInterface || p.DeviceOwner == OwnerRouterGateway {
			continue
		}
		if !netns.IsNamespace(p.Binding.Netns) {
			m.log.Info("port target namespace is gone; waiting for a new plug", "port", id, "netns", p.Binding.Netns)
			continue
		}
		if err := m.plugKernel(p); err != nil {
			errs = append(errs, fmt.Errorf("port %s: %w", id, err))
		}
	}
	for _, id := range sortedKeys(m.routers) {
		if err := m.applyRouter(m.routers[id]); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, m.refreshFilters(""))
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("reconcile networks: %w", err)
	}
	return nil
}

// forget deletes the records that keep rejects, and what they made, in an
// order that respects their dependencies.
func (m *Manager) forget(ctx context.Context, keep func(string) bool) error {
	var errs []error
	// Only the records of route sets go: the routers that stay are
	// applied after forget, which removes their routes from the kernel,
	// and the others take theirs with their namespaces.
	for _, id := range sortedKeys(m.routeSets) {
		if keep(id) {
			continue
		}
		if err := m.del(ctx, kindRouteSet, id); err != nil {
			errs = append(errs, err)
			continue
		}
		delete(m.routeSets, id)
	}
	for _, id := range sortedKeys(m.fips) {
		if !keep(id) {
			errs = append(errs, m.deleteFloatingIP(ctx, m.fips[id]))
		}
	}
	for _, id := range sortedKeys(m.routers) {
		if !keep(id) {
			errs = append(errs, m.deleteRouter(ctx, m.routers[id]))
		}
	}
	for _, id := range sortedKeys(m.ports) {
		p := m.ports[id]
		if p == nil || keep(id) || (p.DeviceID != "" && keep(p.DeviceID)) ||
			p.DeviceOwner == OwnerRouterInterface || p.DeviceOwner == OwnerRouterGateway {
			continue
		}
		errs = append(errs, m.deletePort(ctx, p))
	}
	for _, id := range sortedKeys(m.networks) {
		n := m.networks[id]
		if keep(id) || m.isPublic(id) {
			continue
		}
		for _, pid := range sortedKeys(m.ports) {
			if p := m.ports[pid]; p.NetworkID == id {
				errs = append(errs, m.deletePort(ctx, p))
			}
		}
		errs = append(errs, m.deleteNetwork(ctx, n))
	}
	for _, id := range sortedKeys(m.subnets) {
		s := m.subnets[id]
		if keep(id) || m.isPublic(s.NetworkID) {
			continue
		}
		inUse := false
		for _, p := range m.ports {
			for _, f := range p.FixedIPs {
				inUse = inUse || f.SubnetID == id
			}
		}
		if inUse {
			continue
		}
		if err := m.del(ctx, kindSubnet, id); err != nil {
			errs = append(errs, err)
			continue
		}
		delete(m.subnets, id)
	}
	for _, id := range sortedKeys(m.groups) {
		if keep(id) {
			continue
		}
		for _, p := range m.ports {
			if slices.Contains(p.SecurityGroups, id) {
				next := *p
				next.SecurityGroups = slices.DeleteFunc(slices.Clone(p.SecurityGroups), func(g string) bool { return g == id })
				if err := m.put(ctx, kindPort, p.ID, &next); err != nil {
					errs = append(errs, err)
				}
				*p = next
			}
		}
		errs = append(errs, m.deleteGroup(ctx, id))
	}
	return errors.Join(errs...)
}

// removeStrays deletes the namespaces of this Manager's prefix (networks and
// routers) that no record names: leftovers of a crash.
//
// With keep set, server namespaces whose server is not kept go too.
func (m *Manager) removeStrays(keep func(string) bool) error {
	names, err := netns.List(m.opts.Prefix)
	if err != nil {
		return err
	}
	var errs []error
	for _, name := range names {
		rest := strings.TrimPrefix(name, m.opts.Prefix)
		var known bool
		switch {
		case strings.HasPrefix(rest, "net-"):
			known = m.networks[strings.TrimPrefix(rest, "net-")] != nil
		case strings.HasPrefix(rest, "rtr-"):
			known = m.routers[strings.TrimPrefix(rest, "rtr-")] != nil
		case strings.HasPrefix(rest, "vm-"):
			known = keep == nil || keep(strings.TrimPrefix(rest, "vm-"))
		default:
			continue // another component's namespace (load balancers, machines)
		}
		if !known {
			m.log.Info("removing leftover namespace", "netns", name)
			errs = append(errs, netns.Delete(name))
		}
	}
	return errors.Join(errs...)
}

// Teardown removes everything the Manager made, the external network and
// the host's guard table included, and forgets every record. It is what an
// uninstall (or a test's cleanup) runs.
func (m *Manager) Teardown(ctx context.Context) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	errs := []error{m.forget(ctx, func(string) bool { return false })}
	if n := m.networks[m.opts.PublicNetworkID]; n != nil {
		for _, pid := range sortedKeys(m.ports) {
			if p := m.ports[pid]; p.NetworkID == n.ID {
				errs = append(errs, m.deletePort(ctx, p))
			}
		}
		errs = append(errs, m.deleteNetwork(ctx, n))
	}
	errs = append(errs, m.removeStrays(func(string) bool { return false }))
	if c, err := hostNFT(); err != nil {
		errs = append(errs, err)
	} else {
		errs = append(errs, deleteTables(c, nftables.TableFamilyINet, m.hostGuardName()))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("tear down networks: %w", err)
	}
	return nil
}

func sortedKeys[V any](mp map[string]V) []string {
	keys := make([]string, 0, len(mp))
	for k := range mp {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
