package hot

import "testing"

func TestParseEnvironment(t *testing.T) {
	t.Parallel()
	env, err := ParseEnvironment([]byte(`
parameters:
  key_name: mykey
  count: 3
parameter_defaults:
  flavor: m1.large
resource_registry:
  "Magnum::Optional::Neutron::FloatingIP": "OS::Neutron::FloatingIP"
  "Magnum::NetworkSwitcher": ../fragments/network_switcher_private.yaml
  "OS::Networking::*": "OS::Neutron::*"
  "Gone::Type": null
  resources:
    special_server:
      "OS::Nova::Server": special.yaml
      hooks: pre-create
    "worker_*":
      "OS::Nova::Server": worker.yaml
encrypted_param_names: []
event_sinks: []
`))
	checkErr(t, err, "")
	checkValue(t, env.Parameters, map[string]any{"key_name": "mykey", "count": 3})
	checkValue(t, env.ParameterDefaults, map[string]any{"flavor": "m1.large"})
	for _, tc := range []struct {
		resource, in, want string
	}{
		{"", "Magnum::Optional::Neutron::FloatingIP", "OS::Neutron::FloatingIP"},
		{"", "Magnum::NetworkSwitcher", "../fragments/network_switcher_private.yaml"},
		{"", "OS::Networking::Port", "OS::Neutron::Port"},
		{"", "Gone::Type", "Gone::Type"},
		{"", "OS::Nova::Server", "OS::Nova::Server"},
		{"", "member.yaml", "member.yaml"},
		{"special_server", "OS::Nova::Server", "special.yaml"},
		{"worker_3", "OS::Nova::Server", "worker.yaml"},
		{"other", "OS::Nova::Server", "OS::Nova::Server"},
	} {
		t.Run(tc.resource+" "+tc.in, func(t *testing.T) {
			t.Parallel()
			checkValue(t, env.ResolveResourceType(tc.resource, tc.in), tc.want)
			if tc.resource == "" {
				checkValue(t, env.ResolveType(tc.in), tc.want)
			}
		})
	}
}

func TestParseEnvironmentErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, body, wantErr string }{
		{"empty is fine", "", ""},
		{"wrong section", "parameter: {}\n", `parameter: environment has wrong section "parameter"`},
		{"empty section", "parameters:\n", `parameters: environment has empty section "parameters"`},
		{"not a mapping", "- a\n", "The environment is not a valid YAML mapping data type."},
		{"bad yaml", "parameters: [\n", "Error parsing environment"},
		{"parameters not a map", "parameters: [a]\n", "parameters: parameters must be a map"},
		{"registry value not string", "resource_registry:\n  A: [b]\n", "resource_registry.A: resource_registry entries must map a type name to a type or a template file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseEnvironment([]byte(tc.body))
			checkErr(t, err, tc.wantErr)
		})
	}
}

func TestEnvironmentMergeLaterWins(t *testing.T) {
	t.Parallel()
	first, err := ParseEnvironment([]byte(`
parameters: {a: 1, b: 1}
parameter_defaults: {x: 1}
resource_registry:
  "My::LB": "OS::Octavia::LoadBalancer"
  "My::Volume": "OS::Cinder::Volume"
  "My::Net": net.yaml
`))
	checkErr(t, err, "")
	second, err := ParseEnvironment([]byte(`
parameters: {b: 2}
parameter_defaults: {y: 2}
resource_registry:
  "My::LB": "OS::Heat::None"
  "My::Volume": null
`))
	checkErr(t, err, "")
	first.Merge(second)
	checkValue(t, first.Parameters, map[string]any{"a": 1, "b": 2})
	checkValue(t, first.ParameterDefaults, map[string]any{"x": 1, "y": 2})
	checkValue(t, first.ResolveType("My::LB"), "OS::Heat::None")
	checkValue(t, first.ResolveType("My::Volume"), "My::Volume")
	checkValue(t, first.ResolveType("My::Net"), "net.yaml")

	var empty Environment
	empty.Merge(first)
	checkValue(t, empty.ResolveType("My::LB"), "OS::Heat::None")
	first.Merge(nil)
	var nilEnv *Environment
	checkValue(t, nilEnv.ResolveType("X"), "X")
}

func TestResolveTypeChainsAndLoops(t *testing.T) {
	t.Parallel()
	env := &Environment{ResourceRegistry: map[string]string{
		"A": "B", "B": "C", "C": "member.yaml",
		"Loop1": "Loop2", "Loop2": "Loop1",
	}}
	checkValue(t, env.ResolveType("A"), "member.yaml")
	got := env.ResolveType("Loop1")
	if got != "Loop1" && got != "Loop2" {
		t.Fatalf("loop resolved to %q", got)
	}
}

func TestLookupFile(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"file:///home/u/magnum/drivers/k8s/templates/kubemaster.yaml":              "k8s master",
		"file:///home/u/magnum/drivers/swarm/templates/kubemaster.yaml":            "swarm master",
		"file:///home/u/magnum/drivers/common/templates/network.yaml":              "network",
		"file:///home/u/magnum/drivers/common/templates/kubernetes/fragments/a.sh": "a",
		"https://example.com/templates/remote.yaml":                                "remote",
		"plain.yaml": "plain",
	}
	for _, tc := range []struct {
		name, base, want string
		ok               bool
	}{
		{"plain.yaml", "", "plain", true},
		{"file:///home/u/magnum/drivers/common/templates/network.yaml", "", "network", true},
		{"../../common/templates/network.yaml", "", "network", true},
		{"../../common/templates/kubernetes/fragments/a.sh", "file:///home/u/magnum/drivers/k8s/templates/kubecluster.yaml", "a", true},
		{"kubemaster.yaml", "", "", false}, // ambiguous without a base
		{"kubemaster.yaml", "file:///home/u/magnum/drivers/swarm/templates/cluster.yaml", "swarm master", true},
		{"remote.yaml", "", "remote", true},
		{"missing.yaml", "", "", false},
	} {
		t.Run(tc.name+" from "+tc.base, func(t *testing.T) {
			t.Parallel()
			got, _, ok := lookupFile(files, tc.name, tc.base)
			checkValue(t, ok, tc.ok)
			checkValue(t, got, tc.want)
		})
	}
}
