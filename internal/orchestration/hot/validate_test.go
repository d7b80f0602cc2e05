package hot

import (
	"errors"
	"strings"
	"testing"

	"github.com/slipway/slipway/internal/model"
)

// testTypes is a TypeChecker with a few schemas written for the tests.
type testTypes map[string]*Schema

func (tt testTypes) Known(name string) bool {
	_, ok := tt[name]
	return ok
}

func (tt testTypes) Schema(name string) *Schema { return tt[name] }

var types = testTypes{
	"OS::Heat::None": nil,
	"OS::Nova::Server": {
		Properties: map[string]PropertySchema{
			"name":             {Type: PropString, UpdateAllowed: true},
			"flavor":           {Type: PropString, Required: true, UpdateAllowed: true},
			"image":            {Type: PropString, Required: true},
			"key_name":         {Type: PropString},
			"metadata":         {Type: PropMap, UpdateAllowed: true},
			"user_data":        {Type: PropString},
			"user_data_format": {Type: PropString, Default: "HEAT_CFNTOOLS", AllowedValues: []any{"HEAT_CFNTOOLS", "RAW", "SOFTWARE_CONFIG"}},
			"networks": {Type: PropList, Items: &PropertySchema{Type: PropMap, Schema: map[string]PropertySchema{
				"network": {Type: PropString}, "port": {Type: PropString}, "fixed_ip": {Type: PropString},
			}}},
			"config_drive": {Type: PropBoolean},
		},
		Attributes: map[string]string{"first_address": "", "networks": "", "name": "", "addresses": ""},
	},
	"OS::Neutron::Net":  {Properties: map[string]PropertySchema{"name": {Type: PropString}}, Attributes: map[string]string{"name": ""}},
	"OS::Neutron::Port": {Properties: map[string]PropertySchema{"network": {Type: PropString, Required: true}, "fixed_ips": {Type: PropList}}, Attributes: map[string]string{"fixed_ips": ""}},
	"OS::Heat::ResourceGroup": {Properties: map[string]PropertySchema{
		"count": {Type: PropInteger, Default: 1}, "resource_def": {Type: PropMap, Required: true},
		"index_var": {Type: PropString, Default: "%index%"}, "removal_policies": {Type: PropList},
	}},
	"OS::Heat::SoftwareConfig":      {Properties: map[string]PropertySchema{"config": {Type: PropString}, "group": {Type: PropString}}, Attributes: map[string]string{"config": ""}},
	"OS::Heat::WaitConditionHandle": {Attributes: map[string]string{"curl_cli": "", "endpoint": "", "token": ""}},
	"OS::Heat::WaitCondition":       {Properties: map[string]PropertySchema{"handle": {Type: PropString, Required: true}, "timeout": {Type: PropNumber}, "count": {Type: PropInteger}}, Attributes: map[string]string{"data": ""}},
	"OS::Heat::RandomString":        {Properties: map[string]PropertySchema{"length": {Type: PropInteger}}, Attributes: map[string]string{"value": "", "resource.*": ""}},
}

const memberTemplate = `heat_template_version: 2014-10-16
parameters:
  flavor: {type: string}
  image: {type: string, default: fedora}
  index: {type: number, default: 0}
  size: {type: number, default: 1, constraints: [{range: {min: 1, max: 3}}]}
  tags: {type: comma_delimited_list, default: ""}
  extra: {type: json, default: {}}
  needed_by_env: {type: string}
resources:
  server:
    type: OS::Nova::Server
    properties:
      flavor: {get_param: flavor}
      image: {get_param: image}
outputs:
  ip:
    value: {get_attr: [server, first_address]}
`

func validateBody(t *testing.T, body string, files map[string]string, env *Environment) error {
	t.Helper()
	tmpl, err := Parse([]byte(body), files)
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	if env == nil {
		env = &Environment{ParameterDefaults: map[string]any{"needed_by_env": "x"}}
	}
	return Validate(tmpl, env, types)
}

