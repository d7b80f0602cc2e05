package hot

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/dlclark/regexp2/v2"
)

// Parameter types.
const (
	TypeString   = "string"
	TypeNumber   = "number"
	TypeJSON     = "json"
	TypeList     = "comma_delimited_list"
	TypeBoolean  = "boolean"
	patternLimit = 100 * time.Millisecond
)

// Parameter is one entry of the parameters section.
type Parameter struct {
	Name        string
	Type        string
	Label       string
	Description string
	// Default is the default value as written (nil: no default, so the
	// parameter is required).
	Default     any
	Hidden      bool
	Immutable   bool
	Tags        []string
	Constraints []*Constraint
}

// Constraint kinds.
const (
	ConstraintLength  = "length"
	ConstraintRange   = "range"
	ConstraintModulo  = "modulo"
	ConstraintAllowed = "allowed_values"
	ConstraintPattern = "allowed_pattern"
	ConstraintCustom  = "custom_constraint"
)

// Constraint restricts the values of a parameter.
type Constraint struct {
	// Kind is one of the Constraint* constants.
	Kind string
	// Min and Max bound a length or range constraint (nil: unbounded).
	Min, Max *float64
	// Step and Offset define a modulo constraint.
	Step, Offset int
	// AllowedValues lists the values of an allowed_values constraint.
	AllowedValues []any
	// Pattern is the regular expression (Python syntax) of an
	// allowed_pattern constraint.
	Pattern string
	// Custom names a custom_constraint. Custom constraints check values
	// against cloud resources (nova.flavor, glance.image, …); Slipway accepts
	// them and leaves the check to the resource that uses the value.
	Custom string
	// Description replaces the default error message when set.
	Description string

	re *regexp2.Regexp
}

var paramKeys = map[string]int{
	"type": v20130523, "description": v20130523, "default": v20130523,
	"schema": v20130523, "constraints": v20130523, "hidden": v20130523,
	"label": v20130523, "immutable": v20130523, "tags": v20180302,
}

var constraintKeys = map[string]bool{
	"description": true, "length": true, "range": true, "modulo": true,
	"allowed_values": true, "allowed_pattern": true, "custom_constraint": true,
}

// constraintTypes says which parameter types accept which constraint, as
// Heat's constraint classes declare.
var constraintTypes = map[string]map[string]bool{
	ConstraintRange:   {TypeNumber: true},
	ConstraintModulo:  {TypeNumber: true},
	ConstraintLength:  {TypeString: true, TypeList: true, TypeJSON: true},
	ConstraintAllowed: {TypeString: true, TypeNumber: true, TypeBoolean: true, TypeList: true},
	ConstraintPattern: {TypeString: true},
	ConstraintCustom:  {TypeString: true, TypeNumber: true, TypeBoolean: true, TypeList: true},
}

var constraintClass = map[string]string{
	ConstraintRange: "Range", ConstraintModulo: "Modulo", ConstraintLength: "Length",
	ConstraintAllowed: "AllowedValues", ConstraintPattern: "AllowedPattern", ConstraintCustom: "CustomConstraint",
}

func (t *Template) parseParameters(root *omap) error {
	params, err := section(root, "parameters", "Parameters")
	if err != nil || params == nil {
		return err
	}
	for _, name := range params.keys {
		p, err := t.parseParameter(name, params.vals[name])
		if err != nil {
			return err
		}
		t.Parameters = append(t.Parameters, p)
		t.params[name] = p
	}
	return nil
}

