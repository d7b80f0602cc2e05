package hot

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha3"
	"crypto/sha512"
	"encoding/hex"
	"fmt"
	"hash"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Resolver is the evaluator's view of the other resources of the stack.
type Resolver interface {
	// ResourceID returns the reference id of a resource (get_resource): for
	// most types, its physical id.
	ResourceID(name string) (string, error)
	// Attribute returns an attribute of a resource (get_attr). path[0] is
	// the attribute name and the rest selects inside the value (list
	// indexes as int, map keys as string); the resolver applies the path
	// because some types (ResourceGroup) apply it per member. SelectPath
	// applies it the usual way. An empty path asks for a map of every
	// attribute.
	Attribute(name string, path []any) (any, error)
}

// EvalContext is what an expression may refer to.
type EvalContext struct {
	// Params are the resolved parameter values (see ResolveParameters).
	Params map[string]any
	// Conditions are the evaluated conditions (see EvalConditions).
	Conditions map[string]bool
	// Files is the request's files map, for get_file.
	Files map[string]string
	// FilesBase is the location of the template the expression comes from
	// (Template.Location); relative get_file names resolve against it.
	FilesBase string
	// Resolver answers get_resource and get_attr; nil makes them errors.
	Resolver Resolver
	// StackName, StackID and ProjectID answer the pseudo parameters
	// OS::stack_name, OS::stack_id and OS::project_id.
	StackName, StackID, ProjectID string
	// Inputs are a software deployment's input values, for get_input. When
	// Inputs is nil, get_input calls are left as they are, for the
	// deployment to resolve later.
	Inputs map[string]any
	// Facade answers resource_facade inside a nested stack: the parent
	// resource's "metadata", "deletion_policy" and "update_policy".
	Facade map[string]any
	// Path is the location of the expression in the template
	// (resources.x.properties); errors are reported under it.
	Path string

	// condition resolves a condition by name lazily (EvalConditions).
	condition func(name string) (bool, error)
}

// absentT marks a value that an if function without a false branch removed
// (HOT 2021-04-16): the enclosing key or list item disappears.
type absentT struct{}

// maxResultItems bounds the number of items that repeat and yaql may
// produce in one evaluation, so that a small template cannot exhaust memory.
const maxResultItems = 1 << 20

// maxStringLen bounds the strings that functions build.
const maxStringLen = 64 << 20

type evaluator struct {
	ctx   *EvalContext
	items int
}

// Eval evaluates an expression: every intrinsic function in it is
// replaced by its result. Values that are not functions are copied. Errors
// are *Error with the path of the failing function.
func Eval(expr any, ctx *EvalContext) (any, error) {
	if ctx == nil {
		ctx = &EvalContext{}
	}
	e := &evaluator{ctx: ctx}
	v, err := e.eval(expr, ctx.Path)
	if err != nil {
		return nil, err
	}
	if _, ok := v.(absentT); ok {
		return nil, nil
	}
	return v, nil
}

func (e *evaluator) count(n int, path string) error {
	e.items += n
	if e.items > maxResultItems {
		return errorf(path, "the expression produces too many values (more than %d)", maxResultItems)
	}
	return nil
}

var functionLike = regexp.MustCompile(`^(?:Fn::[A-Za-z0-9]+|(?:get|str|list|map)_[a-z_]+)$`)

// looksLikeFunction reports whether a single-key map is meant as a function
// call that Slipway does not know (a typo such as get_parm, or a
// CloudFormation function).
func looksLikeFunction(key string) bool {
	return functionLike.MatchString(key) && !isFunctionName(key)
}

func (e *evaluator) eval(v any, path string) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, args := range x {
				if isFunctionName(k) {
					return e.call(k, args, joinPath(path, k))
				}
				if looksLikeFunction(k) {
					return nil, errorf(joinPath(path, k), "Unknown function \"%s\"", k)
				}
			}
		}
		out := make(map[string]any, len(x))
		for _, k := range sortedKeys(x) {
			r, err := e.eval(x[k], joinPath(path, k))
			if err != nil {
				return nil, err
			}
			if _, ok := r.(absentT); ok {
				continue
			}
			out[k] = r
		}
		return out, nil
	case []any:
		out := make([]any, 0, len(x))
		for i, item := range x {
			r, err := e.eval(item, indexPath(path, i))
			if err != nil {
				return nil, err
			}
			if _, ok := r.(absentT); ok {
				continue
			}
			out = append(out, r)
		}
		return out, nil
	}
	return v, nil
}

// evalArgs evaluates a function's arguments.
func (e *evaluator) evalArgs(args any, path string) (any, error) {
	v, err := e.eval(args, path)
	if _, ok := v.(absentT); ok {
		return nil, err
	}
	return v, err
}

