package kubernetes

import (
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"
)

// nodeTemplate is the nested template of one node (templates/node.yaml):
// its port, its server and the wait condition its agent signals.
//
//go:embed templates/node.yaml
var nodeTemplate string

// NodeTemplateFile is the name the cluster template gives the node
// template in the stack's files.
const NodeTemplateFile = "kubenode.yaml"

// stackNode is one node as the node template reads it from the nodes
// parameter of its group.
type stackNode struct {
	Name     string `json:"name"`
	IP       string `json:"ip"`
	UserData string `json:"user_data"`
}

// stackGroup is one ResourceGroup of nodes: the masters, or one worker
// nodegroup.
type stackGroup struct {
	// Resource is the group's resource name in the cluster template.
	Resource string
	Flavor   string
	// Count is the group's size; Removed lists the member indexes that
	// were removed and are never used again.
	Count   int
	Removed []string
	// Nodes holds, by member index, what each current member boots with.
	Nodes    map[string]stackNode
	Security string // "master" or "worker": the security group it uses
}

// stackSpec is everything the cluster template is made from.
type stackSpec struct {
	Image       string
	FixedCIDR   string
	PodCIDR     string
	ExternalNet string
	FloatingIP  bool
	APIPort     int
	// APILB puts the masters behind a load balancer at APIVIP.
	APILB         bool
	APIVIP        string
	Masters       stackGroup
	Workers       []stackGroup
	PodRoutes     []podRoute
	BootTimeout   int
	ClusterPrefix string
	// NodeTemplate is the node template's text; empty means the embedded
	// one.
	NodeTemplate string
}

// podRoute sends one node's pod range to the node, through the cluster's
// router.
type podRoute struct {
	Destination string `json:"destination"`
	Nexthop     string `json:"nexthop"`
}

// paramName is the stack parameter that carries a group's nodes.
func paramName(resource string) string { return resource + "_nodes" }

