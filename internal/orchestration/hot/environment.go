package hot

import (
	"path"
	"sort"
	"strings"
)

// Environment is a Heat environment: parameter values, parameter defaults
// and the resource registry.
type Environment struct {
	// Parameters are values for the template's parameters; naming a
	// parameter the template does not declare is an error.
	Parameters map[string]any
	// ParameterDefaults replace the templates' defaults, in the top-level
	// template and in every nested template; unknown names are ignored.
	ParameterDefaults map[string]any
	// ResourceRegistry maps a type name to a template file name (ending in
	// .yaml or .template) or to another type. A name ending in "*" maps
	// every type with that prefix ("OS::Networking::*": "OS::Neutron::*").
	// An empty value removes the mapping (null in the environment file).
	ResourceRegistry map[string]string
	// ResourceOverrides holds the registry's "resources" section: per
	// resource name (or fnmatch pattern), a type mapping that applies to
	// that resource only.
	ResourceOverrides map[string]map[string]string
}

var envSections = map[string]bool{
	"parameters": true, "parameter_defaults": true, "resource_registry": true,
	"encrypted_param_names": true, "event_sinks": true, "parameter_merge_strategies": true,
}

// ParseEnvironment reads an environment file in YAML or JSON.
func ParseEnvironment(body []byte) (*Environment, error) {
	doc, err := decodeDocument(body)
	if err != nil {
		return nil, &Error{Msg: "Error parsing environment: " + err.Error(), cause: err}
	}
	root, ok := doc.(*omap)
	if !ok {
		return nil, errorf("", "The environment is not a valid YAML mapping data type.")
	}
	env := &Environment{}
	for _, k := range root.keys {
		if !envSections[k] {
			return nil, errorf(k, "environment has wrong section \"%s\"", k)
		}
		if root.vals[k] == nil {
			return nil, errorf(k, "environment has empty section \"%s\"", k)
		}
	}
	for _, sec := range []struct {
		name string
		dst  *map[string]any
	}{{"parameters", &env.Parameters}, {"parameter_defaults", &env.ParameterDefaults}} {
		v, ok := root.get(sec.name)
		if !ok {
			continue
		}
		m, ok := plain(v).(map[string]any)
		if !ok {
			return nil, errorf(sec.name, "%s must be a map", sec.name)
		}
		*sec.dst = m
	}
	if v, ok := root.get("resource_registry"); ok {
		reg, ok := plain(v).(map[string]any)
		if !ok {
			return nil, errorf("resource_registry", "resource_registry must be a map")
		}
		if err := env.loadRegistry(reg); err != nil {
			return nil, err
		}
	}
	return env, nil
}

func (e *Environment) loadRegistry(reg map[string]any) error {
	for _, name := range sortedKeys(reg) {
		p := joinPath("resource_registry", name)
		switch v := reg[name].(type) {
		case nil:
			e.register(name, "")
		case string:
			e.register(name, v)
		case map[string]any:
			if name != "resources" {
				return errorf(p, "resource_registry entries must map a type name to a type or a template file")
			}
			for _, res := range sortedKeys(v) {
				rm, ok := v[res].(map[string]any)
				if !ok {
					return errorf(joinPath(p, res), "resource_registry.resources entries must be maps")
				}
				for _, typ := range sortedKeys(rm) {
					switch impl := rm[typ].(type) {
					case string:
						if typ == "hooks" || typ == "restricted_actions" {
							continue
						}
						e.override(res, typ, impl)
					case nil:
						e.override(res, typ, "")
					case []any:
						if typ != "hooks" && typ != "restricted_actions" {
							return errorf(joinPath(joinPath(p, res), typ), "resource_registry.resources entries must map a type name to a type or a template file")
						}
					default:
						return errorf(joinPath(joinPath(p, res), typ), "resource_registry.resources entries must map a type name to a type or a template file")
					}
				}
			}
		default:
			return errorf(p, "resource_registry entries must map a type name to a type or a template file")
		}
	}
	return nil
}

func (e *Environment) register(name, impl string) {
	if e.ResourceRegistry == nil {
		e.ResourceRegistry = map[string]string{}
	}
	e.ResourceRegistry[name] = impl
}

func (e *Environment) override(resource, typ, impl string) {
	if e.ResourceOverrides == nil {
		e.ResourceOverrides = map[string]map[string]string{}
	}
	if e.ResourceOverrides[resource] == nil {
		e.ResourceOverrides[resource] = map[string]string{}
	}
	e.ResourceOverrides[resource][typ] = impl
}

// Merge applies other on top of e, as heatclient merges several -e files:
// other's entries win, and a removed registry entry in other removes it.
func (e *Environment) Merge(other *Environment) {
	if other == nil {
		return
	}
	for k, v := range other.Parameters {
		if e.Parameters == nil {
			e.Parameters = map[string]any{}
		}
		e.Parameters[k] = v
	}
	for k, v := range other.ParameterDefaults {
		if e.ParameterDefaults == nil {
			e.ParameterDefaults = map[string]any{}
		}
		e.ParameterDefaults[k] = v
	}
	for k, v := range other.ResourceRegistry {
		e.register(k, v)
	}
	for res, m := range other.ResourceOverrides {
		for typ, impl := range m {
			e.override(res, typ, impl)
		}
	}
}

// IsTemplateType reports whether a resource type names a template file.
func IsTemplateType(typeName string) bool {
	return strings.HasSuffix(typeName, ".yaml") || strings.HasSuffix(typeName, ".template")
}

// ResolveType follows the resource registry from a type name to the type
// that implements it: a plugin type or a template file name. A name that
// the registry does not map is returned unchanged.
func (e *Environment) ResolveType(name string) string {
	return e.ResolveResourceType("", name)
}

// ResolveResourceType is ResolveType for a given resource: the registry's
// per-resource overrides (resource_registry.resources) apply first.
func (e *Environment) ResolveResourceType(resource, name string) string {
	if e == nil {
		return name
	}
	seen := map[string]bool{}
	for !IsTemplateType(name) && !seen[name] {
		seen[name] = true
		next, ok := e.lookup(resource, name)
		if !ok {
			break
		}
		name = next
	}
	return name
}

func (e *Environment) lookup(resource, name string) (string, bool) {
	if resource != "" {
		if impl, ok := e.ResourceOverrides[resource][name]; ok && impl != "" {
			return impl, true
		}
		patterns := make([]string, 0, len(e.ResourceOverrides))
		for p := range e.ResourceOverrides {
			patterns = append(patterns, p)
		}
		sort.Strings(patterns)
		for _, p := range patterns {
			if ok, _ := path.Match(p, resource); ok && p != resource {
				if impl, ok := e.ResourceOverrides[p][name]; ok && impl != "" {
					return impl, true
				}
			}
		}
	}
	if impl, ok := e.ResourceRegistry[name]; ok {
		return impl, impl != ""
	}
	best := ""
	for k, impl := range e.ResourceRegistry {
		if impl == "" || !strings.HasSuffix(k, "*") {
			continue
		}
		prefix := strings.TrimSuffix(k, "*")
		if strings.HasPrefix(name, prefix) && name != impl && len(k) > len(best) {
			best = k
		}
	}
	if best == "" {
		return "", false
	}
	impl := e.ResourceRegistry[best]
	if strings.HasSuffix(impl, "*") {
		return strings.TrimSuffix(impl, "*") + strings.TrimPrefix(name, strings.TrimSuffix(best, "*")), true
	}
	return impl, true
}