func (e *evaluator) call(name string, args any, path string) (any, error) {
	switch name {
	case "if":
		return e.fnIf(args, path)
	case "get_input":
		if e.ctx.Inputs == nil {
			return map[string]any{name: args}, nil
		}
	}
	a, err := e.evalArgs(args, path)
	if err != nil {
		return nil, err
	}
	var res any
	switch name {
	case "get_param":
		res, err = e.getParam(a, path)
	case "get_resource":
		res, err = e.getResource(a, path)
	case "get_attr":
		res, err = e.getAttr(a, path)
	case "str_replace", "str_replace_strict", "str_replace_vstrict":
		res, err = strReplace(name, a)
	case "list_join", "join":
		res, err = listJoin(name, a)
	case "map_merge":
		res, err = mapMerge(a)
	case "map_replace":
		res, err = mapReplace(a)
	case "repeat":
		res, err = e.repeat(a, path)
	case "equals":
		l, ok := a.([]any)
		if !ok || len(l) != 2 {
			return nil, errorf(path, "Arguments to \"equals\" must be of the form: [value_1, value_2]")
		}
		res = pyEqual(l[0], l[1])
	case "not":
		var b bool
		b, err = e.conditionValue(a, path)
		res = !b
	case "and", "or":
		res, err = e.andOr(name, a, path)
	case "contains":
		res, err = contains(a)
	case "digest":
		res, err = digest(a)
	case "str_split":
		res, err = strSplit(a)
	case "list_concat", "list_concat_unique":
		res, err = listConcat(name, a)
	case "make_url":
		res, err = makeURL(a)
	case "get_file":
		res, err = e.getFile(a)
	case "get_input":
		s, ok := a.(string)
		if !ok {
			return nil, errorf(path, "Input key %s must be a string", pyRepr(a))
		}
		res = e.ctx.Inputs[s]
	case "filter":
		res, err = filter(a)
	case "yaql":
		res, err = e.yaql(a, path)
	case "resource_facade", "Fn::ResourceFacade":
		res, err = e.facade(name, a)
	case "Ref":
		res, err = e.ref(a, path)
	case "Fn::Select":
		res, err = cfnSelect(a)
	case "Fn::Join":
		res, err = cfnJoin(a)
	case "Fn::Split":
		res, err = cfnSplit(a)
	case "Fn::Replace":
		res, err = cfnReplace(a)
	case "Fn::Base64":
		s, ok := a.(string)
		if !ok {
			return nil, errorf(path, "Arguments to \"Fn::Base64\" not fully resolved")
		}
		res = s
	default:
		return nil, errorf(path, "The function \"%s\" is not supported by Slipway", name)
	}
	if err != nil {
		return nil, wrapError(path, err)
	}
	return res, nil
}

func (e *evaluator) fnIf(args any, path string) (any, error) {
	l, ok := args.([]any)
	if !ok || len(l) < 2 || len(l) > 3 {
		return nil, errorf(path, "Arguments to \"if\" must be of the form: [condition_name, value_if_true, value_if_false]")
	}
	c, err := e.evalArgs(l[0], indexPath(path, 0))
	if err != nil {
		return nil, err
	}
	b, err := e.conditionValue(c, path)
	if err != nil {
		return nil, err
	}
	if b {
		return e.eval(l[1], indexPath(path, 1))
	}
	if len(l) == 2 {
		return absentT{}, nil
	}
	return e.eval(l[2], indexPath(path, 2))
}

// conditionValue interprets an evaluated condition argument: a boolean, or
// the name of a condition.
func (e *evaluator) conditionValue(c any, path string) (bool, error) {
	switch x := c.(type) {
	case bool:
		return x, nil
	case string:
		if e.ctx.condition != nil {
			return e.ctx.condition(x)
		}
		if b, ok := e.ctx.Conditions[x]; ok {
			return b, nil
		}
	}
	return false, errorf(path, "Invalid condition \"%s\"", pyStr(c))
}

func (e *evaluator) andOr(name string, a any, path string) (any, error) {
	l, ok := a.([]any)
	if !ok {
		return nil, errorf(path, "Arguments to \"%s\" must be a list of conditions", name)
	}
	if len(l) < 2 {
		return nil, errorf(path, "The minimum number of condition arguments to \"%s\" is 2.", name)
	}
	for i, c := range l {
		b, err := e.conditionValue(c, indexPath(path, i))
		if err != nil {
			return nil, err
		}
		if name == "and" && !b {
			return false, nil
		}
		if name == "or" && b {
			return true, nil
		}
	}
	return name == "and", nil
}

