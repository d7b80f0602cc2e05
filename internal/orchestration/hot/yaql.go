package hot

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/dlclark/regexp2/v2"
)

// This file implements the subset of YAQL (the query language behind Heat's
// yaql function) that templates use in practice:
//
//   - data access: $, $.data.a.b, ?. (null-safe), x[index], x.attr on lists
//     (maps over the items);
//   - literals: numbers, 'strings', "strings", true, false, null,
//     [lists] and {key => value} dicts;
//   - operators: = == != < > <= >= in =~ !~, + - * / mod, and or not,
//     unary + and -, parentheses;
//   - functions and methods, listed in yaqlFunctions, where lambdas such as
//     where($.status = 'ACTIVE') bind $ to each item.
//
// Anything else is an error that names the unsupported construct.

type yNode interface{}

type (
	yLit  struct{ v any }
	yVar  struct{ name string }
	yAttr struct {
		recv yNode
		name string
		safe bool
	}
	yCall struct {
		recv   yNode // nil for the function form
		method bool
		name   string
		args   []yArg
	}
	yArg struct {
		key yNode // set for "key => value" arguments
		val yNode
	}
	yIndex struct{ recv, idx yNode }
	yBin   struct {
		op   string
		l, r yNode
	}
	yUnary struct {
		op string
		x  yNode
	}
	yList struct{ items []yNode }
	yDict struct{ keys, vals []yNode }
)

type yTok struct {
	kind string // num, str, var, ident, op, eof
	text string
	val  any
	pos  int
}

func yaqlLex(s string) ([]yTok, error) {
	var toks []yTok
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c >= '0' && c <= '9':
			j := i
			for j < len(s) && s[j] >= '0' && s[j] <= '9' {
				j++
			}
			isFloat := false
			if j+1 < len(s) && s[j] == '.' && s[j+1] >= '0' && s[j+1] <= '9' {
				isFloat = true
				j++
				for j < len(s) && s[j] >= '0' && s[j] <= '9' {
					j++
				}
			}
			if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
				k := j + 1
				if k < len(s) && (s[k] == '+' || s[k] == '-') {
					k++
				}
				if k < len(s) && s[k] >= '0' && s[k] <= '9' {
					isFloat = true
					for k < len(s) && s[k] >= '0' && s[k] <= '9' {
						k++
					}
					j = k
				}
			}
			text := s[i:j]
			var v any
			if isFloat {
				f, err := strconv.ParseFloat(text, 64)
				if err != nil {
					return nil, fmt.Errorf("invalid number %q at position %d", text, i)
				}
				v = f
			} else {
				n, err := strconv.Atoi(text)
				if err != nil {
					f, _ := strconv.ParseFloat(text, 64)
					v = f
				} else {
					v = n
				}
			}
			toks = append(toks, yTok{kind: "num", text: text, val: v, pos: i})
			i = j
		case c == '\'' || c == '"' || c == '`':
			str, n, err := yaqlString(s[i:])
			if err != nil {
				return nil, fmt.Errorf("%w at position %d", err, i)
			}
			toks = append(toks, yTok{kind: "str", text: s[i : i+n], val: str, pos: i})
			i += n
		case c == '$':
			j := i + 1
			for j < len(s) && (isIdentByte(s[j])) {
				j++
			}
			toks = append(toks, yTok{kind: "var", text: s[i:j], val: s[i+1 : j], pos: i})
			i = j
		case isIdentStart(c):
			j := i
			for j < len(s) && isIdentByte(s[j]) {
				j++
			}
			toks = append(toks, yTok{kind: "ident", text: s[i:j], pos: i})
			i = j
		default:
			op := ""
			for _, cand := range []string{"?.", "=>", "->", "==", "!=", "<=", ">=", "=~", "!~", ".", "(", ")", "[", "]", "{", "}", ",", "=", "<", ">", "+", "-", "*", "/"} {
				if strings.HasPrefix(s[i:], cand) {
					op = cand
					break
				}
			}
			if op == "" {
				r, _ := utf8.DecodeRuneInString(s[i:])
				return nil, fmt.Errorf("unexpected character %q at position %d", r, i)
			}
			toks = append(toks, yTok{kind: "op", text: op, pos: i})
			i += len(op)
		}
	}
	toks = append(toks, yTok{kind: "eof", pos: len(s)})
	return toks, nil
}

func isIdentStart(c byte) bool {
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
}

func isIdentByte(c byte) bool { return isIdentStart(c) || (c >= '0' && c <= '9') }

func yaqlString(s string) (string, int, error) {
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		if c == q {
			return b.String(), i + 1, nil
		}
		if c == '\\' && q != '`' && i+1 < len(s) {
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case '0':
				b.WriteByte(0)
			case 'u':
				if i+4 < len(s) {
					if r, err := strconv.ParseUint(s[i+1:i+5], 16, 32); err == nil {
						b.WriteRune(rune(r))
						i += 4
						continue
					}
				}
				b.WriteString(`\u`)
			default:
				b.WriteByte(s[i])
			}
			continue
		}
		b.WriteByte(c)
	}
	return "", 0, fmt.Errorf("unterminated string")
}

type yParser struct {
	toks  []yTok
	pos   int
	depth int
}