func TestValidate(t *testing.T) {
	t.Parallel()
	const head = "heat_template_version: queens\nparameters:\n  flavor: {type: string, default: m1.small}\n"
	files := map[string]string{"member.yaml": memberTemplate, "file:///t/fragments/boot.sh": "#!/bin/sh\n"}
	for _, tc := range []struct {
		name, body, wantErr string
	}{
		{"valid", `resources:
  net: {type: OS::Neutron::Net}
  port: {type: OS::Neutron::Port, properties: {network: {get_resource: net}}}
  server:
    type: OS::Nova::Server
    properties:
      flavor: {get_param: flavor}
      image: fedora
      networks: [{port: {get_resource: port}}]
      user_data: {get_file: fragments/boot.sh}
      user_data_format: RAW
      config_drive: "true"
outputs:
  ip: {value: {get_attr: [server, networks, private, 0]}}
  all: {value: {get_attr: [server]}}
  show: {value: {get_attr: [port, show]}}
`, ""},
		{"cycle", `resources:
  a: {type: OS::Heat::None, depends_on: b}
  b: {type: OS::Heat::None, properties: {x: {get_attr: [c, x]}}}
  c: {type: OS::Heat::None, properties: {x: {get_resource: a}}}
`, "resources.a: Circular Dependency Found: a -> b -> c -> a"},
		{"self dependency", `resources:
  a: {type: OS::Heat::None, depends_on: [a]}
`, "resources.a: Circular Dependency Found: a -> a"},
		{"unknown type", `resources:
  s: {type: OS::Nova::Servr}
`, "resources.s.type: The Resource Type (OS::Nova::Servr) could not be found."},
		{"unknown group member type", `resources:
  g: {type: OS::Heat::ResourceGroup, properties: {resource_def: {type: OS::Nope}}}
`, "resources.g.properties.resource_def.type: The Resource Type (OS::Nope) could not be found."},
		{"bad get_resource", `resources:
  net: {type: OS::Neutron::Net}
  port: {type: OS::Neutron::Port, properties: {network: {get_resource: nett}}}
`, `resources.port.properties.network.get_resource: The specified reference "nett" (in port) is incorrect.`},
		{"bad reference inside a function", `resources:
  a: {type: OS::Heat::None, properties: {x: {list_join: [",", [{get_attr: [nope, x]}]]}}}
`, `resources.a.properties.x.list_join[1][0].get_attr: The specified reference "nope" (in a) is incorrect.`},
		{"bad depends_on", `resources:
  a: {type: OS::Heat::None, depends_on: [ghost]}
`, `resources.a.depends_on: The specified reference "ghost" (in a) is incorrect.`},
		{"bad get_attr attribute", `resources:
  server: {type: OS::Nova::Server, properties: {flavor: f, image: i}}
  v: {type: OS::Heat::None, properties: {ip: {get_attr: [server, first_addr]}}}
`, "resources.v.properties.ip.get_attr: The Referenced Attribute (server first_addr) is incorrect."},
		{"prefix attribute", `resources:
  r: {type: OS::Heat::RandomString}
outputs:
  o: {value: {get_attr: [r, resource.0.value]}}
`, ""},
		{"bad output reference", `resources:
  a: {type: OS::Heat::None}
outputs:
  o: {value: {get_attr: [nope, x]}}
`, `outputs.o.value.get_attr: The specified reference "nope" (in outputs.o) is incorrect.`},
		{"unknown property", `resources:
  s: {type: OS::Nova::Server, properties: {flavr: x, flavor: x, image: y}}
`, "resources.s.properties.flavr: Unknown Property flavr"},
		{"missing required property", `resources:
  s: {type: OS::Nova::Server, properties: {flavor: x}}
`, "resources.s.properties: Property image not assigned"},
		{"no properties at all", `resources:
  s: {type: OS::Nova::Server}
`, "resources.s.properties: Property flavor not assigned"},
		{"wrong literal type", `resources:
  s: {type: OS::Nova::Server, properties: {flavor: [x], image: y}}
`, "resources.s.properties.flavor: Value must be a string; got ['x']"},
		{"not a list", `resources:
  s: {type: OS::Nova::Server, properties: {flavor: x, image: y, networks: net0}}
`, `resources.s.properties.networks: "'net0'" is not a list`},
		{"nested map schema", `resources:
  s: {type: OS::Nova::Server, properties: {flavor: x, image: y, networks: [{network: n}, {netwrk: n}]}}
`, "resources.s.properties.networks[1].netwrk: Unknown Property netwrk"},
		{"not a boolean", `resources:
  s: {type: OS::Nova::Server, properties: {flavor: x, image: y, config_drive: maybe}}
`, `resources.s.properties.config_drive: "maybe" is not a valid boolean`},
		{"not an integer", `resources:
  g: {type: OS::Heat::ResourceGroup, properties: {count: many, resource_def: {type: OS::Heat::None}}}
`, "resources.g.properties.count: Value 'many' is not an integer"},
		{"not allowed", `resources:
  s: {type: OS::Nova::Server, properties: {flavor: x, image: y, user_data_format: TEXT}}
`, `resources.s.properties.user_data_format: "TEXT" is not an allowed value ["HEAT_CFNTOOLS", "RAW", "SOFTWARE_CONFIG"]`},
		{"functions are not type-checked", `resources:
  s: {type: OS::Nova::Server, properties: {flavor: {get_param: flavor}, image: {list_join: ["", [a]]}, networks: {get_param: flavor}}}
`, ""},
		{"None accepts anything", `resources:
  n: {type: OS::Heat::None, properties: {whatever: [1]}}
`, ""},
		{"unknown parameter", `resources:
  n: {type: OS::Heat::None, properties: {x: {get_param: [flavr, 0]}}}
`, "resources.n.properties.x.get_param: The Parameter (flavr) was not provided."},
		{"missing file", `resources:
  n: {type: OS::Heat::SoftwareConfig, properties: {config: {get_file: fragments/nope.sh}}}
`, `resources.n.properties.config.get_file: No content found in the "files" section for get_file path: fragments/nope.sh`},
		{"nested template", `resources:
  m: {type: member.yaml, properties: {flavor: x, index: 1, tags: [a, b], extra: {k: v}}}
outputs:
  ip: {value: {get_attr: [m, ip]}}
  id: {value: {get_attr: [m, OS::stack_id]}}
  inner: {value: {get_attr: [m, resource.server.first_address]}}
`, ""},
		{"nested unknown property", `resources:
  m: {type: member.yaml, properties: {flavor: x, colour: red}}
`, "resources.m.properties.colour: Unknown Property colour"},
		{"nested missing property", `resources:
  m: {type: member.yaml, properties: {image: x}}
`, "resources.m.properties: Property flavor not assigned"},
		{"nested property type", `resources:
  m: {type: member.yaml, properties: {flavor: x, index: abc}}
`, "resources.m.properties.index: could not convert string to float: 'abc'"},
		{"nested property constraint", `resources:
  m: {type: member.yaml, properties: {flavor: x, size: 5}}
`, "resources.m.properties.size: 5 is out of range (min: 1, max: 3)"},
		{"nested output missing", `resources:
  m: {type: member.yaml, properties: {flavor: x}}
outputs:
  o: {value: {get_attr: [m, address]}}
`, "outputs.o.value.get_attr: The Referenced Attribute (m address) is incorrect."},
		{"nested file missing", `resources:
  m: {type: other.yaml}
`, `resources.m.type: Could not fetch remote template "other.yaml": it is not in the files sent with the request`},
		{"group of nested templates with index", `resources:
  g:
    type: OS::Heat::ResourceGroup
    properties:
      count: 2
      resource_def:
        type: member.yaml
        properties:
          flavor: {get_param: flavor}
          index: "%index%"
          name_unknown: x
`, "resources.g.properties.resource_def.properties.name_unknown: Unknown Property name_unknown"},
		{"group with custom index var", `resources:
  g:
    type: OS::Heat::ResourceGroup
    properties:
      index_var: "__i__"
      resource_def: {type: member.yaml, properties: {flavor: f, index: "__i__"}}
`, ""},
		{"condition unknown", `resources:
  a: {type: OS::Heat::None, condition: nope}
`, `resources.a.condition: Invalid condition "nope"`},
		{"if condition unknown", `resources:
  a: {type: OS::Heat::None, properties: {x: {if: [nope, 1, 2]}}}
`, `resources.a.properties.x.if[0]: Invalid condition "nope"`},
		{"conditions referring to unknown", `conditions:
  c1: {and: [c2, {not: c3}]}
  c2: true
`, `conditions.c1.and[1].not: Invalid condition "c3"`},
		{"circular conditions", `conditions:
  c1: {not: c2}
  c2: {or: [c1, false]}
`, `conditions.c1: Circular definition for condition "c1"`},
		{"reference to a conditional resource is fine", `conditions:
  off: false
resources:
  a: {type: OS::Heat::None, condition: off}
  b: {type: OS::Heat::None, properties: {x: {get_resource: a}}}
`, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkErr(t, validateBody(t, head+tc.body, files, nil), tc.wantErr)
		})
	}
}

