package hot

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// TypeChecker answers for the resource types a deployment implements or
// describes: the engine builds one from its resource plugins and the
// OpenStack type schemas.
type TypeChecker interface {
	// Known reports whether a (registry-resolved) type exists.
	Known(typeName string) bool
	// Schema returns the type's schema, or nil when properties and
	// attributes are not checked (OS::Heat::None accepts anything).
	Schema(typeName string) *Schema
}

// Schema describes the properties and attributes of a resource type.
type Schema struct {
	// Properties by name.
	Properties map[string]PropertySchema
	// Attributes maps attribute names to descriptions. nil means any
	// attribute is accepted; a name ending in "*" accepts every attribute
	// with that prefix (resource.*). Every type also has "show".
	Attributes map[string]string
}

// Property types of a PropertySchema.
const (
	PropString  = "string"
	PropInteger = "integer"
	PropNumber  = "number"
	PropBoolean = "boolean"
	PropList    = "list"
	PropMap     = "map"
	PropAny     = "any"
)

// PropertySchema describes one property.
type PropertySchema struct {
	// Type is one of the Prop* constants ("" means any).
	Type string
	// Required properties must be given unless they have a Default.
	Required bool
	// Default is used when the property is not given.
	Default any
	// UpdateAllowed properties change in place; others force a
	// replacement.
	UpdateAllowed bool
	// AllowedValues restricts the value when not empty.
	AllowedValues []any
	// Schema describes the keys of a map property.
	Schema map[string]PropertySchema
	// Items describes the items of a list property.
	Items *PropertySchema
}

// maxNestingDepth is Heat's max_nested_stack_depth.
const maxNestingDepth = 5

// maxValidationErrors bounds the number of errors Validate reports.
const maxValidationErrors = 20

// groupTypes maps the types whose properties define member resources to the
// property that holds the member definition.
var groupTypes = map[string]string{
	"OS::Heat::ResourceGroup":            "resource_def",
	"OS::Heat::AutoScalingGroup":         "resource",
	"AWS::AutoScaling::AutoScalingGroup": "",
}

// Validate checks a parsed template: every reference (get_resource,
// get_attr, depends_on, Ref) names a resource of the template, get_attr
// names an attribute the type has, there is no dependency cycle, every
// condition named exists and conditions do not refer to themselves, every
// parameter named exists, every get_file names an uploaded file, and every
// resource type is known: a type of types, a registry alias of env, or a
// template file of t.Files (which is then parsed and validated in turn, and
// whose parameters must accept the properties given). Properties are
// checked against the type's schema when there is one. types may be nil to
// skip the type checks. The errors, at most 20, are joined.
func Validate(t *Template, env *Environment, types TypeChecker) error {
	v := &validator{env: env, types: types, stack: nil}
	v.template(t, "", 0)
	return errors.Join(v.errs...)
}

type validator struct {
	env   *Environment
	types TypeChecker
	errs  []error
	stack []string // nested template files being validated
}

func (v *validator) add(err error) {
	if err == nil || len(v.errs) >= maxValidationErrors {
		return
	}
	v.errs = append(v.errs, err)
}

func (v *validator) fail(path, format string, a ...any) {
	v.add(errorf(path, format, a...))
}

func (v *validator) full() bool { return len(v.errs) >= maxValidationErrors }

func (v *validator) template(t *Template, prefix string, depth int) {
	at := func(p string) string {
		if prefix == "" {
			return p
		}
		return prefix + "." + p
	}
	v.conditions(t, at)
	for _, r := range t.Resources {
		if v.full() {
			return
		}
		rpath := at(joinPath("resources", r.Name))
		for _, d := range r.DependsOn {
			if t.resources[d] == nil {
				v.fail(joinPath(rpath, "depends_on"), "The specified reference \"%s\" (in %s) is incorrect.", d, r.Name)
			}
		}
		for _, sec := range []struct {
			name string
			val  any
		}{{"properties", r.Properties}, {"metadata", r.Metadata}, {"update_policy", r.UpdatePolicy}, {"external_id", r.ExternalID}, {"deletion_policy", r.DeletionPolicyExpr}} {
			v.expression(t, sec.val, joinPath(rpath, sec.name), r.Name)
		}
		v.conditionRef(t, r.Condition, joinPath(rpath, "condition"))
		v.resourceType(t, r.Name, r.Type, r.Properties, rpath, depth)
	}
	for _, o := range t.Outputs {
		opath := at(joinPath("outputs", o.Name))
		v.expression(t, o.Value, joinPath(opath, "value"), joinPath("outputs", o.Name))
		v.conditionRef(t, o.Condition, joinPath(opath, "condition"))
	}
	v.cycles(t, at)
}

