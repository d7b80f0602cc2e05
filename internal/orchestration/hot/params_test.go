package hot

import (
	"fmt"
	"strings"
	"testing"
)

func TestParameterSchemaErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, version, param, wantErr string
	}{
		{"ok", "queens", `{type: string, default: a, label: L, description: D, hidden: true, immutable: true, tags: [x]}`, ""},
		{"not a map", "queens", `string`, "parameters.p: Invalid parameter (p), expected a mapping"},
		{"missing type", "queens", `{default: 1}`, "parameters.p: Missing parameter type for parameter: p"},
		{"invalid type", "queens", `{type: integer}`, "parameters.p.type: Invalid type (integer)"},
		{"invalid key", "queens", `{type: string, defaults: 1}`, "parameters.p.defaults: Invalid key 'defaults' for parameter (p)"},
		{"tags too early", "pike", `{type: string, tags: [a]}`, "parameters.p.tags: Invalid key 'tags' for parameter (p)"},
		{"constraints not a list", "queens", `{type: string, constraints: {length: {min: 1}}}`, "Invalid parameter constraints for parameter p, expected a list"},
		{"no constraint", "queens", `{type: string, constraints: [{description: x}]}`, "parameters.p.constraints[0]: No constraint expressed"},
		{"unknown constraint key", "queens", `{type: string, constraints: [{size: {min: 1}}]}`, "Invalid key 'size' for parameter constraints"},
		{"length on number", "queens", `{type: number, constraints: [{length: {min: 1}}]}`, "parameters.p: Parameter 'p' is invalid: Length constraint invalid for number"},
		{"range on string", "queens", `{type: string, constraints: [{range: {min: 1}}]}`, "Parameter 'p' is invalid: Range constraint invalid for string"},
		{"pattern on list", "queens", `{type: comma_delimited_list, constraints: [{allowed_pattern: x}]}`, "AllowedPattern constraint invalid for comma_delimited_list"},
		{"allowed values on json", "queens", `{type: json, constraints: [{allowed_values: [a]}]}`, "AllowedValues constraint invalid for json"},
		{"range without bounds", "queens", `{type: number, constraints: [{range: {}}]}`, "A range constraint must have a min value and/or a max value specified."},
		{"range bad key", "queens", `{type: number, constraints: [{range: {minimum: 1}}]}`, "Invalid key 'minimum' for range constraint"},
		{"range not numeric", "queens", `{type: number, constraints: [{range: {min: a}}]}`, "min/max must be numeric"},
		{"range numeric string", "queens", `{type: number, constraints: [{range: {min: "1"}}]}`, ""},
		{"length not integral", "queens", `{type: string, constraints: [{length: {min: 1.5}}]}`, "min/max length must be integral"},
		{"allowed values not list", "queens", `{type: string, constraints: [{allowed_values: a}]}`, "AllowedValues must be a list"},
		{"pattern not string", "queens", `{type: string, constraints: [{allowed_pattern: [a]}]}`, "AllowedPattern must be a string"},
		{"pattern does not compile", "queens", `{type: string, constraints: [{allowed_pattern: "(a"}]}`, `parameters.p.constraints[0].allowed_pattern: Invalid allowed_pattern "(a"`},
		{"custom accepted", "queens", `{type: string, constraints: [{custom_constraint: nova.flavor}]}`, ""},
		{"modulo", "ocata", `{type: number, default: 5, constraints: [{modulo: {step: 2, offset: 1}}]}`, ""},
		{"modulo too early", "newton", `{type: number, constraints: [{modulo: {step: 2, offset: 1}}]}`, "No constraint expressed"},
		{"modulo step 0", "ocata", `{type: number, constraints: [{modulo: {step: 0, offset: 0}}]}`, "step cannot be 0."},
		{"modulo offset too big", "ocata", `{type: number, constraints: [{modulo: {step: 2, offset: 2}}]}`, "offset must be smaller (by absolute value) than step."},
		{"modulo signs", "ocata", `{type: number, constraints: [{modulo: {step: 2, offset: -1}}]}`, "step and offset must be both positive or both negative."},
		{"modulo missing offset", "ocata", `{type: number, constraints: [{modulo: {step: 2}}]}`, "A modulo constraint must have a step value and an offset value specified."},
		{"modulo not integer", "ocata", `{type: number, constraints: [{modulo: {step: 1.5, offset: 0}}]}`, "step/offset must be integer"},
		{"default outside range", "queens", `{type: number, default: 99, constraints: [{range: {min: 1, max: 10}}]}`, "parameters.p.default: Parameter 'p' is invalid: Invalid default 99 (99 is out of range (min: 1, max: 10))"},
		{"default not a number", "queens", `{type: number, default: abc}`, "parameters.p.default: Parameter 'p' is invalid: could not convert string to float: 'abc'"},
		{"default not boolean", "queens", `{type: boolean, default: maybe}`, "Unrecognized value 'maybe'"},
		{"default list checked item by item", "queens", `{type: comma_delimited_list, default: "a,b", constraints: [{allowed_values: [a]}]}`, `Invalid default a,b (["a", "b"] is not an allowed value ["a"])`},
		{"default uses description", "queens", `{type: string, default: x, constraints: [{length: {min: 2}, description: Too short}]}`, "Invalid default x (Too short)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			body := fmt.Sprintf("heat_template_version: %s\nparameters:\n  p: %s\n", tc.version, tc.param)
			_, err := Parse([]byte(body), nil)
			checkErr(t, err, tc.wantErr)
		})
	}
}

