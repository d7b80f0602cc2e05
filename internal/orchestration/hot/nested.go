package hot

// NestedTemplate returns the template that implements a resource type, when
// the type (after the environment's registry) is a template file: the
// file's content comes from the template's Files. It returns false for
// other types. The nested template shares the files map; its parameters are
// the resource's properties (see ResolveNestedParameters) and its outputs
// are the resource's attributes.
func (t *Template) NestedTemplate(typeName string, env *Environment) (*Template, bool, error) {
	return t.NestedTemplateFor("", typeName, env)
}

// NestedTemplateFor is NestedTemplate for a named resource, so that the
// registry's per-resource overrides apply.
func (t *Template) NestedTemplateFor(resource, typeName string, env *Environment) (*Template, bool, error) {
	resolved := env.ResolveResourceType(resource, typeName)
	if !IsTemplateType(resolved) {
		return nil, false, nil
	}
	content, key, ok := lookupFile(t.Files, resolved, t.Location)
	if !ok {
		return nil, true, errorf("", "Could not fetch remote template \"%s\": it is not in the files sent with the request", resolved)
	}
	nt, err := ParseAt([]byte(content), t.Files, key)
	if err != nil {
		return nil, true, prefixError("<"+resolved+">", err)
	}
	return nt, true, nil
}

// ResolveNestedParameters computes the parameters of a nested stack from
// the (evaluated) properties of the resource that it implements. A value
// comes from the property, then env.ParameterDefaults, then the template's
// default; env.Parameters do not apply to nested stacks. A property that is
// not a parameter is an error ("Unknown Property x").
func (t *Template) ResolveNestedParameters(env *Environment, props map[string]any) (map[string]any, error) {
	for _, k := range sortedKeys(props) {
		if t.params[k] == nil {
			return nil, errorf(joinPath("properties", k), "Unknown Property %s", k)
		}
	}
	out := make(map[string]any, len(t.Parameters))
	for _, p := range t.Parameters {
		var raw any
		if v, ok := props[p.Name]; ok && v != nil {
			raw = v
		} else if env != nil && env.ParameterDefaults[p.Name] != nil {
			raw = env.ParameterDefaults[p.Name]
		} else if p.Default != nil {
			raw = p.Default
		} else {
			return nil, errorf("properties", "Property %s not assigned", p.Name)
		}
		v, err := p.Value(raw)
		if err != nil {
			return nil, err
		}
		out[p.Name] = v
	}
	return out, nil
}