func TestValidateEnvironmentAndNesting(t *testing.T) {
	t.Parallel()
	files := map[string]string{
		"file:///t/member.yaml": memberTemplate,
		"file:///t/loop.yaml":   "heat_template_version: queens\nresources:\n  again: {type: loop.yaml}\n",
		"file:///t/broken.yaml": "heat_template_version: queens\nresources:\n  x: {type: OS::Nope}\n",
		"file:///t/bad.yaml":    "heat_template_version: queens\nresources: [\n",
	}
	for _, tc := range []struct {
		name, body string
		env        *Environment
		wantErr    string
	}{
		{"alias to template", "resources:\n  m: {type: My::Member, properties: {flavor: x}}\n",
			&Environment{ResourceRegistry: map[string]string{"My::Member": "file:///t/member.yaml"}, ParameterDefaults: map[string]any{"needed_by_env": "v"}}, ""},
		{"parameter_defaults satisfy nested parameters", "resources:\n  m: {type: member.yaml, properties: {flavor: x}}\n",
			&Environment{}, "resources.m.properties: Property needed_by_env not assigned"},
		{"alias to unknown", "resources:\n  m: {type: My::LB}\n",
			&Environment{ResourceRegistry: map[string]string{"My::LB": "OS::Neutron::LBaaS::LoadBalancer"}}, "resources.m.type: The Resource Type (OS::Neutron::LBaaS::LoadBalancer) could not be found. (the environment maps My::LB to it)"},
		{"alias to None", "resources:\n  m: {type: My::LB, properties: {anything: 1}}\n",
			&Environment{ResourceRegistry: map[string]string{"My::LB": "OS::Heat::None"}}, ""},
		{"errors inside nested templates carry the path", "resources:\n  b: {type: broken.yaml}\n", nil,
			"resources.b<broken.yaml>.resources.x.type: The Resource Type (OS::Nope) could not be found."},
		{"parse errors inside nested templates", "resources:\n  b: {type: bad.yaml}\n", nil,
			"resources.b<bad.yaml>: Error parsing template"},
		{"self-including template", "resources:\n  l: {type: loop.yaml}\n", nil,
			"The template loop.yaml includes itself."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkErr(t, validateBody(t, "heat_template_version: queens\n"+tc.body, files, tc.env), tc.wantErr)
		})
	}
}

