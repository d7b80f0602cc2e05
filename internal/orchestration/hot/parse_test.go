package hot

import (
	"fmt"
	"strings"
	"testing"
)

func TestParseVersions(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		version, date string
	}{
		{"2013-05-23", "2013-05-23"}, {"2014-10-16", "2014-10-16"}, {"2015-04-30", "2015-04-30"},
		{"2015-10-15", "2015-10-15"}, {"2016-04-08", "2016-04-08"}, {"2016-10-14", "2016-10-14"},
		{"newton", "2016-10-14"}, {"2017-02-24", "2017-02-24"}, {"ocata", "2017-02-24"},
		{"2017-09-01", "2017-09-01"}, {"pike", "2017-09-01"}, {"2018-03-02", "2018-03-02"},
		{"queens", "2018-03-02"}, {"2018-08-31", "2018-08-31"}, {"rocky", "2018-08-31"},
		{"2021-04-16", "2021-04-16"}, {"wallaby", "2021-04-16"},
	} {
		t.Run(tc.version, func(t *testing.T) {
			t.Parallel()
			tmpl, err := Parse([]byte("heat_template_version: "+tc.version+"\n"), nil)
			checkErr(t, err, "")
			checkValue(t, tmpl.Version, tc.version)
			checkValue(t, tmpl.VersionDate(), tc.date)
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body, wantErr string
	}{
		{"no version", "description: x\n", "The template version is invalid: Template version was not provided"},
		{"version not a string", "heat_template_version: 5\n", "Template version was not provided"},
		{"unknown version", "heat_template_version: 2019-01-01\n", `heat_template_version: The template version is invalid: "heat_template_version: 2019-01-01". "heat_template_version" should be one of: 2013-05-23, 2014-10-16, 2015-04-30, 2015-10-15, 2016-04-08, 2016-10-14, 2017-02-24, 2017-09-01, 2018-03-02, 2018-08-31, 2021-04-16, newton, ocata, pike, queens, rocky, wallaby`},
		{"cloudformation", `{"AWSTemplateFormatVersion": "2010-09-09"}`, "AWSTemplateFormatVersion: CloudFormation-format templates are not supported"},
		{"not a mapping", "- a\n- b\n", "The template is not a JSON object or YAML mapping."},
		{"bad YAML", "heat_template_version: [\n", "Error parsing template: parse YAML"},
		{"two documents", "heat_template_version: queens\n---\na: b\n", "expected a single document in the stream"},
		{"unknown section", "heat_template_version: queens\nresource: {}\n", "resource: The template section is invalid: resource"},
		{"conditions too early", "heat_template_version: 2016-04-08\nconditions: {}\n", "conditions: The template section is invalid: conditions"},
		{"resources not a map", "heat_template_version: queens\nresources: [a]\n", "resources: Resources must be a map. Found a list instead"},
		{"resource not a map", "heat_template_version: queens\nresources:\n  a: b\n", `resources.a: "resources" must contain a map of resource maps`},
		{"resource empty", "heat_template_version: queens\nresources:\n  a:\n", "resources.a: Each resource must contain a type key."},
		{"resource without type", "heat_template_version: queens\nresources:\n  a: {properties: {}}\n", `resources.a: Resource a is missing "type"`},
		{"resource type not string", "heat_template_version: queens\nresources:\n  a: {type: [x]}\n", "resources.a.type: Resource a type must be a non-empty string"},
		{"resource bad keyword", "heat_template_version: queens\nresources:\n  a: {type: T, propertys: {}}\n", `resources.a.propertys: "propertys" is not a valid keyword inside a resource definition`},
		{"condition keyword too early", "heat_template_version: 2016-04-08\nresources:\n  a: {type: T, condition: c}\n", `resources.a.condition: "condition" is not a valid keyword`},
		{"properties not a map", "heat_template_version: queens\nresources:\n  a: {type: T, properties: [x]}\n", "resources.a.properties: Resource a properties type must be object"},
		{"depends_on not strings", "heat_template_version: queens\nresources:\n  a: {type: T, depends_on: [1]}\n", "resources.a.depends_on: Resource a depends_on must be a list of strings"},
		{"bad deletion policy", "heat_template_version: queens\nresources:\n  a: {type: T, deletion_policy: Keep}\n", `resources.a.deletion_policy: Invalid deletion policy "Keep"`},
		{"lower-case deletion policy too early", "heat_template_version: 2016-04-08\nresources:\n  a: {type: T, deletion_policy: retain}\n", `Invalid deletion policy "retain"`},
		{"output without value", "heat_template_version: queens\noutputs:\n  o: {description: x}\n", "outputs.o: Each output definition must contain a value key."},
		{"output bad keyword", "heat_template_version: queens\noutputs:\n  o: {value: 1, valeu: 2}\n", `outputs.o.valeu: "valeu" is not a valid keyword inside a output definition`},
		{"output not a map", "heat_template_version: queens\noutputs:\n  o: 1\n", "outputs.o: Output definitions must be a map. Found a integer instead"},
		{"condition not a function", "heat_template_version: queens\nconditions:\n  c: abc\n", `conditions.c: The definition of condition "c" is invalid: 'abc'`},
		{"parameter groups not list", "heat_template_version: queens\nparameter_groups: {}\n", "parameter_groups: Parameter Groups must be a list."},
		{"parameter group without parameters", "heat_template_version: queens\nparameter_groups:\n- label: x\n", "parameter_groups[0]: Parameters must be provided for each Parameter Group."},
		{"parameter group unknown parameter", "heat_template_version: queens\nparameter_groups:\n- parameters: [x]\n", "parameter_groups[0].parameters[0]: The grouped parameter x does not reference a valid parameter."},
		{"parameter in two groups", "heat_template_version: queens\nparameters: {x: {type: string}}\nparameter_groups:\n- parameters: [x]\n- parameters: [x]\n", "parameter_groups[1].parameters[0]: The x parameter must be assigned to one parameter group only."},
		{"JSON nested too deeply", strings.Repeat("[", 10002) + strings.Repeat("]", 10002), "Error parsing template"},
		{"too big", "heat_template_version: queens\ndescription: " + strings.Repeat("x", MaxTemplateSize) + "\n", "exceeds maximum allowed size (524288 bytes)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Parse([]byte(tc.body), nil)
			checkErr(t, err, tc.wantErr)
		})
	}
}