func TestResolveParameters(t *testing.T) {
	t.Parallel()
	const body = `heat_template_version: 2017-02-24
parameters:
  name: {type: string}
  size: {type: number, default: 1}
  ratio: {type: number, default: "0.5"}
  cfg: {type: json, default: {a: 1}}
  nets: {type: comma_delimited_list, default: "a,b"}
  flag: {type: boolean, default: false}
  region: {type: string, default: tmpl}
`
	tmpl, err := Parse([]byte(body), nil)
	checkErr(t, err, "")
	for _, tc := range []struct {
		name    string
		env     *Environment
		given   map[string]string
		want    map[string]any
		wantErr string
	}{
		{
			name:  "defaults and conversions",
			given: map[string]string{"name": "x"},
			want:  map[string]any{"name": "x", "size": 1, "ratio": 0.5, "cfg": map[string]any{"a": 1}, "nets": []any{"a", "b"}, "flag": false, "region": "tmpl"},
		},
		{
			name:  "given strings are converted",
			given: map[string]string{"name": "x", "size": "3", "ratio": "2.5", "cfg": `{"b": [1, 2]}`, "nets": "x, y,z", "flag": "On"},
			want:  map[string]any{"name": "x", "size": 3, "ratio": 2.5, "cfg": map[string]any{"b": []any{1, 2}}, "nets": []any{"x", " y", "z"}, "flag": true, "region": "tmpl"},
		},
		{
			name:  "empty list",
			given: map[string]string{"name": "x", "nets": ""},
			want:  map[string]any{"name": "x", "size": 1, "ratio": 0.5, "cfg": map[string]any{"a": 1}, "nets": []any{}, "flag": false, "region": "tmpl"},
		},
		{
			name:  "precedence: given, parameters, parameter_defaults, default",
			env:   &Environment{Parameters: map[string]any{"name": "env", "size": 5}, ParameterDefaults: map[string]any{"size": 9, "region": "pd", "unknown_is_fine": 1, "nets": []any{"p", 7}}},
			given: map[string]string{"name": "given"},
			want:  map[string]any{"name": "given", "size": 5, "ratio": 0.5, "cfg": map[string]any{"a": 1}, "nets": []any{"p", "7"}, "flag": false, "region": "pd"},
		},
		{name: "missing", wantErr: "parameters.name: The Parameter (name) was not provided."},
		{name: "unknown given", given: map[string]string{"name": "x", "nope": "1"}, wantErr: "parameters.nope: The Parameter (nope) was not defined in template."},
		{name: "unknown in environment", env: &Environment{Parameters: map[string]any{"nope": 1}}, given: map[string]string{"name": "x"}, wantErr: "The Parameter (nope) was not defined in template."},
		{name: "bad number", given: map[string]string{"name": "x", "size": "big"}, wantErr: "parameters.size: Parameter 'size' is invalid: could not convert string to float: 'big'"},
		{name: "bad json", given: map[string]string{"name": "x", "cfg": "{"}, wantErr: "parameters.cfg: Parameter 'cfg' is invalid: Value must be valid JSON"},
		{name: "bad boolean", given: map[string]string{"name": "x", "flag": "maybe"}, wantErr: "parameters.flag: Parameter 'flag' is invalid: Unrecognized value 'maybe', acceptable values are: '0', '1', 'f', 'false', 'n', 'no', 'off', 'on', 't', 'true', 'y', 'yes'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := tmpl.ResolveParameters(tc.env, tc.given)
			checkErr(t, err, tc.wantErr)
			if tc.wantErr == "" {
				checkValue(t, got, tc.want)
			}
		})
	}
}

func TestBooleanSpellings(t *testing.T) {
	t.Parallel()
	tmpl, err := Parse([]byte("heat_template_version: queens\nparameters:\n  b: {type: boolean}\n"), nil)
	checkErr(t, err, "")
	for in, want := range map[string]bool{
		"1": true, "t": true, "true": true, "on": true, "y": true, "yes": true, "TRUE": true, " Yes ": true,
		"0": false, "f": false, "false": false, "off": false, "n": false, "no": false, "False": false,
	} {
		t.Run(in, func(t *testing.T) {
			t.Parallel()
			got, err := tmpl.ResolveParameters(nil, map[string]string{"b": in})
			checkErr(t, err, "")
			checkValue(t, got["b"], want)
		})
	}
}

