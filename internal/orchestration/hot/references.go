package hot

import "sort"

// References returns the names of the resources an expression refers to
// through get_resource and get_attr, including inside other functions and
// in both branches of if. Names computed by a function (get_resource:
// {get_param: x}) cannot be known without evaluating and are left out. The
// result is sorted and unique.
func References(expr any) []string {
	set := map[string]bool{}
	walkRefs(expr, "", func(r ref) {
		set[r.name] = true
	})
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ref is one get_resource or get_attr found in an expression.
type ref struct {
	name string
	path string // the location of the function call
	fn   string // get_resource or get_attr
	attr any    // the attribute argument of get_attr (nil: all attributes)
}

func walkRefs(v any, path string, visit func(ref)) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) == 1 {
			for k, args := range x {
				fpath := joinPath(path, k)
				switch k {
				case "get_resource":
					if name, ok := args.(string); ok {
						visit(ref{name: name, path: fpath, fn: k})
						return
					}
				case "get_attr":
					if l, ok := args.([]any); ok && len(l) > 0 {
						if name, ok := l[0].(string); ok {
							r := ref{name: name, path: fpath, fn: k}
							if len(l) > 1 {
								r.attr = l[1]
							}
							visit(r)
						}
					}
				}
			}
		}
		for _, k := range sortedKeys(x) {
			walkRefs(x[k], joinPath(path, k), visit)
		}
	case []any:
		for i, e := range x {
			walkRefs(e, indexPath(path, i), visit)
		}
	}
}

// refNames returns the names given to Ref (HOT 2013-05-23), which may name
// a parameter or a resource.
func refNames(v any) []string {
	var out []string
	var walk func(any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if name, ok := x["Ref"].(string); ok && len(x) == 1 {
				out = append(out, name)
				return
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(v)
	return out
}

// walkCalls visits every call of the named function in an expression, with
// its (unevaluated) arguments and location.
func walkCalls(v any, path, fn string, visit func(args any, path string)) {
	switch x := v.(type) {
	case map[string]any:
		if args, ok := x[fn]; ok && len(x) == 1 {
			visit(args, joinPath(path, fn))
		}
		for _, k := range sortedKeys(x) {
			walkCalls(x[k], joinPath(path, k), fn, visit)
		}
	case []any:
		for i, e := range x {
			walkCalls(e, indexPath(path, i), fn, visit)
		}
	}
}