func (e *evaluator) getParam(a any, path string) (any, error) {
	var (
		name  any
		steps []any
	)
	switch x := a.(type) {
	case nil:
		return nil, errorf(path, "Function \"get_param\" must have arguments")
	case string:
		if x == "" {
			return nil, errorf(path, "Function \"get_param\" must have arguments")
		}
		name = x
	case []any:
		if len(x) == 0 {
			return nil, errorf(path, "Function \"get_param\" must have arguments")
		}
		name, steps = x[0], x[1:]
	default:
		return nil, errorf(path, "Argument to \"get_param\" must be string or list")
	}
	pname, ok := name.(string)
	if !ok {
		return nil, errorf(path, "Parameter name in \"get_param\" must be string")
	}
	var v any
	switch pname {
	case "OS::stack_name":
		v = e.ctx.StackName
	case "OS::stack_id":
		v = e.ctx.StackID
	case "OS::project_id":
		v = e.ctx.ProjectID
	default:
		pv, ok := e.ctx.Params[pname]
		if !ok {
			return nil, errorf(path, "The Parameter (%s) was not provided.", pname)
		}
		v = pv
	}
	for _, step := range steps {
		next, ok := paramStep(v, step)
		if !ok {
			// Heat answers "" when the path does not lead anywhere.
			return "", nil
		}
		v = next
	}
	return v, nil
}

// paramStep follows one get_param path component: a map key, or a list (or
// string) index given as an int or a numeric string.
func paramStep(v, key any) (any, bool) {
	switch c := v.(type) {
	case map[string]any:
		k, ok := key.(string)
		if !ok {
			return nil, false
		}
		r, ok := c[k]
		return r, ok
	case []any, string:
		var idx int
		switch k := key.(type) {
		case int:
			idx = k
		case string:
			i, err := strconv.Atoi(strings.TrimSpace(k))
			if err != nil {
				return nil, false
			}
			idx = i
		default:
			return nil, false
		}
		if l, ok := c.([]any); ok {
			if idx < 0 {
				idx += len(l)
			}
			if idx < 0 || idx >= len(l) {
				return nil, false
			}
			return l[idx], true
		}
		r := []rune(c.(string))
		if idx < 0 {
			idx += len(r)
		}
		if idx < 0 || idx >= len(r) {
			return nil, false
		}
		return string(r[idx]), true
	}
	return nil, false
}

// SelectPath follows an attribute path into a value as Heat's
// select_from_attribute does: map keys are strings, list indexes ints, and
// a path that leads nowhere gives nil.
func SelectPath(v any, path []any) any {
	for _, step := range path {
		switch c := v.(type) {
		case map[string]any:
			k, ok := step.(string)
			if !ok {
				return nil
			}
			v = c[k]
		case []any:
			i, ok := step.(int)
			if !ok {
				return nil
			}
			if i < 0 {
				i += len(c)
			}
			if i < 0 || i >= len(c) {
				return nil
			}
			v = c[i]
		default:
			return nil
		}
	}
	return v
}

func (e *evaluator) getResource(a any, path string) (any, error) {
	name, ok := a.(string)
	if !ok {
		return nil, errorf(path, "Argument to \"get_resource\" must be a string")
	}
	if e.ctx.Resolver == nil {
		return nil, errorf(path, "get_resource cannot be evaluated here: no resources are available")
	}
	id, err := e.ctx.Resolver.ResourceID(name)
	if err != nil {
		return nil, wrapError(path, err)
	}
	return id, nil
}

func (e *evaluator) getAttr(a any, path string) (any, error) {
	l, ok := a.([]any)
	if !ok {
		return nil, errorf(path, "Argument to \"get_attr\" must be a list")
	}
	if len(l) == 0 {
		return nil, errorf(path, "Arguments to \"get_attr\" can be of the next forms: [resource_name] or [resource_name, attribute, (path), ...]")
	}
	name, ok := l[0].(string)
	if !ok {
		return nil, errorf(path, "Resource name in \"get_attr\" must be a string")
	}
	if len(l) > 1 {
		if _, ok := l[1].(string); !ok {
			return nil, errorf(path, "Attribute name in \"get_attr\" must be a string")
		}
		for _, p := range l[2:] {
			switch p.(type) {
			case string, int:
			default:
				return nil, errorf(path, "Path components in attributes must be strings")
			}
		}
	}
	if e.ctx.Resolver == nil {
		return nil, errorf(path, "get_attr cannot be evaluated here: no resources are available")
	}
	v, err := e.ctx.Resolver.Attribute(name, append([]any(nil), l[1:]...))
	if err != nil {
		return nil, wrapError(path, err)
	}
	return v, nil
}

func (e *evaluator) getFile(a any) (any, error) {
	name, ok := a.(string)
	if !ok {
		return nil, msgf("Argument to \"get_file\" must be a string")
	}
	content, _, found := lookupFile(e.ctx.Files, name, e.ctx.FilesBase)
	if !found {
		return nil, msgf("No content found in the \"files\" section for get_file path: %s", name)
	}
	return content, nil
}

