package hot

import (
	"testing"
)

func evalContext() *EvalContext {
	return &EvalContext{
		Params: map[string]any{
			"flavor":  "m1.small",
			"count":   3,
			"ratio":   1.5,
			"enabled": true,
			"names":   []any{"a", "b", "c"},
			"config":  map[string]any{"net": map[string]any{"cidr": "10.0.0.0/24", "dns": []any{"8.8.8.8", "1.1.1.1"}}, "ports": []any{22, 80}},
			"empty":   "",
		},
		Conditions: map[string]bool{"prod": true, "dev": false},
		Files: map[string]string{
			"file:///home/u/tmpl/fragments/setup.sh": "#!/bin/sh\necho $NAME\n",
			"motd.txt":                               "hello",
		},
		Resolver: fakeResolver{
			ids: map[string]string{"server": "srv-1", "net": "net-1"},
			attrs: map[string]map[string]any{
				"server": {
					"first_address": "10.0.0.5",
					"networks":      map[string]any{"private": []any{"10.0.0.5", "fd00::5"}},
				},
				"group": {"refs": []any{"a-0", "a-1"}},
			},
		},
		StackName: "demo",
		StackID:   "stack-id-1",
		ProjectID: "proj-1",
		Path:      "resources.r.properties",
	}
}

type evalCase struct {
	name    string
	expr    string
	want    any
	wantErr string
}

func runEvalCases(t *testing.T, cases []evalCase, mod func(*EvalContext)) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := evalContext()
			if mod != nil {
				mod(ctx)
			}
			got, err := Eval(y(t, tc.expr), ctx)
			checkErr(t, err, tc.wantErr)
			if tc.wantErr == "" {
				checkValue(t, got, tc.want)
			}
		})
	}
}

func TestEvalGetParam(t *testing.T) {
	t.Parallel()
	runEvalCases(t, []evalCase{
		{"string", `{get_param: flavor}`, "m1.small", ""},
		{"number", `{get_param: count}`, 3, ""},
		{"float", `{get_param: ratio}`, 1.5, ""},
		{"list", `{get_param: names}`, []any{"a", "b", "c"}, ""},
		{"list index", `{get_param: [names, 1]}`, "b", ""},
		{"list index as string", `{get_param: [names, "2"]}`, "c", ""},
		{"negative index", `{get_param: [names, -1]}`, "c", ""},
		{"json path", `{get_param: [config, net, cidr]}`, "10.0.0.0/24", ""},
		{"json path into list", `{get_param: [config, net, dns, 0]}`, "8.8.8.8", ""},
		{"path that leads nowhere", `{get_param: [config, nope, x]}`, "", ""},
		{"index out of range", `{get_param: [names, 7]}`, "", ""},
		{"string index", `{get_param: [flavor, 0]}`, "m", ""},
		{"stack name", `{get_param: "OS::stack_name"}`, "demo", ""},
		{"stack id", `{get_param: "OS::stack_id"}`, "stack-id-1", ""},
		{"project id", `{get_param: "OS::project_id"}`, "proj-1", ""},
		{"nested function", `{get_param: {list_join: ["", [fla, vor]]}}`, "m1.small", ""},
		{"missing", `{get_param: nope}`, nil, `resources.r.properties.get_param: The Parameter (nope) was not provided.`},
		{"no arguments", `{get_param: []}`, nil, `Function "get_param" must have arguments`},
		{"map argument", `{get_param: {a: b}}`, nil, `Argument to "get_param" must be string or list`},
		{"name not string", `{get_param: [1, 2]}`, nil, `Parameter name in "get_param" must be string`},
	}, nil)
}