// expression checks the references, parameters and files an expression
// names.
func (v *validator) expression(t *Template, expr any, path, owner string) {
	if expr == nil {
		return
	}
	walkRefs(expr, path, func(r ref) {
		target := t.resources[r.name]
		if target == nil {
			v.fail(r.path, "The specified reference \"%s\" (in %s) is incorrect.", r.name, owner)
			return
		}
		if r.fn == "get_attr" && r.attr != nil {
			if attr, ok := r.attr.(string); ok && !v.hasAttribute(t, target, attr) {
				v.fail(r.path, "The Referenced Attribute (%s %s) is incorrect.", r.name, attr)
			}
		}
	})
	for _, name := range refNames(expr) {
		if t.resources[name] == nil && t.params[name] == nil && !strings.Contains(name, "::") {
			v.fail(path, "The specified reference \"%s\" (in %s) is incorrect.", name, owner)
		}
	}
	walkCalls(expr, path, "get_param", func(args any, p string) {
		name := args
		if l, ok := args.([]any); ok && len(l) > 0 {
			name = l[0]
		}
		if s, ok := name.(string); ok && t.params[s] == nil && !pseudoParameter(s) {
			v.fail(p, "The Parameter (%s) was not provided.", s)
		}
	})
	walkCalls(expr, path, "get_file", func(args any, p string) {
		if s, ok := args.(string); ok {
			if _, found := t.File(s); !found {
				v.fail(p, "No content found in the \"files\" section for get_file path: %s", s)
			}
		}
	})
	walkCalls(expr, path, "if", func(args any, p string) {
		if l, ok := args.([]any); ok && len(l) > 0 {
			v.conditionRef(t, l[0], indexPath(p, 0))
		}
	})
}

func pseudoParameter(name string) bool {
	switch name {
	case "OS::stack_name", "OS::stack_id", "OS::project_id":
		return true
	}
	return false
}

// hasAttribute reports whether get_attr may name attr on r.
func (v *validator) hasAttribute(t *Template, r *Resource, attr string) bool {
	if attr == "show" {
		return true
	}
	typ := v.env.ResolveResourceType(r.Name, r.Type)
	if IsTemplateType(typ) {
		if attr == "OS::stack_id" || strings.HasPrefix(attr, "resource.") {
			return true
		}
		content, key, ok := lookupFile(t.Files, typ, t.Location)
		if !ok {
			return true // reported as a missing template
		}
		nested, err := ParseAt([]byte(content), t.Files, key)
		if err != nil {
			return true // reported when the type is checked
		}
		return nested.outputs[attr] != nil
	}
	if v.types == nil {
		return true
	}
	s := v.types.Schema(typ)
	if s == nil || s.Attributes == nil {
		return true
	}
	if _, ok := s.Attributes[attr]; ok {
		return true
	}
	for name := range s.Attributes {
		if strings.HasSuffix(name, "*") && strings.HasPrefix(attr, strings.TrimSuffix(name, "*")) {
			return true
		}
	}
	return false
}

// conditionRef checks the condition of a resource, an output or an if: a
// name must exist; inside an inline condition, so must the names given to
// not, and and or.
func (v *validator) conditionRef(t *Template, cond any, path string) {
	switch c := cond.(type) {
	case nil, bool:
	case string:
		if _, ok := t.Conditions[c]; !ok {
			v.fail(path, "Invalid condition \"%s\"", c)
		}
	case map[string]any:
		for _, name := range conditionNames(c, path) {
			if _, ok := t.Conditions[name.name]; !ok {
				v.fail(name.path, "Invalid condition \"%s\"", name.name)
			}
		}
	}
}

type namedAt struct{ name, path string }

