package hot

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"testing"
)

// The templates in testdata/cluster are Slipway's own. They use the
// constructs of the heat-kubernetes templates and of Magnum's Heat driver:
// ResourceGroups of nested node templates with %index%, registry aliases
// chosen by environment files, get_file fragments filled in by str_replace,
// conditions (one computed by yaql), list_join and repeat.

const clusterRoot = "file:///srv/templates/cluster"

// loadCluster reads testdata/cluster into a files map keyed the way
// heatclient uploads files: by absolute file:// URL.
func loadCluster(t *testing.T) map[string]string {
	t.Helper()
	files := map[string]string{}
	err := filepath.WalkDir("testdata/cluster", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("testdata/cluster", p)
		files[clusterRoot+"/"+filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// loadEnvironments parses and merges environment files as heatclient does
// with several -e options, resolving relative registry entries against the
// environment file's location.
func loadEnvironments(t *testing.T, files map[string]string, names ...string) *Environment {
	t.Helper()
	env := &Environment{}
	for _, n := range names {
		loc := clusterRoot + "/environments/" + n
		e, err := ParseEnvironment([]byte(files[loc]))
		if err != nil {
			t.Fatalf("environment %s: %v", n, err)
		}
		for k, v := range e.ResourceRegistry {
			if IsTemplateType(v) && !strings.Contains(v, "://") {
				e.ResourceRegistry[k] = "file://" + path.Join(path.Dir(strings.TrimPrefix(loc, "file://")), v)
			}
		}
		env.Merge(e)
	}
	return env
}

var clusterTypes = func() testTypes {
	tt := testTypes{"OS::Neutron::SecurityGroup": {Properties: map[string]PropertySchema{"rules": {Type: PropList}}}}
	for k, v := range types {
		tt[k] = v
	}
	return tt
}()

func parseCluster(t *testing.T) (*Template, map[string]string) {
	t.Helper()
	files := loadCluster(t)
	tmpl, err := ParseAt([]byte(files[clusterRoot+"/cluster.yaml"]), files, clusterRoot+"/cluster.yaml")
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return tmpl, files
}

func TestClusterTemplateValidates(t *testing.T) {
	t.Parallel()
	tmpl, files := parseCluster(t)
	for _, tc := range []struct {
		name    string
		envs    []string
		wantErr string
	}{
		{"with ports", []string{"with_ports.yaml", "master_node.yaml"}, ""},
		{"ports disabled by a later environment", []string{"with_ports.yaml", "master_node.yaml", "no_ports.yaml"}, ""},
		{"without environments", nil, "resources.network.type: The Resource Type (Test::Network) could not be found."},
		{"without the master alias", []string{"with_ports.yaml"}, "resources.masters.properties.resource_def.type: The Resource Type (Test::Node) could not be found."},
		{"without the port alias", []string{"master_node.yaml"}, "resources.workers.properties.resource_def<node.yaml>.resources.port.type: The Resource Type (Test::Optional::Port) could not be found."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkErr(t, Validate(tmpl, loadEnvironments(t, files, tc.envs...), clusterTypes), tc.wantErr)
		})
	}
}

// clusterResolver plays the engine: resource ids, and attributes of the
// nested stacks and groups.
var clusterResolver = fakeResolver{
	ids: map[string]string{"network": "net-stack", "cluster_config": "cfg-1", "wait_handle": "wh-1", "port": "port-1", "init": "init-1"},
	attrs: map[string]map[string]any{
		"network":        {"network_id": "net-1"},
		"cluster_config": {"config": "#!/bin/sh\n"},
		"masters":        {"resource.0.node_ip": "10.0.0.10", "node_ip": []any{"10.0.0.10"}},
		"workers":        {"node_ip": []any{"10.0.0.20", "10.0.0.21"}},
		"api_switch":     {"ip": "10.0.0.10"},
		"wait_handle":    {"curl_cli": "curl -X POST http://heat/signal/wh-1"},
	},
}

func TestClusterTemplateEvaluates(t *testing.T) {
	t.Parallel()
	tmpl, files := parseCluster(t)
	env := loadEnvironments(t, files, "with_ports.yaml", "master_node.yaml")

	params, err := tmpl.ResolveParameters(env, map[string]string{"ssh_key_name": "mykey", "worker_count": "3"})
	checkErr(t, err, "")
	checkValue(t, params["worker_count"], 3)
	checkValue(t, params["dns_nameservers"], []any{"8.8.8.8", "1.1.1.1"})

	conds, err := tmpl.EvalConditions(params)
	checkErr(t, err, "")
	checkValue(t, conds, map[string]bool{"create_cluster_resources": true, "is_worker": false, "worker_only": true, "calico_v3_26": true})

	ctx := &EvalContext{Params: params, Conditions: conds, Files: files, FilesBase: tmpl.Location, Resolver: clusterResolver, StackName: "demo"}
	eval := func(path string, v any) any {
		t.Helper()
		c := *ctx
		c.Path = path
		out, err := Eval(v, &c)
		if err != nil {
			t.Fatalf("eval %s: %v", path, err)
		}
		return out
	}

	config := eval("resources.cluster_config.properties", tmpl.Resource("cluster_config").Properties).(map[string]any)["config"]
	checkValue(t, config, "#!/bin/sh\ncat > /etc/sysconfig/heat-params <<EOP\nKUBE_TAG=\"v1.28.4\"\nLABELS='{\"monitoring\": \"true\"}'\nDNS=\"8.8.8.8,1.1.1.1\"\nEOP\n\n#!/bin/sh\necho calico new\n")

	rules := eval("resources.secgroup.properties", tmpl.Resource("secgroup").Properties).(map[string]any)["rules"]
	checkValue(t, rules, []any{
		map[string]any{"protocol": "tcp", "port_range_min": "22", "port_range_max": "22"},
		map[string]any{"protocol": "tcp", "port_range_min": "6443", "port_range_max": "6443"},
	})

	// The engine expands a ResourceGroup member by member, substituting
	// %index% in the evaluated definition.
	masters := eval("resources.masters.properties", tmpl.Resource("masters").Properties).(map[string]any)
	member := SubstituteIndex(masters["resource_def"], "%index%", "0").(map[string]any)
	checkValue(t, member["properties"].(map[string]any)["name"], "demo-master-0")
	checkValue(t, masters["count"], 1)

	// The member type is a nested template through the registry.
	node, isTemplate, err := tmpl.NestedTemplateFor("masters", member["type"].(string), env)
	checkErr(t, err, "")
	checkValue(t, isTemplate, true)
	nodeParams, err := node.ResolveNestedParameters(env, member["properties"].(map[string]any))
	checkErr(t, err, "")
	checkValue(t, nodeParams["node_index"], 0)
	checkValue(t, nodeParams["image"], "fedora-coreos") // from parameter_defaults

	nctx := &EvalContext{Params: nodeParams, Files: files, FilesBase: node.Location, Resolver: clusterResolver, StackName: "demo-masters-0", Path: "resources.init.properties"}
	initProps, err := Eval(node.Resource("init").Properties, nctx)
	checkErr(t, err, "")
	checkValue(t, initProps.(map[string]any)["config"], "#!/bin/sh\necho \"I am master number 0, API at \"\ncurl -X POST http://heat/signal/wh-1 --data-binary '{\"status\": \"SUCCESS\"}'\n")
	checkValue(t, node.Dependencies(node.Resource("server")), []string{"init", "port"})
	checkValue(t, node.Dependencies(node.Resource("wait")), []string{"server", "wait_handle"})

	checkValue(t, eval("outputs.api_address.value", tmpl.Output("api_address").Value), "https://10.0.0.10:6443")
	checkValue(t, eval("outputs.calico_new.value", tmpl.Output("calico_new").Value), "yes")
	enabled, err := ConditionEnabled(tmpl.Output("workers").Condition, ctx)
	checkErr(t, err, "")
	checkValue(t, enabled, true)

	checkValue(t, tmpl.Dependencies(tmpl.Resource("masters")), []string{"cluster_config", "network"})
	checkValue(t, tmpl.Dependencies(tmpl.Resource("api_switch")), []string{"masters"})
	checkValue(t, References(tmpl.Output("workers").Value), []string{"workers"})
}

func TestClusterConditionsFollowParameters(t *testing.T) {
	t.Parallel()
	tmpl, _ := parseCluster(t)
	params, err := tmpl.ResolveParameters(nil, map[string]string{
		"ssh_key_name": "k", "calico_tag": "v3.3.0", "is_cluster_stack": "false", "worker_role": "worker",
	})
	checkErr(t, err, "")
	conds, err := tmpl.EvalConditions(params)
	checkErr(t, err, "")
	checkValue(t, conds, map[string]bool{"create_cluster_resources": false, "is_worker": true, "worker_only": true, "calico_v3_26": false})

	_, err = tmpl.ResolveParameters(nil, map[string]string{"ssh_key_name": "k", "master_flavor": "m1.huge"})
	checkErr(t, err, `parameters.master_flavor: Parameter 'master_flavor' is invalid: "m1.huge" is not an allowed value ["m1.small", "m1.medium", "m1.large"]`)
	_, err = tmpl.ResolveParameters(nil, map[string]string{"ssh_key_name": "k", "worker_count": "51"})
	checkErr(t, err, "Parameter 'worker_count' is invalid: 51 is out of range (min: 0, max: 50)")
}

func TestEvalConditionsErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, conds, wantErr string }{
		{"circular", "c1: {not: c2}\n  c2: {not: c1}", `Circular definition for condition "c1"`},
		{"not a boolean", "c1: {get_param: p}", `conditions.c1: The definition of condition "c1" is invalid: 'x'`},
		{"unknown", "c1: {not: nope}", `conditions.c1.not: Invalid condition "nope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tmpl, err := Parse([]byte("heat_template_version: queens\nparameters:\n  p: {type: string, default: x}\nconditions:\n  "+tc.conds+"\n"), nil)
			checkErr(t, err, "")
			_, err = tmpl.EvalConditions(map[string]any{"p": "x"})
			checkErr(t, err, tc.wantErr)
		})
	}
}

func TestReferences(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, expr string
		want       []string
	}{
		{"none", `{a: [1, {get_param: p}]}`, []string{}},
		{"get_resource and get_attr", `{a: {get_resource: net}, b: [{get_attr: [server, ip]}, {get_attr: [group]}]}`, []string{"group", "net", "server"}},
		{"inside functions", `{list_join: [",", [{str_replace: {template: x, params: {x: {get_attr: [lb, vip]}}}}]]}`, []string{"lb"}},
		{"both branches of if", `{if: [c, {get_resource: a}, {get_resource: b}]}`, []string{"a", "b"}},
		{"sorted and unique", `[{get_resource: b}, {get_resource: a}, {get_attr: [b, x]}]`, []string{"a", "b"}},
		{"computed names are unknown", `{get_resource: {get_param: p}}`, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkValue(t, References(y(t, tc.expr)), tc.want)
		})
	}
}

func TestConditionEnabled(t *testing.T) {
	t.Parallel()
	ctx := &EvalContext{Conditions: map[string]bool{"on": true, "off": false}, Params: map[string]any{"p": "a"}}
	for _, tc := range []struct {
		name    string
		cond    any
		want    bool
		wantErr string
	}{
		{"none", nil, true, ""},
		{"boolean", false, false, ""},
		{"name", "on", true, ""},
		{"inline", y(t, `{and: [on, {equals: [{get_param: p}, a]}]}`), true, ""},
		{"unknown", "nope", false, `Invalid condition "nope"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ConditionEnabled(tc.cond, ctx)
			checkErr(t, err, tc.wantErr)
			checkValue(t, got, tc.want)
		})
	}
}