const orderedTemplate = `heat_template_version: 2018-08-31
description: >
  Ordered
parameters:
  zeta: {type: string, default: z}
  alpha: {type: number, default: 1, label: Alpha, hidden: true, description: first}
  mid: {type: json, default: {a: 1}}
parameter_groups:
  - label: main
    description: the main ones
    parameters: [zeta, alpha]
conditions:
  c1: {equals: [{get_param: zeta}, z]}
resources:
  web:
    type: OS::Heat::None
    depends_on: db
    deletion_policy: retain
    metadata: {role: web}
    update_policy: {batch: 1}
    description: the web tier
    condition: c1
    external_id: abc
  db:
    type: OS::Heat::None
    depends_on: [cache]
    properties: {size: 1}
  cache:
    type: OS::Heat::None
outputs:
  url: {value: {get_attr: [web, url]}, description: the URL, condition: c1}
  id: {value: {get_resource: db}}
`

func TestParseKeepsDeclarationOrder(t *testing.T) {
	t.Parallel()
	tmpl, err := Parse([]byte(orderedTemplate), nil)
	checkErr(t, err, "")
	var names []string
	for _, p := range tmpl.Parameters {
		names = append(names, p.Name)
	}
	for _, r := range tmpl.Resources {
		names = append(names, r.Name)
	}
	for _, o := range tmpl.Outputs {
		names = append(names, o.Name)
	}
	checkValue(t, strings.Join(names, ","), "zeta,alpha,mid,web,db,cache,url,id")
	checkValue(t, tmpl.Description, "Ordered\n")

	alpha := tmpl.Parameter("alpha")
	checkValue(t, []any{alpha.Type, alpha.Label, alpha.Hidden, alpha.Description, alpha.Default}, []any{"number", "Alpha", true, "first", 1})
	checkValue(t, tmpl.ParameterGroups, []ParameterGroup{{Label: "main", Description: "the main ones", Parameters: []string{"zeta", "alpha"}}})

	web := tmpl.Resource("web")
	checkValue(t, web.DependsOn, []string{"db"})
	checkValue(t, web.DeletionPolicy, "Retain")
	checkValue(t, web.Metadata, map[string]any{"role": "web"})
	checkValue(t, web.UpdatePolicy, map[string]any{"batch": 1})
	checkValue(t, web.Condition, "c1")
	checkValue(t, web.ExternalID, "abc")
	checkValue(t, web.Description, "the web tier")
	checkValue(t, tmpl.Resource("db").DependsOn, []string{"cache"})
	checkValue(t, tmpl.Output("url").Description, "the URL")
	checkValue(t, tmpl.Dependencies(web), []string{"db"})
	checkValue(t, tmpl.Resource("nope"), (*Resource)(nil))
}