// conditionNames lists the condition names used by not, and, or and if in
// a condition expression.
func conditionNames(expr any, path string) []namedAt {
	var out []namedAt
	var walk func(any, string)
	walk = func(e any, p string) {
		switch x := e.(type) {
		case map[string]any:
			if len(x) == 1 {
				for k, args := range x {
					fp := joinPath(p, k)
					switch k {
					case "not":
						if s, ok := args.(string); ok {
							out = append(out, namedAt{s, fp})
							return
						}
					case "and", "or":
						if l, ok := args.([]any); ok {
							for i, a := range l {
								if s, ok := a.(string); ok {
									out = append(out, namedAt{s, indexPath(fp, i)})
								} else {
									walk(a, indexPath(fp, i))
								}
							}
							return
						}
					case "if":
						if l, ok := args.([]any); ok && len(l) > 0 {
							if s, ok := l[0].(string); ok {
								out = append(out, namedAt{s, indexPath(fp, 0)})
							}
							for i, a := range l {
								walk(a, indexPath(fp, i))
							}
							return
						}
					}
				}
			}
			for _, k := range sortedKeys(x) {
				walk(x[k], joinPath(p, k))
			}
		case []any:
			for i, a := range x {
				walk(a, indexPath(p, i))
			}
		}
	}
	walk(expr, path)
	return out
}

// conditions checks the conditions section: the names it uses exist, there
// is no circular definition, and get_param names exist.
func (v *validator) conditions(t *Template, at func(string) string) {
	deps := map[string][]string{}
	for _, name := range t.condOrder {
		path := at(joinPath("conditions", name))
		for _, n := range conditionNames(t.Conditions[name], path) {
			if _, ok := t.Conditions[n.name]; !ok {
				v.fail(n.path, "Invalid condition \"%s\"", n.name)
				continue
			}
			deps[name] = append(deps[name], n.name)
		}
		v.expression(t, t.Conditions[name], path, joinPath("conditions", name))
	}
	const (
		visiting = 1
		visited  = 2
	)
	state := map[string]int{}
	var visit func(string) bool
	visit = func(n string) bool {
		switch state[n] {
		case visiting:
			v.fail(at(joinPath("conditions", n)), "Circular definition for condition \"%s\"", n)
			return false
		case visited:
			return true
		}
		state[n] = visiting
		for _, d := range deps[n] {
			if !visit(d) {
				return false
			}
		}
		state[n] = visited
		return true
	}
	for _, name := range t.condOrder {
		if !visit(name) {
			return
		}
	}
}

// cycles reports a dependency cycle with its path.
func (v *validator) cycles(t *Template, at func(string) string) {
	const (
		visiting = 1
		visited  = 2
	)
	state := map[string]int{}
	var stack []string
	var visit func(string) bool
	visit = func(n string) bool {
		switch state[n] {
		case visiting:
			start := 0
			for i, s := range stack {
				if s == n {
					start = i
				}
			}
			cycle := append(append([]string{}, stack[start:]...), n)
			v.fail(at(joinPath("resources", cycle[0])), "Circular Dependency Found: %s", strings.Join(cycle, " -> "))
			return false
		case visited:
			return true
		}
		state[n] = visiting
		stack = append(stack, n)
		for _, d := range t.Dependencies(t.resources[n]) {
			if t.resources[d] == nil {
				continue
			}
			if !visit(d) {
				return false
			}
		}
		stack = stack[:len(stack)-1]
		state[n] = visited
		return true
	}
	for _, r := range t.Resources {
		if !visit(r.Name) {
			return
		}
	}
}