func (e *evaluator) facade(name string, a any) (any, error) {
	key, _ := a.(string)
	switch key {
	case "metadata", "deletion_policy", "update_policy":
	default:
		return nil, msgf("Incorrect arguments to \"%s\" should be one of: metadata, deletion_policy, update_policy", name)
	}
	if e.ctx.Facade == nil {
		return nil, msgf("\"%s\" is only available in a nested stack", name)
	}
	return e.ctx.Facade[key], nil
}

func (e *evaluator) ref(a any, path string) (any, error) {
	name, ok := a.(string)
	if !ok {
		return nil, msgf("Argument to \"Ref\" must be a string")
	}
	if _, isParam := e.ctx.Params[name]; isParam || strings.HasPrefix(name, "OS::") || strings.HasPrefix(name, "AWS::") {
		switch name {
		case "AWS::StackName":
			return e.ctx.StackName, nil
		case "AWS::StackId":
			return e.ctx.StackID, nil
		}
		return e.getParam(name, path)
	}
	return e.getResource(name, path)
}

// strReplace implements str_replace, str_replace_strict and
// str_replace_vstrict with Heat's algorithm: longer placeholders first,
// then lexicographic order, each replaced in the pieces the previous ones
// left.
func strReplace(name string, a any) (any, error) {
	m, ok := a.(map[string]any)
	if !ok {
		return nil, msgf("Arguments to \"%s\" must be a map", name)
	}
	tmplV, hasT := m["template"]
	paramsV, hasP := m["params"]
	if !hasT || !hasP {
		return nil, msgf("\"%s\" syntax should be %s: {template: This is var1 template var2, params: {var1: a, var2: string}}", name, name)
	}
	tmpl, ok := tmplV.(string)
	if !ok {
		return nil, msgf("\"%s\" template must be a string", name)
	}
	params, ok := paramsV.(map[string]any)
	if !ok {
		return nil, msgf("\"%s\" params must be a map", name)
	}
	strict := name == "str_replace_strict" || name == "str_replace_vstrict"
	allowEmpty := name != "str_replace_vstrict"
	keys := sortedKeys(params)
	sort.SliceStable(keys, func(i, j int) bool { return len(keys[i]) > len(keys[j]) })
	values := make([]string, len(keys))
	for i, k := range keys {
		v := params[k]
		empty := v == nil
		switch x := v.(type) {
		case nil:
			values[i] = ""
		case string:
			values[i] = x
			empty = x == ""
		case int, float64, bool:
			values[i] = pyStr(x)
		case []any:
			values[i], empty = pyJSON(x), len(x) == 0
		case map[string]any:
			values[i], empty = pyJSON(x), len(x) == 0
		default:
			return nil, msgf("\"%s\" params must be strings, numbers, list or map.", name)
		}
		if empty && !allowEmpty {
			return nil, fmt.Errorf("%s has an undefined or empty value for param %s, must be a defined non-empty value", name, k)
		}
	}
	found := make([]bool, len(keys))
	var replace func(s string, i int) string
	replace = func(s string, i int) string {
		if i == len(keys) {
			return s
		}
		parts := strings.Split(s, keys[i])
		if len(parts) > 1 {
			found[i] = true
		}
		for j, p := range parts {
			parts[j] = replace(p, i+1)
		}
		return strings.Join(parts, values[i])
	}
	out := replace(tmpl, 0)
	if len(out) > maxStringLen {
		return nil, msgf("\"%s\" result is too long", name)
	}
	if strict {
		var missing []string
		for i, k := range keys {
			if !found[i] {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			return nil, msgf("The following params were not found in the template: %s", strings.Join(missing, ","))
		}
	}
	return out, nil
}

func listJoin(name string, a any) (any, error) {
	example := fmt.Sprintf("Incorrect arguments to \"%s\" should be: \"%s\" : [ \" \", [ \"str1\", \"str2\"] ...]", name, name)
	l, ok := a.([]any)
	if !ok || len(l) < 2 {
		return nil, fmt.Errorf("%s", example)
	}
	delim, ok := l[0].(string)
	var items []any
	for _, jl := range l[1:] {
		if !pyTruthy(jl) {
			continue
		}
		list, isList := jl.([]any)
		if !isList {
			return nil, msgf("\"%s\" must operate on a list", name)
		}
		items = append(items, list...)
	}
	if !ok {
		return nil, msgf("\"%s\" delimiter must be a string", name)
	}
	parts := make([]string, len(items))
	size := 0
	for i, s := range items {
		switch x := s.(type) {
		case nil:
		case string:
			parts[i] = x
		case []any, map[string]any:
			parts[i] = pyJSON(x)
		default:
			return nil, msgf("Items to join must be string, map or list not %s", truncate(pyRepr(s), 200))
		}
		size += len(parts[i]) + len(delim)
		if size > maxStringLen {
			return nil, msgf("\"%s\" result is too long", name)
		}
	}
	return strings.Join(parts, delim), nil
}

func mapMerge(a any) (any, error) {
	l, ok := a.([]any)
	if !ok {
		return nil, msgf("Incorrect arguments to \"map_merge\" should be: \"map_merge\" : [ { \"key1\": \"val1\" }, { \"key2\": \"val2\" } ]")
	}
	out := map[string]any{}
	for _, item := range l {
		switch m := item.(type) {
		case nil:
		case map[string]any:
			for k, v := range m {
				out[k] = v
			}
		default:
			return nil, msgf("Incorrect arguments: Items to merge must be maps. %s is type %s instead of a dict", truncate(pyRepr(item), 200), typeName(item))
		}
	}
	return out, nil
}

func mapReplace(a any) (any, error) {
	example := "Incorrect arguments to \"map_replace\" should be: " + mapReplaceExample
	l, ok := a.([]any)
	if !ok || len(l) != 2 {
		return nil, fmt.Errorf("%s", example)
	}
	asMap := func(v any) (map[string]any, error) {
		switch m := v.(type) {
		case nil:
			return map[string]any{}, nil
		case map[string]any:
			return m, nil
		}
		return nil, msgf("Incorrect arguments: to \"map_replace\", arguments must be a list of maps. Example:  %s", mapReplaceExample)
	}
	in, err := asMap(l[0])
	if err != nil {
		return nil, err
	}
	repl, err := asMap(l[1])
	if err != nil {
		return nil, err
	}
	for k := range repl {
		if k != "keys" && k != "values" {
			return nil, fmt.Errorf("%s", example)
		}
	}
	keys, err := asMap(repl["keys"])
	if err != nil {
		return nil, err
	}
	values, err := asMap(repl["values"])
	if err != nil {
		return nil, err
	}
	out := map[string]any{}
	for _, k := range sortedKeys(in) {
		v := in[k]
		nk := k
		if r, ok := keys[k]; ok && r != nil {
			s, isStr := r.(string)
			if !isStr {
				s = keyString(r)
			}
			if _, clash := in[s]; clash && s != k {
				return nil, fmt.Errorf("key replacement %s collides with a key in the input map", s)
			}
			if _, clash := out[s]; clash {
				return nil, fmt.Errorf("key replacement %s collides with a key in the output map", s)
			}
			nk = s
		}
		if sv, isStr := v.(string); isStr {
			if r, ok := values[sv]; ok {
				v = r
			}
		} else if _, scalar := v.(bool); scalar || isNumber(v) {
			if r, ok := values[keyString(v)]; ok {
				v = r
			}
		}
		out[nk] = v
	}
	return out, nil
}

func isNumber(v any) bool {
	switch v.(type) {
	case int, float64:
		return true
	}
	return false
}

func (e *evaluator) repeat(a any, path string) (any, error) {
	m, ok := a.(map[string]any)
	if !ok {
		return nil, msgf("Arguments to \"repeat\" must be a map")
	}
	feV, hasF := m["for_each"]
	tmpl, hasT := m["template"]
	if !hasF || !hasT {
		return nil, msgf("\"repeat\" syntax should be repeat: {template: This is %%var%%, for_each: {%%var%%: [a, b, c]}}")
	}
	nested := true
	if p, ok := m["permutations"]; ok {
		b, isBool := p.(bool)
		if !isBool {
			return nil, msgf("\"permutations\" should be boolean type for repeat function.")
		}
		nested = b
	}
	fe, ok := feV.(map[string]any)
	if !ok {
		return nil, msgf("The \"for_each\" argument to \"repeat\" must contain a map")
	}
	// Heat iterates for_each in declaration order; Slipway's maps do not
	// keep it, so variables are taken in lexicographic order.
	keys := sortedKeys(fe)
	lists := make([][]string, len(keys))
	for i, k := range keys {
		switch x := fe[k].(type) {
		case nil:
			lists[i] = nil
		case []any:
			lists[i] = make([]string, len(x))
			for j, item := range x {
				lists[i][j] = repeatValue(item)
			}
		case map[string]any:
			if !nested {
				return nil, msgf("The values of the \"for_each\" argument to \"repeat\" must be lists")
			}
			lists[i] = sortedKeys(x)
		default:
			if nested {
				return nil, msgf("The values of the \"for_each\" argument to \"repeat\" must be lists or maps")
			}
			return nil, msgf("The values of the \"for_each\" argument to \"repeat\" must be lists")
		}
	}
	var combos [][]string
	if nested {
		combos = [][]string{{}}
		for _, l := range lists {
			var next [][]string
			if err := e.count(len(combos)*len(l), path); err != nil {
				return nil, err
			}
			for _, c := range combos {
				for _, item := range l {
					next = append(next, append(append([]string(nil), c...), item))
				}
			}
			combos = next
		}
		if len(keys) == 0 {
			combos = [][]string{{}}
		}
	} else {
		n := -1
		for _, l := range lists {
			if l == nil {
				continue
			}
			if n >= 0 && len(l) != n {
				return nil, msgf("For repeat, the length of for_each values should be equal if no nested loop.")
			}
			n = len(l)
		}
		for i := 0; i < n; i++ {
			c := make([]string, len(lists))
			skip := false
			for j, l := range lists {
				if l == nil {
					skip = true
					break
				}
				c[j] = l[i]
			}
			if !skip {
				combos = append(combos, c)
			}
		}
	}
	out := make([]any, 0, len(combos))
	for _, c := range combos {
		if err := e.count(1, path); err != nil {
			return nil, err
		}
		out = append(out, repeatReplace(tmpl, keys, c))
	}
	return out, nil
}

func repeatValue(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []any, map[string]any:
		return pyJSON(x)
	}
	return pyStr(v)
}

