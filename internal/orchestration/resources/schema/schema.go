package schema

import (
	"sort"

	"github.com/slipway/slipway/internal/orchestration/hot"
	r "github.com/slipway/slipway/internal/orchestration/resources"
)

// props is a shorter name for a property map.
type props = map[string]hot.PropertySchema

// builders maps every type this package describes to its schema builder.
// Each call builds a fresh schema, so callers may keep and change theirs.
func builders() map[string]func() *hot.Schema {
	return map[string]func() *hot.Schema{
		"OS::Nova::Server":                   novaServer,
		"OS::Nova::ServerGroup":              novaServerGroup,
		"OS::Nova::KeyPair":                  novaKeyPair,
		"OS::Neutron::Net":                   neutronNet,
		"OS::Neutron::Subnet":                neutronSubnet,
		"OS::Neutron::Router":                neutronRouter,
		"OS::Neutron::RouterInterface":       neutronRouterInterface,
		"OS::Neutron::ExtraRouteSet":         neutronExtraRouteSet,
		"OS::Neutron::ExtraRoute":            neutronExtraRoute,
		"OS::Neutron::Port":                  neutronPort,
		"OS::Neutron::SecurityGroup":         neutronSecurityGroup,
		"OS::Neutron::SecurityGroupRule":     neutronSecurityGroupRule,
		"OS::Neutron::FloatingIP":            neutronFloatingIP,
		"OS::Neutron::FloatingIPAssociation": neutronFloatingIPAssociation,
		"OS::Octavia::LoadBalancer":          octaviaLoadBalancer,
		"OS::Octavia::Listener":              octaviaListener,
		"OS::Octavia::Pool":                  octaviaPool,
		"OS::Octavia::PoolMember":            octaviaPoolMember,
		"OS::Octavia::HealthMonitor":         octaviaHealthMonitor,
		"OS::Neutron::LBaaS::LoadBalancer":   octaviaLoadBalancer,
		"OS::Neutron::LBaaS::Listener":       octaviaListener,
		"OS::Neutron::LBaaS::Pool":           octaviaPool,
		"OS::Neutron::LBaaS::PoolMember":     octaviaPoolMember,
		"OS::Neutron::LBaaS::HealthMonitor":  octaviaHealthMonitor,
		"OS::Cinder::Volume":                 cinderVolume,
		"OS::Cinder::VolumeAttachment":       cinderVolumeAttachment,
		"OS::Glance::Image":                  glanceImage,
		// Known so that templates with alarms validate; no provider
		// implements them, so they fail at create.
		"OS::Aodh::Alarm":       aodhAlarm,
		"OS::Ceilometer::Alarm": aodhAlarm,
	}
}

