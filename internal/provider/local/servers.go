package local

import (
	"context"
	"errors"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/provider"
	"github.com/slipway/slipway/internal/provider/local/machine"
	"github.com/slipway/slipway/internal/provider/local/network"
)

var _ provider.Servers = (*Provider)(nil)

// Server implements provider.Servers: the machine's state as it is now
// (an agent that died turns the server ERROR, with the reason), and its
// addresses.
func (p *Provider) Server(ctx context.Context, id string) (*provider.Server, error) {
	mach, err := p.machines.Get(ctx, id)
	if errors.Is(err, machine.ErrNotFound) {
		return nil, model.NotFoundf("No server with id %s exists.", id)
	}
	if err != nil {
		return nil, err
	}
	ns := p.net.MachineNamespace(id)
	var ports []network.Port
	for _, port := range p.net.ListPorts(ctx, "") {
		if port.DeviceID == id || (port.Binding != nil && port.Binding.Netns == ns) {
			ports = append(ports, port)
		}
	}
	_, networks, _ := p.addresses(ctx, ports)
	addrs := map[string][]string{}
	for _, port := range ports {
		name := port.NetworkID
		if n, err := p.net.GetNetwork(ctx, port.NetworkID); err == nil && n.Name != "" {
			name = n.Name
		}
		if _, done := addrs[name]; done {
			continue
		}
		addrs[name] = []string{}
		ips, _ := networks[name].([]any)
		for _, ip := range ips {
			addrs[name] = append(addrs[name], ip.(string))
		}
	}
	return &provider.Server{
		ID: mach.ID, Name: mach.Name, Status: string(mach.State), Reason: mach.Reason,
		VCPUs: mach.Flavor.VCPUs, MemoryMiB: mach.Flavor.MemoryMiB, Boots: mach.Boots, Created: mach.Created,
		Addresses: addrs,
	}, nil
}

// ConsoleLog implements provider.Servers: the agent's messages and the
// output of the user_data scripts.
func (p *Provider) ConsoleLog(ctx context.Context, id string, lines int) (string, error) {
	out, err := p.machines.ConsoleLog(ctx, id, lines)
	if errors.Is(err, machine.ErrNotFound) {
		return "", model.NotFoundf("No server with id %s exists.", id)
	}
	return out, err
}

// Reboot implements provider.Servers: the machine's processes are killed
// and it boots again on the same disk.
func (p *Provider) Reboot(ctx context.Context, id string) error {
	err := p.machines.Reboot(ctx, id)
	if errors.Is(err, machine.ErrNotFound) {
		return model.NotFoundf("No server with id %s exists.", id)
	}
	return err
}