func repeatReplace(tmpl any, keys, values []string) any {
	switch x := tmpl.(type) {
	case string:
		for i, k := range keys {
			x = strings.ReplaceAll(x, k, values[i])
		}
		return x
	case []any:
		out := make([]any, len(x))
		for i, item := range x {
			out[i] = repeatReplace(item, keys, values)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, v := range x {
			out[repeatReplace(k, keys, values).(string)] = repeatReplace(v, keys, values)
		}
		return out
	}
	return tmpl
}

func contains(a any) (any, error) {
	l, ok := a.([]any)
	if !ok || len(l) == 0 {
		return nil, msgf("Incorrect arguments to \"contains\" should be: \"contains\" : [ \"value1\", [ \"value1\", \"value2\"]]")
	}
	if len(l) != 2 {
		return nil, msgf("Arguments to \"contains\" must be of the form: [value1, [value1, value2]]")
	}
	switch seq := l[1].(type) {
	case []any:
		for _, item := range seq {
			if pyEqual(item, l[0]) {
				return true, nil
			}
		}
		return false, nil
	case string:
		s, ok := l[0].(string)
		if !ok {
			return nil, fmt.Errorf("'in <string>' requires string as left operand, not %s", typeName(l[0]))
		}
		return strings.Contains(seq, s), nil
	}
	return nil, msgf("Second argument to \"contains\" should be a sequence.")
}

var digestAlgorithms = map[string]func() hash.Hash{
	"md5":        md5.New,
	"sha1":       sha1.New,
	"sha224":     sha256.New224,
	"sha256":     sha256.New,
	"sha384":     sha512.New384,
	"sha512":     sha512.New,
	"sha512_224": sha512.New512_224,
	"sha512_256": sha512.New512_256,
	"sha3_224":   func() hash.Hash { return sha3.New224() },
	"sha3_256":   func() hash.Hash { return sha3.New256() },
	"sha3_384":   func() hash.Hash { return sha3.New384() },
	"sha3_512":   func() hash.Hash { return sha3.New512() },
}

func digestNames() string {
	names := make([]string, 0, len(digestAlgorithms))
	for n := range digestAlgorithms {
		names = append(names, n)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func digest(a any) (any, error) {
	l, ok := a.([]any)
	if ok {
		for _, x := range l {
			if _, isStr := x.(string); !isStr {
				ok = false
			}
		}
	}
	if !ok {
		return nil, msgf("Argument to function \"digest\" must be a list of strings")
	}
	if len(l) != 2 {
		return nil, msgf("Function \"digest\" usage: [\"<algorithm>\", \"<value>\"]")
	}
	newHash, ok := digestAlgorithms[strings.ToLower(l[0].(string))]
	if !ok {
		return nil, msgf("Algorithm must be one of %s", digestNames())
	}
	value := l[1].(string)
	b := make([]byte, 0, len(value))
	for _, r := range value {
		if r > 0xff {
			return nil, fmt.Errorf("digest: the value must be latin-1 text; %q is not", r)
		}
		b = append(b, byte(r))
	}
	h := newHash()
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil)), nil
}

func strSplit(a any) (any, error) {
	example := "Incorrect arguments to \"str_split\" should be: \"str_split\" : [ \",\", \"apples,pears\", <index>]"
	l, ok := a.([]any)
	if !ok || len(l) < 2 {
		return nil, fmt.Errorf("%s", example)
	}
	if l[1] == nil {
		return nil, nil
	}
	delim, ok1 := l[0].(string)
	s, ok2 := l[1].(string)
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%s", example)
	}
	if delim == "" {
		return nil, msgf("Incorrect arguments to \"str_split\": empty separator")
	}
	parts := strings.Split(s, delim)
	list := make([]any, len(parts))
	for i, p := range parts {
		list[i] = p
	}
	if len(l) < 3 {
		return list, nil
	}
	idxV, err := strToNum(l[2])
	idx, isInt := idxV.(int)
	if f, isF := idxV.(float64); isF {
		idx, isInt = int(f), true
	}
	if err != nil || !isInt {
		return nil, msgf("Incorrect index to \"str_split\" should be: \"str_split\" : [ \",\", \"apples,pears\", <index>]")
	}
	if idx < 0 {
		idx += len(list)
	}
	if idx < 0 || idx >= len(list) {
		return nil, msgf("Incorrect index to \"str_split\" should be between 0 and %d", len(list)-1)
	}
	return list[idx], nil
}