func TestEvalGetResourceAndAttr(t *testing.T) {
	t.Parallel()
	runEvalCases(t, []evalCase{
		{"get_resource", `{get_resource: server}`, "srv-1", ""},
		{"get_resource missing", `{get_resource: nope}`, nil, "resources.r.properties.get_resource: resource nope does not exist"},
		{"get_resource not string", `{get_resource: [a]}`, nil, `Argument to "get_resource" must be a string`},
		{"get_attr", `{get_attr: [server, first_address]}`, "10.0.0.5", ""},
		{"get_attr path", `{get_attr: [server, networks, private, 1]}`, "fd00::5", ""},
		{"get_attr path leads nowhere", `{get_attr: [server, networks, public, 0]}`, nil, ""},
		{"get_attr all attributes", `{get_attr: [group]}`, map[string]any{"refs": []any{"a-0", "a-1"}}, ""},
		{"get_attr with computed name", `{get_attr: [{get_param: [names, 0]}, x]}`, nil, "resource a does not exist"},
		{"get_attr not list", `{get_attr: server}`, nil, `Argument to "get_attr" must be a list`},
		{"get_attr empty", `{get_attr: []}`, nil, `Arguments to "get_attr" can be of the next forms`},
		{"get_attr bad path", `{get_attr: [server, networks, [x]]}`, nil, "Path components in attributes must be strings"},
	}, nil)
	runEvalCases(t, []evalCase{
		{"no resolver", `{get_resource: server}`, nil, "get_resource cannot be evaluated here"},
		{"no resolver attr", `{get_attr: [server, x]}`, nil, "get_attr cannot be evaluated here"},
	}, func(c *EvalContext) { c.Resolver = nil })
}

func TestEvalStrReplace(t *testing.T) {
	t.Parallel()
	runEvalCases(t, []evalCase{
		{"simple", `{str_replace: {template: "Hello $name", params: {$name: world}}}`, "Hello world", ""},
		{"longest first", `{str_replace: {template: "$a $ab", params: {$a: X, $ab: Y}}}`, "X Y", ""},
		{"equal length lexicographic", `{str_replace: {template: "ab", params: {a: b, b: c}}}`, "bc", ""},
		{"replacement not rescanned", `{str_replace: {template: "x", params: {x: y, y: z}}}`, "y", ""},
		{"numbers and bools", `{str_replace: {template: "n=N f=F b=B", params: {N: 3, F: 1.5, B: true}}}`, "n=3 f=1.5 b=True", ""},
		{"null is empty", `{str_replace: {template: "[v]", params: {v: null}}}`, "[]", ""},
		{"list as JSON", `{str_replace: {template: "L", params: {L: [1, "a"]}}}`, `[1, "a"]`, ""},
		{"map as sorted JSON", `{str_replace: {template: "M", params: {M: {b: 1, a: "é"}}}}`, `{"a": "\u00e9", "b": 1}`, ""},
		{"params from a function", `{str_replace: {template: "F", params: {F: {get_param: flavor}}}}`, "m1.small", ""},
		{"template from get_file", `{str_replace: {template: {get_file: motd.txt}, params: {hello: bye}}}`, "bye", ""},
		{"unused param is fine", `{str_replace: {template: "x", params: {y: z}}}`, "x", ""},
		{"not a map", `{str_replace: [a]}`, nil, `Arguments to "str_replace" must be a map`},
		{"missing params", `{str_replace: {template: a}}`, nil, `"str_replace" syntax should be`},
		{"template not string", `{str_replace: {template: [a], params: {}}}`, nil, `"str_replace" template must be a string`},
		{"params not map", `{str_replace: {template: a, params: {get_param: names}}}`, nil, `"str_replace" params must be a map`},
		{"strict ok", `{str_replace_strict: {template: "a-b", params: {a: 1, b: 2}}}`, "1-2", ""},
		{"strict missing", `{str_replace_strict: {template: "a", params: {a: 1, bb: 2, c: 3}}}`, nil, "resources.r.properties.str_replace_strict: The following params were not found in the template: bb,c"},
		{"vstrict ok", `{str_replace_vstrict: {template: "a", params: {a: 1}}}`, "1", ""},
		{"vstrict empty", `{str_replace_vstrict: {template: "a", params: {a: ""}}}`, nil, "str_replace_vstrict has an undefined or empty value for param a, must be a defined non-empty value"},
		{"vstrict null", `{str_replace_vstrict: {template: "a", params: {a: null}}}`, nil, "str_replace_vstrict has an undefined or empty value for param a"},
		{"vstrict empty list", `{str_replace_vstrict: {template: "a", params: {a: []}}}`, nil, "str_replace_vstrict has an undefined or empty value for param a"},
	}, nil)
}

