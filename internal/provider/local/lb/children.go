package lb

import (
	"context"
	"fmt"
	"slices"

	"github.com/slipway/slipway/internal/model"
)

// owner finds the load balancer that holds the child with id, by kind.
func (m *Manager) owner(id string, has func(lb *LoadBalancer) bool) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	for lbID, lb := range m.lbs {
		if has(lb) {
			return lbID
		}
	}
	return ""
}

func hasListener(id string) func(*LoadBalancer) bool {
	return func(lb *LoadBalancer) bool {
		return slices.ContainsFunc(lb.Listeners, func(l Listener) bool { return l.ID == id })
	}
}

func hasPool(id string) func(*LoadBalancer) bool {
	return func(lb *LoadBalancer) bool {
		return slices.ContainsFunc(lb.Pools, func(p Pool) bool { return p.ID == id })
	}
}

func hasMember(id string) func(*LoadBalancer) bool {
	return func(lb *LoadBalancer) bool {
		return slices.ContainsFunc(lb.Pools, func(p Pool) bool {
			return slices.ContainsFunc(p.Members, func(x Member) bool { return x.ID == id })
		})
	}
}

func hasMonitor(id string) func(*LoadBalancer) bool {
	return func(lb *LoadBalancer) bool {
		return slices.ContainsFunc(lb.Pools, func(p Pool) bool { return p.HealthMonitor != nil && p.HealthMonitor.ID == id })
	}
}

func pool(lb *LoadBalancer, id string) *Pool {
	for i := range lb.Pools {
		if lb.Pools[i].ID == id {
			return &lb.Pools[i]
		}
	}
	return nil
}

// poolOwner finds the load balancer of a pool.
func (m *Manager) poolOwner(poolID string) (string, error) {
	id := m.owner(poolID, hasPool(poolID))
	if id == "" {
		return "", model.NotFoundf("Pool %s not found.", poolID)
	}
	return id, nil
}

// SaveListener creates or replaces a listener and reloads HAProxy.
func (m *Manager) SaveListener(ctx context.Context, l Listener) (Listener, error) {
	if l.ID == "" {
		return Listener{}, model.Invalidf("A listener id is required.")
	}
	if l.ProtocolPort < 1 || l.ProtocolPort > 65535 {
		return Listener{}, model.Invalidf("Invalid input for field/attribute protocol_port. Value: %d.", l.ProtocolPort)
	}
	_, err := m.change(ctx, l.LoadBalancerID, func(lb *LoadBalancer) error {
		for _, o := range lb.Listeners {
			if o.ID != l.ID && o.ProtocolPort == l.ProtocolPort {
				return model.Conflictf("Another Listener on this Load Balancer is already using protocol_port %d", l.ProtocolPort)
			}
		}
		if l.DefaultPoolID != "" && pool(lb, l.DefaultPoolID) == nil {
			return model.NotFoundf("Pool %s not found.", l.DefaultPoolID)
		}
		i := slices.IndexFunc(lb.Listeners, func(o Listener) bool { return o.ID == l.ID })
		if i < 0 {
			lb.Listeners = append(lb.Listeners, l)
		} else {
			lb.Listeners[i] = l
		}
		return nil
	})
	if err != nil {
		return Listener{}, fmt.Errorf("save listener %s: %w", l.ID, err)
	}
	return m.GetListener(ctx, l.ID)
}

// GetListener returns a listener with its operating status.
func (m *Manager) GetListener(ctx context.Context, id string) (Listener, error) {
	lbID := m.owner(id, hasListener(id))
	if lbID == "" {
		return Listener{}, model.NotFoundf("Listener %s not found.", id)
	}
	lb, err := m.GetLoadBalancer(ctx, lbID)
	if err != nil {
		return Listener{}, err
	}
	i := slices.IndexFunc(lb.Listeners, func(l Listener) bool { return l.ID == id })
	if i < 0 {
		return Listener{}, model.NotFoundf("Listener %s not found.", id)
	}
	return lb.Listeners[i], nil
}