func listConcat(name string, a any) (any, error) {
	l, ok := a.([]any)
	if !ok {
		return nil, msgf("Incorrect arguments to \"%s\" should be: \"%s\" : [ [ <value 1>, <value 2> ], [ <value 3>, <value 4> ] ]", name, name)
	}
	out := []any{}
	for _, item := range l {
		switch x := item.(type) {
		case nil:
		case []any:
			out = append(out, x...)
		default:
			return nil, msgf("Incorrect arguments: Items to concat must be lists. %s contains an item that is not a list: %s", pyJSON(a), pyJSON(item))
		}
	}
	if name == "list_concat" {
		return out, nil
	}
	unique := []any{}
	for _, item := range out {
		dup := false
		for _, u := range unique {
			if pyEqual(u, item) {
				dup = true
				break
			}
		}
		if !dup {
			unique = append(unique, item)
		}
	}
	return unique, nil
}

func filter(a any) (any, error) {
	l, ok := a.([]any)
	if !ok {
		return nil, msgf("Argument to \"filter\" must be a list")
	}
	if len(l) != 2 {
		return nil, msgf("\"filter\" expected 2 arguments of the form [values, sequence] but got %d arguments instead", len(l))
	}
	if !pyTruthy(l[1]) {
		return l[1], nil
	}
	seq, ok := l[1].([]any)
	if !ok {
		return nil, msgf("\"filter\" only works with lists")
	}
	if !pyTruthy(l[0]) {
		return seq, nil
	}
	values, ok := l[0].([]any)
	if !ok {
		return nil, msgf("\"filter\" filters a list of values")
	}
	out := []any{}
	for _, item := range seq {
		drop := false
		for _, v := range values {
			if pyEqual(item, v) {
				drop = true
				break
			}
		}
		if !drop {
			out = append(out, item)
		}
	}
	return out, nil
}