// parseYaql parses an expression of the supported subset.
func parseYaql(expr string) (yNode, error) {
	toks, err := yaqlLex(expr)
	if err != nil {
		return nil, err
	}
	p := &yParser{toks: toks}
	n, err := p.expr(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != "eof" {
		return nil, fmt.Errorf("unexpected %q at position %d", t.text, t.pos)
	}
	return n, nil
}

func (p *yParser) peek() yTok { return p.toks[p.pos] }

func (p *yParser) next() yTok {
	t := p.toks[p.pos]
	if t.kind != "eof" {
		p.pos++
	}
	return t
}

func (p *yParser) isOp(text string) bool {
	t := p.peek()
	return (t.kind == "op" || t.kind == "ident") && t.text == text
}

func (p *yParser) expect(text string) error {
	if !p.isOp(text) {
		t := p.peek()
		if t.kind == "eof" {
			return fmt.Errorf("expected %q at the end of the expression", text)
		}
		return fmt.Errorf("expected %q at position %d, found %q", text, t.pos, t.text)
	}
	p.next()
	return nil
}

// Binding powers of the binary operators.
var yBinary = map[string]int{
	"or": 10, "and": 20,
	"=": 40, "==": 40, "!=": 40, "<": 40, ">": 40, "<=": 40, ">=": 40, "in": 40, "=~": 40, "!~": 40,
	"+": 50, "-": 50,
	"*": 60, "/": 60, "mod": 60,
}

func (p *yParser) expr(minBP int) (yNode, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > 200 {
		return nil, fmt.Errorf("expression nests too deeply")
	}
	left, err := p.prefix()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		if t.kind != "op" && t.kind != "ident" {
			return left, nil
		}
		bp, ok := yBinary[t.text]
		if !ok || bp <= minBP {
			return left, nil
		}
		p.next()
		right, err := p.expr(bp)
		if err != nil {
			return nil, err
		}
		left = yBin{op: t.text, l: left, r: right}
	}
}

func (p *yParser) prefix() (yNode, error) {
	t := p.next()
	var n yNode
	switch {
	case t.kind == "num" || t.kind == "str":
		n = yLit{t.val}
	case t.kind == "var":
		n = yVar{t.val.(string)}
	case t.kind == "op" && (t.text == "-" || t.text == "+"):
		x, err := p.expr(65)
		if err != nil {
			return nil, err
		}
		return yUnary{op: t.text, x: x}, nil
	case t.kind == "ident" && t.text == "not":
		x, err := p.expr(30)
		if err != nil {
			return nil, err
		}
		return yUnary{op: "not", x: x}, nil
	case t.kind == "ident":
		switch t.text {
		case "true":
			n = yLit{true}
		case "false":
			n = yLit{false}
		case "null":
			n = yLit{nil}
		default:
			if !p.isOp("(") {
				// A bare identifier is a keyword string in YAQL (dict keys,
				// keyword arguments).
				n = yLit{t.text}
				break
			}
			args, err := p.args()
			if err != nil {
				return nil, err
			}
			n = yCall{name: t.text, args: args}
		}
	case t.kind == "op" && t.text == "(":
		x, err := p.expr(0)
		if err != nil {
			return nil, err
		}
		if err := p.expect(")"); err != nil {
			return nil, err
		}
		n = x
	case t.kind == "op" && t.text == "[":
		var items []yNode
		for !p.isOp("]") {
			x, err := p.expr(0)
			if err != nil {
				return nil, err
			}
			items = append(items, x)
			if !p.isOp(",") {
				break
			}
			p.next()
		}
		if err := p.expect("]"); err != nil {
			return nil, err
		}
		n = yList{items}
	case t.kind == "op" && t.text == "{":
		d := yDict{}
		for !p.isOp("}") {
			k, err := p.expr(0)
			if err != nil {
				return nil, err
			}
			if err := p.expect("=>"); err != nil {
				return nil, err
			}
			v, err := p.expr(0)
			if err != nil {
				return nil, err
			}
			d.keys, d.vals = append(d.keys, k), append(d.vals, v)
			if !p.isOp(",") {
				break
			}
			p.next()
		}
		if err := p.expect("}"); err != nil {
			return nil, err
		}
		n = d
	case t.kind == "eof":
		return nil, fmt.Errorf("unexpected end of the expression")
	default:
		return nil, fmt.Errorf("unexpected %q at position %d", t.text, t.pos)
	}
	return p.postfix(n)
}

func (p *yParser) postfix(n yNode) (yNode, error) {
	for {
		switch {
		case p.isOp(".") || p.isOp("?."):
			safe := p.next().text == "?."
			name := p.next()
			if name.kind != "ident" {
				return nil, msgf("expected a name after %q at position %d", ".", name.pos)
			}
			if p.isOp("(") {
				args, err := p.args()
				if err != nil {
					return nil, err
				}
				n = yCall{recv: n, method: true, name: name.text, args: args}
				continue
			}
			n = yAttr{recv: n, name: name.text, safe: safe}
		case p.isOp("["):
			p.next()
			idx, err := p.expr(0)
			if err != nil {
				return nil, err
			}
			if err := p.expect("]"); err != nil {
				return nil, err
			}
			n = yIndex{recv: n, idx: idx}
		default:
			return n, nil
		}
	}
}

func (p *yParser) args() ([]yArg, error) {
	if err := p.expect("("); err != nil {
		return nil, err
	}
	var args []yArg
	for !p.isOp(")") {
		x, err := p.expr(0)
		if err != nil {
			return nil, err
		}
		a := yArg{val: x}
		if p.isOp("=>") {
			p.next()
			v, err := p.expr(0)
			if err != nil {
				return nil, err
			}
			a = yArg{key: x, val: v}
		}
		args = append(args, a)
		if !p.isOp(",") {
			break
		}
		p.next()
	}
	return args, p.expect(")")
}

