package kubernetes

import (
	"context"
	"fmt"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"

	"github.com/slipway/slipway/internal/driver/kubernetes/ccm"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/engine"
	"github.com/slipway/slipway/internal/provider"
)

// treeStacks answers ResourceTree with a fixed tree; nothing else.
type treeStacks struct {
	Stacks
	tree []engine.NestedResource
}

func (s treeStacks) ResourceTree(context.Context, string, int) ([]engine.NestedResource, error) {
	return s.tree, nil
}

// fixedServers are servers by id.
type fixedServers map[string]*provider.Server

func (f fixedServers) Server(_ context.Context, id string) (*provider.Server, error) {
	if s, ok := f[id]; ok {
		return s, nil
	}
	return nil, fmt.Errorf("server %s: %w", id, model.ErrNotFound)
}

func (f fixedServers) ConsoleLog(context.Context, string, int) (string, error) { return "", nil }

func (f fixedServers) Reboot(context.Context, string) error { return nil }

func server(name, id, flavor string, action model.StackAction) engine.NestedResource {
	return engine.NestedResource{Depth: 2, StackResource: &model.StackResource{Name: "server", Type: serverType,
		PhysicalID: id, Action: action, Properties: map[string]any{"name": name, "flavor": flavor}}}
}

func TestNodeServers(t *testing.T) {
	t.Parallel()
	tree := []engine.NestedResource{
		{StackResource: &model.StackResource{Name: "workers", Type: "OS::Heat::ResourceGroup"}},
		server("c1-node-0", "s0", "m1.small", model.ActionCreate),
		server("c1-node-1", "s1", "m1.small", model.ActionUpdate),
		server("c1-node-2", "s2", "m1.small", model.ActionDelete),
		server("c1-node-3", "s3", "m1.small", model.ActionCreate),
	}
	servers := fixedServers{
		"s0": {ID: "s0", Status: "ACTIVE", Addresses: map[string][]string{"c1-net": {"10.0.0.13", "172.24.4.9"}}},
		"s1": {ID: "s1", Status: "SHUTOFF", Addresses: map[string][]string{"c1-net": {"10.0.0.14"}}},
		"s2": {ID: "s2", Status: "ACTIVE"},
	}
	n := &nodeServers{d: &Driver{opts: Options{Stacks: treeStacks{tree: tree}, Servers: servers}},
		fixed: netip.MustParsePrefix("10.0.0.0/24")}
	for _, tc := range []struct {
		node   string
		want   ccm.Instance
		exists bool
	}{
		{node: "c1-node-0", exists: true, want: ccm.Instance{ID: "s0", Type: "m1.small", Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: "10.0.0.13"}, {Type: corev1.NodeExternalIP, Address: "172.24.4.9"},
			{Type: corev1.NodeHostName, Address: "c1-node-0"}}}},
		{node: "c1-node-1", exists: true, want: ccm.Instance{ID: "s1", Type: "m1.small", Shutdown: true, Addresses: []corev1.NodeAddress{
			{Type: corev1.NodeInternalIP, Address: "10.0.0.14"}, {Type: corev1.NodeHostName, Address: "c1-node-1"}}}},
		// Its resource is being deleted: the server is on its way out.
		{node: "c1-node-2"},
		// In the stack, gone from the provider.
		{node: "c1-node-3"},
		// Not in the stack at all.
		{node: "elsewhere-0"},
	} {
		got, exists, err := n.Instance(t.Context(), tc.node)
		if err != nil {
			t.Errorf("%s: %v", tc.node, err)
			continue
		}
		if exists != tc.exists {
			t.Errorf("%s: exists = %v, want %v", tc.node, exists, tc.exists)
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", tc.node, diff)
		}
	}
}