// pyQuote is Python's urllib.parse.quote with the given safe characters.
func pyQuote(s, safe string, plus bool) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', strings.IndexByte("_.-~", c) >= 0, strings.IndexByte(safe, c) >= 0:
			b.WriteByte(c)
		case plus && c == ' ':
			b.WriteByte('+')
		default:
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func makeURL(a any) (any, error) {
	m, ok := a.(map[string]any)
	if !ok {
		return nil, msgf("The arguments to \"make_url\" must be a map")
	}
	for _, k := range sortedKeys(m) {
		if !makeURLKeys[k] {
			return nil, msgf("Invalid arguments to \"make_url\": %s", k)
		}
	}
	str := func(k string) (string, error) {
		v, ok := m[k]
		if !ok {
			return "", nil
		}
		s, isStr := v.(string)
		if !isStr {
			return "", msgf("The \"%s\" argument to \"make_url\" must be a string", k)
		}
		return s, nil
	}
	var parts [6]string
	for i, k := range []string{"scheme", "username", "password", "host", "path", "fragment"} {
		s, err := str(k)
		if err != nil {
			return nil, err
		}
		parts[i] = s
	}
	scheme, user, pass, host, p, frag := parts[0], parts[1], parts[2], parts[3], parts[4], parts[5]
	port := ""
	if v, ok := m["port"]; ok && v != nil {
		var n int
		switch x := v.(type) {
		case int:
			n = x
		case string:
			i, err := strconv.Atoi(strings.TrimSpace(x))
			if err != nil {
				return nil, msgf("Invalid URL port \"%s\" for make_url called with %s", x, pyRepr(m))
			}
			n = i
		default:
			return nil, msgf("Invalid URL port \"%s\" for make_url called with %s", pyStr(v), pyRepr(m))
		}
		if n <= 0 || n > 65535 {
			return nil, msgf("Invalid URL port %d, must be in range 1-65535", n)
		}
		port = strconv.Itoa(n)
	}
	query := ""
	if v, ok := m["query"]; ok && v != nil {
		qm, isMap := v.(map[string]any)
		if !isMap {
			return nil, msgf("The \"query\" argument to \"make_url\" must be a map")
		}
		var qs []string
		for _, k := range sortedKeys(qm) {
			qs = append(qs, pyQuote(k, "", true)+"="+pyQuote(pyStr(qm[k]), "", true))
		}
		query = strings.ReplaceAll(strings.Join(qs, "&"), "%2F", "/")
	}
	if strings.Contains(scheme, ":") {
		return nil, msgf("URL \"scheme\" should not contain ':'")
	}
	var netloc strings.Builder
	user, pass = pyQuote(user, "", false), pyQuote(pass, "", false)
	if user != "" || pass != "" {
		netloc.WriteString(user)
		if pass != "" {
			netloc.WriteString(":" + pass)
		}
		netloc.WriteString("@")
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	host = pyQuote(host, ":", false)
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	netloc.WriteString(host)
	if port != "" {
		netloc.WriteString(":" + port)
	}
	u := pyQuote(p, "/", false)
	nl := netloc.String()
	if nl != "" || (scheme != "" && usesNetloc(scheme) && !strings.HasPrefix(u, "//")) {
		if u != "" && !strings.HasPrefix(u, "/") {
			u = "/" + u
		}
		u = "//" + nl + u
	}
	if scheme != "" {
		u = scheme + ":" + u
	}
	if query != "" {
		u += "?" + query
	}
	if frag = pyQuote(frag, "/", false); frag != "" {
		u += "#" + frag
	}
	return u, nil
}

func usesNetloc(scheme string) bool {
	switch scheme {
	case "", "ftp", "http", "gopher", "nntp", "telnet", "imap", "wais", "file", "mms", "https", "shttp",
		"snews", "prospero", "rtsp", "rtsps", "rtspu", "rsync", "svn", "svn+ssh", "sftp", "nfs", "git", "git+ssh", "ws", "wss", "itms-services":
		return true
	}
	return false
}

func cfnSelect(a any) (any, error) {
	l, ok := a.([]any)
	if !ok || len(l) != 2 {
		return nil, msgf("Arguments to \"Fn::Select\" must be of the form [index, collection]")
	}
	switch c := l[1].(type) {
	case nil:
		return "", nil
	case []any:
		n, err := strToNum(l[0])
		i, isInt := n.(int)
		if err != nil || !isInt {
			return nil, msgf("Index to \"Fn::Select\" must be an integer")
		}
		if i < 0 || i >= len(c) {
			return "", nil
		}
		return c[i], nil
	case map[string]any:
		k, isStr := l[0].(string)
		if !isStr {
			return nil, msgf("Index to \"Fn::Select\" must be a string")
		}
		v, ok := c[k]
		if !ok {
			return "", nil
		}
		return v, nil
	case string:
		n, err := strToNum(l[0])
		i, isInt := n.(int)
		if err != nil || !isInt {
			return nil, msgf("Index to \"Fn::Select\" must be an integer")
		}
		parts := strings.Split(c, ",")
		if i < 0 || i >= len(parts) {
			return "", nil
		}
		return parts[i], nil
	}
	return nil, msgf("Arguments to \"Fn::Select\" not fully resolved")
}

func cfnJoin(a any) (any, error) {
	l, ok := a.([]any)
	if !ok || len(l) != 2 {
		return nil, msgf("Arguments to \"Fn::Join\" must be of the form [delimiter, [string, ...]]")
	}
	delim, ok := l[0].(string)
	if !ok {
		return nil, msgf("Delimiter for \"Fn::Join\" must be a string")
	}
	list, ok := l[1].([]any)
	if !ok && l[1] != nil {
		return nil, msgf("\"Fn::Join\" must operate on a list")
	}
	parts := make([]string, len(list))
	for i, s := range list {
		switch x := s.(type) {
		case nil:
		case string:
			parts[i] = x
		default:
			return nil, msgf("Items to join must be strings not %s", truncate(pyRepr(s), 200))
		}
	}
	return strings.Join(parts, delim), nil
}

func cfnSplit(a any) (any, error) {
	l, ok := a.([]any)
	if !ok || len(l) != 2 {
		return nil, msgf("Arguments to \"Fn::Split\" must be of the form [delimiter, string]")
	}
	delim, ok1 := l[0].(string)
	s, ok2 := l[1].(string)
	if !ok1 || !ok2 || delim == "" {
		return nil, msgf("Arguments to \"Fn::Split\" must be of the form [delimiter, string]")
	}
	parts := strings.Split(s, delim)
	out := make([]any, len(parts))
	for i, p := range parts {
		out[i] = p
	}
	return out, nil
}

func cfnReplace(a any) (any, error) {
	l, ok := a.([]any)
	if !ok || len(l) != 2 {
		return nil, msgf("Arguments to \"Fn::Replace\" must be of the form [{placeholder: value, ...}, string]")
	}
	return strReplace("Fn::Replace", map[string]any{"params": l[0], "template": l[1]})
}
