package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/slipway/slipway/internal/driver/kubernetes/ccm"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/engine"
	"github.com/slipway/slipway/internal/store"
	"sigs.k8s.io/yaml"
)

// lbBackend makes the load balancers of one cluster's LoadBalancer
// Services as stacks of the cluster's project: an Octavia load balancer
// on the cluster subnet, a TCP listener and pool per Service port with the
// nodes' NodePorts as members, and a floating IP, which is the Service's
// external IP. Every stack carries the cluster's tag, so that the cluster's
// delete finds what a cloud controller left behind.
type lbBackend struct {
	d       *Driver
	cluster *model.Cluster
	subnet  string
	extNet  string
}

var _ ccm.Backend = (*lbBackend)(nil)

// lbTag marks the load-balancer stacks of a cluster.
func lbTag(clusterID string) string { return "slipway-cluster-lb=" + clusterID }

// stackName is the stack of a load balancer: the cloud controller's name
// for it (lb-<cluster>-<namespace>-<service>).
func (b *lbBackend) stackName(name string) string { return name }

func (b *lbBackend) find(ctx context.Context, name string) (*model.Stack, error) {
	stacks, err := store.List[model.Stack](ctx, b.d.opts.Store, store.Query{ProjectID: b.cluster.ProjectID, Name: b.stackName(name)})
	if err != nil {
		return nil, err
	}
	for _, st := range stacks {
		if st.ParentID == "" && slices.Contains(st.Tags, lbTag(b.cluster.UUID)) && !deleted(st) {
			return st, nil
		}
	}
	return nil, nil
}

// deleted reports whether a stack's delete has finished; Heat keeps such
// stacks for a while.
func deleted(st *model.Stack) bool {
	return st.Action == model.ActionDelete && st.Status == model.StateComplete
}

// lbTemplate renders the HOT of one load balancer.
func lbTemplate(ports []ccm.Port, members []string) (string, error) {
	res := map[string]any{
		"lb": map[string]any{"type": "OS::Octavia::LoadBalancer",
			"properties": map[string]any{"vip_subnet": map[string]any{"get_param": "subnet"}}},
		"floating_ip": map[string]any{"type": "OS::Neutron::FloatingIP",
			"properties": map[string]any{
				"floating_network": map[string]any{"get_param": "external_net"},
				"port_id":          map[string]any{"get_attr": []any{"lb", "vip_port_id"}},
			}},
	}
	for i, p := range ports {
		l, pool := fmt.Sprintf("listener_%d", i), fmt.Sprintf("pool_%d", i)
		res[l] = map[string]any{"type": "OS::Octavia::Listener", "properties": map[string]any{
			"loadbalancer": map[string]any{"get_resource": "lb"}, "protocol": "TCP", "protocol_port": p.Port}}
		res[pool] = map[string]any{"type": "OS::Octavia::Pool", "properties": map[string]any{
			"listener": map[string]any{"get_resource": l}, "protocol": "TCP", "lb_algorithm": "ROUND_ROBIN"}}
		res[fmt.Sprintf("monitor_%d", i)] = map[string]any{"type": "OS::Octavia::HealthMonitor", "properties": map[string]any{
			"pool": map[string]any{"get_resource": pool}, "type": "TCP", "delay": 2, "timeout": 1, "max_retries": 1, "max_retries_down": 2}}
		// A member is named by its address, so that an update keeps the
		// members that stay: named by position, the one after a removed
		// node would take its name and clash with its own old resource.
		for _, m := range members {
			res[fmt.Sprintf("member_%d_%s", i, strings.NewReplacer(".", "_", ":", "_").Replace(m))] = map[string]any{"type": "OS::Octavia::PoolMember", "properties": map[string]any{
				"pool": map[string]any{"get_resource": pool}, "address": m, "protocol_port": p.NodePort,
				"subnet": map[string]any{"get_param": "subnet"}}}
		}
	}
	t := map[string]any{
		"heat_template_version": "2021-04-16",
		"description":           "A load balancer of a Kubernetes Service, made by Slipway's cloud controller.",
		"parameters": map[string]any{
			"subnet":       map[string]any{"type": "string"},
			"external_net": map[string]any{"type": "string"},
		},
		"resources": res,
		"outputs": map[string]any{
			"address": map[string]any{"value": map[string]any{"get_attr": []any{"floating_ip", "floating_ip_address"}}},
		},
	}
	out, err := yaml.Marshal(t)
	return string(out), err
}

// Ensure implements ccm.Backend.
func (b *lbBackend) Ensure(ctx context.Context, name string, ports []ccm.Port, members []string) (string, error) {
	tmpl, err := lbTemplate(ports, members)
	if err != nil {
		return "", err
	}
	req := engine.StackRequest{
		ProjectID: b.cluster.ProjectID, UserID: b.cluster.UserID, Name: b.stackName(name), Template: tmpl,
		Parameters:      map[string]string{"subnet": b.subnet, "external_net": b.extNet},
		DisableRollback: true, Tags: []string{lbTag(b.cluster.UUID)},
	}
	st, err := b.find(ctx, name)
	if err != nil {
		return "", err
	}
	if st == nil {
		st, err = b.d.opts.Stacks.Create(ctx, req)
	} else {
		if st.InProgress() {
			if _, err := b.d.waitStack(ctx, st.UUID, nil); err != nil && ctx.Err() != nil {
				return "", err
			}
		}
		st, err = b.d.opts.Stacks.Update(ctx, st.UUID, req)
	}
	if err != nil {
		return "", err
	}
	st, err = b.d.waitStack(ctx, st.UUID, nil)
	if err != nil {
		return "", err
	}
	addr, _ := outputs(st)["address"].(string)
	if addr == "" {
		return "", fmt.Errorf("load balancer %s has no address", name)
	}
	return addr, nil
}

// Delete implements ccm.Backend.
func (b *lbBackend) Delete(ctx context.Context, name string) error {
	st, err := b.find(ctx, name)
	if err != nil || st == nil {
		return err
	}
	return b.d.deleteStack(ctx, st)
}

// Get implements ccm.Backend.
func (b *lbBackend) Get(ctx context.Context, name string) (string, bool, error) {
	st, err := b.find(ctx, name)
	if err != nil || st == nil {
		return "", false, err
	}
	if st.Action == model.ActionDelete {
		return "", false, nil
	}
	addr, _ := outputs(st)["address"].(string)
	return addr, true, nil
}

// deleteStack deletes a stack and waits until it is gone.
func (d *Driver) deleteStack(ctx context.Context, st *model.Stack) error {
	if deleted(st) {
		return nil
	}
	if err := d.opts.Stacks.Delete(ctx, st.UUID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("delete stack %s: %w", st.Name, err)
	}
	return d.waitGone(ctx, st.UUID)
}

// deleteLoadBalancerStacks deletes every load balancer a cloud controller
// made for the cluster, whatever became of the Services.
func (d *Driver) deleteLoadBalancerStacks(ctx context.Context, c *model.Cluster) error {
	stacks, err := store.List[model.Stack](ctx, d.opts.Store, store.Query{ProjectID: c.ProjectID})
	if err != nil {
		return err
	}
	var errs []error
	for _, st := range stacks {
		if st.ParentID != "" || deleted(st) || !slices.Contains(st.Tags, lbTag(c.UUID)) || !strings.HasPrefix(st.Name, "lb-") {
			continue
		}
		if err := d.deleteStack(ctx, st); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
