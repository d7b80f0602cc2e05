package network

import (
	"context"
	"fmt"
	"net/netip"
	"slices"

	"github.com/slipway/slipway/internal/model"
)

// validateRules checks rules as Neutron does and fills in defaults.
func validateRules(rules []Rule) ([]Rule, error) {
	out := make([]Rule, 0, len(rules))
	for _, r := range rules {
		if r.Direction != Ingress && r.Direction != Egress {
			return nil, model.Invalidf("Invalid input for direction. Reason: %q is not in [ingress, egress].", r.Direction)
		}
		if r.Ethertype == "" {
			r.Ethertype = "IPv4"
		}
		if r.Ethertype != "IPv4" && r.Ethertype != "IPv6" {
			return nil, model.Invalidf("Invalid input for ethertype. Reason: %q is not in [IPv4, IPv6].", r.Ethertype)
		}
		if _, ok := protocolNumber(r.Protocol); !ok && r.Ethertype == "IPv4" {
			return nil, model.Invalidf("Security group rule protocol %s not supported.", r.Protocol)
		}
		if r.PortRangeMin < 0 || r.PortRangeMax < 0 || r.PortRangeMin > 65535 || r.PortRangeMax > 65535 {
			return nil, model.Invalidf("Invalid value for port %d-%d.", r.PortRangeMin, r.PortRangeMax)
		}
		if p, _ := protocolNumber(r.Protocol); (p == 6 || p == 17) && r.PortRangeMax > 0 && r.PortRangeMin > r.PortRangeMax {
			return nil, model.Invalidf("For TCP/UDP protocols, port_range_min must be <= port_range_max")
		}
		if r.RemoteIPPrefix != "" && r.RemoteGroupID != "" {
			return nil, model.Invalidf("Only remote_ip_prefix or remote_group_id may be provided.")
		}
		if r.RemoteIPPrefix != "" {
			if _, err := netip.ParsePrefix(r.RemoteIPPrefix); err != nil {
				if _, err := netip.ParseAddr(r.RemoteIPPrefix); err != nil {
					return nil, model.Invalidf("Invalid input for remote_ip_prefix: %q is not a valid CIDR.", r.RemoteIPPrefix)
				}
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// CreateSecurityGroup records a security group and programs its rules into
// every network where it applies. Creating a group that exists returns it.
func (m *Manager) CreateSecurityGroup(ctx context.Context, g SecurityGroup) (SecurityGroup, error) {
	if g.ID == "" {
		return SecurityGroup{}, model.Invalidf("A security group id is required.")
	}
	m.mu.Lock()
	if old := m.groups[g.ID]; old != nil {
		m.mu.Unlock()
		return m.GetSecurityGroup(ctx, g.ID)
	}
	m.mu.Unlock()
	return m.UpdateSecurityGroup(ctx, g)
}

// UpdateSecurityGroup replaces a group's name and rules (creating the group
// if needed) and reprograms the filters.
func (m *Manager) UpdateSecurityGroup(ctx context.Context, g SecurityGroup) (SecurityGroup, error) {
	rules, err := validateRules(g.Rules)
	if err != nil {
		return SecurityGroup{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range rules {
		if r.RemoteGroupID != "" && r.RemoteGroupID != g.ID && m.groups[r.RemoteGroupID] == nil {
			return SecurityGroup{}, model.NotFoundf("Security group %s does not exist", r.RemoteGroupID)
		}
	}
	rec := &SecurityGroup{ID: g.ID, Name: g.Name, ProjectID: g.ProjectID, Rules: rules}
	if err := m.put(ctx, kindGroup, g.ID, rec); err != nil {
		return SecurityGroup{}, fmt.Errorf("security group %s: %w", g.ID, err)
	}
	m.groups[g.ID] = rec
	if err := m.refreshFilters(""); err != nil {
		return SecurityGroup{}, fmt.Errorf("security group %s: %w", g.ID, err)
	}
	return m.viewGroup(rec), nil
}

func (m *Manager) viewGroup(g *SecurityGroup) SecurityGroup {
	v := *g
	v.Rules = slices.Clone(g.Rules)
	return v
}

// GetSecurityGroup returns a security group.
func (m *Manager) GetSecurityGroup(_ context.Context, id string) (SecurityGroup, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	g := m.groups[id]
	if g == nil {
		return SecurityGroup{}, model.NotFoundf("Security group %s does not exist", id)
	}
	return m.viewGroup(g), nil
}

// DeleteSecurityGroup deletes a group that no port uses. Deleting a group
// that does not exist is a success.
func (m *Manager) DeleteSecurityGroup(ctx context.Context, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.groups[id] == nil {
		return nil
	}
	for _, p := range m.ports {
		if slices.Contains(p.SecurityGroups, id) {
			return model.Conflictf("Security Group %s in use.", id)
		}
	}
	return m.deleteGroup(ctx, id)
}

func (m *Manager) deleteGroup(ctx context.Context, id string) error {
	if err := m.del(ctx, kindGroup, id); err != nil {
		return fmt.Errorf("delete security group %s: %w", id, err)
	}
	delete(m.groups, id)
	if err := m.refreshFilters(""); err != nil {
		return fmt.Errorf("delete security group %s: %w", id, err)
	}
	return nil
}