func TestParseJSONKeepsOrder(t *testing.T) {
	t.Parallel()
	body := `{"heat_template_version": "2015-10-15",
	  "parameters": {"b": {"type": "number", "default": 1e3}, "a": {"type": "string"}},
	  "resources": {"z": {"type": "T", "properties": {"n": 10, "f": 1.5, "big": 12345678901234567890}}, "y": {"type": "T"}}}`
	tmpl, err := Parse([]byte(body), nil)
	checkErr(t, err, "")
	checkValue(t, []string{tmpl.Parameters[0].Name, tmpl.Parameters[1].Name, tmpl.Resources[0].Name, tmpl.Resources[1].Name}, []string{"b", "a", "z", "y"})
	checkValue(t, tmpl.Parameter("b").Default, 1000.0)
	checkValue(t, tmpl.Resource("z").Properties, map[string]any{"n": 10, "f": 1.5, "big": 1.2345678901234567e19})
}

func TestYAMLScalarsFollowHeat(t *testing.T) {
	t.Parallel()
	// Heat reads YAML with PyYAML's YAML 1.1 rules, and keeps dates as
	// strings.
	for _, tc := range []struct {
		in   string
		want any
	}{
		{"yes", true}, {"No", false}, {"on", true}, {"OFF", false}, {"true", true},
		{"~", nil}, {"null", nil}, {"", nil},
		{"12", 12}, {"-3", -3}, {"0x1f", 31}, {"0o17", "0o17"}, {"017", 15}, {"0b101", 5}, {"1_000", 1000}, {"1:30", 90},
		{"1.5", 1.5}, {"1e5", "1e5"}, {"1.0e+5", 100000.0}, {".5", 0.5}, {"08", "08"},
		{"2013-05-23", "2013-05-23"}, {"'yes'", "yes"}, {`"12"`, "12"}, {"!!str 12", "12"}, {"!!float 1", 1.0},
		{"m1.small", "m1.small"}, {"10.0.0.0/24", "10.0.0.0/24"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			checkValue(t, y(t, "v: "+tc.in).(map[string]any)["v"], tc.want)
		})
	}
}

func TestYAMLStructures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, in string
		want     any
		wantErr  string
	}{
		{"anchors and aliases", "a: &x {k: v}\nb: *x\n", map[string]any{"a": map[string]any{"k": "v"}, "b": map[string]any{"k": "v"}}, ""},
		{"merge key", "base: &b {x: 1, y: 2}\nm:\n  <<: *b\n  y: 3\n", map[string]any{"base": map[string]any{"x": 1, "y": 2}, "m": map[string]any{"x": 1, "y": 3}}, ""},
		{"merge list, earlier wins", "a: &a {x: 1}\nb: &b {x: 2, z: 3}\nm:\n  <<: [*a, *b]\n", map[string]any{"a": map[string]any{"x": 1}, "b": map[string]any{"x": 2, "z": 3}, "m": map[string]any{"x": 1, "z": 3}}, ""},
		{"duplicate keys: last wins", "a: 1\na: 2\n", map[string]any{"a": 2}, ""},
		{"non-string keys", "1: a\ntrue: b\n", map[string]any{"1": "a", "true": "b"}, ""},
		{"unknown tag", "a: !foo bar\n", nil, `could not determine a constructor for the tag "!foo"`},
		{"alias bomb", "a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\ng: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\n", nil, "too many values through aliases"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			v, err := decodeYAML([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkValue(t, plain(v), tc.want)
		})
	}
}