// render returns the cluster's HOT template, its files and its
// parameters. The template is regular HOT: the stack it makes can be
// inspected with `openstack stack resource list`, and it runs on any
// provider that implements the OpenStack types it uses.
func (s *stackSpec) render() (string, map[string]string, map[string]string, error) {
	params := map[string]any{
		"image":         map[string]any{"type": "string", "default": s.Image},
		"fixed_cidr":    map[string]any{"type": "string", "default": s.FixedCIDR},
		"pod_cidr":      map[string]any{"type": "string", "default": s.PodCIDR},
		"external_net":  map[string]any{"type": "string", "default": s.ExternalNet},
		"api_port":      map[string]any{"type": "number", "default": s.APIPort},
		"boot_timeout":  map[string]any{"type": "number", "default": s.BootTimeout},
		"pod_routes":    map[string]any{"type": "json", "default": []any{}},
		"name_prefix":   map[string]any{"type": "string", "default": s.ClusterPrefix},
		"master_flavor": map[string]any{"type": "string", "default": s.Masters.Flavor},
	}
	values := map[string]string{}
	routes, err := json.Marshal(s.PodRoutes)
	if err != nil {
		return "", nil, nil, err
	}
	if s.PodRoutes == nil {
		routes = []byte("[]")
	}
	values["pod_routes"] = string(routes)

	// rule admits proto (all when "") on ports min–max (all when 0) from
	// prefix, a CIDR or a get_param of one.
	rule := func(proto string, min, max int, prefix any) map[string]any {
		r := map[string]any{"direction": "ingress", "remote_ip_prefix": prefix}
		if proto != "" {
			r["protocol"] = proto
		}
		if min > 0 {
			r["port_range_min"], r["port_range_max"] = min, max
		}
		return r
	}
	// Everything from the cluster's own nodes and pods.
	cluster := func() []any {
		return []any{
			rule("", 0, 0, map[string]any{"get_param": "fixed_cidr"}),
			rule("", 0, 0, map[string]any{"get_param": "pod_cidr"}),
		}
	}
	resources := map[string]any{
		"network": map[string]any{
			"type":       "OS::Neutron::Net",
			"properties": map[string]any{"name": map[string]any{"get_param": "name_prefix"}},
		},
		"subnet": map[string]any{
			"type": "OS::Neutron::Subnet",
			"properties": map[string]any{
				"network": map[string]any{"get_resource": "network"},
				"cidr":    map[string]any{"get_param": "fixed_cidr"},
				// No upstream resolver: nothing leaves the host.
				"dns_nameservers": []any{},
			},
		},
		"router": map[string]any{
			"type":       "OS::Neutron::Router",
			"properties": map[string]any{},
		},
		"router_interface": map[string]any{
			"type": "OS::Neutron::RouterInterface",
			"properties": map[string]any{
				"router": map[string]any{"get_resource": "router"},
				"subnet": map[string]any{"get_resource": "subnet"},
			},
		},
		// Every node's pod range goes to that node through the router:
		// pods reach pods on other nodes with no overlay and no NAT.
		"pod_routes": map[string]any{
			"type":       "OS::Neutron::ExtraRouteSet",
			"depends_on": []any{"router_interface"},
			"properties": map[string]any{
				"router": map[string]any{"get_resource": "router"},
				"routes": map[string]any{"get_param": "pod_routes"},
			},
		},
		"secgroup_master": map[string]any{
			"type": "OS::Neutron::SecurityGroup",
			"properties": map[string]any{
				"description": "Kubernetes masters: the API from anywhere, everything from the cluster",
				"rules": append(cluster(),
					rule("tcp", s.APIPort, s.APIPort, "0.0.0.0/0"),
					rule("icmp", 0, 0, "0.0.0.0/0")),
			},
		},
		"secgroup_worker": map[string]any{
			"type": "OS::Neutron::SecurityGroup",
			"properties": map[string]any{
				"description": "Kubernetes workers: NodePorts from anywhere, everything from the cluster",
				"rules": append(cluster(),
					rule("tcp", 30000, 32767, "0.0.0.0/0"),
					rule("icmp", 0, 0, "0.0.0.0/0")),
			},
		},
	}
	outputs := map[string]any{}
	if s.FloatingIP {
		resources["router"].(map[string]any)["properties"] = map[string]any{
			"external_gateway_info": map[string]any{"network": map[string]any{"get_param": "external_net"}},
		}
		resources["api_floating_ip"] = map[string]any{
			"type":       "OS::Neutron::FloatingIP",
			"depends_on": []any{"router_interface"},
			"properties": map[string]any{"floating_network": map[string]any{"get_param": "external_net"}},
		}
		outputs["api_floating_ip"] = map[string]any{"value": map[string]any{"get_attr": []any{"api_floating_ip", "floating_ip_address"}}}
		switch {
		case s.APILB:
			resources["api_floating_ip"].(map[string]any)["properties"].(map[string]any)["port_id"] =
				map[string]any{"get_attr": []any{"api_lb", "vip_port_id"}}
		case s.Masters.Count > 0:
			resources["api_floating_ip_association"] = map[string]any{
				"type": "OS::Neutron::FloatingIPAssociation",
				"properties": map[string]any{
					"floatingip_id": map[string]any{"get_resource": "api_floating_ip"},
					"port_id":       map[string]any{"get_attr": []any{"kube_masters", "resource.0.port"}},
				},
			}
		}
	}

	if s.APILB {
		// The API's load balancer: every master's apiserver behind one
		// TCP listener, checked with a TCP connect.
		resources["api_lb"] = map[string]any{"type": "OS::Octavia::LoadBalancer", "depends_on": []any{"router_interface"},
			"properties": map[string]any{"vip_subnet": map[string]any{"get_resource": "subnet"}, "vip_address": s.APIVIP}}
		resources["api_listener"] = map[string]any{"type": "OS::Octavia::Listener", "properties": map[string]any{
			"loadbalancer": map[string]any{"get_resource": "api_lb"}, "protocol": "TCP", "protocol_port": map[string]any{"get_param": "api_port"}}}
		resources["api_pool"] = map[string]any{"type": "OS::Octavia::Pool", "properties": map[string]any{
			"listener": map[string]any{"get_resource": "api_listener"}, "protocol": "TCP", "lb_algorithm": "ROUND_ROBIN"}}
		resources["api_monitor"] = map[string]any{"type": "OS::Octavia::HealthMonitor", "properties": map[string]any{
			"pool": map[string]any{"get_resource": "api_pool"}, "type": "TCP", "delay": 2, "timeout": 1, "max_retries": 1, "max_retries_down": 2}}
		outputs["api_vip"] = map[string]any{"value": map[string]any{"get_attr": []any{"api_lb", "vip_address"}}}
	}
	groups := append([]stackGroup{s.Masters}, s.Workers...)
	for _, g := range groups {
		nodes, err := json.Marshal(g.Nodes)
		if err != nil {
			return "", nil, nil, err
		}
		if g.Nodes == nil {
			nodes = []byte("{}")
		}
		pn := paramName(g.Resource)
		params[pn] = map[string]any{"type": "json", "hidden": true}
		values[pn] = string(nodes)
		flavorParam := g.Resource + "_flavor"
		params[flavorParam] = map[string]any{"type": "string", "default": g.Flavor}
		props := map[string]any{
			"count": g.Count,
			"resource_def": map[string]any{
				"type": NodeTemplateFile,
				"properties": map[string]any{
					"index":          "%index%",
					"nodes":          map[string]any{"get_param": pn},
					"flavor":         map[string]any{"get_param": flavorParam},
					"image":          map[string]any{"get_param": "image"},
					"network":        map[string]any{"get_resource": "network"},
					"subnet":         map[string]any{"get_resource": "subnet"},
					"security_group": map[string]any{"get_resource": "secgroup_" + g.Security},
					"pod_cidr":       map[string]any{"get_param": "pod_cidr"},
					"boot_timeout":   map[string]any{"get_param": "boot_timeout"},
					"api_port":       map[string]any{"get_param": "api_port"},
				},
			},
		}
		if s.APILB && g.Security == "master" {
			props["resource_def"].(map[string]any)["properties"].(map[string]any)["api_pool"] = map[string]any{"get_resource": "api_pool"}
		}
		if len(g.Removed) > 0 {
			removed := make([]any, 0, len(g.Removed))
			for _, r := range g.Removed {
				removed = append(removed, r)
			}
			props["removal_policies"] = []any{map[string]any{"resource_list": removed}}
		}
		resources[g.Resource] = map[string]any{
			"type":       "OS::Heat::ResourceGroup",
			"depends_on": []any{"router_interface"},
			"properties": props,
		}
		outputs[g.Resource] = map[string]any{"value": map[string]any{"get_attr": []any{g.Resource, "name"}}}
		outputs[g.Resource+"_refs"] = map[string]any{"value": map[string]any{"get_attr": []any{g.Resource, "refs_map"}}}
	}
	outputs["network"] = map[string]any{"value": map[string]any{"get_resource": "network"}}
	outputs["subnet"] = map[string]any{"value": map[string]any{"get_resource": "subnet"}}
	outputs["router"] = map[string]any{"value": map[string]any{"get_resource": "router"}}

	tmpl := map[string]any{
		"heat_template_version": "2021-04-16",
		"description":           "A Kubernetes cluster made by Slipway's kubernetes driver.",
		"parameters":            params,
		"resources":             resources,
		"outputs":               outputs,
	}
	out, err := yaml.Marshal(tmpl)
	if err != nil {
		return "", nil, nil, fmt.Errorf("render the cluster template: %w", err)
	}
	node := s.NodeTemplate
	if node == "" {
		node = nodeTemplate
	}
	return string(out), map[string]string{NodeTemplateFile: node}, values, nil
}

