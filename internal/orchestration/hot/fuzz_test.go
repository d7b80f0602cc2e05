package hot

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func FuzzParse(f *testing.F) {
	f.Add([]byte(orderedTemplate))
	f.Add([]byte(memberTemplate))
	f.Add([]byte(`{"heat_template_version": "2013-05-23", "resources": {"a": {"type": "T", "properties": {"x": {"Fn::Join": [",", [{"Ref": "a"}]]}}}}}`))
	f.Add([]byte("heat_template_version: wallaby\nconditions:\n  c: {yaql: {expression: \"$.data.x\", data: {x: true}}}\nresources:\n  a: {type: T, condition: c, properties: {v: {if: [c, 1]}}}\n"))
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("heat_template_version: queens\nparameters:\n  p: {type: string, default: x, constraints: [{allowed_pattern: \"(a+)+$\"}, {length: {min: 1}}]}\n"))
	if matches, err := filepath.Glob("testdata/cluster/*.yaml"); err == nil {
		for _, m := range matches {
			if b, err := os.ReadFile(m); err == nil {
				f.Add(b)
			}
		}
	}
	files := map[string]string{"member.yaml": memberTemplate, "node.yaml": "heat_template_version: queens\nresources:\n  n: {type: node.yaml}\n"}
	f.Fuzz(func(t *testing.T, body []byte) {
		tmpl, err := Parse(body, files)
		if err != nil {
			var herr *Error
			if !errors.As(err, &herr) {
				t.Fatalf("Parse returned %T, not *Error: %v", err, err)
			}
			return
		}
		_ = Validate(tmpl, &Environment{ResourceRegistry: map[string]string{"A": "member.yaml"}}, types)
		params, err := tmpl.ResolveParameters(nil, nil)
		if err != nil {
			return
		}
		conds, err := tmpl.EvalConditions(params)
		if err != nil {
			return
		}
		ctx := &EvalContext{Params: params, Conditions: conds, Files: files, Resolver: fakeResolver{}}
		for _, r := range tmpl.Resources {
			_, _ = Eval(r.Properties, ctx)
			_, _ = ConditionEnabled(r.Condition, ctx)
			_ = tmpl.Dependencies(r)
		}
		for _, o := range tmpl.Outputs {
			_, _ = Eval(o.Value, ctx)
		}
	})
}

func FuzzEval(f *testing.F) {
	for _, s := range []string{
		`{str_replace: {template: "$a $ab", params: {$a: X, $ab: [1]}}}`,
		`{list_join: [",", [a, {b: 1}], null]}`,
		`{repeat: {template: {"k-%i%": "%j%"}, for_each: {"%i%": [a, b], "%j%": {x: 1}}}}`,
		`{map_replace: [{a: 1}, {keys: {a: b}, values: {1: 2}}]}`,
		`{if: [{and: [prod, {not: dev}]}, {get_param: [config, net, dns, 0]}, {get_attr: [server, networks, private, 1]}]}`,
		`{make_url: {scheme: https, host: "fd00::1", port: "8443", path: "/a b", query: {q: "x/y"}}}`,
		`{digest: [sha256, {str_split: [",", "a,b", 1]}]}`,
		`{list_concat_unique: [[1, 1.0, true], {filter: [[a], [a, b]]}]}`,
		`{yaql: {expression: "$.data.servers.where($.status = 'ACTIVE').select($.name).join(',')", data: {servers: [{name: a, status: ACTIVE}]}}}`,
		`{yaql: {expression: "dict($.data.l.select([$, $ * 2])).keys().orderBy($).first()", data: {l: [3, 1]}}}`,
		`{contains: [b, {get_param: names}]}`,
		`{get_file: ../fragments/setup.sh}`,
	} {
		f.Add(s, false)
	}
	for _, s := range []string{`$.data.a.b[0].c`, `1 + 2 * 3 mod 2`, `not (true and false) or 'a' in ['a']`, `$.data.x =~ '^(a|b)+$'`, `{a => [1, {b => 2}]}.get(a)`, `'x'.join([1, null, true])`} {
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, expr string, asYaql bool) {
		var v any
		if asYaql {
			v = map[string]any{"yaql": map[string]any{"expression": expr, "data": map[string]any{"a": map[string]any{"b": []any{map[string]any{"c": 1}}}, "x": "abab"}}}
		} else {
			d, err := decodeDocument([]byte(expr))
			if err != nil {
				return
			}
			v = plain(d)
		}
		out, err := Eval(v, evalContext())
		if err != nil {
			var herr *Error
			if !errors.As(err, &herr) {
				t.Fatalf("Eval returned %T, not *Error: %v", err, err)
			}
			return
		}
		_ = pyJSON(out)
		_ = References(v)
	})
}
