package local

import (
	"context"
	"net/netip"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/hot"
	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/provider/local/lb"
)

// The Octavia types: what Octavia's amphora does, done by an HAProxy per
// load balancer in a namespace of its own that holds the VIP. Listeners,
// pools, members and health monitors live in their load balancer's record
// and HAProxy's configuration; changing one reloads HAProxy without
// dropping connections. The OS::Neutron::LBaaS::* names map to the same
// plugins.

// loadBalancerRef resolves a load balancer by id or name.
func (p *Provider) loadBalancerRef(ctx context.Context, project, ref string) (string, error) {
	if ref == "" {
		return "", model.Invalidf("A load balancer is required.")
	}
	var found []string
	for _, l := range p.lbs.ListLoadBalancers(ctx) {
		if l.ID == ref {
			return l.ID, nil
		}
		if l.Name == ref && (project == "" || l.ProjectID == project) {
			found = append(found, l.ID)
		}
	}
	switch len(found) {
	case 0:
		return "", model.NotFoundf("Unable to find loadbalancer with name or id '%s'", ref)
	case 1:
		return found[0], nil
	}
	return "", model.Conflictf("Multiple loadbalancer matches found for name '%s', use an ID to be more specific.", ref)
}

// ids turns ids into the [{"id": …}] lists Octavia's attributes are.
func ids(list []string) []any {
	out := []any{}
	for _, id := range list {
		out = append(out, map[string]any{"id": id})
	}
	return out
}

// loadBalancerPlugin is OS::Octavia::LoadBalancer.
type loadBalancerPlugin struct{ p *Provider }

func (loadBalancerPlugin) Schema() *hot.Schema { return schemaOf("OS::Octavia::LoadBalancer") }

func (lp loadBalancerPlugin) Create(ctx context.Context, r *resources.Resource) (string, error) {
	props := r.Properties
	var subnetID string
	switch {
	case str(props, "vip_subnet") != "":
		sub, err := lp.p.subnetRef(ctx, r.Stack.ProjectID, str(props, "vip_subnet"))
		if err != nil {
			return "", err
		}
		subnetID = sub.ID
	case str(props, "vip_network") != "":
		net, err := lp.p.networkRef(ctx, r.Stack.ProjectID, str(props, "vip_network"))
		if err != nil {
			return "", err
		}
		subs := lp.p.net.ListSubnets(ctx, net.ID)
		if len(subs) == 0 {
			return "", model.Invalidf("Network %s has no subnet for the VIP.", net.ID)
		}
		subnetID = subs[0].ID
	default:
		return "", model.Invalidf("Either vip_subnet or vip_network must be given.")
	}
	var vip netip.Addr
	if a := str(props, "vip_address"); a != "" {
		var err error
		if vip, err = netip.ParseAddr(a); err != nil {
			return "", model.Invalidf("Invalid input for vip_address: %q is not an IP address.", a)
		}
	}
	if _, err := lp.p.lbs.CreateLoadBalancer(ctx, lb.LoadBalancer{ID: r.PhysicalID, Name: physicalName(r),
		ProjectID: r.Stack.ProjectID, VIPSubnetID: subnetID, VIPAddress: vip}); err != nil {
		return "", err
	}
	return r.PhysicalID, nil
}

// Update accepts a new name, description and admin state; HAProxy needs
// none of them.
func (loadBalancerPlugin) Update(context.Context, *resources.Resource, *resources.Resource) error {
	return nil
}

func (lp loadBalancerPlugin) Delete(ctx context.Context, r *resources.Resource) error {
	return lp.p.lbs.DeleteLoadBalancer(ctx, r.PhysicalID)
}

func (lp loadBalancerPlugin) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	if _, err := lp.p.lbs.GetLoadBalancer(ctx, r.PhysicalID); err != nil {
		return false, nil
	}
	_, err := lp.Create(ctx, r)
	return err == nil, err
}

func (lp loadBalancerPlugin) Attributes(ctx context.Context, r *resources.Resource) (map[string]any, error) {
	l, err := lp.p.lbs.GetLoadBalancer(ctx, r.PhysicalID)
	if err != nil {
		return nil, err
	}
	var listeners, pools []string
	for _, x := range l.Listeners {
		listeners = append(listeners, x.ID)
	}
	for _, x := range l.Pools {
		pools = append(pools, x.ID)
	}
	return map[string]any{
		"vip_address": l.VIPAddress.String(), "vip_port_id": l.VIPPortID, "vip_subnet_id": l.VIPSubnetID,
		"pools": ids(pools), "listeners": ids(listeners), "flavor_id": nil, "availability_zone": nil,
		"provisioning_status": l.ProvisioningStatus, "operating_status": l.OperatingStatus,
	}, nil
}

// listenerPlugin is OS::Octavia::Listener: a frontend of the load
// balancer's HAProxy.
type listenerPlugin struct{ p *Provider }