func (t *Template) parseParameter(name string, raw any) (*Parameter, error) {
	path := joinPath("parameters", name)
	def, ok := raw.(*omap)
	if !ok {
		return nil, errorf(path, "Invalid parameter (%s), expected a mapping", name)
	}
	for _, k := range def.keys {
		if since, ok := paramKeys[k]; !ok || t.version < since {
			return nil, errorf(joinPath(path, k), "Invalid key '%s' for parameter (%s)", k, name)
		}
	}
	p := &Parameter{Name: name}
	typ, ok := def.get("type")
	if !ok {
		return nil, errorf(path, "Missing parameter type for parameter: %s", name)
	}
	p.Type, _ = typ.(string)
	switch p.Type {
	case TypeString, TypeNumber, TypeJSON, TypeList, TypeBoolean:
	default:
		return nil, errorf(joinPath(path, "type"), "Invalid type (%s)", pyStr(plain(typ)))
	}
	if v, ok := def.get("label"); ok && v != nil {
		p.Label, _ = scalarString(plain(v))
	}
	if v, ok := def.get("description"); ok && v != nil {
		p.Description, _ = scalarString(plain(v))
	}
	if v, ok := def.get("hidden"); ok {
		p.Hidden = pyTruthy(plain(v))
		if s, isStr := v.(string); isStr {
			p.Hidden = strings.EqualFold(s, "true")
		}
	}
	if v, ok := def.get("immutable"); ok {
		p.Immutable = pyTruthy(plain(v))
	}
	if v, ok := def.get("tags"); ok && v != nil {
		tags, isList := plain(v).([]any)
		if !isList {
			return nil, errorf(joinPath(path, "tags"), "Tags property should be a list for parameter: %s", name)
		}
		for _, tag := range tags {
			s, _ := scalarString(tag)
			p.Tags = append(p.Tags, s)
		}
	}
	if v, ok := def.get("default"); ok {
		p.Default = plain(v)
	}
	if v, ok := def.get("constraints"); ok && v != nil {
		list, isList := plain(v).([]any)
		if !isList {
			return nil, errorf(joinPath(path, "constraints"), "Invalid parameter constraints for parameter %s, expected a list", name)
		}
		for i, c := range list {
			con, err := t.parseConstraint(c, indexPath(joinPath(path, "constraints"), i))
			if err != nil {
				return nil, err
			}
			if !constraintTypes[con.Kind][p.Type] {
				return nil, errorf(path, "Parameter '%s' is invalid: %s constraint invalid for %s", name, constraintClass[con.Kind], p.Type)
			}
			p.Constraints = append(p.Constraints, con)
		}
	}
	if p.Default != nil {
		if err := p.checkDefault(); err != nil {
			return nil, errorf(joinPath(path, "default"), "Parameter '%s' is invalid: %s", name, err.Error())
		}
	}
	return p, nil
}

// checkDefault validates the default against the type and constraints.
func (p *Parameter) checkDefault() error {
	v, err := p.convert(p.Default)
	if err != nil {
		return err
	}
	for _, c := range p.Constraints {
		if c.Kind == ConstraintCustom {
			continue
		}
		if err := c.check(v, p.Type); err != nil {
			return msgf("Invalid default %s (%s)", pyStr(p.Default), err.Error())
		}
	}
	return nil
}

func (t *Template) parseConstraint(raw any, path string) (*Constraint, error) {
	def, ok := raw.(map[string]any)
	if !ok {
		return nil, errorf(path, "Invalid parameter constraints, expected a mapping")
	}
	for _, k := range sortedKeys(def) {
		if !constraintKeys[k] || (k == ConstraintModulo && t.version < v20170224) {
			if k == ConstraintModulo {
				continue
			}
			return nil, errorf(joinPath(path, k), "Invalid key '%s' for parameter constraints", k)
		}
	}
	c := &Constraint{}
	if d, ok := def["description"]; ok && d != nil {
		c.Description, _ = scalarString(d)
	}
	switch {
	case def[ConstraintModulo] != nil && t.version >= v20170224:
		c.Kind = ConstraintModulo
		m, ok := def[ConstraintModulo].(map[string]any)
		if !ok {
			return nil, errorf(joinPath(path, "modulo"), "Invalid modulo constraint, expected a mapping")
		}
		for _, k := range sortedKeys(m) {
			if k != "step" && k != "offset" {
				return nil, errorf(joinPath(path, "modulo"), "Invalid key '%s' for modulo constraint", k)
			}
		}
		step, err1 := integralNumber(m["step"])
		offset, err2 := integralNumber(m["offset"])
		switch {
		case m["step"] == nil || m["offset"] == nil:
			return nil, errorf(joinPath(path, "modulo"), "A modulo constraint must have a step value and an offset value specified.")
		case err1 != nil || err2 != nil:
			return nil, errorf(joinPath(path, "modulo"), "step/offset must be integer")
		case step == 0:
			return nil, errorf(joinPath(path, "modulo"), "step cannot be 0.")
		case abs(offset) >= abs(step):
			return nil, errorf(joinPath(path, "modulo"), "offset must be smaller (by absolute value) than step.")
		case step*offset < 0:
			return nil, errorf(joinPath(path, "modulo"), "step and offset must be both positive or both negative.")
		}
		c.Step, c.Offset = step, offset
	case has(def, ConstraintRange), has(def, ConstraintLength):
		c.Kind = ConstraintRange
		if !has(def, ConstraintRange) {
			c.Kind = ConstraintLength
		}
		cpath := joinPath(path, c.Kind)
		m, ok := def[c.Kind].(map[string]any)
		if !ok {
			return nil, errorf(cpath, "Invalid %s constraint, expected a mapping", c.Kind)
		}
		for _, k := range sortedKeys(m) {
			if k != "min" && k != "max" {
				return nil, errorf(cpath, "Invalid key '%s' for %s constraint", k, c.Kind)
			}
		}
		for _, bound := range []struct {
			key string
			dst **float64
		}{{"min", &c.Min}, {"max", &c.Max}} {
			raw, ok := m[bound.key]
			if !ok || raw == nil {
				continue
			}
			n, err := strToNum(raw)
			if err != nil {
				return nil, errorf(cpath, "min/max must be numeric")
			}
			f, _ := pyNumber(n)
			if c.Kind == ConstraintLength {
				if _, isInt := n.(int); !isInt {
					return nil, errorf(cpath, "min/max length must be integral")
				}
			}
			*bound.dst = &f
		}
		if c.Min == nil && c.Max == nil {
			return nil, errorf(cpath, "A %s constraint must have a min value and/or a max value specified.", c.Kind)
		}
	case has(def, ConstraintAllowed):
		c.Kind = ConstraintAllowed
		l, ok := def[ConstraintAllowed].([]any)
		if !ok {
			return nil, errorf(joinPath(path, ConstraintAllowed), "AllowedValues must be a list")
		}
		c.AllowedValues = l
	case has(def, ConstraintPattern):
		c.Kind = ConstraintPattern
		s, ok := def[ConstraintPattern].(string)
		if !ok {
			return nil, errorf(joinPath(path, ConstraintPattern), "AllowedPattern must be a string")
		}
		re, err := compilePattern(s)
		if err != nil {
			return nil, &Error{Path: joinPath(path, ConstraintPattern), Msg: fmt.Sprintf("Invalid allowed_pattern %q: %v", s, err), cause: err}
		}
		c.Pattern, c.re = s, re
	case has(def, ConstraintCustom):
		c.Kind = ConstraintCustom
		c.Custom, _ = scalarString(def[ConstraintCustom])
	default:
		return nil, errorf(path, "No constraint expressed")
	}
	return c, nil
}