func TestEvalListJoin(t *testing.T) {
	t.Parallel()
	runEvalCases(t, []evalCase{
		{"join", `{list_join: [",", [a, b, c]]}`, "a,b,c", ""},
		{"several lists", `{list_join: ["-", [a], [b, c], []]}`, "a-b-c", ""},
		{"null items", `{list_join: [",", [a, null, b]]}`, "a,,b", ""},
		{"maps and lists as JSON", `{list_join: [" ", [{a: 1}, [1]]]}`, `{"a": 1} [1]`, ""},
		{"list from param", `{list_join: [",", {get_param: names}]}`, "a,b,c", ""},
		{"null list skipped", `{list_join: [",", null, [a]]}`, "a", ""},
		{"old name join", `{join: ["/", [x, y]]}`, "x/y", ""},
		{"index substitution", `{list_join: ["-", [{get_param: "OS::stack_name"}, master, "%index%"]]}`, "demo-master-%index%", ""},
		{"not a list", `{list_join: ","}`, nil, `Incorrect arguments to "list_join" should be: "list_join" : [ " ", [ "str1", "str2"] ...]`},
		{"one argument", `{list_join: [","]}`, nil, `Incorrect arguments to "list_join"`},
		{"string instead of list", `{list_join: [",", "abc"]}`, nil, `"list_join" must operate on a list`},
		{"number item", `{list_join: [",", [a, 1]]}`, nil, "Items to join must be string, map or list not 1"},
		{"delimiter not string", `{list_join: [1, [a]]}`, nil, `"list_join" delimiter must be a string`},
	}, nil)
}

func TestEvalMaps(t *testing.T) {
	t.Parallel()
	runEvalCases(t, []evalCase{
		{"map_merge", `{map_merge: [{a: 1, b: 2}, {b: 3}, null, {c: 4}]}`, map[string]any{"a": 1, "b": 3, "c": 4}, ""},
		{"map_merge not list", `{map_merge: {a: 1}}`, nil, `Incorrect arguments to "map_merge" should be`},
		{"map_merge not map", `{map_merge: [{a: 1}, [b]]}`, nil, "Incorrect arguments: Items to merge must be maps. ['b'] is type list instead of a dict"},
		{"map_replace", `{map_replace: [{k1: v1, k2: v2}, {keys: {k1: K1}, values: {v2: V2}}]}`, map[string]any{"K1": "v1", "k2": "V2"}, ""},
		{"map_replace only keys", `{map_replace: [{a: 1}, {keys: {a: b}}]}`, map[string]any{"b": 1}, ""},
		{"map_replace collides with input", `{map_replace: [{a: 1, b: 2}, {keys: {a: b}}]}`, nil, "key replacement b collides with a key in the input map"},
		{"map_replace bad section", `{map_replace: [{a: 1}, {other: {}}]}`, nil, `Incorrect arguments to "map_replace" should be`},
		{"map_replace not maps", `{map_replace: [[a], {}]}`, nil, `arguments must be a list of maps`},
		{"map_replace wrong arity", `{map_replace: [{a: 1}]}`, nil, `Incorrect arguments to "map_replace" should be`},
	}, nil)
}