// yaqlEval evaluates parsed expressions.
type yaqlEval struct {
	e *evaluator
}

func (e *evaluator) yaql(a any, path string) (any, error) {
	m, ok := a.(map[string]any)
	if !ok {
		return nil, msgf("Arguments to \"yaql\" must be a map.")
	}
	exprV, ok := m["expression"]
	for k := range m {
		if k != "expression" && k != "data" {
			ok = false
		}
	}
	if !ok {
		return nil, msgf("\"yaql\" syntax should be yaql: {expression: $.data.var1.sum(), data: {var1: [3, 2, 1]}}")
	}
	expr, isStr := exprV.(string)
	if !isStr {
		return nil, msgf("The \"expression\" argument to yaql must contain a string.")
	}
	n, err := parseYaql(expr)
	if err != nil {
		return nil, msgf("Bad expression %s.", err.Error())
	}
	data := m["data"]
	if data == nil {
		data = map[string]any{}
	}
	y := &yaqlEval{e: e}
	v, err := y.eval(n, map[string]any{"data": data}, path)
	if err != nil {
		return nil, fmt.Errorf("yaql: %w", err)
	}
	return v, nil
}

func (y *yaqlEval) eval(n yNode, scope any, path string) (any, error) {
	switch x := n.(type) {
	case yLit:
		return x.v, nil
	case yVar:
		if x.name != "" {
			return nil, fmt.Errorf("variable $%s is not supported; use $", x.name)
		}
		return scope, nil
	case yAttr:
		recv, err := y.eval(x.recv, scope, path)
		if err != nil {
			return nil, err
		}
		return yaqlAttr(recv, x.name), nil
	case yIndex:
		recv, err := y.eval(x.recv, scope, path)
		if err != nil {
			return nil, err
		}
		idx, err := y.eval(x.idx, scope, path)
		if err != nil {
			return nil, err
		}
		return yaqlIndex(recv, idx)
	case yList:
		out := make([]any, 0, len(x.items))
		for _, item := range x.items {
			v, err := y.eval(item, scope, path)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, y.e.count(len(out), path)
	case yDict:
		out := map[string]any{}
		for i := range x.keys {
			k, err := y.eval(x.keys[i], scope, path)
			if err != nil {
				return nil, err
			}
			v, err := y.eval(x.vals[i], scope, path)
			if err != nil {
				return nil, err
			}
			out[keyString(k)] = v
		}
		return out, nil
	case yUnary:
		v, err := y.eval(x.x, scope, path)
		if err != nil {
			return nil, err
		}
		switch x.op {
		case "not":
			return !pyTruthy(v), nil
		case "-":
			switch t := v.(type) {
			case int:
				return -t, nil
			case float64:
				return -t, nil
			}
			return nil, fmt.Errorf("unary - needs a number, got %s", typeName(v))
		default:
			if !isNumber(v) {
				return nil, fmt.Errorf("unary + needs a number, got %s", typeName(v))
			}
			return v, nil
		}
	case yBin:
		return y.binary(x, scope, path)
	case yCall:
		return y.call(x, scope, path)
	}
	return nil, fmt.Errorf("unsupported expression")
}

func yaqlAttr(recv any, name string) any {
	switch r := recv.(type) {
	case map[string]any:
		return r[name]
	case []any:
		out := make([]any, 0, len(r))
		for _, item := range r {
			out = append(out, yaqlAttr(item, name))
		}
		return out
	}
	return nil
}

func yaqlIndex(recv, idx any) (any, error) {
	switch r := recv.(type) {
	case map[string]any:
		return r[keyString(idx)], nil
	case []any:
		i, ok := idx.(int)
		if !ok {
			return nil, fmt.Errorf("list indexes must be integers, not %s", typeName(idx))
		}
		if i < 0 {
			i += len(r)
		}
		if i < 0 || i >= len(r) {
			return nil, fmt.Errorf("list index out of range")
		}
		return r[i], nil
	case string:
		i, ok := idx.(int)
		rs := []rune(r)
		if !ok {
			return nil, fmt.Errorf("string indexes must be integers, not %s", typeName(idx))
		}
		if i < 0 {
			i += len(rs)
		}
		if i < 0 || i >= len(rs) {
			return nil, fmt.Errorf("string index out of range")
		}
		return string(rs[i]), nil
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("cannot index a %s", typeName(recv))
}

func (y *yaqlEval) binary(x yBin, scope any, path string) (any, error) {
	l, err := y.eval(x.l, scope, path)
	if err != nil {
		return nil, err
	}
	switch x.op {
	case "and":
		if !pyTruthy(l) {
			return l, nil
		}
		return y.eval(x.r, scope, path)
	case "or":
		if pyTruthy(l) {
			return l, nil
		}
		return y.eval(x.r, scope, path)
	}
	r, err := y.eval(x.r, scope, path)
	if err != nil {
		return nil, err
	}
	switch x.op {
	case "=", "==":
		return pyEqual(l, r), nil
	case "!=":
		return !pyEqual(l, r), nil
	case "<", ">", "<=", ">=":
		c, err := yaqlCompare(l, r)
		if err != nil {
			return nil, fmt.Errorf("operator %s: %w", x.op, err)
		}
		switch x.op {
		case "<":
			return c < 0, nil
		case ">":
			return c > 0, nil
		case "<=":
			return c <= 0, nil
		}
		return c >= 0, nil
	case "in":
		return yaqlIn(l, r)
	case "=~", "!~":
		s, ok1 := l.(string)
		pat, ok2 := r.(string)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("operator %s needs strings", x.op)
		}
		re, err := regexp2.Compile(pat, regexp2.None)
		if err != nil {
			return nil, fmt.Errorf("bad regular expression %q: %w", pat, err)
		}
		re.MatchTimeout = patternLimit
		m, err := re.MatchString(s)
		if err != nil {
			return nil, err
		}
		return m == (x.op == "=~"), nil
	}
	return yaqlArith(x.op, l, r)
}

func yaqlCompare(l, r any) (int, error) {
	if a, ok := pyNumber(l); ok {
		if b, ok := pyNumber(r); ok {
			switch {
			case a < b:
				return -1, nil
			case a > b:
				return 1, nil
			}
			return 0, nil
		}
	}
	if a, ok := l.(string); ok {
		if b, ok := r.(string); ok {
			return strings.Compare(a, b), nil
		}
	}
	return 0, fmt.Errorf("cannot compare %s with %s", typeName(l), typeName(r))
}

func yaqlIn(l, r any) (any, error) {
	switch c := r.(type) {
	case []any:
		for _, item := range c {
			if pyEqual(item, l) {
				return true, nil
			}
		}
		return false, nil
	case map[string]any:
		s, ok := l.(string)
		if !ok {
			return false, nil
		}
		_, found := c[s]
		return found, nil
	case string:
		s, ok := l.(string)
		if !ok {
			return nil, fmt.Errorf("operator in: a string can only contain strings")
		}
		return strings.Contains(c, s), nil
	}
	return nil, fmt.Errorf("operator in needs a collection, got %s", typeName(r))
}

func yaqlArith(op string, l, r any) (any, error) {
	li, lInt := l.(int)
	ri, rInt := r.(int)
	if lInt && rInt {
		switch op {
		case "+":
			return li + ri, nil
		case "-":
			return li - ri, nil
		case "*":
			return li * ri, nil
		case "/", "mod":
			if ri == 0 {
				return nil, fmt.Errorf("division by zero")
			}
			q, m := li/ri, li%ri
			if m != 0 && (m < 0) != (ri < 0) {
				q--
				m += ri
			}
			if op == "/" {
				return q, nil
			}
			return m, nil
		}
	}
	lf, lNum := pyNumber(l)
	rf, rNum := pyNumber(r)
	if lNum && rNum {
		switch op {
		case "+":
			return lf + rf, nil
		case "-":
			return lf - rf, nil
		case "*":
			return lf * rf, nil
		case "/":
			if rf == 0 {
				return nil, fmt.Errorf("division by zero")
			}
			return lf / rf, nil
		case "mod":
			if rf == 0 {
				return nil, fmt.Errorf("division by zero")
			}
			return pyMod(lf, rf), nil
		}
	}
	if op == "+" {
		switch a := l.(type) {
		case string:
			if b, ok := r.(string); ok {
				if len(a)+len(b) > maxStringLen {
					return nil, fmt.Errorf("string too long")
				}
				return a + b, nil
			}
		case []any:
			if b, ok := r.([]any); ok {
				return append(append([]any{}, a...), b...), nil
			}
		case map[string]any:
			if b, ok := r.(map[string]any); ok {
				out := map[string]any{}
				for k, v := range a {
					out[k] = v
				}
				for k, v := range b {
					out[k] = v
				}
				return out, nil
			}
		}
	}
	return nil, fmt.Errorf("operator %s is not defined for %s and %s", op, typeName(l), typeName(r))
}

// yaqlFn is a YAQL function. self is the receiver of the method form
// (x.f()) or the first argument of the function form (f(x)).
type yaqlFn struct {
	noSelf bool // dict(), list(): no receiver
	min    int  // minimum number of arguments after self
	max    int  // maximum, -1 for any
	fn     func(y *yaqlEval, self any, args []yArg, scope any, path string) (any, error)
}

// yaqlFunction looks a YAQL function up. It is a switch rather than a
// map because the functions refer back to the evaluator.
func yaqlFunction(name string) (yaqlFn, bool) {
	switch name {
	case "len":
		return yaqlFn{max: 0, fn: yLen}, true
	case "count":
		return yaqlFn{max: 0, fn: yLen}, true
	case "startsWith":
		return yaqlFn{min: 1, max: -1, fn: yStartsEnds(strings.HasPrefix)}, true
	case "endsWith":
		return yaqlFn{min: 1, max: -1, fn: yStartsEnds(strings.HasSuffix)}, true
	case "toLower":
		return yaqlFn{max: 0, fn: yStrFn(strings.ToLower)}, true
	case "toUpper":
		return yaqlFn{max: 0, fn: yStrFn(strings.ToUpper)}, true
	case "trim":
		return yaqlFn{max: 1, fn: yTrim}, true
	case "split":
		return yaqlFn{min: 0, max: 2, fn: ySplit}, true
	case "replace":
		return yaqlFn{min: 2, max: 3, fn: yReplace}, true
	case "substring":
		return yaqlFn{min: 1, max: 2, fn: ySubstring}, true
	case "indexOf":
		return yaqlFn{min: 1, max: 1, fn: yIndexOf}, true
	case "matches":
		return yaqlFn{min: 1, max: 1, fn: yMatches}, true
	case "join":
		return yaqlFn{min: 1, max: 1, fn: yJoin}, true
	case "str":
		return yaqlFn{max: 0, fn: func(_ *yaqlEval, self any, _ []yArg, _ any, _ string) (any, error) { return yaqlStr(self), nil }}, true
	case "int":
		return yaqlFn{max: 0, fn: yInt}, true
	case "float":
		return yaqlFn{max: 0, fn: yFloat}, true
	case "bool":
		return yaqlFn{max: 0, fn: func(_ *yaqlEval, self any, _ []yArg, _ any, _ string) (any, error) { return pyTruthy(self), nil }}, true
	case "first":
		return yaqlFn{max: 1, fn: yFirstLast(true)}, true
	case "last":
		return yaqlFn{max: 1, fn: yFirstLast(false)}, true
	case "where":
		return yaqlFn{min: 1, max: 1, fn: yWhere}, true
	case "filter":
		return yaqlFn{min: 1, max: 1, fn: yWhere}, true
	case "select":
		return yaqlFn{min: 1, max: 1, fn: ySelect}, true
	case "any":
		return yaqlFn{max: 1, fn: yAnyAll(true)}, true
	case "all":
		return yaqlFn{max: 1, fn: yAnyAll(false)}, true
	case "distinct":
		return yaqlFn{max: 0, fn: yDistinct}, true
	case "sum":
		return yaqlFn{max: 0, fn: ySum}, true
	case "max":
		return yaqlFn{max: 0, fn: yMinMax(1)}, true
	case "min":
		return yaqlFn{max: 0, fn: yMinMax(-1)}, true
	case "orderBy":
		return yaqlFn{max: 1, fn: yOrderBy(false)}, true
	case "orderByDescending":
		return yaqlFn{max: 1, fn: yOrderBy(true)}, true
	case "keys":
		return yaqlFn{max: 0, fn: yKeys}, true
	case "values":
		return yaqlFn{max: 0, fn: yValues}, true
	case "items":
		return yaqlFn{max: 0, fn: yItems}, true
	case "get":
		return yaqlFn{min: 1, max: 2, fn: yGet}, true
	case "contains":
		return yaqlFn{min: 1, max: 1, fn: yContains}, true
	case "containsKey":
		return yaqlFn{min: 1, max: 1, fn: yContainsKey}, true
	case "flatten":
		return yaqlFn{max: 0, fn: yFlatten}, true
	case "toList":
		return yaqlFn{max: 0, fn: yToList}, true
	case "skip":
		return yaqlFn{min: 1, max: 1, fn: ySkipTake(true)}, true
	case "take":
		return yaqlFn{min: 1, max: 1, fn: ySkipTake(false)}, true
	case "limit":
		return yaqlFn{min: 1, max: 1, fn: ySkipTake(false)}, true
	case "reverse":
		return yaqlFn{max: 0, fn: yReverse}, true
	case "isEmpty":
		return yaqlFn{max: 0, fn: func(_ *yaqlEval, self any, _ []yArg, _ any, _ string) (any, error) { return !pyTruthy(self), nil }}, true
	case "list":
		return yaqlFn{noSelf: true, max: -1, fn: yListFn}, true
	case "dict":
		return yaqlFn{noSelf: true, max: -1, fn: yDictFn}, true
	}
	return yaqlFn{}, false
}

func (y *yaqlEval) call(c yCall, scope any, path string) (any, error) {
	f, ok := yaqlFunction(c.name)
	if !ok {
		return nil, fmt.Errorf("unsupported function %q", c.name)
	}
	args := c.args
	var self any
	switch {
	case f.noSelf:
		if c.method {
			return nil, fmt.Errorf("%s() cannot be called as a method", c.name)
		}
	case c.method:
		v, err := y.eval(c.recv, scope, path)
		if err != nil {
			return nil, err
		}
		self = v
	default:
		if len(args) == 0 {
			return nil, fmt.Errorf("%s() needs an argument", c.name)
		}
		if args[0].key != nil {
			return nil, fmt.Errorf("%s(): unexpected keyword argument", c.name)
		}
		v, err := y.eval(args[0].val, scope, path)
		if err != nil {
			return nil, err
		}
		self, args = v, args[1:]
	}
	if len(args) < f.min || (f.max >= 0 && len(args) > f.max) {
		return nil, fmt.Errorf("wrong number of arguments to %s()", c.name)
	}
	if !f.noSelf {
		for _, a := range args {
			if a.key != nil {
				return nil, fmt.Errorf("%s(): keyword arguments are not supported", c.name)
			}
		}
	}
	return f.fn(y, self, args, scope, path)
}

func (y *yaqlEval) arg(a yArg, scope any, path string) (any, error) {
	return y.eval(a.val, scope, path)
}

func yaqlStr(v any) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case bool:
		if t {
			return "true"
		}
		return "false"
	case []any, map[string]any:
		return pyJSON(t)
	}
	return pyStr(v)
}

