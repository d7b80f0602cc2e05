package hot

// checkFunctions walks an unevaluated value and rejects function calls that
// the template's version does not have, or that are not allowed where they
// stand, and function calls whose arguments are malformed in a way Heat
// rejects before evaluating anything. cond is true inside condition
// definitions, where only condition functions are allowed.
func (t *Template) checkFunctions(v any, path string, cond bool) error {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for name, args := range x {
				if isFunctionName(name) {
					return t.checkCall(name, args, path, cond)
				}
				if looksLikeFunction(name) {
					return errorf(joinPath(path, name), "Unknown function \"%s\"", name)
				}
			}
		}
		for _, k := range sortedKeys(x) {
			if err := t.checkFunctions(x[k], joinPath(path, k), cond); err != nil {
				return err
			}
		}
	case []any:
		for i, e := range x {
			if err := t.checkFunctions(e, indexPath(path, i), cond); err != nil {
				return err
			}
		}
	}
	return nil
}

func (t *Template) checkCall(name string, args any, path string, cond bool) error {
	fpath := joinPath(path, name)
	spec, isHOT := hotFunctions[name]
	if isHOT && spec.removed >= 0 && t.version >= spec.removed {
		return errorf(fpath, "The template version is invalid: The function %s is not supported in this version of HOT.", name)
	}
	if cond {
		since, isCond := conditionFunctions[name]
		if !isCond || t.version < since {
			if isHOT && t.version >= spec.since {
				return errorf(fpath, "The function \"%s\" is invalid in this context", name)
			}
			if isCond {
				return errorf(fpath, "The function \"%s\" is not available in conditions in heat_template_version %s (it arrived in %s)", name, t.Version, versionDate(since))
			}
			return errorf(fpath, "The function \"%s\" is invalid in this context", name)
		}
	} else if isHOT && t.version < spec.since {
		return errorf(fpath, "The function \"%s\" is not available in heat_template_version %s (it arrived in %s)", name, t.Version, versionDate(spec.since))
	}
	if err := t.checkArgs(name, args, fpath); err != nil {
		return err
	}
	if name == "if" {
		l := args.([]any)
		if err := t.checkFunctions(l[0], indexPath(fpath, 0), true); err != nil {
			return err
		}
		for i := 1; i < len(l); i++ {
			if err := t.checkFunctions(l[i], indexPath(fpath, i), cond); err != nil {
				return err
			}
		}
		return nil
	}
	return t.checkFunctions(args, fpath, cond)
}