func has(m map[string]any, k string) bool {
	_, ok := m[k]
	return ok
}

func abs(i int) int {
	if i < 0 {
		return -i
	}
	return i
}

var pyBackref = regexp.MustCompile(`\(\?P=(\w+)\)`)

// compilePattern compiles a Python regular expression. It anchors the
// pattern at the start, as Python's re.match does; the caller checks that
// the match covers the whole value.
func compilePattern(s string) (*regexp2.Regexp, error) {
	// Python spells named groups (?P<name>…) and references (?P=name).
	conv := strings.ReplaceAll(s, "(?P<", "(?<")
	conv = pyBackref.ReplaceAllString(conv, `\k<$1>`)
	re, err := regexp2.Compile(`\A(?:`+conv+`)`, regexp2.None)
	if err != nil {
		return nil, fmt.Errorf("compile pattern: %w", err)
	}
	re.MatchTimeout = patternLimit
	return re, nil
}

func integralNumber(v any) (int, error) {
	n, err := strToNum(v)
	if err != nil {
		return 0, err
	}
	switch x := n.(type) {
	case int:
		return x, nil
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int(x), nil
		}
	}
	return 0, fmt.Errorf("%s is not an integer", pyStr(v))
}

// strToNum converts a value to a number the way Heat's Schema.str_to_num
// does: int when it parses as one, float otherwise.
func strToNum(v any) (any, error) {
	switch x := v.(type) {
	case int, float64:
		return x, nil
	case bool:
		if x {
			return 1, nil
		}
		return 0, nil
	case string:
		s := strings.TrimSpace(x)
		if i, err := strconv.ParseInt(strings.ReplaceAll(s, "_", ""), 10, 64); err == nil && validPyInt(s) {
			return int(i), nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil && validPyFloat(s) {
			return f, nil
		}
		return nil, fmt.Errorf("could not convert string to float: '%s'", x)
	}
	return nil, fmt.Errorf("%s is not a number", pyRepr(v))
}

func validPyInt(s string) bool {
	s = strings.TrimLeft(s, "+-")
	return s != "" && !strings.HasPrefix(s, "_") && !strings.HasSuffix(s, "_") && !strings.Contains(s, "__")
}

func validPyFloat(s string) bool {
	l := strings.ToLower(strings.TrimLeft(s, "+-"))
	if strings.HasPrefix(l, "0x") || strings.Contains(l, "_") || strings.Contains(l, "p") {
		return false
	}
	return true
}

// convert turns a raw value (from the user, an environment or a default)
// into the parameter's type.
func (p *Parameter) convert(v any) (any, error) {
	switch p.Type {
	case TypeNumber:
		return strToNum(v)
	case TypeBoolean:
		return boolFromString(v)
	case TypeList:
		switch x := v.(type) {
		case []any:
			out := make([]any, len(x))
			for i, e := range x {
				out[i] = listItemString(e)
			}
			return out, nil
		case string:
			if x == "" {
				return []any{}, nil
			}
			parts := strings.Split(x, ",")
			out := make([]any, len(parts))
			for i, s := range parts {
				out[i] = s
			}
			return out, nil
		}
		return nil, msgf("Value must be a comma-delimited list string: %s", pyRepr(v))
	case TypeJSON:
		s, isStr := v.(string)
		if !isStr {
			return v, nil
		}
		if s == "" {
			return s, nil
		}
		var out any
		if err := json.Unmarshal([]byte(s), &out); err != nil {
			return nil, &Error{Msg: "Value must be valid JSON: " + err.Error(), cause: err}
		}
		return normalizeJSON(out), nil
	default:
		// Heat's to_schema_type is str(): lists and maps become their
		// Python representation.
		return pyStr(v), nil
	}
}

func listItemString(e any) any {
	if s, ok := e.(string); ok {
		return s
	}
	return pyStr(e)
}

// normalizeJSON turns encoding/json's float64 integers into ints.
func normalizeJSON(v any) any {
	switch x := v.(type) {
	case float64:
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			return int(x)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalizeJSON(e)
		}
		return x
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeJSON(e)
		}
		return x
	}
	return v
}