// resourceType checks that a type is known and that the properties fit it.
func (v *validator) resourceType(t *Template, name, typ string, props any, rpath string, depth int) {
	resolved := v.env.ResolveResourceType(name, typ)
	mapped := ""
	if resolved != typ {
		mapped = fmt.Sprintf(" (the environment maps %s to it)", typ)
	}
	if IsTemplateType(resolved) {
		v.nested(t, resolved, props, rpath, depth)
		return
	}
	if v.types == nil {
		return
	}
	if !v.types.Known(resolved) {
		v.fail(joinPath(rpath, "type"), "The Resource Type (%s) could not be found.%s", resolved, mapped)
		return
	}
	schema := v.types.Schema(resolved)
	pmap, isMap := props.(map[string]any)
	if schema != nil && (isMap || props == nil) && !isFunctionCall(props) {
		v.properties(schema.Properties, pmap, joinPath(rpath, "properties"))
	}
	if key, ok := groupTypes[resolved]; ok && key != "" && isMap {
		def, ok := pmap[key].(map[string]any)
		if !ok || isFunctionCall(def) {
			return
		}
		member, ok := def["type"].(string)
		if !ok {
			return
		}
		indexVar := "%index%"
		if s, ok := pmap["index_var"].(string); ok {
			indexVar = s
		}
		// Heat validates a group through its first member.
		mprops := SubstituteIndex(def["properties"], indexVar, "0")
		v.resourceType(t, name, member, mprops, joinPath(joinPath(rpath, "properties"), key), depth)
	}
}

// SubstituteIndex replaces a group's index variable (ResourceGroup's
// index_var, "%index%" by default) with a member's index in every string of
// a member definition, map keys excepted, as Heat's ResourceGroup does.
func SubstituteIndex(v any, indexVar, index string) any {
	switch x := v.(type) {
	case string:
		return strings.ReplaceAll(x, indexVar, index)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = SubstituteIndex(e, indexVar, index)
		}
		return out
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = SubstituteIndex(e, indexVar, index)
		}
		return out
	}
	return v
}

// nested validates a template resource: the file exists, parses and
// validates, and its parameters accept the properties.
func (v *validator) nested(t *Template, file string, props any, rpath string, depth int) {
	content, key, ok := lookupFile(t.Files, file, t.Location)
	if !ok {
		v.fail(joinPath(rpath, "type"), "Could not fetch remote template \"%s\": it is not in the files sent with the request", file)
		return
	}
	npath := rpath + "<" + file + ">"
	if depth+1 > maxNestingDepth {
		v.fail(npath, "Recursion depth exceeds %d.", maxNestingDepth)
		return
	}
	for _, s := range v.stack {
		if s == key {
			v.fail(npath, "The template %s includes itself.", file)
			return
		}
	}
	nt, err := ParseAt([]byte(content), t.Files, key)
	if err != nil {
		v.add(prefixError(npath, err))
		return
	}
	v.stack = append(v.stack, key)
	child := &validator{env: v.env.childEnvironment(), types: v.types, stack: v.stack}
	child.template(nt, npath, depth+1)
	for _, err := range child.errs {
		v.add(err)
	}
	v.stack = v.stack[:len(v.stack)-1]
	pmap, isMap := props.(map[string]any)
	if props != nil && (!isMap || isFunctionCall(props)) {
		return
	}
	v.properties(nt.propertySchema(v.env), pmap, joinPath(rpath, "properties"))
	for _, p := range nt.Parameters {
		raw, given := pmap[p.Name]
		if !given || raw == nil || containsFunction(raw) {
			continue
		}
		conv, err := p.convert(raw)
		if err != nil {
			continue // reported by the type check above
		}
		for _, c := range p.Constraints {
			if c.Kind == ConstraintCustom {
				continue
			}
			if err := c.check(conv, p.Type); err != nil {
				v.fail(joinPath(joinPath(rpath, "properties"), p.Name), "%s", err.Error())
				break
			}
		}
	}
}

func prefixError(prefix string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		p := prefix
		if e.Path != "" {
			p = prefix + "." + e.Path
		}
		return &Error{Path: p, Msg: e.Msg, cause: e.cause}
	}
	return &Error{Path: prefix, Msg: err.Error(), cause: err}
}

// childEnvironment is the environment of a nested stack: the registry and
// parameter defaults carry over, parameters do not.
func (e *Environment) childEnvironment() *Environment {
	if e == nil {
		return nil
	}
	return &Environment{
		ParameterDefaults: e.ParameterDefaults,
		ResourceRegistry:  e.ResourceRegistry,
		ResourceOverrides: e.ResourceOverrides,
	}
}

