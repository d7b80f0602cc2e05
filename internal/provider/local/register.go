package local

import (
	"fmt"
	"slices"

	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/orchestration/resources/schema"
)

// plugins maps every type the local provider implements to its plugin.
func (p *Provider) plugins() map[string]resources.Plugin {
	lbp, listener, pool, member, monitor := loadBalancerPlugin{p}, listenerPlugin{p}, poolPlugin{p}, poolMemberPlugin{p}, healthMonitorPlugin{p}
	return map[string]resources.Plugin{
		"OS::Nova::Server":                   serverPlugin{p},
		"OS::Nova::ServerGroup":              serverGroupPlugin{p},
		"OS::Neutron::Net":                   netPlugin{p},
		"OS::Neutron::Subnet":                subnetPlugin{p},
		"OS::Neutron::Router":                routerPlugin{p},
		"OS::Neutron::RouterInterface":       routerInterfacePlugin{p},
		"OS::Neutron::ExtraRouteSet":         extraRoutePlugin{p: p},
		"OS::Neutron::ExtraRoute":            extraRoutePlugin{p: p, single: true},
		"OS::Neutron::Port":                  portPlugin{p},
		"OS::Neutron::SecurityGroup":         securityGroupPlugin{p},
		"OS::Neutron::SecurityGroupRule":     securityGroupRulePlugin{p},
		"OS::Neutron::FloatingIP":            floatingIPPlugin{p},
		"OS::Neutron::FloatingIPAssociation": fipAssociationPlugin{p},
		"OS::Octavia::LoadBalancer":          lbp,
		"OS::Octavia::Listener":              listener,
		"OS::Octavia::Pool":                  pool,
		"OS::Octavia::PoolMember":            member,
		"OS::Octavia::HealthMonitor":         monitor,
		"OS::Neutron::LBaaS::LoadBalancer":   lbp,
		"OS::Neutron::LBaaS::Listener":       listener,
		"OS::Neutron::LBaaS::Pool":           pool,
		"OS::Neutron::LBaaS::PoolMember":     member,
		"OS::Neutron::LBaaS::HealthMonitor":  monitor,
		"OS::Cinder::Volume":                 volumePlugin{p},
		"OS::Cinder::VolumeAttachment":       volumeAttachmentPlugin{p},
	}
}

// Types lists the resource types the provider implements, sorted.
func (p *Provider) Types() []string {
	out := make([]string, 0, len(p.plugins()))
	for t := range p.plugins() {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// Register adds the provider's implementation of every OpenStack type it
// supports to reg. Each plugin's schema is the schema package's, with the
// property and attribute names Heat uses.
func (p *Provider) Register(reg *resources.Registry) error {
	for typeName, plugin := range p.plugins() {
		if schema.Of(typeName) == nil {
			return fmt.Errorf("register %s: the schema package does not describe it", typeName)
		}
		if err := reg.Register(typeName, plugin); err != nil {
			return fmt.Errorf("register the local provider: %w", err)
		}
	}
	return nil
}