func (listenerPlugin) Schema() *hot.Schema { return schemaOf("OS::Octavia::Listener") }

func (lp listenerPlugin) save(ctx context.Context, r *resources.Resource) error {
	props := r.Properties
	lbID, err := lp.p.loadBalancerRef(ctx, r.Stack.ProjectID, str(props, "loadbalancer"))
	if err != nil {
		return err
	}
	l := lb.Listener{ID: r.PhysicalID, Name: physicalName(r), LoadBalancerID: lbID, Protocol: str(props, "protocol"),
		ProtocolPort: integer(props, "protocol_port", 0), DefaultPoolID: str(props, "default_pool"),
		ConnectionLimit: integer(props, "connection_limit", 0)}
	if l.DefaultPoolID == "" {
		// A pool created with this listener made itself its default.
		if cur, err := lp.p.lbs.GetListener(ctx, l.ID); err == nil {
			l.DefaultPoolID = cur.DefaultPoolID
		}
	}
	_, err = lp.p.lbs.SaveListener(ctx, l)
	return err
}

func (lp listenerPlugin) Create(ctx context.Context, r *resources.Resource) (string, error) {
	if err := lp.save(ctx, r); err != nil {
		return "", err
	}
	return r.PhysicalID, nil
}

func (lp listenerPlugin) Update(ctx context.Context, r, _ *resources.Resource) error {
	return lp.save(ctx, r)
}

func (lp listenerPlugin) Delete(ctx context.Context, r *resources.Resource) error {
	return lp.p.lbs.DeleteListener(ctx, r.PhysicalID)
}

func (lp listenerPlugin) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	_, err := lp.p.lbs.GetListener(ctx, r.PhysicalID)
	return err == nil, nil
}

func (lp listenerPlugin) Attributes(ctx context.Context, r *resources.Resource) (map[string]any, error) {
	l, err := lp.p.lbs.GetListener(ctx, r.PhysicalID)
	if err != nil {
		return nil, err
	}
	var pool any
	if l.DefaultPoolID != "" {
		pool = l.DefaultPoolID
	}
	return map[string]any{"loadbalancers": ids([]string{l.LoadBalancerID}), "default_pool_id": pool,
		"operating_status": l.OperatingStatus}, nil
}

// poolPlugin is OS::Octavia::Pool: a backend of the load balancer's
// HAProxy.
type poolPlugin struct{ p *Provider }

func (poolPlugin) Schema() *hot.Schema { return schemaOf("OS::Octavia::Pool") }

func (pp poolPlugin) save(ctx context.Context, r *resources.Resource) error {
	props := r.Properties
	pool := lb.Pool{ID: r.PhysicalID, Name: physicalName(r), ListenerID: str(props, "listener"),
		Protocol: str(props, "protocol"), LBAlgorithm: str(props, "lb_algorithm")}
	if pool.LBAlgorithm == "SOURCE_IP_PORT" {
		return model.Invalidf("lb_algorithm SOURCE_IP_PORT is not supported by the local provider; use ROUND_ROBIN, LEAST_CONNECTIONS or SOURCE_IP.")
	}
	if ref := str(props, "loadbalancer"); ref != "" {
		id, err := pp.p.loadBalancerRef(ctx, r.Stack.ProjectID, ref)
		if err != nil {
			return err
		}
		pool.LoadBalancerID = id
	}
	if pool.ListenerID == "" && pool.LoadBalancerID == "" {
		return model.Invalidf("Either listener or loadbalancer must be given.")
	}
	_, err := pp.p.lbs.SavePool(ctx, pool)
	return err
}

func (pp poolPlugin) Create(ctx context.Context, r *resources.Resource) (string, error) {
	if err := pp.save(ctx, r); err != nil {
		return "", err
	}
	return r.PhysicalID, nil
}

func (pp poolPlugin) Update(ctx context.Context, r, _ *resources.Resource) error {
	return pp.save(ctx, r)
}

func (pp poolPlugin) Delete(ctx context.Context, r *resources.Resource) error {
	return pp.p.lbs.DeletePool(ctx, r.PhysicalID)
}

func (pp poolPlugin) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	_, err := pp.p.lbs.GetPool(ctx, r.PhysicalID)
	return err == nil, nil
}

func (pp poolPlugin) Attributes(ctx context.Context, r *resources.Resource) (map[string]any, error) {
	pool, err := pp.p.lbs.GetPool(ctx, r.PhysicalID)
	if err != nil {
		return nil, err
	}
	var members []string
	for _, m := range pool.Members {
		members = append(members, m.ID)
	}
	var listeners []string
	if pool.ListenerID != "" {
		listeners = append(listeners, pool.ListenerID)
	}
	var hm any
	if pool.HealthMonitor != nil {
		hm = pool.HealthMonitor.ID
	}
	return map[string]any{"healthmonitor_id": hm, "listeners": ids(listeners), "members": ids(members),
		"operating_status": pool.OperatingStatus}, nil
}