var (
	trueStrings  = []string{"1", "t", "true", "on", "y", "yes"}
	falseStrings = []string{"0", "f", "false", "off", "n", "no"}
)

// boolFromString is oslo's strutils.bool_from_string(strict=True).
func boolFromString(v any) (bool, error) {
	if b, ok := v.(bool); ok {
		return b, nil
	}
	s := strings.ToLower(strings.TrimSpace(pyStr(v)))
	for _, t := range trueStrings {
		if s == t {
			return true, nil
		}
	}
	for _, f := range falseStrings {
		if s == f {
			return false, nil
		}
	}
	acceptable := append(append([]string{}, trueStrings...), falseStrings...)
	sort.Strings(acceptable)
	quoted := make([]string, len(acceptable))
	for i, a := range acceptable {
		quoted[i] = "'" + a + "'"
	}
	return false, msgf("Unrecognized value '%s', acceptable values are: %s", pyStr(v), strings.Join(quoted, ", "))
}

// check validates a converted value against the constraint.
func (c *Constraint) check(v any, typ string) error {
	ok, err := c.valid(v, typ)
	if err != nil {
		return err
	}
	if ok {
		return nil
	}
	if c.Description != "" {
		return fmt.Errorf("%s", c.Description)
	}
	return fmt.Errorf("%s", c.message(v))
}

func (c *Constraint) valid(v any, typ string) (bool, error) {
	switch c.Kind {
	case ConstraintRange:
		n, err := strToNum(v)
		if err != nil {
			return false, err
		}
		f, _ := pyNumber(n)
		return (c.Min == nil || f >= *c.Min) && (c.Max == nil || f <= *c.Max), nil
	case ConstraintLength:
		l := float64(valueLen(v))
		return (c.Min == nil || l >= *c.Min) && (c.Max == nil || l <= *c.Max), nil
	case ConstraintModulo:
		n, err := strToNum(v)
		if err != nil {
			return false, err
		}
		f, _ := pyNumber(n)
		return pyMod(f, float64(c.Step)) == float64(c.Offset), nil
	case ConstraintAllowed:
		if l, isList := v.([]any); isList {
			for _, e := range l {
				if !c.allows(e, "") {
					return false, nil
				}
			}
			return true, nil
		}
		return c.allows(v, typ), nil
	case ConstraintPattern:
		s, isStr := v.(string)
		if !isStr {
			s = pyStr(v)
		}
		m, err := c.re.FindStringMatch(s)
		if err != nil {
			return false, fmt.Errorf("allowed_pattern %q: %w", c.Pattern, err)
		}
		return m != nil && m.RuneIndex == 0 && m.RuneLength == utf8.RuneCountInString(s), nil
	}
	return true, nil
}

// allows compares after converting both sides to the parameter's type, as
// Heat does with schema.to_schema_type.
func (c *Constraint) allows(v any, typ string) bool {
	conv := func(x any) any {
		switch typ {
		case TypeNumber:
			if n, err := strToNum(x); err == nil {
				return n
			}
		case TypeString:
			return pyStr(x)
		case TypeBoolean:
			if b, err := boolFromString(x); err == nil {
				return b
			}
		}
		return x
	}
	cv := conv(v)
	for _, a := range c.AllowedValues {
		if pyEqual(conv(a), cv) {
			return true
		}
	}
	return false
}