// members lists a group's member indexes: count of them, in order, skipping
// removed ones, as OS::Heat::ResourceGroup names them.
func members(count int, removed []string) []string {
	gone := map[string]bool{}
	for _, r := range removed {
		gone[r] = true
	}
	var out []string
	for i := 0; len(out) < count; i++ {
		n := strconv.Itoa(i)
		if !gone[n] {
			out = append(out, n)
		}
	}
	return out
}

// nodeTemplateFor returns the node template an operator put in dir for
// serverType and the image's distribution (the template's cluster_distro),
// the way Magnum picks a driver by (server_type, os, coe):
// dir/<server_type>/<distro>/node.yaml, then
// dir/<server_type>/node.yaml, then dir/node.yaml; or "" for the embedded
// one. A name that could leave dir is not looked up.
func nodeTemplateFor(dir, serverType, distro string) (string, error) {
	if dir == "" {
		return "", nil
	}
	safe := func(name string) bool { return name != "" && !strings.ContainsAny(name, "/.") }
	var paths []string
	if safe(serverType) {
		if safe(distro) {
			paths = append(paths, filepath.Join(dir, serverType, distro, "node.yaml"))
		}
		paths = append(paths, filepath.Join(dir, serverType, "node.yaml"))
	}
	for _, p := range append(paths, filepath.Join(dir, "node.yaml")) {
		b, err := os.ReadFile(p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("read the operator's node template: %w", err)
		}
		return string(b), nil
	}
	return "", nil
}