// poolMemberPlugin is OS::Octavia::PoolMember: a server line of the
// pool's backend.
type poolMemberPlugin struct{ p *Provider }

func (poolMemberPlugin) Schema() *hot.Schema { return schemaOf("OS::Octavia::PoolMember") }

func (mp poolMemberPlugin) save(ctx context.Context, r *resources.Resource) error {
	props := r.Properties
	if str(props, "monitor_address") != "" || has(props, "monitor_port") {
		return model.Invalidf("monitor_address and monitor_port are not supported by the local provider.")
	}
	addr, err := netip.ParseAddr(str(props, "address"))
	if err != nil {
		return model.Invalidf("Invalid input for address: %q is not an IP address.", str(props, "address"))
	}
	weight := integer(props, "weight", 1)
	_, err = mp.p.lbs.SaveMember(ctx, lb.Member{ID: r.PhysicalID, Name: physicalName(r), PoolID: str(props, "pool"),
		Address: addr, ProtocolPort: integer(props, "protocol_port", 0), Weight: &weight,
		AdminStateDown: !boolean(props, "admin_state_up", true)})
	return err
}

func (mp poolMemberPlugin) Create(ctx context.Context, r *resources.Resource) (string, error) {
	if err := mp.save(ctx, r); err != nil {
		return "", err
	}
	return r.PhysicalID, nil
}

func (mp poolMemberPlugin) Update(ctx context.Context, r, _ *resources.Resource) error {
	return mp.save(ctx, r)
}

func (mp poolMemberPlugin) Delete(ctx context.Context, r *resources.Resource) error {
	return mp.p.lbs.DeleteMember(ctx, r.PhysicalID)
}

func (mp poolMemberPlugin) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	_, err := mp.p.lbs.GetMember(ctx, r.PhysicalID)
	return err == nil, nil
}

func (mp poolMemberPlugin) Attributes(ctx context.Context, r *resources.Resource) (map[string]any, error) {
	m, err := mp.p.lbs.GetMember(ctx, r.PhysicalID)
	if err != nil {
		return nil, err
	}
	return map[string]any{"address": m.Address.String(), "pool_id": m.PoolID, "operating_status": m.OperatingStatus}, nil
}

// healthMonitorPlugin is OS::Octavia::HealthMonitor: HAProxy's checks of
// the pool's members.
type healthMonitorPlugin struct{ p *Provider }

func (healthMonitorPlugin) Schema() *hot.Schema { return schemaOf("OS::Octavia::HealthMonitor") }

func (hp healthMonitorPlugin) save(ctx context.Context, r *resources.Resource) error {
	props := r.Properties
	_, err := hp.p.lbs.SaveHealthMonitor(ctx, lb.HealthMonitor{ID: r.PhysicalID, Name: physicalName(r),
		PoolID: str(props, "pool"), Type: str(props, "type"), Delay: integer(props, "delay", 0),
		Timeout: integer(props, "timeout", 0), MaxRetries: integer(props, "max_retries", 0),
		MaxRetriesDown: integer(props, "max_retries_down", 0), HTTPMethod: str(props, "http_method"),
		URLPath: str(props, "url_path"), ExpectedCodes: str(props, "expected_codes")})
	return err
}

func (hp healthMonitorPlugin) Create(ctx context.Context, r *resources.Resource) (string, error) {
	if err := hp.save(ctx, r); err != nil {
		return "", err
	}
	return r.PhysicalID, nil
}

func (hp healthMonitorPlugin) Update(ctx context.Context, r, _ *resources.Resource) error {
	return hp.save(ctx, r)
}

func (hp healthMonitorPlugin) Delete(ctx context.Context, r *resources.Resource) error {
	return hp.p.lbs.DeleteHealthMonitor(ctx, r.PhysicalID)
}

// monitor finds a health monitor and its pool.
func (p *Provider) monitor(ctx context.Context, id string) (*lb.HealthMonitor, bool) {
	for _, l := range p.lbs.ListLoadBalancers(ctx) {
		for _, pool := range l.Pools {
			if hm := pool.HealthMonitor; hm != nil && hm.ID == id {
				return hm, true
			}
		}
	}
	return nil, false
}

func (hp healthMonitorPlugin) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	_, ok := hp.p.monitor(ctx, r.PhysicalID)
	return ok, nil
}

func (hp healthMonitorPlugin) Attributes(ctx context.Context, r *resources.Resource) (map[string]any, error) {
	hm, ok := hp.p.monitor(ctx, r.PhysicalID)
	if !ok {
		return nil, model.NotFoundf("Health monitor %s could not be found.", r.PhysicalID)
	}
	return map[string]any{"pools": ids([]string{hm.PoolID})}, nil
}
