package hot

import (
	"testing"
)

func TestYaql(t *testing.T) {
	t.Parallel()
	data := map[string]any{
		"tag":     "v3.26.1",
		"n":       7,
		"f":       2.5,
		"list":    []any{3, 1, 2, 3},
		"words":   []any{"b", "a", "c"},
		"nested":  []any{[]any{1, 2}, []any{3, []any{4}}},
		"empty":   []any{},
		"m":       map[string]any{"b": 2, "a": 1},
		"servers": []any{map[string]any{"name": "s1", "status": "ACTIVE", "ip": "10.0.0.1"}, map[string]any{"name": "s2", "status": "ERROR", "ip": "10.0.0.2"}, map[string]any{"name": "s3", "status": "ACTIVE", "ip": "10.0.0.3"}},
		"csv":     "a, b,c",
		"nothing": nil,
	}
	for _, tc := range []struct {
		name    string
		expr    string
		want    any
		wantErr string
	}{
		{"data access", `$.data.tag`, "v3.26.1", ""},
		{"missing key is null", `$.data.nope`, nil, ""},
		{"null-safe access", `$.data.nothing?.x`, nil, ""},
		{"startsWith", `$.data.tag.startsWith("v3.26.")`, true, ""},
		{"startsWith false", `$.data.tag.startsWith('v3.3.')`, false, ""},
		{"endsWith", `$.data.tag.endsWith(".1")`, true, ""},
		{"toLower toUpper", `$.data.tag.toUpper().toLower()`, "v3.26.1", ""},
		{"len of string", `len($.data.tag)`, 7, ""},
		{"len method", `$.data.list.len()`, 4, ""},
		{"count", `$.data.m.count()`, 2, ""},
		{"comparison =", `$.data.n = 7`, true, ""},
		{"comparison ==", `$.data.n == 7`, true, ""},
		{"comparison !=", `$.data.n != 7`, false, ""},
		{"comparison < > <= >=", `$.data.n < 8 and $.data.n > 6 and $.data.n <= 7 and $.data.n >= 7`, true, ""},
		{"string comparison", `'a' < 'b'`, true, ""},
		{"or not", `not $.data.n = 7 or $.data.f = 2.5`, true, ""},
		{"and returns operand", `true and 'x'`, "x", ""},
		{"arithmetic", `($.data.n + 3) * 2 - 1`, 19, ""},
		{"integer division", `$.data.n / 2`, 3, ""},
		{"float division", `$.data.f / 2`, 1.25, ""},
		{"mod", `$.data.n mod 4`, 3, ""},
		{"negative", `-$.data.n + 1`, -6, ""},
		{"string concat", `'a' + 'b'`, "ab", ""},
		{"list concat", `[1] + [2]`, []any{1, 2}, ""},
		{"in list", `2 in $.data.list`, true, ""},
		{"in string", `'26' in $.data.tag`, true, ""},
		{"in dict", `'a' in $.data.m`, true, ""},
		{"index", `$.data.list[1]`, 1, ""},
		{"negative index", `$.data.list[-1]`, 3, ""},
		{"dict index", `$.data.m['b']`, 2, ""},
		{"where select", `$.data.servers.where($.status = 'ACTIVE').select($.name)`, []any{"s1", "s3"}, ""},
		{"attribute over list", `$.data.servers.ip`, []any{"10.0.0.1", "10.0.0.2", "10.0.0.3"}, ""},
		{"first last", `[$.data.list.first(), $.data.list.last()]`, []any{3, 3}, ""},
		{"first default", `$.data.empty.first(0)`, 0, ""},
		{"join method", `$.data.words.join(',')`, "b,a,c", ""},
		{"join on separator", `','.join($.data.words)`, "b,a,c", ""},
		{"join function", `join($.data.list, '-')`, "3-1-2-3", ""},
		{"split", `$.data.csv.split(',')`, []any{"a", " b", "c"}, ""},
		{"split trim", `$.data.csv.split(',').select($.trim())`, []any{"a", "b", "c"}, ""},
		{"replace", `$.data.tag.replace('.', '-')`, "v3-26-1", ""},
		{"substring", `$.data.tag.substring(1, 4)`, "3.26", ""},
		{"substring to the end", `$.data.tag.substring(5, 9223372036854775807)`, ".1", ""},
		{"indexOf", `$.data.tag.indexOf('26')`, 3, ""},
		{"keys values", `[$.data.m.keys(), $.data.m.values()]`, []any{[]any{"a", "b"}, []any{1, 2}}, ""},
		{"items", `$.data.m.items()`, []any{[]any{"a", 1}, []any{"b", 2}}, ""},
		{"dict kwargs", `dict(a => 1, b => $.data.n)`, map[string]any{"a": 1, "b": 7}, ""},
		{"dict of pairs", `dict($.data.servers.select([$.name, $.ip]))`, map[string]any{"s1": "10.0.0.1", "s2": "10.0.0.2", "s3": "10.0.0.3"}, ""},
		{"dict literal", `{a => 1, 'b' => [2]}`, map[string]any{"a": 1, "b": []any{2}}, ""},
		{"list", `list(1, 'a', $.data.n)`, []any{1, "a", 7}, ""},
		{"distinct", `$.data.list.distinct()`, []any{3, 1, 2}, ""},
		{"sum max min", `[$.data.list.sum(), $.data.list.max(), $.data.list.min()]`, []any{9, 3, 1}, ""},
		{"orderBy", `$.data.servers.orderBy($.status).select($.name)`, []any{"s1", "s3", "s2"}, ""},
		{"orderBy self", `$.data.words.orderBy($)`, []any{"a", "b", "c"}, ""},
		{"any all", `[$.data.list.any($ > 2), $.data.list.all($ > 2)]`, []any{true, false}, ""},
		{"flatten", `$.data.nested.flatten()`, []any{1, 2, 3, 4}, ""},
		{"skip take", `$.data.list.skip(1).take(2)`, []any{1, 2}, ""},
		{"get default", `$.data.m.get(z, 9)`, 9, ""},
		{"str int float", `[str(1), int('4'), float(1)]`, []any{"1", 4, 1.0}, ""},
		{"regex", `$.data.tag =~ '^v3\.[0-9]+'`, true, ""},
		{"escaped quote", `'it\'s'`, "it's", ""},
		{"unsupported function", `$.data.list.shuffle()`, nil, `resources.r.properties.yaql: yaql: unsupported function "shuffle"`},
		{"variables", `$foo`, nil, "variable $foo is not supported"},
		{"syntax error", `$.data.(`, nil, "Bad expression"},
		{"unterminated string", `'abc`, nil, "Bad expression unterminated string"},
		{"type error", `$.data.n.toLower()`, nil, "toLower/toUpper() needs a string, got integer"},
		{"compare mismatch", `1 < 'a'`, nil, "cannot compare integer with string"},
		{"division by zero", `1 / 0`, nil, "division by zero"},
		{"first of empty", `$.data.empty.first()`, nil, "first()/last() of an empty collection"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := Eval(map[string]any{"yaql": map[string]any{"expression": tc.expr, "data": data}}, &EvalContext{Path: "resources.r.properties"})
			checkErr(t, err, tc.wantErr)
			if tc.wantErr == "" {
				checkValue(t, got, tc.want)
			}
		})
	}
}

func TestYaqlArguments(t *testing.T) {
	t.Parallel()
	runEvalCases(t, []evalCase{
		{"data from functions", `{yaql: {expression: "$.data.n * 2", data: {n: {get_param: count}}}}`, 6, ""},
		{"no data", `{yaql: {expression: "1 + 1"}}`, 2, ""},
		{"not a map", `{yaql: "1"}`, nil, `Arguments to "yaql" must be a map.`},
		{"extra key", `{yaql: {expression: "1", other: 2}}`, nil, `"yaql" syntax should be`},
		{"expression not string", `{yaql: {expression: [1]}}`, nil, `The "expression" argument to yaql must contain a string.`},
	}, nil)
}
