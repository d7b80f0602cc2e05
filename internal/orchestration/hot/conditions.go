package hot

// EvalConditions evaluates every condition of the template with the given
// parameter values (see ResolveParameters). Conditions may refer to one
// another by name; a circular definition is an error.
func (t *Template) EvalConditions(params map[string]any) (map[string]bool, error) {
	const (
		inProgress = 1
		done       = 2
	)
	state := map[string]int{}
	out := make(map[string]bool, len(t.Conditions))
	var resolve func(name string) (bool, error)
	resolve = func(name string) (bool, error) {
		def, ok := t.Conditions[name]
		if !ok {
			return false, errorf("", "Invalid condition \"%s\"", name)
		}
		switch state[name] {
		case inProgress:
			return false, errorf(joinPath("conditions", name), "Circular definition for condition \"%s\"", name)
		case done:
			return out[name], nil
		}
		state[name] = inProgress
		ctx := &EvalContext{Params: params, Path: joinPath("conditions", name), condition: resolve}
		v, err := Eval(def, ctx)
		if err != nil {
			return false, err
		}
		b, ok := v.(bool)
		if !ok {
			return false, errorf(joinPath("conditions", name), "The definition of condition \"%s\" is invalid: %s", name, pyRepr(v))
		}
		state[name] = done
		out[name] = b
		return b, nil
	}
	for _, name := range t.condOrder {
		if _, err := resolve(name); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ConditionEnabled evaluates the condition of a resource or an output:
// nil is true, a boolean is itself, a string names a condition in
// ctx.Conditions, and a function (an inline condition) is evaluated.
func ConditionEnabled(cond any, ctx *EvalContext) (bool, error) {
	if cond == nil {
		return true, nil
	}
	if ctx == nil {
		ctx = &EvalContext{}
	}
	v, err := Eval(cond, ctx)
	if err != nil {
		return false, err
	}
	e := &evaluator{ctx: ctx}
	return e.conditionValue(v, ctx.Path)
}