func yLen(_ *yaqlEval, self any, _ []yArg, _ any, _ string) (any, error) {
	switch t := self.(type) {
	case string:
		return utf8.RuneCountInString(t), nil
	case []any:
		return len(t), nil
	case map[string]any:
		return len(t), nil
	}
	return nil, fmt.Errorf("len() needs a string or a collection, got %s", typeName(self))
}

func needString(name string, v any) (string, error) {
	s, ok := v.(string)
	if !ok {
		return "", fmt.Errorf("%s() needs a string, got %s", name, typeName(v))
	}
	return s, nil
}

func yStartsEnds(test func(string, string) bool) func(*yaqlEval, any, []yArg, any, string) (any, error) {
	return func(y *yaqlEval, self any, args []yArg, scope any, path string) (any, error) {
		s, err := needString("startsWith/endsWith", self)
		if err != nil {
			return nil, err
		}
		for _, a := range args {
			v, err := y.arg(a, scope, path)
			if err != nil {
				return nil, err
			}
			p, err := needString("startsWith/endsWith", v)
			if err != nil {
				return nil, err
			}
			if test(s, p) {
				return true, nil
			}
		}
		return false, nil
	}
}

func yStrFn(f func(string) string) func(*yaqlEval, any, []yArg, any, string) (any, error) {
	return func(_ *yaqlEval, self any, _ []yArg, _ any, _ string) (any, error) {
		s, err := needString("toLower/toUpper", self)
		if err != nil {
			return nil, err
		}
		return f(s), nil
	}
}

