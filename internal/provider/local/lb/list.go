package lb

import (
	"context"
	"slices"
)

// ListLoadBalancers returns every load balancer as recorded, with
// everything under it, sorted by id. Operating statuses are left empty:
// GetLoadBalancer reads them from HAProxy.
func (m *Manager) ListLoadBalancers(_ context.Context) []LoadBalancer {
	m.mu.Lock()
	ids := make([]string, 0, len(m.lbs))
	for id := range m.lbs {
		ids = append(ids, id)
	}
	m.mu.Unlock()
	slices.Sort(ids)
	out := make([]LoadBalancer, 0, len(ids))
	for _, id := range ids {
		if lb := m.get(id); lb != nil {
			out = append(out, *clone(lb))
		}
	}
	return out
}