func TestConstraints(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, param, value, wantErr string
	}{
		{"length ok", `{type: string, constraints: [{length: {min: 2, max: 4}}]}`, "abc", ""},
		{"length short", `{type: string, constraints: [{length: {min: 2, max: 4}}]}`, "a", "parameters.p: Parameter 'p' is invalid: length (1) is out of range (min: 2, max: 4)"},
		{"length long", `{type: string, constraints: [{length: {max: 4}}]}`, "abcde", "length (5) is out of range (min: None, max: 4)"},
		{"length counts characters", `{type: string, constraints: [{length: {max: 2}}]}`, "éé", ""},
		{"length of a list", `{type: comma_delimited_list, constraints: [{length: {min: 3}}]}`, "a,b", "length (2) is out of range (min: 3, max: None)"},
		{"length of json", `{type: json, constraints: [{length: {max: 1}}]}`, `{"a": 1, "b": 2}`, "length (2) is out of range (min: None, max: 1)"},
		{"range ok", `{type: number, constraints: [{range: {min: 1, max: 10}}]}`, "10", ""},
		{"range low", `{type: number, constraints: [{range: {min: 1, max: 10}}]}`, "0", "Parameter 'p' is invalid: 0 is out of range (min: 1, max: 10)"},
		{"range float", `{type: number, constraints: [{range: {max: 1.5}}]}`, "1.75", "1.75 is out of range (min: None, max: 1.5)"},
		{"modulo ok", `{type: number, constraints: [{modulo: {step: 2, offset: 1}}]}`, "7", ""},
		{"modulo bad", `{type: number, constraints: [{modulo: {step: 2, offset: 1}}]}`, "4", "Parameter 'p' is invalid: 4 is not a multiple of 2 with an offset of 1"},
		{"allowed ok", `{type: string, constraints: [{allowed_values: [m1.small, m1.large]}]}`, "m1.large", ""},
		{"allowed bad", `{type: string, constraints: [{allowed_values: [m1.small, m1.large]}]}`, "m1.tiny", `Parameter 'p' is invalid: "m1.tiny" is not an allowed value ["m1.small", "m1.large"]`},
		{"allowed numbers compare as numbers", `{type: number, constraints: [{allowed_values: [1, 2]}]}`, "2.0", ""},
		{"allowed string compares as string", `{type: string, constraints: [{allowed_values: [1, 2]}]}`, "2", ""},
		{"allowed list items", `{type: comma_delimited_list, constraints: [{allowed_values: [a, b]}]}`, "a,b,a", ""},
		{"allowed list bad item", `{type: comma_delimited_list, constraints: [{allowed_values: [a, b]}]}`, "a,c", `["a", "c"] is not an allowed value ["a", "b"]`},
		{"allowed boolean", `{type: boolean, constraints: [{allowed_values: [true]}]}`, "yes", ""},
		{"allowed boolean bad", `{type: boolean, constraints: [{allowed_values: [true]}]}`, "no", "false is not an allowed value [true]"},
		{"pattern ok", `{type: string, constraints: [{allowed_pattern: "[a-z]+"}]}`, "abc", ""},
		{"pattern must match all", `{type: string, constraints: [{allowed_pattern: "[a-z]+"}]}`, "abc1", `Parameter 'p' is invalid: "abc1" does not match pattern "[a-z]+"`},
		{"pattern first alternative as Python", `{type: string, constraints: [{allowed_pattern: "a|ab"}]}`, "ab", `"ab" does not match pattern "a|ab"`},
		{"pattern lookahead", `{type: string, constraints: [{allowed_pattern: "^(?!devicemapper$).*"}]}`, "overlay2", ""},
		{"pattern lookahead rejects", `{type: string, constraints: [{allowed_pattern: "^(?!devicemapper$).*"}]}`, "devicemapper", `"devicemapper" does not match pattern "^(?!devicemapper$).*"`},
		{"pattern empty or slash", `{type: string, constraints: [{allowed_pattern: "^$|.*/"}]}`, "", ""},
		{"pattern named group", `{type: string, constraints: [{allowed_pattern: "(?P<x>a)(?P=x)"}]}`, "aa", ""},
		{"custom ignored", `{type: string, constraints: [{custom_constraint: nova.keypair}]}`, "whatever", ""},
		{"description replaces message", `{type: string, constraints: [{length: {min: 8}, description: Use at least 8 characters}]}`, "short", "Parameter 'p' is invalid: Use at least 8 characters"},
		{"all constraints checked", `{type: string, constraints: [{length: {min: 1}}, {allowed_values: [a]}]}`, "b", `"b" is not an allowed value ["a"]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tmpl, err := Parse([]byte("heat_template_version: ocata\nparameters:\n  p: "+tc.param+"\n"), nil)
			checkErr(t, err, "")
			_, err = tmpl.ResolveParameters(nil, map[string]string{"p": tc.value})
			checkErr(t, err, tc.wantErr)
		})
	}
}

func TestParameterValueKeepsNameInErrors(t *testing.T) {
	t.Parallel()
	tmpl, err := Parse([]byte("heat_template_version: queens\nparameters:\n  master_flavor: {type: string, constraints: [{allowed_values: [a]}]}\n"), nil)
	checkErr(t, err, "")
	_, err = tmpl.ResolveParameters(nil, map[string]string{"master_flavor": "b"})
	if err == nil || !strings.HasPrefix(err.Error(), "parameters.master_flavor: Parameter 'master_flavor' is invalid") {
		t.Fatalf("got %v", err)
	}
}