func yTrim(y *yaqlEval, self any, args []yArg, scope any, path string) (any, error) {
	s, err := needString("trim", self)
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		return strings.TrimFunc(s, unicode.IsSpace), nil
	}
	v, err := y.arg(args[0], scope, path)
	if err != nil {
		return nil, err
	}
	chars, err := needString("trim", v)
	if err != nil {
		return nil, err
	}
	return strings.Trim(s, chars), nil
}

func ySplit(y *yaqlEval, self any, args []yArg, scope any, path string) (any, error) {
	s, err := needString("split", self)
	if err != nil {
		return nil, err
	}
	var parts []string
	limit := -1
	if len(args) > 1 {
		v, err := y.arg(args[1], scope, path)
		if err != nil {
			return nil, err
		}
		n, ok := v.(int)
		if !ok {
			return nil, fmt.Errorf("split(): maxSplits must be an integer")
		}
		if n >= 0 {
			limit = n + 1
		}
	}
	if len(args) == 0 {
		parts = strings.Fields(s)
	} else {
		v, err := y.arg(args[0], scope, path)
		if err != nil {
			return nil, err
		}
		sep, err := needString("split", v)
		if err != nil {
			return nil, err
		}
		if sep == "" {
			return nil, fmt.Errorf("split(): empty separator")
		}
		parts = strings.SplitN(s, sep, limit)
	}
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, y.e.count(len(out), path)
}