func TestFunctionsByVersion(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		version, expr, wantErr string
	}{
		{"2013-05-23", `{"Fn::Join": [",", [a]]}`, ""},
		{"2013-05-23", `{Ref: p}`, ""},
		{"2014-10-16", `{"Fn::Join": [",", [a]]}`, "resources.r.properties.v.Fn::Join: The template version is invalid: The function Fn::Join is not supported in this version of HOT."},
		{"2014-10-16", `{"Fn::Select": [0, [a]]}`, ""},
		{"2015-10-15", `{"Fn::Select": [0, [a]]}`, "The function Fn::Select is not supported in this version of HOT."},
		{"2014-10-16", `{repeat: {template: a, for_each: {a: [b]}}}`, `resources.r.properties.v.repeat: The function "repeat" is not available in heat_template_version 2014-10-16 (it arrived in 2015-04-30)`},
		{"2015-04-30", `{repeat: {template: a, for_each: {a: [b]}}}`, ""},
		{"2015-04-30", `{digest: [md5, a]}`, ""},
		{"2015-04-30", `{str_split: [",", a]}`, `"str_split" is not available`},
		{"2015-10-15", `{str_split: [",", a]}`, ""},
		{"2015-10-15", `{map_merge: [{}]}`, `"map_merge" is not available`},
		{"2016-04-08", `{map_merge: [{}]}`, ""},
		{"2016-04-08", `{yaql: {expression: "1"}}`, `"yaql" is not available`},
		{"newton", `{yaql: {expression: "1"}}`, ""},
		{"newton", `{if: [true, a, b]}`, ""},
		{"newton", `{map_replace: [{}, {}]}`, ""},
		{"newton", `{filter: [[], []]}`, `"filter" is not available in heat_template_version newton (it arrived in 2017-02-24)`},
		{"ocata", `{filter: [[], []]}`, ""},
		{"ocata", `{str_replace_strict: {template: a, params: {a: b}}}`, ""},
		{"ocata", `{make_url: {host: h}}`, `"make_url" is not available`},
		{"pike", `{make_url: {host: h}}`, ""},
		{"pike", `{list_concat: [[a]]}`, ""},
		{"pike", `{list_concat_unique: [[a]]}`, ""},
		{"pike", `{str_replace_vstrict: {template: a, params: {a: b}}}`, ""},
		{"pike", `{contains: [a, [a]]}`, ""},
		{"2014-10-16", `{get_attr: [server]}`, `Arguments to "get_attr" must be of the form [resource_name, attribute, (path), ...]`},
		{"2015-10-15", `{get_attr: [server]}`, ""},
		{"2015-04-30", `{list_join: [",", [a], [b]]}`, `Incorrect arguments to "list_join"`},
		{"2015-10-15", `{list_join: [",", [a], [b]]}`, ""},
		{"rocky", `{if: [true, a]}`, `Arguments to "if" must be of the form: [condition_name, value_if_true, value_if_false]`},
		{"wallaby", `{if: [true, a]}`, ""},
		{"queens", `{get_parm: x}`, `resources.r.properties.v.get_parm: Unknown function "get_parm"`},
		{"queens", `{"Fn::Sub": x}`, `Unknown function "Fn::Sub"`},
		{"queens", `{get_parm: x, other: y}`, ""},
		{"queens", `{yaql: {expression: "$.data.("}}`, "resources.r.properties.v.yaql: Bad expression"},
		{"queens", `{get_resource: [a]}`, `Argument to "get_resource" must be a string`},
		{"queens", `{str_replace: {template: a}}`, `"str_replace" syntax should be`},
		{"queens", `{repeat: {template: a, for_each: {a: [b]}, permutations: "x"}}`, `"permutations" should be boolean type for repeat function.`},
		{"queens", `{equals: [a]}`, `Arguments to "equals" must be of the form: [value_1, value_2]`},
		{"queens", `{resource_facade: x}`, `should be one of: metadata, deletion_policy, update_policy`},
		{"queens", `{make_url: {hots: x}}`, `Invalid arguments to "make_url": hots`},
	} {
		t.Run(tc.version+" "+tc.expr, func(t *testing.T) {
			t.Parallel()
			body := fmt.Sprintf("heat_template_version: %s\nparameters: {p: {type: string}}\nresources:\n  r:\n    type: T\n    properties:\n      v: %s\n", tc.version, tc.expr)
			_, err := Parse([]byte(body), nil)
			checkErr(t, err, tc.wantErr)
		})
	}
}

func TestConditionFunctionsInContext(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		version, cond, wantErr string
	}{
		{"newton", `{equals: [{get_param: p}, x]}`, ""},
		{"newton", `{and: [{not: {equals: [a, b]}}, true]}`, ""},
		{"newton", `{get_attr: [r, x]}`, `conditions.c.get_attr: The function "get_attr" is invalid in this context`},
		{"newton", `{equals: [{get_resource: r}, x]}`, `conditions.c.equals[0].get_resource: The function "get_resource" is invalid in this context`},
		{"newton", `{yaql: {expression: "true"}}`, `conditions.c.yaql: The function "yaql" is invalid in this context`},
		{"queens", `{yaql: {expression: "$.data.x.startsWith('v')", data: {x: {get_param: p}}}}`, ""},
		{"queens", `{contains: [x, [x]]}`, ""},
		{"queens", `{if: [true, true, false]}`, `The function "if" is invalid in this context`},
	} {
		t.Run(tc.version+" "+tc.cond, func(t *testing.T) {
			t.Parallel()
			body := fmt.Sprintf("heat_template_version: %s\nparameters: {p: {type: string, default: x}}\nconditions:\n  c: %s\n", tc.version, tc.cond)
			_, err := Parse([]byte(body), nil)
			checkErr(t, err, tc.wantErr)
		})
	}
}
