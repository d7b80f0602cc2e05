package hot

import (
	"fmt"
	"sort"
	"strings"
)

// Template is a parsed HOT template. Values of properties, metadata, outputs
// and conditions stay unevaluated: trees of map[string]any, []any and
// scalars (string, int, float64, bool, nil) in which intrinsic functions
// are single-key maps, to be evaluated with Eval.
type Template struct {
	// Version is heat_template_version as written: a date or a release name.
	Version string
	// Description is the template's description.
	Description string
	// Parameters in declaration order.
	Parameters []*Parameter
	// ParameterGroups as declared.
	ParameterGroups []ParameterGroup
	// Conditions maps a condition name to its unevaluated definition.
	Conditions map[string]any
	// Resources in declaration order.
	Resources []*Resource
	// Outputs in declaration order.
	Outputs []*Output
	// Files is the request's files map (file name or URL → content), used by
	// get_file and nested templates.
	Files map[string]string
	// Location is where the template came from (its key in Files for a
	// nested template), or "" for a template sent inline. Relative file
	// names in the template resolve against it.
	Location string

	version     int
	params      map[string]*Parameter
	resources   map[string]*Resource
	outputs     map[string]*Output
	condOrder   []string
	sourceBytes int
}

// ParameterGroup groups parameters for display.
type ParameterGroup struct {
	Label       string
	Description string
	Parameters  []string
}

// Resource is one entry of the resources section.
type Resource struct {
	Name string
	// Type is the resource type as written: a plugin type, a registry alias
	// or a template file name.
	Type string
	// Properties is the unevaluated properties map (or a function that
	// yields one); nil when absent.
	Properties any
	// DependsOn lists explicit dependencies.
	DependsOn []string
	// Condition is the unevaluated condition: a condition name, a boolean,
	// a condition function, or nil when there is none.
	Condition any
	// DeletionPolicy is Delete, Retain or Snapshot ("" means Delete). When
	// the policy is given by a function, DeletionPolicy is "" and
	// DeletionPolicyExpr holds the function.
	DeletionPolicy     string
	DeletionPolicyExpr any
	// UpdatePolicy is the unevaluated update_policy, or nil.
	UpdatePolicy any
	// Metadata is the unevaluated metadata, or nil.
	Metadata any
	// ExternalID is the unevaluated external_id, or nil.
	ExternalID any
	// Description is the resource's description.
	Description string
}

// Output is one entry of the outputs section.
type Output struct {
	Name        string
	Description string
	// Value is the unevaluated value.
	Value any
	// Condition is the unevaluated condition, or nil.
	Condition any
}

// Parameter returns the named parameter, or nil.
func (t *Template) Parameter(name string) *Parameter { return t.params[name] }

// Resource returns the named resource, or nil.
func (t *Template) Resource(name string) *Resource { return t.resources[name] }

// Output returns the named output, or nil.
func (t *Template) Output(name string) *Output { return t.outputs[name] }

// File returns the content of a file the template names (get_file, a
// template resource type), resolving relative names against Location.
func (t *Template) File(name string) (string, bool) {
	c, _, ok := lookupFile(t.Files, name, t.Location)
	return c, ok
}

// VersionDate returns the template's version as a date, resolving release
// names (queens → 2018-03-02).
func (t *Template) VersionDate() string { return versionDate(t.version) }