func yReplace(y *yaqlEval, self any, args []yArg, scope any, path string) (any, error) {
	s, err := needString("replace", self)
	if err != nil {
		return nil, err
	}
	var strs [2]string
	for i := 0; i < 2; i++ {
		v, err := y.arg(args[i], scope, path)
		if err != nil {
			return nil, err
		}
		if strs[i], err = needString("replace", v); err != nil {
			return nil, err
		}
	}
	n := -1
	if len(args) == 3 {
		v, err := y.arg(args[2], scope, path)
		if err != nil {
			return nil, err
		}
		c, ok := v.(int)
		if !ok {
			return nil, fmt.Errorf("replace(): count must be an integer")
		}
		n = c
	}
	if int64(len(s))*int64(len(strs[1])+1) > maxStringLen {
		return nil, fmt.Errorf("replace(): result too long")
	}
	return strings.Replace(s, strs[0], strs[1], n), nil
}

func ySubstring(y *yaqlEval, self any, args []yArg, scope any, path string) (any, error) {
	s, err := needString("substring", self)
	if err != nil {
		return nil, err
	}
	rs := []rune(s)
	var nums [2]int
	nums[1] = -1
	for i, a := range args {
		v, err := y.arg(a, scope, path)
		if err != nil {
			return nil, err
		}
		n, ok := v.(int)
		if !ok {
			return nil, fmt.Errorf("substring(): arguments must be integers")
		}
		nums[i] = n
	}
	start := nums[0]
	if start < 0 {
		start += len(rs)
	}
	start = max(0, min(start, len(rs)))
	end := len(rs)
	if nums[1] >= 0 && nums[1] < len(rs)-start {
		end = start + nums[1]
	}
	return string(rs[start:end]), nil
}

func yIndexOf(y *yaqlEval, self any, args []yArg, scope any, path string) (any, error) {
	v, err := y.arg(args[0], scope, path)
	if err != nil {
		return nil, err
	}
	switch t := self.(type) {
	case string:
		sub, err := needString("indexOf", v)
		if err != nil {
			return nil, err
		}
		i := strings.Index(t, sub)
		if i < 0 {
			return -1, nil
		}
		return utf8.RuneCountInString(t[:i]), nil
	case []any:
		for i, item := range t {
			if pyEqual(item, v) {
				return i, nil
			}
		}
		return -1, nil
	}
	return nil, fmt.Errorf("indexOf() needs a string or a list, got %s", typeName(self))
}

func yMatches(y *yaqlEval, self any, args []yArg, scope any, path string) (any, error) {
	v, err := y.arg(args[0], scope, path)
	if err != nil {
		return nil, err
	}
	return y.binary(yBin{op: "=~", l: yLit{self}, r: yLit{v}}, scope, path)
}

func yJoin(y *yaqlEval, self any, args []yArg, scope any, path string) (any, error) {
	v, err := y.arg(args[0], scope, path)
	if err != nil {
		return nil, err
	}
	sep, list := "", []any(nil)
	switch t := self.(type) {
	case []any:
		s, err := needString("join", v)
		if err != nil {
			return nil, err
		}
		sep, list = s, t
	case string:
		l, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("join() needs a list, got %s", typeName(v))
		}
		sep, list = t, l
	default:
		return nil, fmt.Errorf("join() needs a list, got %s", typeName(self))
	}
	parts := make([]string, len(list))
	for i, item := range list {
		parts[i] = yaqlStr(item)
	}
	return strings.Join(parts, sep), nil
}