// DeleteListener removes a listener. Deleting one that does not exist is a
// success.
func (m *Manager) DeleteListener(ctx context.Context, id string) error {
	lbID := m.owner(id, hasListener(id))
	if lbID == "" {
		return nil
	}
	_, err := m.change(ctx, lbID, func(lb *LoadBalancer) error {
		lb.Listeners = slices.DeleteFunc(lb.Listeners, func(l Listener) bool { return l.ID == id })
		for i := range lb.Pools {
			if lb.Pools[i].ListenerID == id {
				lb.Pools[i].ListenerID = ""
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete listener %s: %w", id, err)
	}
	return nil
}

// SavePool creates or replaces a pool (its members and health monitor are
// kept) and reloads HAProxy. A pool with ListenerID becomes that listener's
// default pool.
func (m *Manager) SavePool(ctx context.Context, p Pool) (Pool, error) {
	if p.ID == "" {
		return Pool{}, model.Invalidf("A pool id is required.")
	}
	if _, err := balance(p.LBAlgorithm); err != nil {
		return Pool{}, err
	}
	lbID := p.LoadBalancerID
	if lbID == "" && p.ListenerID != "" {
		lbID = m.owner(p.ListenerID, hasListener(p.ListenerID))
	}
	_, err := m.change(ctx, lbID, func(lb *LoadBalancer) error {
		p.LoadBalancerID = lb.ID
		if p.LBAlgorithm == "" {
			p.LBAlgorithm = RoundRobin
		}
		if old := pool(lb, p.ID); old != nil {
			p.Members, p.HealthMonitor = old.Members, old.HealthMonitor
			*old = p
		} else {
			p.Members, p.HealthMonitor = nil, nil
			lb.Pools = append(lb.Pools, p)
		}
		if p.ListenerID != "" {
			i := slices.IndexFunc(lb.Listeners, func(l Listener) bool { return l.ID == p.ListenerID })
			if i < 0 {
				return model.NotFoundf("Listener %s not found.", p.ListenerID)
			}
			lb.Listeners[i].DefaultPoolID = p.ID
		}
		return nil
	})
	if err != nil {
		return Pool{}, fmt.Errorf("save pool %s: %w", p.ID, err)
	}
	return m.GetPool(ctx, p.ID)
}

// GetPool returns a pool with its members and their operating status.
func (m *Manager) GetPool(ctx context.Context, id string) (Pool, error) {
	lbID, err := m.poolOwner(id)
	if err != nil {
		return Pool{}, err
	}
	lb, err := m.GetLoadBalancer(ctx, lbID)
	if err != nil {
		return Pool{}, err
	}
	p := pool(&lb, id)
	if p == nil {
		return Pool{}, model.NotFoundf("Pool %s not found.", id)
	}
	return *p, nil
}

// DeletePool removes a pool with its members and health monitor. Deleting
// one that does not exist is a success.
func (m *Manager) DeletePool(ctx context.Context, id string) error {
	lbID := m.owner(id, hasPool(id))
	if lbID == "" {
		return nil
	}
	_, err := m.change(ctx, lbID, func(lb *LoadBalancer) error {
		lb.Pools = slices.DeleteFunc(lb.Pools, func(p Pool) bool { return p.ID == id })
		for i := range lb.Listeners {
			if lb.Listeners[i].DefaultPoolID == id {
				lb.Listeners[i].DefaultPoolID = ""
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete pool %s: %w", id, err)
	}
	return nil
}

// SaveMember creates or replaces a pool member and reloads HAProxy;
// established connections through the load balancer survive the reload.
func (m *Manager) SaveMember(ctx context.Context, x Member) (Member, error) {
	if x.ID == "" {
		return Member{}, model.Invalidf("A member id is required.")
	}
	if !x.Address.IsValid() || x.ProtocolPort < 1 || x.ProtocolPort > 65535 {
		return Member{}, model.Invalidf("Invalid input for member %s: address and protocol_port are required.", x.ID)
	}
	if x.Weight != nil && (*x.Weight < 0 || *x.Weight > 256) {
		return Member{}, model.Invalidf("Invalid input for field/attribute weight. Value: %d.", *x.Weight)
	}
	lbID, err := m.poolOwner(x.PoolID)
	if err != nil {
		return Member{}, err
	}
	_, err = m.change(ctx, lbID, func(lb *LoadBalancer) error {
		p := pool(lb, x.PoolID)
		if p == nil {
			return model.NotFoundf("Pool %s not found.", x.PoolID)
		}
		for _, o := range p.Members {
			if o.ID != x.ID && o.Address == x.Address && o.ProtocolPort == x.ProtocolPort {
				return model.Conflictf("Another member on this pool is already using ip %s on protocol_port %d", x.Address, x.ProtocolPort)
			}
		}
		i := slices.IndexFunc(p.Members, func(o Member) bool { return o.ID == x.ID })
		if i < 0 {
			p.Members = append(p.Members, x)
		} else {
			p.Members[i] = x
		}
		return nil
	})
	if err != nil {
		return Member{}, fmt.Errorf("save member %s: %w", x.ID, err)
	}
	return m.GetMember(ctx, x.ID)
}

// GetMember returns a member with its operating status.
func (m *Manager) GetMember(ctx context.Context, id string) (Member, error) {
	lbID := m.owner(id, hasMember(id))
	if lbID == "" {
		return Member{}, model.NotFoundf("Member %s not found.", id)
	}
	lb, err := m.GetLoadBalancer(ctx, lbID)
	if err != nil {
		return Member{}, err
	}
	for _, p := range lb.Pools {
		for _, x := range p.Members {
			if x.ID == id {
				return x, nil
			}
		}
	}
	return Member{}, model.NotFoundf("Member %s not found.", id)
}

// DeleteMember removes a pool member. Deleting one that does not exist is a
// success.
func (m *Manager) DeleteMember(ctx context.Context, id string) error {
	lbID := m.owner(id, hasMember(id))
	if lbID == "" {
		return nil
	}
	_, err := m.change(ctx, lbID, func(lb *LoadBalancer) error {
		for i := range lb.Pools {
			lb.Pools[i].Members = slices.DeleteFunc(lb.Pools[i].Members, func(x Member) bool { return x.ID == id })
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete member %s: %w", id, err)
	}
	return nil
}

// SaveHealthMonitor creates or replaces a pool's health monitor and
// reloads HAProxy.
func (m *Manager) SaveHealthMonitor(ctx context.Context, hm HealthMonitor) (HealthMonitor, error) {
	if hm.ID == "" {
		return HealthMonitor{}, model.Invalidf("A health monitor id is required.")
	}
	lbID, err := m.poolOwner(hm.PoolID)
	if err != nil {
		return HealthMonitor{}, err
	}
	_, err = m.change(ctx, lbID, func(lb *LoadBalancer) error {
		p := pool(lb, hm.PoolID)
		if p == nil {
			return model.NotFoundf("Pool %s not found.", hm.PoolID)
		}
		if p.HealthMonitor != nil && p.HealthMonitor.ID != hm.ID {
			return model.Conflictf("Pool %s already has a health monitor", p.ID)
		}
		h := hm
		p.HealthMonitor = &h
		return nil
	})
	if err != nil {
		return HealthMonitor{}, fmt.Errorf("save health monitor %s: %w", hm.ID, err)
	}
	return hm, nil
}

// DeleteHealthMonitor removes a health monitor. Deleting one that does not
// exist is a success.
func (m *Manager) DeleteHealthMonitor(ctx context.Context, id string) error {
	lbID := m.owner(id, hasMonitor(id))
	if lbID == "" {
		return nil
	}
	_, err := m.change(ctx, lbID, func(lb *LoadBalancer) error {
		for i := range lb.Pools {
			if hm := lb.Pools[i].HealthMonitor; hm != nil && hm.ID == id {
				lb.Pools[i].HealthMonitor = nil
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete health monitor %s: %w", id, err)
	}
	return nil
}