// Dependencies returns the names of the resources that r depends on:
// depends_on plus every resource its properties, metadata, update policy or
// external id reference. The result is sorted and unique.
func (t *Template) Dependencies(r *Resource) []string {
	set := map[string]bool{}
	for _, d := range r.DependsOn {
		set[d] = true
	}
	for _, v := range []any{r.Properties, r.Metadata, r.UpdatePolicy, r.ExternalID} {
		for _, n := range References(v) {
			set[n] = true
		}
		for _, n := range refNames(v) {
			if t.resources[n] != nil {
				set[n] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Parse reads a HOT template in YAML or JSON. files is the request's files
// map (as heatclient uploads it); the template keeps it for get_file and
// nested templates. Parse checks the structure of the template, the
// parameter schemas and that every function exists in the template's
// version; Validate checks references and types.
func Parse(body []byte, files map[string]string) (*Template, error) {
	return ParseAt(body, files, "")
}

// ParseAt is Parse for a template read from location (a URL or a path, as
// heatclient knows it): relative file names in the template (get_file,
// template resource types) resolve against it before the other ways
// LookupFile tries.
func ParseAt(body []byte, files map[string]string, location string) (*Template, error) {
	if len(body) > MaxTemplateSize {
		return nil, errorf("", "Template size (%d bytes) exceeds maximum allowed size (%d bytes).", len(body), MaxTemplateSize)
	}
	doc, err := decodeDocument(body)
	if err != nil {
		return nil, &Error{Msg: "Error parsing template: " + err.Error(), cause: err}
	}
	root, ok := doc.(*omap)
	if !ok {
		return nil, errorf("", "The template is not a JSON object or YAML mapping.")
	}
	t := &Template{
		Files:       files,
		Location:    location,
		params:      map[string]*Parameter{},
		resources:   map[string]*Resource{},
		outputs:     map[string]*Output{},
		Conditions:  map[string]any{},
		sourceBytes: len(body),
	}
	if t.Files == nil {
		t.Files = map[string]string{}
	}
	if err := t.parseVersion(root); err != nil {
		return nil, err
	}
	if err := t.parseSections(root); err != nil {
		return nil, err
	}
	return t, nil
}

func (t *Template) parseVersion(root *omap) error {
	for _, k := range []string{"AWSTemplateFormatVersion", "HeatTemplateFormatVersion"} {
		if _, ok := root.get(k); ok {
			return errorf(k, "CloudFormation-format templates are not supported; use a HOT template (heat_template_version)")
		}
	}
	raw, ok := root.get("heat_template_version")
	v, isStr := raw.(string)
	if !ok || !isStr {
		return errorf("", "The template version is invalid: Template version was not provided")
	}
	idx := versionIndex(v)
	if idx < 0 {
		return errorf("heat_template_version", "The template version is invalid: \"heat_template_version: %s\". \"heat_template_version\" should be one of: %s", v, knownVersions())
	}
	t.Version = v
	t.version = idx
	return nil
}

var topSections = map[string]int{
	"heat_template_version": v20130523,
	"description":           v20130523,
	"parameter_groups":      v20130523,
	"parameters":            v20130523,
	"resources":             v20130523,
	"outputs":               v20130523,
	"conditions":            v20161014,
}

func (t *Template) parseSections(root *omap) error {
	for _, k := range root.keys {
		since, ok := topSections[k]
		if !ok || t.version < since {
			return errorf(k, "The template section is invalid: %s", k)
		}
	}
	if d, ok := root.get("description"); ok && d != nil {
		s, err := scalarString(d)
		if err != nil {
			return errorf("description", "description must be a string")
		}
		t.Description = s
	}
	if err := t.parseParameters(root); err != nil {
		return err
	}
	if err := t.parseParameterGroups(root); err != nil {
		return err
	}
	if err := t.parseConditions(root); err != nil {
		return err
	}
	if err := t.parseResources(root); err != nil {
		return err
	}
	return t.parseOutputs(root)
}

func scalarString(v any) (string, error) {
	switch v.(type) {
	case string, int, float64, bool:
		return pyStr(v), nil
	}
	return "", fmt.Errorf("not a string")
}

// section returns a top-level section as an ordered map (nil when absent or
// empty) or an error naming what was found instead.
func section(root *omap, name, what string) (*omap, error) {
	v, ok := root.get(name)
	if !ok || v == nil {
		return nil, nil
	}
	m, ok := v.(*omap)
	if !ok {
		return nil, errorf(name, "%s must be a map. Found a %s instead", what, typeName(plain(v)))
	}
	return m, nil
}

func (t *Template) parseParameterGroups(root *omap) error {
	v, ok := root.get("parameter_groups")
	if !ok || v == nil {
		return nil
	}
	list, ok := v.([]any)
	if !ok {
		return errorf("parameter_groups", "Parameter Groups must be a list.")
	}
	assigned := map[string]bool{}
	for i, item := range list {
		path := indexPath("parameter_groups", i)
		g, ok := item.(*omap)
		if !ok {
			return errorf(path, "Parameter groups must be maps.")
		}
		var pg ParameterGroup
		for _, k := range g.keys {
			val := plain(g.vals[k])
			switch k {
			case "label":
				pg.Label, _ = scalarString(val)
			case "description":
				pg.Description, _ = scalarString(val)
			case "parameters":
			default:
				return errorf(joinPath(path, k), "Invalid key '%s' for parameter group", k)
			}
		}
		params, ok := g.get("parameters")
		if !ok || params == nil {
			return errorf(path, "Parameters must be provided for each Parameter Group.")
		}
		names, ok := params.([]any)
		if !ok {
			return errorf(joinPath(path, "parameters"), "Parameters must be a list.")
		}
		for j, n := range names {
			name, ok := n.(string)
			if !ok {
				return errorf(indexPath(joinPath(path, "parameters"), j), "Parameter names must be strings.")
			}
			if assigned[name] {
				return errorf(indexPath(joinPath(path, "parameters"), j), "The %s parameter must be assigned to one parameter group only.", name)
			}
			assigned[name] = true
			if t.params[name] == nil {
				return errorf(indexPath(joinPath(path, "parameters"), j), "The grouped parameter %s does not reference a valid parameter.", name)
			}
			pg.Parameters = append(pg.Parameters, name)
		}
		t.ParameterGroups = append(t.ParameterGroups, pg)
	}
	return nil
}

func (t *Template) parseConditions(root *omap) error {
	conds, err := section(root, "conditions", "Condition definitions")
	if err != nil || conds == nil {
		return err
	}
	for _, name := range conds.keys {
		v := plain(conds.vals[name])
		path := joinPath("conditions", name)
		if err := t.checkFunctions(v, path, true); err != nil {
			return err
		}
		if _, isBool := v.(bool); !isBool && !isFunctionCall(v) {
			return errorf(path, "The definition of condition \"%s\" is invalid: %s", name, pyRepr(v))
		}
		t.Conditions[name] = v
		t.condOrder = append(t.condOrder, name)
	}
	return nil
}

var resourceKeys = map[string]int{
	"type":            v20130523,
	"properties":      v20130523,
	"metadata":        v20130523,
	"depends_on":      v20130523,
	"deletion_policy": v20130523,
	"update_policy":   v20130523,
	"description":     v20130523,
	"external_id":     v20161014,
	"condition":       v20161014,
}

func (t *Template) parseResources(root *omap) error {
	res, err := section(root, "resources", "Resources")
	if err != nil || res == nil {
		return err
	}
	for _, name := range res.keys {
		r, err := t.parseResource(name, res.vals[name])
		if err != nil {
			return err
		}
		t.Resources = append(t.Resources, r)
		t.resources[name] = r
	}
	return nil
}

func isFunctionCall(v any) bool {
	m, ok := v.(map[string]any)
	if !ok || len(m) != 1 {
		return false
	}
	for k := range m {
		return isFunctionName(k)
	}
	return false
}

func (t *Template) parseResource(name string, raw any) (*Resource, error) {
	path := joinPath("resources", name)
	if raw == nil {
		return nil, errorf(path, "Each resource must contain a type key.")
	}
	def, ok := raw.(*omap)
	if !ok {
		return nil, errorf(path, "\"resources\" must contain a map of resource maps. Found a [%s] instead", typeName(plain(raw)))
	}
	for _, k := range def.keys {
		since, ok := resourceKeys[k]
		if !ok || t.version < since {
			return nil, errorf(joinPath(path, k), "\"%s\" is not a valid keyword inside a resource definition", k)
		}
	}
	r := &Resource{Name: name}
	typ, ok := def.get("type")
	if !ok || typ == nil {
		return nil, errorf(path, "Resource %s is missing \"type\"", name)
	}
	if r.Type, ok = typ.(string); !ok || r.Type == "" {
		return nil, errorf(joinPath(path, "type"), "Resource %s type must be a non-empty string", name)
	}
	if v, ok := def.get("properties"); ok && v != nil {
		r.Properties = plain(v)
		if _, isMap := r.Properties.(map[string]any); !isMap {
			return nil, errorf(joinPath(path, "properties"), "Resource %s properties type must be object", name)
		}
		if err := t.checkFunctions(r.Properties, joinPath(path, "properties"), false); err != nil {
			return nil, err
		}
	}
	if v, ok := def.get("metadata"); ok && v != nil {
		r.Metadata = plain(v)
		if _, isMap := r.Metadata.(map[string]any); !isMap {
			return nil, errorf(joinPath(path, "metadata"), "Resource %s metadata type must be object", name)
		}
		if err := t.checkFunctions(r.Metadata, joinPath(path, "metadata"), false); err != nil {
			return nil, err
		}
	}
	if v, ok := def.get("update_policy"); ok && v != nil {
		r.UpdatePolicy = plain(v)
		if _, isMap := r.UpdatePolicy.(map[string]any); !isMap {
			return nil, errorf(joinPath(path, "update_policy"), "Resource %s update_policy type must be object", name)
		}
		if err := t.checkFunctions(r.UpdatePolicy, joinPath(path, "update_policy"), false); err != nil {
			return nil, err
		}
	}
	if v, ok := def.get("depends_on"); ok && v != nil {
		switch d := plain(v).(type) {
		case string:
			r.DependsOn = []string{d}
		case []any:
			for _, e := range d {
				s, ok := e.(string)
				if !ok {
					return nil, errorf(joinPath(path, "depends_on"), "Resource %s depends_on must be a list of strings", name)
				}
				r.DependsOn = append(r.DependsOn, s)
			}
		default:
			return nil, errorf(joinPath(path, "depends_on"), "Resource %s depends_on type must be list or string", name)
		}
	}
	if v, ok := def.get("deletion_policy"); ok && v != nil {
		pv := plain(v)
		switch p := pv.(type) {
		case string:
			norm, ok := t.deletionPolicy(p)
			if !ok {
				return nil, errorf(joinPath(path, "deletion_policy"), "Invalid deletion policy \"%s\"", p)
			}
			r.DeletionPolicy = norm
		default:
			if !isFunctionCall(pv) {
				return nil, errorf(joinPath(path, "deletion_policy"), "Resource %s deletion_policy type must be string", name)
			}
			if err := t.checkFunctions(pv, joinPath(path, "deletion_policy"), false); err != nil {
				return nil, err
			}
			r.DeletionPolicyExpr = pv
		}
	}
	if v, ok := def.get("description"); ok && v != nil {
		s, err := scalarString(plain(v))
		if err != nil {
			return nil, errorf(joinPath(path, "description"), "Resource %s description type must be string", name)
		}
		r.Description = s
	}
	if v, ok := def.get("external_id"); ok && v != nil {
		pv := plain(v)
		if _, isStr := pv.(string); !isStr && !isFunctionCall(pv) {
			return nil, errorf(joinPath(path, "external_id"), "Resource %s external_id type must be string", name)
		}
		if err := t.checkFunctions(pv, joinPath(path, "external_id"), false); err != nil {
			return nil, err
		}
		r.ExternalID = pv
	}
	if v, ok := def.get("condition"); ok && v != nil {
		pv := plain(v)
		switch pv.(type) {
		case string, bool:
		default:
			if !isFunctionCall(pv) {
				return nil, errorf(joinPath(path, "condition"), "Resource %s condition type must be string_or_boolean", name)
			}
		}
		if err := t.checkFunctions(pv, joinPath(path, "condition"), true); err != nil {
			return nil, err
		}
		r.Condition = pv
	}
	return r, nil
}

// deletionPolicy normalises a deletion policy; lower-case spellings arrived
// in 2016-10-14.
func (t *Template) deletionPolicy(p string) (string, bool) {
	switch p {
	case "Delete", "Retain", "Snapshot":
		return p, true
	case "delete", "retain", "snapshot":
		if t.version >= v20161014 {
			return strings.ToUpper(p[:1]) + p[1:], true
		}
	}
	return "", false
}

func (t *Template) parseOutputs(root *omap) error {
	outs, err := section(root, "outputs", "Output definitions")
	if err != nil || outs == nil {
		return err
	}
	for _, name := range outs.keys {
		path := joinPath("outputs", name)
		def, ok := outs.vals[name].(*omap)
		if !ok {
			return errorf(path, "Output definitions must be a map. Found a %s instead", typeName(plain(outs.vals[name])))
		}
		o := &Output{Name: name}
		for _, k := range def.keys {
			switch {
			case k == "value" || k == "description":
			case k == "condition" && t.version >= v20161014:
			default:
				return errorf(joinPath(path, k), "\"%s\" is not a valid keyword inside a output definition", k)
			}
		}
		v, ok := def.get("value")
		if !ok {
			return errorf(path, "Each output definition must contain a value key.")
		}
		o.Value = plain(v)
		if err := t.checkFunctions(o.Value, joinPath(path, "value"), false); err != nil {
			return err
		}
		if d, ok := def.get("description"); ok && d != nil {
			o.Description, _ = scalarString(plain(d))
		}
		if c, ok := def.get("condition"); ok && c != nil {
			o.Condition = plain(c)
			if err := t.checkFunctions(o.Condition, joinPath(path, "condition"), true); err != nil {
				return err
			}
		}
		t.Outputs = append(t.Outputs, o)
		t.outputs[name] = o
	}
	return nil
}