func yInt(_ *yaqlEval, self any, _ []yArg, _ any, _ string) (any, error) {
	switch t := self.(type) {
	case nil:
		return 0, nil
	case int:
		return t, nil
	case float64:
		if math.IsNaN(t) || math.IsInf(t, 0) {
			return nil, fmt.Errorf("int(): cannot convert %s", pyFloat(t))
		}
		return int(t), nil
	case bool:
		if t {
			return 1, nil
		}
		return 0, nil
	case string:
		n, err := strconv.Atoi(strings.TrimSpace(t))
		if err != nil {
			return nil, fmt.Errorf("int(): invalid literal %q", t)
		}
		return n, nil
	}
	return nil, fmt.Errorf("int() cannot convert a %s", typeName(self))
}

func yFloat(_ *yaqlEval, self any, _ []yArg, _ any, _ string) (any, error) {
	switch t := self.(type) {
	case nil:
		return 0.0, nil
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(t), 64)
		if err != nil {
			return nil, fmt.Errorf("float(): invalid literal %q", t)
		}
		return f, nil
	}
	if f, ok := pyNumber(self); ok {
		return f, nil
	}
	return nil, fmt.Errorf("float() cannot convert a %s", typeName(self))
}

// collection returns the items of a list, or the keys of a dict as YAQL
// iterates them.
func collection(name string, v any) ([]any, error) {
	switch t := v.(type) {
	case []any:
		return t, nil
	case map[string]any:
		keys := sortedKeys(t)
		out := make([]any, len(keys))
		for i, k := range keys {
			out[i] = k
		}
		return out, nil
	case nil:
		return nil, nil
	}
	return nil, fmt.Errorf("%s() needs a collection, got %s", name, typeName(v))
}

func yFirstLast(first bool) func(*yaqlEval, any, []yArg, any, string) (any, error) {
	return func(y *yaqlEval, self any, args []yArg, scope any, path string) (any, error) {
		l, err := collection("first/last", self)
		if err != nil {
			return nil, err
		}
		if len(l) == 0 {
			if len(args) == 1 {
				return y.arg(args[0], scope, path)
			}
			return nil, fmt.Errorf("first()/last() of an empty collection")
		}
		if first {
			return l[0], nil
		}
		return l[len(l)-1], nil
	}
}

func yWhere(y *yaqlEval, self any, args []yArg, _ any, path string) (any, error) {
	l, err := collection("where", self)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, item := range l {
		v, err := y.eval(args[0].val, item, path)
		if err != nil {
			return nil, err
		}
		if pyTruthy(v) {
			out = append(out, item)
		}
	}
	return out, nil
}

func ySelect(y *yaqlEval, self any, args []yArg, _ any, path string) (any, error) {
	l, err := collection("select", self)
	if err != nil {
		return nil, err
	}
	out := make([]any, 0, len(l))
	for _, item := range l {
		v, err := y.eval(args[0].val, item, path)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, y.e.count(len(out), path)
}

func yAnyAll(isAny bool) func(*yaqlEval, any, []yArg, any, string) (any, error) {
	return func(y *yaqlEval, self any, args []yArg, _ any, path string) (any, error) {
		l, err := collection("any/all", self)
		if err != nil {
			return nil, err
		}
		for _, item := range l {
			v := item
			if len(args) == 1 {
				if v, err = y.eval(args[0].val, item, path); err != nil {
					return nil, err
				}
			}
			if pyTruthy(v) == isAny {
				return isAny, nil
			}
		}
		return !isAny, nil
	}
}

func yDistinct(_ *yaqlEval, self any, _ []yArg, _ any, _ string) (any, error) {
	l, err := collection("distinct", self)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, item := range l {
		dup := false
		for _, u := range out {
			if pyEqual(u, item) {
				dup = true
				break
			}
		}
		if !dup {
			out = append(out, item)
		}
	}
	return out, nil
}

func ySum(_ *yaqlEval, self any, _ []yArg, _ any, _ string) (any, error) {
	l, err := collection("sum", self)
	if err != nil {
		return nil, err
	}
	var acc any = 0
	for _, item := range l {
		if acc, err = yaqlArith("+", acc, item); err != nil {
			return nil, fmt.Errorf("sum(): %w", err)
		}
	}
	return acc, nil
}

func yMinMax(sign int) func(*yaqlEval, any, []yArg, any, string) (any, error) {
	return func(_ *yaqlEval, self any, _ []yArg, _ any, _ string) (any, error) {
		l, err := collection("max/min", self)
		if err != nil {
			return nil, err
		}
		if len(l) == 0 {
			return nil, fmt.Errorf("max()/min() of an empty collection")
		}
		best := l[0]
		for _, item := range l[1:] {
			c, err := yaqlCompare(item, best)
			if err != nil {
				return nil, err
			}
			if c*sign > 0 {
				best = item
			}
		}
		return best, nil
	}
}

func yOrderBy(desc bool) func(*yaqlEval, any, []yArg, any, string) (any, error) {
	return func(y *yaqlEval, self any, args []yArg, _ any, path string) (any, error) {
		l, err := collection("orderBy", self)
		if err != nil {
			return nil, err
		}
		keys := make([]any, len(l))
		for i, item := range l {
			keys[i] = item
			if len(args) == 1 {
				if keys[i], err = y.eval(args[0].val, item, path); err != nil {
					return nil, err
				}
			}
		}
		idx := make([]int, len(l))
		for i := range idx {
			idx[i] = i
		}
		var cmpErr error
		sort.SliceStable(idx, func(a, b int) bool {
			c, err := yaqlCompare(keys[idx[a]], keys[idx[b]])
			if err != nil {
				cmpErr = err
			}
			if desc {
				return c > 0
			}
			return c < 0
		})
		if cmpErr != nil {
			return nil, cmpErr
		}
		out := make([]any, len(l))
		for i, j := range idx {
			out[i] = l[j]
		}
		return out, nil
	}
}

func needDict(name string, v any) (map[string]any, error) {
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s() needs a dict, got %s", name, typeName(v))
	}
	return m, nil
}