// Types lists the types this package describes, sorted.
func Types() []string {
	b := builders()
	out := make([]string, 0, len(b))
	for t := range b {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}

// Of returns the schema of an OpenStack type, or nil when this package
// does not describe it. A provider's plugin returns it from Schema.
func Of(typeName string) *hot.Schema {
	if b, ok := builders()[typeName]; ok {
		return b()
	}
	return nil
}

// Declare adds every OpenStack type's schema to reg, so that templates
// using them validate whether or not a provider implements them.
func Declare(reg *r.Registry) {
	for name, b := range builders() {
		reg.Declare(name, b())
	}
}

// tags is the usual updatable tags property.
func tags() hot.PropertySchema { return r.List(r.Updatable(), r.Items(r.String())) }

func novaServer() *hot.Schema {
	return &hot.Schema{
		Properties: props{
			"name":                 r.String(r.Updatable()),
			"image":                r.String(r.Updatable()),
			"flavor":               r.String(r.Required(), r.Updatable()),
			"flavor_update_policy": r.String(r.Default("RESIZE"), r.Updatable(), r.OneOf("RESIZE", "REPLACE")),
			"image_update_policy": r.String(r.Default("REBUILD"), r.Updatable(),
				r.OneOf("REBUILD", "REPLACE", "REBUILD_PRESERVE_EPHEMERAL")),
			"block_device_mapping": r.List(r.Items(r.Map(r.Keys(props{
				"device_name":           r.String(r.Required()),
				"volume_id":             r.String(),
				"snapshot_id":           r.String(),
				"volume_size":           r.Integer(),
				"delete_on_termination": r.Boolean(),
			})))),
			"block_device_mapping_v2": r.List(r.Items(r.Map(r.Keys(props{
				"device_name":           r.String(),
				"volume_id":             r.String(),
				"image":                 r.String(),
				"image_id":              r.String(),
				"snapshot_id":           r.String(),
				"swap_size":             r.Integer(),
				"device_type":           r.String(r.OneOf("cdrom", "disk")),
				"disk_bus":              r.String(r.OneOf("ide", "lame_bus", "scsi", "usb", "virtio")),
				"boot_index":            r.Integer(),
				"volume_size":           r.Integer(),
				"delete_on_termination": r.Boolean(),
				"ephemeral_size":        r.Integer(),
				"ephemeral_format":      r.String(),
			})))),
			"key_name":          r.String(),
			"admin_pass":        r.String(r.Updatable()),
			"availability_zone": r.String(),
			"security_groups":   r.List(r.Default([]any{}), r.Updatable()),
			"networks": r.List(r.Updatable(), r.Items(r.Map(r.Keys(props{
				"uuid":                  r.String(),
				"network":               r.String(),
				"allocate_network":      r.String(r.OneOf("none", "auto")),
				"fixed_ip":              r.String(),
				"floating_ip":           r.String(),
				"port":                  r.String(),
				"port_extra_properties": r.Map(),
				"subnet":                r.String(),
				"tag":                   r.String(),
			})))),
			"scheduler_hints":  r.Map(),
			"metadata":         r.Map(r.Updatable()),
			"user_data_format": r.String(r.Default("HEAT_CFNTOOLS"), r.Updatable(), r.OneOf("HEAT_CFNTOOLS", "RAW", "SOFTWARE_CONFIG")),
			"user_data":        r.String(r.Default(""), r.Updatable()),
			"user_data_update_policy": r.String(r.Default("REPLACE"), r.Updatable(),
				r.OneOf("REPLACE", "IGNORE")),
			"software_config_transport": r.String(r.Default("POLL_SERVER_CFN"), r.Updatable(),
				r.OneOf("POLL_SERVER_CFN", "POLL_SERVER_HEAT", "POLL_TEMP_URL", "ZAQAR_MESSAGE")),
			"config_drive":          r.Boolean(),
			"diskConfig":            r.String(r.OneOf("AUTO", "MANUAL")),
			"personality":           r.Map(r.Default(map[string]any{}), r.Updatable()),
			"admin_user":            r.String(),
			"deployment_swift_data": r.Map(r.Updatable()),
			"reservation_id":        r.String(),
			"tags":                  tags(),
		},
		Attributes: r.Attrs(
			"addresses", "A dict of all network addresses with corresponding port_id and subnets.",
			"networks", "A dict of assigned network addresses of the form {\"public\": [ip1, ip2...], \"private\": [ip3, ip4], \"public_uuid\": [ip1, ip2...], \"private_uuid\": [ip3, ip4]}.",
			"first_address", "Convenience attribute to fetch the first assigned network address, or an empty string if nothing has been assigned at this time.",
			"instance_name", "AWS compatible instance name.",
			"accessIPv4", "The manually assigned alternative public IPv4 address of the server.",
			"accessIPv6", "The manually assigned alternative public IPv6 address of the server.",
			"console_urls", "URLs of server's consoles.",
			"name", "Name of the server.",
			"os_collect_config", "The os-collect-config configuration for the server's local agent.",
			"tags", "Tags from the server.",
		),
	}
}

func novaServerGroup() *hot.Schema {
	return &hot.Schema{
		Properties: props{
			"name": r.String(),
			"policies": r.List(r.Default([]any{"anti-affinity"}), r.Items(r.String(
				r.OneOf("anti-affinity", "affinity", "soft-anti-affinity", "soft-affinity")))),
			"rules": r.Map(),
		},
		Attributes: r.Attrs(),
	}
}

func novaKeyPair() *hot.Schema {
	return &hot.Schema{
		Properties: props{
			"name":             r.String(r.Required()),
			"save_private_key": r.Boolean(r.Default(false)),
			"public_key":       r.String(),
			"type":             r.String(r.OneOf("ssh", "x509")),
			"user":             r.String(),
		},
		Attributes: r.Attrs(
			"public_key", "The public key.",
			"private_key", "The private key if it has been saved.",
		),
	}
}

func neutronNet() *hot.Schema {
	return &hot.Schema{
		Properties: props{
			"name":                  r.String(r.Updatable()),
			"value_specs":           r.Map(r.Default(map[string]any{}), r.Updatable()),
			"admin_state_up":        r.Boolean(r.Default(true), r.Updatable()),
			"tenant_id":             r.String(),
			"shared":                r.Boolean(r.Default(false), r.Updatable()),
			"dhcp_agent_ids":        r.List(r.Updatable()),
			"port_security_enabled": r.Boolean(r.Updatable()),
			"qos_policy":            r.String(r.Updatable()),
			"dns_domain":            r.String(r.Updatable()),
			"tags":                  tags(),
		},
		Attributes: r.Attrs(
			"status", "The status of the network.",
			"name", "The name of the network.",
			"subnets", "Subnets of this network.",
			"admin_state_up", "The administrative status of the network.",
			"tenant_id", "The tenant owning this network.",
			"port_security_enabled", "Port security enabled of the network.",
			"mtu", "The maximum transmission unit size (in bytes) for the network.",
			"qos_policy_id", "The QoS policy ID attached to this network.",
			"l2_adjacency", "A boolean value for L2 adjacency.",
			"segments", "The segments of this network.",
		),
	}
}

func neutronSubnet() *hot.Schema {
	return &hot.Schema{
		Properties: props{
			"network_id":      r.String(),
			"network":         r.String(),
			"subnetpool":      r.String(),
			"cidr":            r.String(),
			"ip_version":      r.Integer(r.Default(4), r.OneOf(4, 6)),
			"dns_nameservers": r.List(r.Default([]any{}), r.Updatable()),
			"gateway_ip":      r.String(r.Updatable()),
			"enable_dhcp":     r.Boolean(r.Default(true), r.Updatable()),
			"allocation_pools": r.List(r.Updatable(), r.Items(r.Map(r.Keys(props{
				"start": r.String(r.Required()),
				"end":   r.String(r.Required()),
			})))),
			"name":        r.String(r.Updatable()),
			"value_specs": r.Map(r.Default(map[string]any{}), r.Updatable()),
			"tenant_id":   r.String(),
			"host_routes": r.List(r.Updatable(), r.Items(r.Map(r.Keys(props{
				"destination": r.String(r.Required()),
				"nexthop":     r.String(r.Required()),
			})))),
			"ipv6_address_mode": r.String(r.OneOf("dhcpv6-stateful", "dhcpv6-stateless", "slaac")),
			"ipv6_ra_mode":      r.String(r.OneOf("dhcpv6-stateful", "dhcpv6-stateless", "slaac")),
			"prefixlen":         r.Integer(),
			"segment":           r.String(r.Updatable()),
			"tags":              tags(),
		},
		Attributes: r.Attrs(
			"name", "Friendly name of the subnet.",
			"network_id", "Parent network of the subnet.",
			"tenant_id", "Tenant owning the subnet.",
			"allocation_pools", "IP addresses that are allowed to be allocated.",
			"gateway_ip", "IP of the subnet's gateway.",
			"host_routes", "Additional routes for this subnet.",
			"ip_version", "IP version of the subnet.",
			"cidr", "CIDR block notation for this subnet.",
			"dns_nameservers", "List of DNS nameservers.",
			"enable_dhcp", "True if DHCP is enabled for this subnet.",
			"segment_id", "The segment ID of the subnet.",
		),
	}
}

func neutronRouter() *hot.Schema {
	return &hot.Schema{
		Properties: props{
			"name": r.String(r.Updatable()),
			"external_gateway_info": r.Map(r.Updatable(), r.Keys(props{
				"network":     r.String(r.Required()),
				"enable_snat": r.Boolean(),
				"external_fixed_ips": r.List(r.Items(r.Map(r.Keys(props{
					"ip_address": r.String(),
					"subnet":     r.String(),
				})))),
			})),
			"value_specs":    r.Map(r.Default(map[string]any{}), r.Updatable()),
			"admin_state_up": r.Boolean(r.Default(true), r.Updatable()),
			"l3_agent_ids":   r.List(r.Updatable()),
			"distributed":    r.Boolean(),
			"ha":             r.Boolean(),
			"tags":           tags(),
		},
		Attributes: r.Attrs(
			"status", "The status of the router.",
			"external_gateway_info", "Gateway network for the router.",
			"name", "Friendly name of the router.",
			"admin_state_up", "Administrative state of the router.",
			"tenant_id", "Tenant owning the router.",
		),
	}
}

func neutronRouterInterface() *hot.Schema {
	return &hot.Schema{
		Properties: props{
			// router_id is Heat's deprecated alias of router; either names it.
			"router":    r.String(),
			"router_id": r.String(),
			"subnet":    r.String(),
			"subnet_id": r.String(),
			"port":      r.String(),
			"port_id":   r.String(),
		},
		Attributes: r.Attrs(),
	}
}

// neutronExtraRouteSet is a set of a router's extra routes; Heat changes
// its routes in place, adding and removing only what differs.
func neutronExtraRouteSet() *hot.Schema {
	return &hot.Schema{
		Properties: props{
			"router": r.String(r.Required()),
			"routes": r.List(r.Default([]any{}), r.Updatable(), r.Items(r.Map(r.Keys(props{
				"destination": r.String(r.Required()),
				"nexthop":     r.String(r.Required()),
			})))),
		},
		Attributes: r.Attrs(),
	}
}

// neutronExtraRoute is one extra route of a router, the older type Heat
// never formally supported; any change replaces it.
func neutronExtraRoute() *hot.Schema {
	return &hot.Schema{
		Properties: props{
			"router_id":   r.String(r.Required()),
			"destination": r.String(r.Required()),
			"nexthop":     r.String(r.Required()),
		},
		Attributes: r.Attrs(),
	}
}

func neutronPort() *hot.Schema {
	return &hot.Schema{
		Properties: props{
			"network":        r.String(r.Required()),
			"network_id":     r.String(),
			"name":           r.String(r.Updatable()),
			"value_specs":    r.Map(r.Default(map[string]any{}), r.Updatable()),
			"admin_state_up": r.Boolean(r.Default(true), r.Updatable()),
			"fixed_ips": r.List(r.Updatable(), r.Items(r.Map(r.Keys(props{
				"subnet":     r.String(),
				"subnet_id":  r.String(),
				"ip_address": r.String(),
			})))),
			"mac_address":     r.String(),
			"device_id":       r.String(r.Updatable()),
			"device_owner":    r.String(r.Updatable()),
			"security_groups": r.List(r.Updatable()),
			"allowed_address_pairs": r.List(r.Updatable(), r.Items(r.Map(r.Keys(props{
				"mac_address": r.String(),
				"ip_address":  r.String(r.Required()),
			})))),
			"replacement_policy": r.String(r.Default("AUTO"), r.Updatable(), r.OneOf("REPLACE_ALWAYS", "AUTO")),
			"binding:vnic_type": r.String(r.Updatable(),
				r.OneOf("normal", "direct", "macvtap", "direct-physical", "baremetal", "virtio-forwarder", "smart-nic")),
			"port_security_enabled":   r.Boolean(r.Updatable()),
			"qos_policy":              r.String(r.Updatable()),
			"dns_name":                r.String(r.Updatable()),
			"propagate_uplink_status": r.Boolean(r.Updatable()),
			"no_fixed_ips":            r.Boolean(r.Default(false), r.Updatable()),
			"tags":                    tags(),
		},
		Attributes: r.Attrs(
			"admin_state_up", "The administrative state of this port.",
			"device_id", "Unique identifier for the device.",
			"device_owner", "Name of the network owning the port.",
			"fixed_ips", "Fixed IP addresses.",
			"mac_address", "MAC address of the port.",
			"name", "Friendly name of the port.",
			"network_id", "Unique identifier for the network owning the port.",
			"security_groups", "A list of security groups for the port.",
			"status", "The status of the port.",
			"tenant_id", "Tenant owning the port.",
			"allowed_address_pairs", "Additional MAC/IP address pairs allowed to pass through a port.",
			"subnets", "A list of all subnet attributes for the port.",
			"port_security_enabled", "Port security enabled of the port.",
			"qos_policy_id", "The QoS policy ID attached to this port.",
			"dns_assignment", "The DNS assigned to this port.",
			"network", "The attributes of the network owning the port.",
		),
	}
}

func ruleProps() props {
	return props{
		"direction":        r.String(r.Default("ingress"), r.OneOf("ingress", "egress")),
		"ethertype":        r.String(r.Default("IPv4"), r.OneOf("IPv4", "IPv6")),
		"port_range_min":   r.Integer(),
		"port_range_max":   r.Integer(),
		"protocol":         r.String(),
		"remote_mode":      r.String(r.Default("remote_ip_prefix"), r.OneOf("remote_ip_prefix", "remote_group_id")),
		"remote_group_id":  r.String(),
		"remote_ip_prefix": r.String(),
		"description":      r.String(),
	}
}

func neutronSecurityGroup() *hot.Schema {
	return &hot.Schema{
		Properties: props{
			"name":        r.String(r.Updatable()),
			"description": r.String(r.Updatable()),
			"rules":       r.List(r.Default([]any{}), r.Updatable(), r.Items(r.Map(r.Keys(ruleProps())))),
			"tags":        tags(),
		},
		Attributes: r.Attrs(),
	}
}

func neutronSecurityGroupRule() *hot.Schema {
	p := ruleProps()
	delete(p, "remote_mode")
	// The standalone rule names the remote group remote_group.
	delete(p, "remote_group_id")
	p["remote_group"] = r.String()
	p["security_group"] = r.String(r.Required())
	return &hot.Schema{Properties: p, Attributes: r.Attrs()}
}

func neutronFloatingIP() *hot.Schema {
	return &hot.Schema{
		Properties: props{
			// floating_network_id is the deprecated alias of floating_network.
			"floating_network":    r.String(),
			"floating_network_id": r.String(),
			"value_specs":         r.Map(r.Default(map[string]any{})),
			"port_id":             r.String(r.Updatable()),
			"fixed_ip_address":    r.String(r.Updatable()),
			"floating_ip_address": r.String(),
			"floating_subnet":     r.String(),
			"dns_name":            r.String(),
			"dns_domain":          r.String(),
			"tags":                tags(),
		},
		Attributes: r.Attrs(
			"router_id", "ID of the router used as gateway, set when associated with a port.",
			"tenant_id", "The tenant owning this floating IP.",
			"floating_network_id", "ID of the network in which this IP is allocated.",
			"fixed_ip_address", "IP address of the associated port, if specified.",
			"floating_ip_address", "The allocated address of this IP.",
			"port_id", "ID of the port associated with this IP.",
		),
	}
}

func neutronFloatingIPAssociation() *hot.Schema {
	return &hot.Schema{
		Properties: props{
			"floatingip_id":    r.String(r.Required(), r.Updatable()),
			"port_id":          r.String(r.Required(), r.Updatable()),
			"fixed_ip_address": r.String(r.Updatable()),
		},
		Attributes: r.Attrs(),
	}
}

func octaviaLoadBalancer() *hot.Schema {
	return &hot.Schema{
		Properties: props{
			"vip_subnet":        r.String(),
			"vip_network":       r.String(),
			"vip_address":       r.String(),
			"name":              r.String(r.Updatable()),
			"description":       r.String(r.Default(""), r.Updatable()),
			"admin_state_up":    r.Boolean(r.Default(true), r.Updatable()),
			"provider":          r.String(),
			"tenant_id":         r.String(),
			"flavor":            r.String(),
			"availability_zone": r.String(),
		},
		Attributes: r.Attrs(
			"vip_address", "The VIP address of the LoadBalancer.",
			"vip_port_id", "The VIP port of the LoadBalancer.",
			"vip_subnet_id", "The VIP subnet of the LoadBalancer.",
			"pools", "Pools this LoadBalancer is associated with.",
			"listeners", "Listeners associated with this LoadBalancer.",
			"flavor_id", "The flavor ID of the LoadBalancer.",
			"availability_zone", "The availability zone of the LoadBalancer.",
		),
	}
}

func octaviaListener() *hot.Schema {
	return &hot.Schema{
		Properties: props{
			"protocol_port": r.Integer(r.Required()),
			"protocol": r.String(r.Required(),
				r.OneOf("TCP", "HTTP", "HTTPS", "TERMINATED_HTTPS", "PROXY", "UDP", "SCTP", "PROMETHEUS")),
			"loadbalancer":              r.String(),
			"default_pool":              r.String(r.Updatable()),
			"name":                      r.String(r.Updatable()),
			"description":               r.String(r.Default(""), r.Updatable()),
			"admin_state_up":            r.Boolean(r.Default(true), r.Updatable()),
			"connection_limit":          r.Integer(r.Updatable()),
			"default_tls_container_ref": r.String(r.Updatable()),
			"sni_container_refs":        r.List(r.Updatable()),
			"allowed_cidrs":             r.List(r.Updatable(), r.Items(r.String())),
			"tenant_id":                 r.String(),
		},
		Attributes: r.Attrs(
			"loadbalancers", "ID of the load balancer this listener is associated to.",
			"default_pool_id", "ID of the default pool this listener is associated to.",
		),
	}
}

func octaviaPool() *hot.Schema {
	return &hot.Schema{
		Properties: props{
			"admin_state_up": r.Boolean(r.Default(true), r.Updatable()),
			"description":    r.String(r.Default(""), r.Updatable()),
			"lb_algorithm": r.String(r.Required(), r.Updatable(),
				r.OneOf("ROUND_ROBIN", "LEAST_CONNECTIONS", "SOURCE_IP", "SOURCE_IP_PORT")),
			"listener":     r.String(),
			"loadbalancer": r.String(),
			"name":         r.String(r.Updatable()),
			"protocol":     r.String(r.Required(), r.OneOf("TCP", "HTTP", "HTTPS", "PROXY", "UDP", "SCTP", "TERMINATED_HTTPS")),
			"session_persistence": r.Map(r.Keys(props{
				"type":        r.String(r.Required(), r.OneOf("SOURCE_IP", "HTTP_COOKIE", "APP_COOKIE")),
				"cookie_name": r.String(),
			})),
			"tls_enabled": r.Boolean(r.Default(false), r.Updatable()),
		},
		Attributes: r.Attrs(
			"healthmonitor_id", "ID of the health monitor associated with this pool.",
			"listeners", "Listener associated with this pool.",
			"members", "Members associated with this pool.",
		),
	}
}

func octaviaPoolMember() *hot.Schema {
	return &hot.Schema{
		Properties: props{
			"pool":            r.String(r.Required()),
			"address":         r.String(r.Required()),
			"protocol_port":   r.Integer(r.Required()),
			"weight":          r.Integer(r.Default(1), r.Updatable()),
			"admin_state_up":  r.Boolean(r.Default(true), r.Updatable()),
			"subnet":          r.String(),
			"monitor_address": r.String(),
			"monitor_port":    r.Integer(),
			"name":            r.String(r.Updatable()),
		},
		Attributes: r.Attrs(
			"address", "The IP address of the pool member.",
			"pool_id", "The ID of the pool to which the pool member belongs.",
		),
	}
}

func octaviaHealthMonitor() *hot.Schema {
	return &hot.Schema{
		Properties: props{
			"admin_state_up":   r.Boolean(r.Default(true), r.Updatable()),
			"delay":            r.Integer(r.Required(), r.Updatable()),
			"expected_codes":   r.String(r.Updatable()),
			"http_method":      r.String(r.Updatable(), r.OneOf("GET", "HEAD", "POST", "PUT", "DELETE", "TRACE", "OPTIONS", "PATCH", "CONNECT")),
			"max_retries":      r.Integer(r.Required(), r.Updatable()),
			"max_retries_down": r.Integer(r.Updatable()),
			"pool":             r.String(r.Required()),
			"timeout":          r.Integer(r.Required(), r.Updatable()),
			"type":             r.String(r.Required(), r.OneOf("PING", "TCP", "HTTP", "HTTPS", "TLS-HELLO", "UDP-CONNECT", "SCTP")),
			"url_path":         r.String(r.Updatable()),
			"tenant_id":        r.String(),
		},
		Attributes: r.Attrs("pools", "The list of Pools related to this monitor."),
	}
}

func cinderVolume() *hot.Schema {
	return &hot.Schema{
		Properties: props{
			"availability_zone": r.String(),
			"size":              r.Integer(r.Updatable()),
			"snapshot_id":       r.String(),
			"backup_id":         r.String(r.Updatable()),
			"name":              r.String(r.Updatable()),
			"description":       r.String(r.Updatable()),
			"volume_type":       r.String(r.Updatable()),
			"metadata":          r.Map(r.Default(map[string]any{}), r.Updatable()),
			"image":             r.String(),
			"source_volid":      r.String(),
			"scheduler_hints":   r.Map(),
			"multiattach":       r.Boolean(),
			"read_only":         r.Boolean(r.Updatable()),
		},
		Attributes: r.Attrs(
			"availability_zone", "The availability zone in which the volume is located.",
			"size", "The size of the volume in GB.",
			"snapshot_id", "The snapshot the volume was created from, if any.",
			"display_name", "Name of the volume.",
			"display_description", "Description of the volume.",
			"volume_type", "The type of the volume mapping to a backend, if any.",
			"metadata", "Key/value pairs associated with the volume.",
			"metadata_values", "Key/value pairs associated with the volume in raw dict form.",
			"source_volid", "The volume used as source, if any.",
			"status", "The current status of the volume.",
			"created_at", "The timestamp indicating volume creation.",
			"bootable", "Boolean indicating if the volume can be booted or not.",
			"encrypted", "Boolean indicating if the volume is encrypted or not.",
			"attachments", "A string representation of the list of attachments of the volume.",
			"attachments_list", "The list of attachments of the volume.",
			"multiattach", "Boolean indicating whether allow the volume to be attached more than once.",
		),
	}
}

func cinderVolumeAttachment() *hot.Schema {
	return &hot.Schema{
		Properties: props{
			"instance_uuid": r.String(r.Required(), r.Updatable()),
			"volume_id":     r.String(r.Required(), r.Updatable()),
			"mountpoint":    r.String(r.Updatable()),
		},
		Attributes: r.Attrs(),
	}
}

func glanceImage() *hot.Schema {
	return &hot.Schema{
		Properties: props{
			"name":             r.String(),
			"id":               r.String(),
			"is_public":        r.Boolean(r.Default(false)),
			"min_ram":          r.Integer(r.Default(0)),
			"min_disk":         r.Integer(r.Default(0)),
			"disk_format":      r.String(r.Required(), r.OneOf("ami", "ari", "aki", "vhd", "vhdx", "vmdk", "raw", "qcow2", "vdi", "iso", "ploop")),
			"container_format": r.String(r.Required(), r.OneOf("ami", "ari", "aki", "bare", "ova", "ovf", "docker")),
			"location":         r.String(r.Required()),
			"protected":        r.Boolean(r.Default(false)),
			"tags":             tags(),
			"architecture":     r.String(r.Updatable()),
			"kernel_id":        r.String(r.Updatable()),
			"os_distro":        r.String(r.Updatable()),
			"os_version":       r.String(r.Updatable()),
			"owner":            r.String(r.Updatable()),
			"extra_properties": r.Map(r.Default(map[string]any{}), r.Updatable()),
			"ramdisk_id":       r.String(r.Updatable()),
		},
		Attributes: r.Attrs(),
	}
}

// aodhAlarm is a threshold alarm; OS::Ceilometer::Alarm is its old name.
func aodhAlarm() *hot.Schema {
	return &hot.Schema{
		Properties: props{
			"description":               r.String(r.Updatable()),
			"enabled":                   r.Boolean(r.Updatable()),
			"meter_name":                r.String(r.Updatable()),
			"statistic":                 r.String(r.Updatable()),
			"period":                    r.Integer(r.Updatable()),
			"evaluation_periods":        r.Integer(r.Updatable()),
			"threshold":                 r.Number(r.Updatable()),
			"comparison_operator":       r.String(r.Updatable()),
			"alarm_actions":             r.List(r.Updatable()),
			"ok_actions":                r.List(r.Updatable()),
			"insufficient_data_actions": r.List(r.Updatable()),
			"matching_metadata":         r.Map(r.Updatable()),
			"query":                     r.List(r.Updatable()),
			"repeat_actions":            r.Boolean(r.Updatable()),
			"severity":                  r.String(r.Updatable()),
			"time_constraints":          r.List(r.Updatable()),
		},
		Attributes: r.Attrs(),
	}
}
