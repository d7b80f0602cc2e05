package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/slipway/slipway/internal/provider/local/network/netns"
)

// Report says what Reconcile found and did.
type Report struct {
	// Running are the machines that were running and were adopted.
	Running []string
	// Booted are the machines that should have been running and were
	// booted again (after a host reboot, or an agent that died).
	Booted []string
	// Removed are the machines that no resource owns any more, removed
	// with everything they had.
	Removed []string
}

// Reconcile brings the host in line with the store when Slipway starts.
// known holds the physical id of every resource the store knows (and of
// every resource a replacement still has to delete). In order, it:
//
//  1. makes sure the public network and the host's address on it exist,
//     and brings back the recorded networks and routers (after a host
//     reboot nothing of them is left);
//  2. adopts the machines, and removes those that no known server owns
//     and the leftovers of a create or delete that a crash interrupted;
//  3. removes volume attachments and volumes that no known resource owns;
//  4. removes the networks, subnets, routers, ports, security groups,
//     floating IPs and routers' route sets that nothing known owns
//     (namespaces, bridges, veths, routes and nftables tables go with
//     them), then the router interfaces, floating IP associations and
//     server groups;
//  5. adopts the load balancers (HAProxy keeps running, or starts again)
//     and removes those, and their listeners, pools, members and health
//     monitors, that nothing known owns;
//  6. boots again every machine that should run and does not (after a
//     host reboot), its network namespace and ports first, and attaches
//     its volumes again.
//
// Processes that run when Slipway stops are not its children: machines
// and HAProxy keep running, and Reconcile adopts them as they are. It is
// idempotent. An error names what could not be brought back; the rest is
// done anyway. A failure to set up the public network is returned before
// anything else is tried.
func (p *Provider) Reconcile(ctx context.Context, known map[string]bool) (*Report, error) {
	if _, _, err := p.net.EnsurePublic(ctx); err != nil {
		return nil, fmt.Errorf("reconcile the local provider: %w", err)
	}
	rep := &Report{}
	var errs []error
	// The networks come back first (after a reboot nothing of them is
	// left), so that removing what is unknown finds them as recorded.
	errs = append(errs, p.net.Adopt(ctx))
	adopted, err := p.machines.Adopt(ctx)
	errs = append(errs, err)
	var stopped []string
	if adopted != nil {
		for _, id := range adopted.Running {
			if known[id] {
				rep.Running = append(rep.Running, id)
				continue
			}
			p.log.Warn("removing a machine no server owns", "machine", id)
			errs = append(errs, p.deleteServer(ctx, id))
			rep.Removed = append(rep.Removed, id)
		}
		for _, id := range adopted.Stopped {
			if known[id] {
				stopped = append(stopped, id)
				continue
			}
			p.log.Warn("removing a machine no server owns", "machine", id)
			errs = append(errs, p.deleteServer(ctx, id))
			rep.Removed = append(rep.Removed, id)
		}
	}
	errs = append(errs, p.vols.Reconcile(ctx, known))
	errs = append(errs, p.net.Reconcile(ctx, known))
	errs = append(errs, p.forgetRecords(ctx, known))
	errs = append(errs, p.lbs.Reconcile(ctx, known))
	errs = append(errs, p.pruneLoadBalancers(ctx, known))
	for _, id := range stopped {
		errs = append(errs, p.replug(ctx, id))
	}
	booted, err := p.machines.BootAll(ctx)
	rep.Booted = booted
	errs = append(errs, err)
	// Volumes go back into machines once their root is built.
	for _, id := range booted {
		wctx, cancel := context.WithTimeout(ctx, bootTimeout)
		if _, err := p.machines.Wait(wctx, id); err != nil {
			errs = append(errs, err)
		}
		cancel()
	}
	errs = append(errs, p.vols.Reattach(ctx))
	p.log.Info("local provider reconciled", "running", len(rep.Running), "booted", len(rep.Booted), "removed", len(rep.Removed))
	if err := errors.Join(errs...); err != nil {
		return rep, fmt.Errorf("reconcile the local provider: %w", err)
	}
	return rep, nil
}

// bootTimeout bounds how long Reconcile waits for a machine it booted
// again to come up before it attaches its volumes.
const bootTimeout = 30 * time.Second