// checkArgs performs the argument checks Heat makes when it parses a
// function, before any value is known.
func (t *Template) checkArgs(name string, args any, path string) error {
	list, isList := args.([]any)
	m, isMap := args.(map[string]any)
	fail := func(format string, a ...any) error { return errorf(path, format, a...) }
	switch name {
	case "get_attr":
		if !isList && !isFunctionCall(args) {
			return fail("Argument to \"%s\" must be a list", name)
		}
		if isList && len(list) == 0 {
			return fail("Arguments to \"%s\" can be of the next forms: [resource_name] or [resource_name, attribute, (path), ...]", name)
		}
		if isList && len(list) < 2 && t.version < v20151015 {
			return fail("Arguments to \"%s\" must be of the form [resource_name, attribute, (path), ...]", name)
		}
	case "get_resource":
		if _, ok := args.(string); !ok && !isFunctionCall(args) {
			return fail("Argument to \"%s\" must be a string", name)
		}
	case "get_param":
		if args == nil || (isList && len(list) == 0) {
			return fail("Function \"%s\" must have arguments", name)
		}
	case "list_join", "join":
		if !isList {
			return fail("Incorrect arguments to \"%s\" should be: \"%s\" : [ \" \", [ \"str1\", \"str2\"] ...]", name, name)
		}
		if len(list) < 2 || (t.version < v20151015 && len(list) != 2 && name == "list_join") {
			return fail("Incorrect arguments to \"%s\" should be: \"%s\" : [ \" \", [ \"str1\", \"str2\"] ...]", name, name)
		}
	case "str_replace", "str_replace_strict", "str_replace_vstrict":
		if !isMap {
			return fail("Arguments to \"%s\" must be a map", name)
		}
		_, hasT := m["template"]
		params, hasP := m["params"]
		if !hasT || !hasP {
			return fail("\"%s\" syntax should be %s: {template: This is var1 template var2, params: {var1: a, var2: string}}", name, name)
		}
		if _, ok := params.(map[string]any); !ok {
			return fail("\"%s\" parameters must be a mapping", name)
		}
	case "repeat":
		if !isMap {
			return fail("Arguments to \"%s\" must be a map", name)
		}
		fe, hasF := m["for_each"]
		_, hasT := m["template"]
		if !hasF || !hasT {
			return fail("\"repeat\" syntax should be repeat: {template: This is %%var%%, for_each: {%%var%%: [a, b, c]}}")
		}
		if _, ok := fe.(map[string]any); !ok || isFunctionCall(fe) {
			if !isFunctionCall(fe) {
				return fail("The \"for_each\" argument to \"%s\" must contain a map", name)
			}
		}
		if p, ok := m["permutations"]; ok && t.version >= v20170901 {
			if _, isBool := p.(bool); !isBool {
				return fail("\"permutations\" should be boolean type for %s function.", name)
			}
		}
	case "yaql":
		if !isMap {
			return fail("Arguments to \"%s\" must be a map.", name)
		}
		expr, ok := m["expression"]
		extra := false
		for k := range m {
			if k != "expression" && k != "data" {
				extra = true
			}
		}
		if !ok || extra {
			return fail("\"%s\" syntax should be %s: {expression: $.data.var1.sum(), data: {var1: [3, 2, 1]}}", name, name)
		}
		if s, ok := expr.(string); ok {
			if _, err := parseYaql(s); err != nil {
				return fail("Bad expression %s.", err.Error())
			}
		} else if !isFunctionCall(expr) {
			return fail("The \"expression\" argument to %s must contain a string.", name)
		}
	case "if":
		n := 3
		if t.version >= v20210416 && isList && len(list) == 2 {
			n = 2
		}
		if !isList || len(list) != n {
			return fail("Arguments to \"%s\" must be of the form: [condition_name, value_if_true, value_if_false]", name)
		}
	case "equals":
		if !isList || len(list) != 2 {
			return fail("Arguments to \"%s\" must be of the form: [value_1, value_2]", name)
		}
	case "and", "or":
		if !isList {
			return fail("Arguments to \"%s\" must be a list of conditions", name)
		}
		if len(list) < 2 {
			return fail("The minimum number of condition arguments to \"%s\" is 2.", name)
		}
	case "not":
		if args == nil {
			return fail("Argument to \"%s\" must be a condition", name)
		}
	case "contains":
		if !isList || len(list) == 0 {
			return fail("Incorrect arguments to \"%s\" should be: \"%s\" : [ \"value1\", [ \"value1\", \"value2\"]]", name, name)
		}
		if len(list) != 2 {
			return fail("Arguments to \"%s\" must be of the form: [value1, [value1, value2]]", name)
		}
	case "filter":
		if !isList {
			return fail("Argument to \"%s\" must be a list", name)
		}
		if len(list) != 2 {
			return fail("\"%s\" expected 2 arguments of the form [values, sequence] but got %d arguments instead", name, len(list))
		}
	case "make_url":
		if !isMap {
			if isFunctionCall(args) {
				return nil
			}
			return fail("The arguments to \"%s\" must be a map", name)
		}
		for _, k := range sortedKeys(m) {
			if !makeURLKeys[k] {
				return fail("Invalid arguments to \"%s\": %s", name, k)
			}
		}
	case "str_split":
		if _, isStr := args.(string); isStr || (isMap && !isFunctionCall(args)) {
			return fail("Incorrect arguments to \"%s\" should be: \"%s\" : [ \",\", \"apples,pears\", <index>]", name, name)
		}
	case "resource_facade", "Fn::ResourceFacade":
		s, _ := args.(string)
		if s != "metadata" && s != "deletion_policy" && s != "update_policy" {
			return fail("Incorrect arguments to \"%s\" should be one of: metadata, deletion_policy, update_policy", name)
		}
	case "get_file":
		if _, ok := args.(string); !ok && !isFunctionCall(args) {
			return fail("Argument to \"%s\" must be a string", name)
		}
	case "map_replace":
		if !isList && !isFunctionCall(args) {
			return fail("Incorrect arguments to \"%s\" should be: %s", name, mapReplaceExample)
		}
	}
	return nil
}

const mapReplaceExample = `"map_replace" : [ { "key1": "val1" }, {"keys": {"key1": "key2"}, "values": {"val1": "val2"}}]`

var makeURLKeys = map[string]bool{
	"scheme": true, "username": true, "password": true, "host": true,
	"port": true, "path": true, "query": true, "fragment": true,
}