func TestEvalRepeat(t *testing.T) {
	t.Parallel()
	runEvalCases(t, []evalCase{
		{"list", `{repeat: {template: "port-%p%", for_each: {"%p%": [22, 80]}}}`, []any{"port-22", "port-80"}, ""},
		{"map template", `{repeat: {template: {protocol: tcp, port: "%p%"}, for_each: {"%p%": {get_param: [config, ports]}}}}`,
			[]any{map[string]any{"protocol": "tcp", "port": "22"}, map[string]any{"protocol": "tcp", "port": "80"}}, ""},
		{"permutations", `{repeat: {template: "%a%%b%", for_each: {"%a%": [x, y], "%b%": ["1", "2"]}}}`, []any{"x1", "x2", "y1", "y2"}, ""},
		{"no permutations", `{repeat: {template: "%a%=%b%", for_each: {"%a%": [x, y], "%b%": ["1", "2"]}, permutations: false}}`, []any{"x=1", "y=2"}, ""},
		{"keys replaced too", `{repeat: {template: {"k-%i%": "v-%i%"}, for_each: {"%i%": [a]}}}`, []any{map[string]any{"k-a": "v-a"}}, ""},
		{"map values iterate keys", `{repeat: {template: "%k%", for_each: {"%k%": {b: 1, a: 2}}}}`, []any{"a", "b"}, ""},
		{"null list", `{repeat: {template: "%i%", for_each: {"%i%": null}}}`, []any{}, ""},
		{"unequal lengths", `{repeat: {template: "%a%%b%", for_each: {"%a%": [x], "%b%": ["1", "2"]}, permutations: false}}`, nil, "For repeat, the length of for_each values should be equal if no nested loop."},
		{"permutations not bool", `{repeat: {template: a, for_each: {a: [b]}, permutations: "no"}}`, nil, `"permutations" should be boolean type for repeat function.`},
		{"for_each not map", `{repeat: {template: a, for_each: [a]}}`, nil, `The "for_each" argument to "repeat" must contain a map`},
		{"value not list", `{repeat: {template: a, for_each: {a: b}}}`, nil, `The values of the "for_each" argument to "repeat" must be lists or maps`},
		{"map without permutations", `{repeat: {template: a, for_each: {a: {b: 1}}, permutations: false}}`, nil, `must be lists`},
		{"missing template", `{repeat: {for_each: {a: [b]}}}`, nil, `"repeat" syntax should be`},
		{"not a map", `{repeat: [a]}`, nil, `Arguments to "repeat" must be a map`},
	}, nil)
}

func TestEvalConditionFunctions(t *testing.T) {
	t.Parallel()
	runEvalCases(t, []evalCase{
		{"if true", `{if: [prod, big, small]}`, "big", ""},
		{"if false", `{if: [dev, big, small]}`, "small", ""},
		{"if inline condition", `{if: [{equals: [{get_param: count}, 3]}, three, other]}`, "three", ""},
		{"if boolean", `{if: [false, a, b]}`, "b", ""},
		{"if does not evaluate the other branch", `{if: [prod, ok, {get_resource: nope}]}`, "ok", ""},
		{"if without false branch removes the key", `{a: {if: [dev, x]}, b: 1}`, map[string]any{"b": 1}, ""},
		{"if without false branch removes the item", `[{if: [dev, x]}, y]`, []any{"y"}, ""},
		{"if without false branch keeps a true value", `{a: {if: [prod, x]}}`, map[string]any{"a": "x"}, ""},
		{"if unknown condition", `{if: [nope, a, b]}`, nil, `resources.r.properties.if: Invalid condition "nope"`},
		{"if bad arity", `{if: [prod]}`, nil, `Arguments to "if" must be of the form: [condition_name, value_if_true, value_if_false]`},
		{"equals", `{equals: [{get_param: flavor}, m1.small]}`, true, ""},
		{"equals numbers", `{equals: [1, 1.0]}`, true, ""},
		{"equals lists", `{equals: [[1, a], [1, a]]}`, true, ""},
		{"equals different", `{equals: [a, b]}`, false, ""},
		{"equals bad arity", `{equals: [a]}`, nil, `Arguments to "equals" must be of the form: [value_1, value_2]`},
		{"not", `{not: prod}`, false, ""},
		{"not inline", `{not: {equals: [a, b]}}`, true, ""},
		{"not boolean", `{not: false}`, true, ""},
		{"not unknown", `{not: nope}`, nil, `Invalid condition "nope"`},
		{"and", `{and: [prod, {equals: [1, 1]}]}`, true, ""},
		{"and false", `{and: [prod, dev]}`, false, ""},
		{"and too few", `{and: [prod]}`, nil, `The minimum number of condition arguments to "and" is 2.`},
		{"and not list", `{and: prod}`, nil, `Arguments to "and" must be a list of conditions`},
		{"or", `{or: [dev, prod]}`, true, ""},
		{"or false", `{or: [dev, false]}`, false, ""},
		{"or too few", `{or: []}`, nil, `The minimum number of condition arguments to "or" is 2.`},
		{"contains", `{contains: [b, {get_param: names}]}`, true, ""},
		{"contains not", `{contains: [z, [a]]}`, false, ""},
		{"contains number", `{contains: [80, {get_param: [config, ports]}]}`, true, ""},
		{"contains substring", `{contains: [ell, hello]}`, true, ""},
		{"contains not a sequence", `{contains: [a, 1]}`, nil, `Second argument to "contains" should be a sequence.`},
		{"contains bad arity", `{contains: [a, [a], b]}`, nil, `Arguments to "contains" must be of the form: [value1, [value1, value2]]`},
		{"contains not list", `{contains: a}`, nil, `Incorrect arguments to "contains" should be`},
	}, nil)
}

