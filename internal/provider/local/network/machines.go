package network

import (
	"context"
	"fmt"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/provider/local/network/netns"
)

// CreateMachineNamespace creates (or finds) the network namespace of a
// server, into which its ports are plugged and which the machine then
// joins. It returns the namespace's path.
func (m *Manager) CreateMachineNamespace(_ context.Context, serverID string) (string, error) {
	if serverID == "" {
		return "", model.Invalidf("A server id is required.")
	}
	path, err := netns.Create(m.netnsName("vm", serverID))
	if err != nil {
		return "", fmt.Errorf("create namespace of server %s: %w", serverID, err)
	}
	return path, nil
}

// MachineNamespace returns the path of a server's namespace, whether or not
// it exists.
func (m *Manager) MachineNamespace(serverID string) string {
	return netns.Path(m.netnsName("vm", serverID))
}

// DeleteMachineNamespace removes a server's namespace; the veths of ports
// plugged into it go with it once the machine's processes are gone.
// Deleting a namespace that does not exist is a success.
func (m *Manager) DeleteMachineNamespace(_ context.Context, serverID string) error {
	if err := netns.Delete(m.netnsName("vm", serverID)); err != nil {
		return fmt.Errorf("delete namespace of server %s: %w", serverID, err)
	}
	return nil
}