func yKeys(_ *yaqlEval, self any, _ []yArg, _ any, _ string) (any, error) {
	m, err := needDict("keys", self)
	if err != nil {
		return nil, err
	}
	return collection("keys", m)
}

func yValues(_ *yaqlEval, self any, _ []yArg, _ any, _ string) (any, error) {
	m, err := needDict("values", self)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, k := range sortedKeys(m) {
		out = append(out, m[k])
	}
	return out, nil
}

func yItems(_ *yaqlEval, self any, _ []yArg, _ any, _ string) (any, error) {
	m, err := needDict("items", self)
	if err != nil {
		return nil, err
	}
	out := []any{}
	for _, k := range sortedKeys(m) {
		out = append(out, []any{k, m[k]})
	}
	return out, nil
}

func yGet(y *yaqlEval, self any, args []yArg, scope any, path string) (any, error) {
	m, err := needDict("get", self)
	if err != nil {
		return nil, err
	}
	k, err := y.arg(args[0], scope, path)
	if err != nil {
		return nil, err
	}
	if v, ok := m[keyString(k)]; ok {
		return v, nil
	}
	if len(args) == 2 {
		return y.arg(args[1], scope, path)
	}
	return nil, nil
}

func yContains(y *yaqlEval, self any, args []yArg, scope any, path string) (any, error) {
	v, err := y.arg(args[0], scope, path)
	if err != nil {
		return nil, err
	}
	return yaqlIn(v, self)
}

func yContainsKey(y *yaqlEval, self any, args []yArg, scope any, path string) (any, error) {
	m, err := needDict("containsKey", self)
	if err != nil {
		return nil, err
	}
	k, err := y.arg(args[0], scope, path)
	if err != nil {
		return nil, err
	}
	_, ok := m[keyString(k)]
	return ok, nil
}

func yFlatten(y *yaqlEval, self any, _ []yArg, _ any, path string) (any, error) {
	l, err := collection("flatten", self)
	if err != nil {
		return nil, err
	}
	out := []any{}
	var walk func([]any, int) error
	walk = func(items []any, depth int) error {
		if depth > 100 {
			return fmt.Errorf("flatten(): nesting too deep")
		}
		for _, item := range items {
			if sub, ok := item.([]any); ok {
				if err := walk(sub, depth+1); err != nil {
					return err
				}
				continue
			}
			out = append(out, item)
		}
		return nil
	}
	if err := walk(l, 0); err != nil {
		return nil, err
	}
	return out, y.e.count(len(out), path)
}

func yToList(_ *yaqlEval, self any, _ []yArg, _ any, _ string) (any, error) {
	return collection("toList", self)
}

func ySkipTake(skip bool) func(*yaqlEval, any, []yArg, any, string) (any, error) {
	return func(y *yaqlEval, self any, args []yArg, scope any, path string) (any, error) {
		l, err := collection("skip/take", self)
		if err != nil {
			return nil, err
		}
		v, err := y.arg(args[0], scope, path)
		if err != nil {
			return nil, err
		}
		n, ok := v.(int)
		if !ok {
			return nil, fmt.Errorf("skip()/take() need an integer")
		}
		n = max(0, min(n, len(l)))
		if skip {
			return append([]any{}, l[n:]...), nil
		}
		return append([]any{}, l[:n]...), nil
	}
}

func yReverse(_ *yaqlEval, self any, _ []yArg, _ any, _ string) (any, error) {
	l, err := collection("reverse", self)
	if err != nil {
		return nil, err
	}
	out := make([]any, len(l))
	for i, item := range l {
		out[len(l)-1-i] = item
	}
	return out, nil
}

func yListFn(y *yaqlEval, _ any, args []yArg, scope any, path string) (any, error) {
	out := make([]any, 0, len(args))
	for _, a := range args {
		if a.key != nil {
			return nil, fmt.Errorf("list(): keyword arguments are not supported")
		}
		v, err := y.arg(a, scope, path)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// yDictFn builds a dict from key => value arguments, or from one list of
// [key, value] pairs.
func yDictFn(y *yaqlEval, _ any, args []yArg, scope any, path string) (any, error) {
	out := map[string]any{}
	if len(args) == 1 && args[0].key == nil {
		v, err := y.arg(args[0], scope, path)
		if err != nil {
			return nil, err
		}
		pairs, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("dict() needs key => value arguments or a list of pairs")
		}
		for _, p := range pairs {
			kv, ok := p.([]any)
			if !ok || len(kv) != 2 {
				return nil, fmt.Errorf("dict(): each item must be a [key, value] pair")
			}
			out[keyString(kv[0])] = kv[1]
		}
		return out, nil
	}
	for _, a := range args {
		if a.key == nil {
			return nil, fmt.Errorf("dict() needs key => value arguments or a list of pairs")
		}
		k, err := y.eval(a.key, scope, path)
		if err != nil {
			return nil, err
		}
		v, err := y.eval(a.val, scope, path)
		if err != nil {
			return nil, err
		}
		out[keyString(k)] = v
	}
	return out, nil
}