func pyMod(a, b float64) float64 {
	m := math.Mod(a, b)
	if m != 0 && (m < 0) != (b < 0) {
		m += b
	}
	return m
}

func valueLen(v any) int {
	switch x := v.(type) {
	case string:
		return utf8.RuneCountInString(x)
	case []any:
		return len(x)
	case map[string]any:
		return len(x)
	}
	return len(pyStr(v))
}

func fmtBound(f *float64) string {
	if f == nil {
		return "None"
	}
	if *f == math.Trunc(*f) && math.Abs(*f) < 1<<53 {
		return strconv.Itoa(int(*f))
	}
	return pyFloat(*f)
}

func (c *Constraint) message(v any) string {
	switch c.Kind {
	case ConstraintRange:
		return fmt.Sprintf("%s is out of range (min: %s, max: %s)", pyStr(v), fmtBound(c.Min), fmtBound(c.Max))
	case ConstraintLength:
		return fmt.Sprintf("length (%d) is out of range (min: %s, max: %s)", valueLen(v), fmtBound(c.Min), fmtBound(c.Max))
	case ConstraintModulo:
		return fmt.Sprintf("%s is not a multiple of %d with an offset of %d", pyStr(v), c.Step, c.Offset)
	case ConstraintAllowed:
		allowed := make([]string, len(c.AllowedValues))
		for i, a := range c.AllowedValues {
			allowed[i] = pyJSON(a)
		}
		return fmt.Sprintf("%s is not an allowed value [%s]", pyJSON(v), strings.Join(allowed, ", "))
	case ConstraintPattern:
		return fmt.Sprintf("\"%s\" does not match pattern \"%s\"", pyStr(v), c.Pattern)
	}
	return "invalid value"
}

// ResolveParameters computes the value of every parameter of the template,
// converted to its type: number → int or float64, json → the decoded value,
// comma_delimited_list → []any of strings, boolean → bool, string → string.
//
// A value comes from, in order of precedence: given (the request's
// parameters), env.Parameters, env.ParameterDefaults, the template's
// default. Values are checked against the parameter's constraints. A
// parameter with no value is an error ("The Parameter (x) was not
// provided."), and so is a given or environment parameter the template does
// not declare; parameter_defaults may name parameters the template lacks.
func (t *Template) ResolveParameters(env *Environment, given map[string]string) (map[string]any, error) {
	if env == nil {
		env = &Environment{}
	}
	for _, name := range sortedStringKeys(given) {
		if t.params[name] == nil {
			return nil, errorf(joinPath("parameters", name), "The Parameter (%s) was not defined in template.", name)
		}
	}
	for _, name := range sortedKeys(env.Parameters) {
		if t.params[name] == nil {
			return nil, errorf(joinPath("parameters", name), "The Parameter (%s) was not defined in template.", name)
		}
	}
	out := make(map[string]any, len(t.Parameters))
	for _, p := range t.Parameters {
		var (
			raw   any
			found bool
		)
		if s, ok := given[p.Name]; ok {
			raw, found = s, true
		} else if v, ok := env.Parameters[p.Name]; ok && v != nil {
			raw, found = v, true
		} else if v, ok := env.ParameterDefaults[p.Name]; ok && v != nil {
			raw, found = v, true
		} else if p.Default != nil {
			raw, found = p.Default, true
		}
		if !found {
			return nil, errorf(joinPath("parameters", p.Name), "The Parameter (%s) was not provided.", p.Name)
		}
		v, err := p.Value(raw)
		if err != nil {
			return nil, err
		}
		out[p.Name] = v
	}
	return out, nil
}

// Value converts raw to the parameter's type and checks its constraints.
// Errors name the parameter as Heat does: "Parameter 'x' is invalid: …".
func (p *Parameter) Value(raw any) (any, error) {
	path := joinPath("parameters", p.Name)
	v, err := p.convert(raw)
	if err != nil {
		return nil, &Error{Path: path, Msg: fmt.Sprintf("Parameter '%s' is invalid: %s", p.Name, err.Error()), cause: err}
	}
	for _, c := range p.Constraints {
		if c.Kind == ConstraintCustom {
			continue
		}
		if err := c.check(v, p.Type); err != nil {
			return nil, errorf(path, "Parameter '%s' is invalid: %s", p.Name, err.Error())
		}
	}
	return v, nil
}

func sortedStringKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