// forgetRecords removes what the provider's own records describe when no
// known resource owns them: floating IP associations, router interfaces
// and server groups. It runs after the network manager's Reconcile, which
// removed the floating IPs and routers that nothing known owns.
func (p *Provider) forgetRecords(ctx context.Context, known map[string]bool) error {
	var errs []error
	fas, err := listRecords[fipAssociation](ctx, p, kindFIPAssociation)
	errs = append(errs, err)
	for id, rec := range fas {
		if known[id] {
			continue
		}
		if err := p.disassociate(ctx, rec); err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, p.deleteRecord(ctx, kindFIPAssociation, id))
	}
	ris, err := listRecords[routerInterface](ctx, p, kindRouterInterface)
	errs = append(errs, err)
	for id, rec := range ris {
		if known[id] {
			continue
		}
		if err := p.removeInterface(ctx, rec); err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, p.deleteRecord(ctx, kindRouterInterface, id))
	}
	sgs, err := listRecords[serverGroup](ctx, p, kindServerGroup)
	errs = append(errs, err)
	for id := range sgs {
		if !known[id] {
			errs = append(errs, p.deleteRecord(ctx, kindServerGroup, id))
		}
	}
	return errors.Join(errs...)
}

// pruneLoadBalancers removes the listeners, pools, members and health
// monitors that no known resource owns from the load balancers that stay.
func (p *Provider) pruneLoadBalancers(ctx context.Context, known map[string]bool) error {
	var errs []error
	for _, l := range p.lbs.ListLoadBalancers(ctx) {
		for _, pool := range l.Pools {
			if !known[pool.ID] {
				errs = append(errs, p.lbs.DeletePool(ctx, pool.ID))
				continue
			}
			if hm := pool.HealthMonitor; hm != nil && !known[hm.ID] {
				errs = append(errs, p.lbs.DeleteHealthMonitor(ctx, hm.ID))
			}
			for _, m := range pool.Members {
				if !known[m.ID] {
					errs = append(errs, p.lbs.DeleteMember(ctx, m.ID))
				}
			}
		}
		for _, x := range l.Listeners {
			if !known[x.ID] {
				errs = append(errs, p.lbs.DeleteListener(ctx, x.ID))
			}
		}
	}
	return errors.Join(errs...)
}

// replug gives a stopped machine its network namespace back, with its
// ports plugged, so that it can boot: after a host reboot the namespace
// is gone.
func (p *Provider) replug(ctx context.Context, id string) error {
	mach, err := p.machines.Get(ctx, id)
	if err != nil {
		return err
	}
	if mach.Netns == "" || mach.Netns != p.net.MachineNamespace(id) {
		return nil
	}
	if _, err := p.net.CreateMachineNamespace(ctx, id); err != nil {
		return err
	}
	var errs []error
	for _, port := range p.net.ListPorts(ctx, "") {
		if port.Binding != nil && port.Binding.Netns == mach.Netns {
			_, err := p.net.PlugPort(ctx, port.ID, *port.Binding)
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Teardown removes everything the provider made on this host: machines,
// load balancers, volumes, networks, the public network, the host's
// address and guard table, and the provider's state directory. It is
// what an uninstall, or a test's cleanup, runs.
func (p *Provider) Teardown(ctx context.Context) error {
	_, err := p.Reconcile(ctx, map[string]bool{})
	errs := []error{err, p.net.Teardown(ctx)}
	// Namespaces of this provider's prefix that a crash left behind.
	if names, err := netns.List(p.opts.Prefix); err != nil {
		errs = append(errs, err)
	} else {
		for _, name := range names {
			errs = append(errs, netns.Delete(name))
		}
	}
	if err := os.RemoveAll(p.StateDir()); err != nil {
		errs = append(errs, fmt.Errorf("remove provider state: %w", err))
	}
	return errors.Join(errs...)
}

// Start is Reconcile for a Slipway process that starts: it runs before the
// process takes any work, and its report goes to the log.
func (p *Provider) Start(ctx context.Context, known map[string]bool) error {
	if err := raiseHostLimits(); err != nil {
		p.log.Warn("machines share the host's limits, which could not be raised", "error", err)
	}
	_, err := p.Reconcile(ctx, known)
	return err
}