func TestEvalDigest(t *testing.T) {
	t.Parallel()
	runEvalCases(t, []evalCase{
		{"md5", `{digest: [md5, abc]}`, "900150983cd24fb0d6963f7d28e17f72", ""},
		{"sha1", `{digest: [sha1, abc]}`, "a9993e364706816aba3e25717850c26c9cd0d89d", ""},
		{"sha224", `{digest: [sha224, abc]}`, "23097d223405d8228642a477bda255b32aadbce4bda0b3f7e36c9da7", ""},
		{"sha256", `{digest: [sha256, abc]}`, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", ""},
		{"sha384", `{digest: [sha384, abc]}`, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7", ""},
		{"sha512 any case", `{digest: [SHA512, abc]}`, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f", ""},
		{"sha3_256", `{digest: [sha3_256, abc]}`, "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532", ""},
		{"latin-1 encoding", `{digest: [md5, "é"]}`, "3406877694691ddd1dfb0aca54681407", ""},
		{"value from param", `{digest: [sha256, {get_param: flavor}]}`, "f8348c221d3cea4f190155f60842ca60b57b4fcc2b6cc7913a87e7c01a774c9c", ""},
		{"unknown algorithm", `{digest: [crc32, abc]}`, nil, "resources.r.properties.digest: Algorithm must be one of md5, sha1, sha224, sha256, sha384, sha3_224"},
		{"not strings", `{digest: [md5, 1]}`, nil, `Argument to function "digest" must be a list of strings`},
		{"bad arity", `{digest: [md5]}`, nil, `Function "digest" usage: ["<algorithm>", "<value>"]`},
		{"not latin-1", `{digest: [md5, "€"]}`, nil, "latin-1"},
	}, nil)
}

func TestEvalStrSplitAndLists(t *testing.T) {
	t.Parallel()
	runEvalCases(t, []evalCase{
		{"str_split", `{str_split: [",", "a,b,c"]}`, []any{"a", "b", "c"}, ""},
		{"str_split index", `{str_split: [",", "a,b,c", 1]}`, "b", ""},
		{"str_split index string", `{str_split: [",", "a,b,c", "2"]}`, "c", ""},
		{"str_split null", `{str_split: [",", null]}`, nil, ""},
		{"str_split bad index", `{str_split: [",", "a,b", 5]}`, nil, `Incorrect index to "str_split" should be between 0 and 1`},
		{"str_split not an index", `{str_split: [",", "a,b", x]}`, nil, `Incorrect index to "str_split" should be`},
		{"str_split string arg", `{str_split: "a,b"}`, nil, `Incorrect arguments to "str_split" should be: "str_split" : [ ",", "apples,pears", <index>]`},
		{"str_split too few", `{str_split: [","]}`, nil, `Incorrect arguments to "str_split"`},
		{"list_concat", `{list_concat: [[a, b], null, [c]]}`, []any{"a", "b", "c"}, ""},
		{"list_concat keeps duplicates", `{list_concat: [[a], [a]]}`, []any{"a", "a"}, ""},
		{"list_concat not list", `{list_concat: a}`, nil, `Incorrect arguments to "list_concat" should be: "list_concat" : [ [ <value 1>, <value 2> ], [ <value 3>, <value 4> ] ]`},
		{"list_concat item not list", `{list_concat: [[a], b]}`, nil, `Incorrect arguments: Items to concat must be lists. [["a"], "b"] contains an item that is not a list: "b"`},
		{"list_concat_unique", `{list_concat_unique: [[a, b], [b, 1, 1.0, c]]}`, []any{"a", "b", 1, "c"}, ""},
		{"filter", `{filter: [[b, null], [a, b, null, c]]}`, []any{"a", "c"}, ""},
		{"filter empty values", `{filter: [[], [a]]}`, []any{"a"}, ""},
		{"filter empty list", `{filter: [[a], []]}`, []any{}, ""},
		{"filter not list", `{filter: a}`, nil, `Argument to "filter" must be a list`},
		{"filter arity", `{filter: [[a]]}`, nil, `"filter" expected 2 arguments of the form [values, sequence] but got 1 arguments instead`},
		{"filter sequence not list", `{filter: [[a], abc]}`, nil, `"filter" only works with lists`},
		{"filter values not list", `{filter: [a, [a]]}`, nil, `"filter" filters a list of values`},
	}, nil)
}

func TestEvalMakeURL(t *testing.T) {
	t.Parallel()
	runEvalCases(t, []evalCase{
		{"full", `{make_url: {scheme: https, username: "a b", password: "p@ss", host: example.com, port: 8443, path: "/v1/x y", query: {q: "a/b c", n: 1}, fragment: top}}`,
			"https://a%20b:p%40ss@example.com:8443/v1/x%20y?n=1&q=a/b+c#top", ""},
		{"ipv6", `{make_url: {scheme: http, host: "fd00::1", port: "80", path: x}}`, "http://[fd00::1]:80/x", ""},
		{"bracketed ipv6", `{make_url: {scheme: http, host: "[fd00::1]"}}`, "http://[fd00::1]", ""},
		{"no netloc", `{make_url: {scheme: file, path: /etc/hosts}}`, "file:///etc/hosts", ""},
		{"path only", `{make_url: {path: a/b}}`, "a/b", ""},
		{"bad port", `{make_url: {host: h, port: 70000}}`, nil, "Invalid URL port 70000, must be in range 1-65535"},
		{"bad port string", `{make_url: {host: h, port: http}}`, nil, `Invalid URL port "http" for make_url called with`},
		{"bad key", `{make_url: {host: h, user: u}}`, nil, `Invalid arguments to "make_url": user`},
		{"host not string", `{make_url: {host: [h]}}`, nil, `The "host" argument to "make_url" must be a string`},
		{"query not map", `{make_url: {host: h, query: a}}`, nil, `The "query" argument to "make_url" must be a map`},
		{"scheme with colon", `{make_url: {scheme: "http:", host: h}}`, nil, `URL "scheme" should not contain ':'`},
		{"not a map", `{make_url: [a]}`, nil, `The arguments to "make_url" must be a map`},
	}, nil)
}

func TestEvalFilesAndInputs(t *testing.T) {
	t.Parallel()
	runEvalCases(t, []evalCase{
		{"get_file exact", `{get_file: motd.txt}`, "hello", ""},
		{"get_file by URL", `{get_file: "file:///home/u/tmpl/fragments/setup.sh"}`, "#!/bin/sh\necho $NAME\n", ""},
		{"get_file relative name", `{get_file: fragments/setup.sh}`, "#!/bin/sh\necho $NAME\n", ""},
		{"get_file with dot-dot", `{get_file: ../tmpl/fragments/setup.sh}`, "#!/bin/sh\necho $NAME\n", ""},
		{"get_file missing", `{get_file: nope.sh}`, nil, `resources.r.properties.get_file: No content found in the "files" section for get_file path: nope.sh`},
		{"get_file not string", `{get_file: [a]}`, nil, `Argument to "get_file" must be a string`},
		{"get_input left for later", `{config: {port: {get_input: port}}}`, map[string]any{"config": map[string]any{"port": map[string]any{"get_input": "port"}}}, ""},
	}, nil)
	runEvalCases(t, []evalCase{
		{"get_input", `{port: {get_input: port}}`, map[string]any{"port": 8080}, ""},
		{"get_input missing", `{get_input: nope}`, nil, ""},
		{"get_input not string", `{get_input: [a]}`, nil, "Input key ['a'] must be a string"},
		{"resource_facade", `{resource_facade: metadata}`, map[string]any{"role": "worker"}, ""},
		{"resource_facade bad", `{resource_facade: properties}`, nil, `Incorrect arguments to "resource_facade" should be one of: metadata, deletion_policy, update_policy`},
	}, func(c *EvalContext) {
		c.Inputs = map[string]any{"port": 8080}
		c.Facade = map[string]any{"metadata": map[string]any{"role": "worker"}}
	})
	runEvalCases(t, []evalCase{
		{"resource_facade outside a nested stack", `{resource_facade: metadata}`, nil, `"resource_facade" is only available in a nested stack`},
	}, nil)
}

func TestEvalUnknownFunctions(t *testing.T) {
	t.Parallel()
	runEvalCases(t, []evalCase{
		{"typo", `{a: {get_parm: flavor}}`, nil, `resources.r.properties.a.get_parm: Unknown function "get_parm"`},
		{"cloudformation", `{"Fn::Sub": x}`, nil, `Unknown function "Fn::Sub"`},
		{"plain data stays", `{metadata: {role: worker}}`, map[string]any{"metadata": map[string]any{"role": "worker"}}, ""},
		{"multi-key map is data", `{get_param: x, other: y}`, map[string]any{"get_param": "x", "other": "y"}, ""},
		{"unsupported cfn", `{"Fn::GetAZs": ""}`, nil, `The function "Fn::GetAZs" is not supported by Slipway`},
	}, nil)
}

func TestEvalCloudFormationFunctions(t *testing.T) {
	t.Parallel()
	runEvalCases(t, []evalCase{
		{"Fn::Join", `{"Fn::Join": [",", [a, b]]}`, "a,b", ""},
		{"Fn::Select list", `{"Fn::Select": ["1", [a, b]]}`, "b", ""},
		{"Fn::Select map", `{"Fn::Select": [k, {k: v}]}`, "v", ""},
		{"Fn::Select out of range", `{"Fn::Select": [5, [a]]}`, "", ""},
		{"Fn::Split", `{"Fn::Split": [",", "a,b"]}`, []any{"a", "b"}, ""},
		{"Fn::Replace", `{"Fn::Replace": [{$x: y}, "a $x"]}`, "a y", ""},
		{"Fn::Base64", `{"Fn::Base64": abc}`, "abc", ""},
		{"Ref parameter", `{Ref: flavor}`, "m1.small", ""},
		{"Ref resource", `{Ref: server}`, "srv-1", ""},
		{"Ref pseudo", `{Ref: "AWS::StackName"}`, "demo", ""},
	}, nil)
}

func TestSelectPath(t *testing.T) {
	t.Parallel()
	v := y(t, `{a: [{b: 1}, {b: 2}]}`)
	for _, tc := range []struct {
		name string
		path []any
		want any
	}{
		{"empty", nil, v},
		{"key", []any{"a"}, y(t, `[{b: 1}, {b: 2}]`)},
		{"index", []any{"a", 1, "b"}, 2},
		{"negative", []any{"a", -1, "b"}, 2},
		{"string index on list", []any{"a", "1"}, nil},
		{"missing key", []any{"x"}, nil},
		{"through scalar", []any{"a", 0, "b", "c"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			checkValue(t, SelectPath(v, tc.path), tc.want)
		})
	}
}