func TestValidateJoinsIndependentErrors(t *testing.T) {
	t.Parallel()
	err := validateBody(t, `heat_template_version: queens
resources:
  a: {type: OS::Nope}
  b: {type: OS::Heat::None, depends_on: [ghost]}
`, nil, nil)
	if err == nil {
		t.Fatal("no error")
	}
	if !errors.Is(err, model.ErrInvalid) {
		t.Errorf("%v does not wrap model.ErrInvalid", err)
	}
	var herr *Error
	if !errors.As(err, &herr) || herr.Path != "resources.a.type" {
		t.Errorf("first error %v", herr)
	}
	if !strings.Contains(err.Error(), "resources.a.type: The Resource Type (OS::Nope) could not be found.\nresources.b.depends_on: The specified reference \"ghost\" (in b) is incorrect.") {
		t.Errorf("got %v", err)
	}
}

func TestValidateWithoutTypes(t *testing.T) {
	t.Parallel()
	tmpl, err := Parse([]byte("heat_template_version: queens\nresources:\n  a: {type: Any::Type, properties: {x: 1}}\n"), nil)
	checkErr(t, err, "")
	checkErr(t, Validate(tmpl, nil, nil), "")
}

func TestNestedTemplate(t *testing.T) {
	t.Parallel()
	tmpl, err := Parse([]byte("heat_template_version: queens\nresources:\n  g: {type: My::Member}\n"), map[string]string{"file:///x/member.yaml": memberTemplate})
	checkErr(t, err, "")
	env := &Environment{ResourceRegistry: map[string]string{"My::Member": "file:///x/member.yaml"}, ParameterDefaults: map[string]any{"needed_by_env": "pd"}}

	nt, isTemplate, err := tmpl.NestedTemplate("My::Member", env)
	checkErr(t, err, "")
	checkValue(t, isTemplate, true)
	checkValue(t, nt.Location, "file:///x/member.yaml")
	checkValue(t, nt.Output("ip") != nil, true)

	params, err := nt.ResolveNestedParameters(env, map[string]any{"flavor": "m1", "index": "2", "tags": []any{"a", "b"}, "extra": map[string]any{"k": 1}})
	checkErr(t, err, "")
	checkValue(t, params, map[string]any{"flavor": "m1", "image": "fedora", "index": 2, "size": 1, "tags": []any{"a", "b"}, "extra": map[string]any{"k": 1}, "needed_by_env": "pd"})

	_, err = nt.ResolveNestedParameters(env, map[string]any{"flavor": "m1", "colour": "red"})
	checkErr(t, err, "properties.colour: Unknown Property colour")
	_, err = nt.ResolveNestedParameters(nil, map[string]any{"flavor": "m1"})
	checkErr(t, err, "properties: Property needed_by_env not assigned")
	_, err = nt.ResolveNestedParameters(env, map[string]any{"flavor": "m1", "size": 9})
	checkErr(t, err, "parameters.size: Parameter 'size' is invalid: 9 is out of range (min: 1, max: 3)")

	_, isTemplate, err = tmpl.NestedTemplate("OS::Nova::Server", env)
	checkErr(t, err, "")
	checkValue(t, isTemplate, false)
	_, isTemplate, err = tmpl.NestedTemplate("missing.yaml", env)
	checkValue(t, isTemplate, true)
	checkErr(t, err, `Could not fetch remote template "missing.yaml"`)
}