// propertySchema is the schema of the properties of a resource implemented
// by this template: one property per parameter.
func (t *Template) propertySchema(env *Environment) map[string]PropertySchema {
	out := make(map[string]PropertySchema, len(t.Parameters))
	for _, p := range t.Parameters {
		ps := PropertySchema{UpdateAllowed: true, Default: p.Default}
		if env != nil {
			if d, ok := env.ParameterDefaults[p.Name]; ok && d != nil {
				ps.Default = d
			}
		}
		ps.Required = ps.Default == nil
		switch p.Type {
		case TypeString:
			ps.Type = PropString
		case TypeNumber:
			ps.Type = PropNumber
		case TypeBoolean:
			ps.Type = PropBoolean
		case TypeList:
			ps.Type = "list_or_string"
		case TypeJSON:
			ps.Type = "json"
		}
		out[p.Name] = ps
	}
	return out
}

func containsFunction(v any) bool {
	switch x := v.(type) {
	case map[string]any:
		if isFunctionCall(x) {
			return true
		}
		for _, e := range x {
			if containsFunction(e) {
				return true
			}
		}
	case []any:
		for _, e := range x {
			if containsFunction(e) {
				return true
			}
		}
	}
	return false
}

// properties checks literal property values against a schema.
func (v *validator) properties(schema map[string]PropertySchema, props map[string]any, path string) {
	for _, k := range sortedKeys(props) {
		ps, ok := schema[k]
		if !ok {
			v.fail(joinPath(path, k), "Unknown Property %s", k)
			continue
		}
		v.value(ps, props[k], joinPath(path, k))
	}
	for _, k := range sortedSchemaKeys(schema) {
		ps := schema[k]
		if _, given := props[k]; !given && ps.Required && ps.Default == nil {
			v.fail(path, "Property %s not assigned", k)
		}
	}
}

func sortedSchemaKeys(m map[string]PropertySchema) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// value checks one literal value; function calls are checked when they
// are evaluated.
func (v *validator) value(ps PropertySchema, val any, path string) {
	if val == nil || isFunctionCall(val) {
		return
	}
	bad := func(format string, a ...any) { v.fail(path, format, a...) }
	switch ps.Type {
	case PropString:
		switch val.(type) {
		case string, int, bool:
		default:
			bad("Value must be a string; got %s", truncate(pyRepr(val), 200))
			return
		}
	case PropInteger:
		switch x := val.(type) {
		case int, bool:
		case float64:
		case string:
			if _, err := strconv.Atoi(strings.TrimSpace(x)); err != nil {
				bad("Value '%s' is not an integer", x)
				return
			}
		default:
			bad("Value '%s' is not an integer", truncate(pyStr(val), 200))
			return
		}
	case PropNumber:
		if _, err := strToNum(val); err != nil {
			bad("%s", err.Error())
			return
		}
	case PropBoolean:
		switch x := val.(type) {
		case bool:
		case string:
			if l := strings.ToLower(x); l != "true" && l != "false" {
				bad("\"%s\" is not a valid boolean", l)
				return
			}
		default:
			bad("\"%s\" is not a valid boolean", truncate(pyStr(val), 200))
			return
		}
	case PropMap:
		m, ok := val.(map[string]any)
		if !ok {
			bad("\"%s\" is not a map", truncate(pyStr(val), 200))
			return
		}
		if ps.Schema != nil {
			v.properties(ps.Schema, m, path)
		}
	case PropList:
		l, ok := val.([]any)
		if !ok {
			bad("\"%s\" is not a list", truncate(pyRepr(val), 200))
			return
		}
		if ps.Items != nil {
			for i, item := range l {
				v.value(*ps.Items, item, indexPath(path, i))
			}
		}
	case "list_or_string":
		switch val.(type) {
		case []any, string:
		default:
			bad("Value must be a comma-delimited list string: %s", truncate(pyRepr(val), 200))
			return
		}
	case "json":
		switch val.(type) {
		case []any, map[string]any, string:
		default:
			bad("\"%s\" is not a map", truncate(pyStr(val), 200))
			return
		}
	}
	if len(ps.AllowedValues) > 0 && !containsFunction(val) {
		c := &Constraint{Kind: ConstraintAllowed, AllowedValues: ps.AllowedValues}
		typ := ""
		switch ps.Type {
		case PropString:
			typ = TypeString
		case PropInteger, PropNumber:
			typ = TypeNumber
		}
		if ok, _ := c.valid(val, typ); !ok {
			bad("%s", c.message(val))
		}
	}
}
