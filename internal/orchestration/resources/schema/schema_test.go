package schema_test

import (
	"strings"
	"testing"

	"github.com/slipway/slipway/internal/orchestration/hot"
	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/orchestration/resources/schema"
)

// A template that uses the OpenStack types validates against the declared
// schemas; mistakes are reported with their path.
func TestTemplatesValidateAgainstSchemas(t *testing.T) {
	t.Parallel()
	reg := resources.NewRegistry("local")
	schema.Declare(reg)
	good := `
heat_template_version: 2018-08-31
resources:
  net: {type: OS::Neutron::Net, properties: {name: private}}
  subnet:
    type: OS::Neutron::Subnet
    properties: {network: {get_resource: net}, cidr: 10.0.0.0/24, dns_nameservers: [8.8.8.8]}
  router:
    type: OS::Neutron::Router
    properties: {external_gateway_info: {network: public}}
  iface:
    type: OS::Neutron::RouterInterface
    properties: {router: {get_resource: router}, subnet: {get_resource: subnet}}
  secgroup:
    type: OS::Neutron::SecurityGroup
    properties:
      rules: [{protocol: tcp, port_range_min: 6443, port_range_max: 6443}]
  port:
    type: OS::Neutron::Port
    properties:
      network: {get_resource: net}
      fixed_ips: [{subnet: {get_resource: subnet}}]
      security_groups: [{get_resource: secgroup}]
  server:
    type: OS::Nova::Server
    properties:
      image: fedora-coreos
      flavor: m1.small
      networks: [{port: {get_resource: port}}]
      user_data_format: SOFTWARE_CONFIG
  fip:
    type: OS::Neutron::FloatingIP
    properties: {floating_network: public, port_id: {get_resource: port}}
  lb:
    type: OS::Octavia::LoadBalancer
    properties: {vip_subnet: {get_resource: subnet}}
  listener:
    type: OS::Octavia::Listener
    properties: {loadbalancer: {get_resource: lb}, protocol: TCP, protocol_port: 6443}
  pool:
    type: OS::Octavia::Pool
    properties: {listener: {get_resource: listener}, protocol: TCP, lb_algorithm: ROUND_ROBIN}
  member:
    type: OS::Octavia::PoolMember
    properties: {pool: {get_resource: pool}, address: {get_attr: [server, first_address]}, protocol_port: 6443}
  monitor:
    type: OS::Octavia::HealthMonitor
    properties: {pool: {get_resource: pool}, type: TCP, delay: 5, max_retries: 5, timeout: 5}
  volume: {type: OS::Cinder::Volume, properties: {size: 10}}
  attach:
    type: OS::Cinder::VolumeAttachment
    properties: {instance_uuid: {get_resource: server}, volume_id: {get_resource: volume}}
  group: {type: OS::Nova::ServerGroup, properties: {policies: [anti-affinity]}}
outputs:
  vip: {value: {get_attr: [lb, vip_address]}}
`
	tmpl, err := hot.Parse([]byte(good), nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := hot.Validate(tmpl, nil, reg); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	for _, tc := range []struct{ name, body, want string }{
		{"missing flavor", "server: {type: OS::Nova::Server, properties: {image: x}}",
			"resources.server.properties: Property flavor not assigned"},
		{"bad protocol", "l: {type: OS::Octavia::Listener, properties: {protocol: FTP, protocol_port: 21}}",
			"resources.l.properties.protocol"},
		{"unknown property", "n: {type: OS::Neutron::Net, properties: {colour: blue}}",
			"resources.n.properties.colour: Unknown Property colour"},
		{"bad attribute", "v: {type: OS::Cinder::Volume}\n  w: {type: OS::Cinder::Volume, properties: {name: {get_attr: [v, colour]}}}",
			"The Referenced Attribute (v colour) is incorrect."},
	} {
		tmpl, err := hot.Parse([]byte("heat_template_version: 2018-08-31\nresources:\n  "+tc.body+"\n"), nil)
		if err != nil {
			t.Fatalf("%s: parse: %v", tc.name, err)
		}
		err = hot.Validate(tmpl, nil, reg)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
	for _, typ := range schema.Types() {
		if schema.Of(typ) == nil || !reg.Known(typ) {
			t.Errorf("%s is not described", typ)
		}
		if reg.Implemented(typ) {
			t.Errorf("%s should have a schema only", typ)
		}
	}
}
