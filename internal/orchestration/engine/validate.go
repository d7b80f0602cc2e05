package engine

import (
	"context"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/hot"
)

// ValidateRequest is a template validate request.
type ValidateRequest struct {
	Template    string
	Files       map[string]string
	Environment string
	// Parameters, when given, are checked against their constraints;
	// missing parameters are not an error.
	Parameters map[string]string
}

// ValidateResult is Heat's template validate response; its JSON encoding
// is the wire form.
type ValidateResult struct {
	Description     string                       `json:"Description"`
	Parameters      map[string]ValidateParameter `json:"Parameters"`
	ParameterGroups []ValidateParameterGroup     `json:"ParameterGroups,omitempty"`
	Environment     map[string]any               `json:"Environment"`
}

// ValidateParameter describes one parameter the way Heat's validate does.
type ValidateParameter struct {
	Type                  string   `json:"Type"`
	Description           string   `json:"Description"`
	Default               any      `json:"Default,omitempty"`
	Label                 string   `json:"Label"`
	NoEcho                string   `json:"NoEcho"`
	Value                 any      `json:"Value,omitempty"`
	AllowedValues         []any    `json:"AllowedValues,omitempty"`
	AllowedPattern        string   `json:"AllowedPattern,omitempty"`
	MinLength             *float64 `json:"MinLength,omitempty"`
	MaxLength             *float64 `json:"MaxLength,omitempty"`
	MinValue              *float64 `json:"MinValue,omitempty"`
	MaxValue              *float64 `json:"MaxValue,omitempty"`
	CustomConstraint      string   `json:"CustomConstraint,omitempty"`
	ConstraintDescription string   `json:"ConstraintDescription,omitempty"`
}

// ValidateParameterGroup is one parameter group.
type ValidateParameterGroup struct {
	Label       string   `json:"label,omitempty"`
	Description string   `json:"description,omitempty"`
	Parameters  []string `json:"parameters"`
}

// heatTypes are the names Heat's validate gives parameter types.
var heatTypes = map[string]string{
	hot.TypeString: "String", hot.TypeNumber: "Number", hot.TypeJSON: "Json",
	hot.TypeList: "CommaDelimitedList", hot.TypeBoolean: "Boolean",
}

// Validate checks a template as Heat's template validate does and
// describes its parameters. Errors are model.ErrInvalid errors naming their
// place in the template.
func (s *Service) Validate(_ context.Context, req ValidateRequest) (*ValidateResult, error) {
	tmpl, env, err := s.parse(req.Template, req.Files, req.Environment)
	if err != nil {
		return nil, err
	}
	res := &ValidateResult{Description: tmpl.Description, Parameters: map[string]ValidateParameter{},
		Environment: environmentMap(env)}
	for _, name := range sortedNames(req.Parameters) {
		if tmpl.Parameter(name) == nil {
			return nil, model.Invalidf("The Parameter (%s) was not defined in template.", name)
		}
	}
	for _, p := range tmpl.Parameters {
		vp := ValidateParameter{Type: heatTypes[p.Type], Description: p.Description, Default: p.Default,
			Label: p.Label, NoEcho: "false"}
		if vp.Label == "" {
			vp.Label = p.Name
		}
		if p.Hidden {
			vp.NoEcho = "true"
		}
		var raw any
		if v, ok := req.Parameters[p.Name]; ok {
			raw = v
		} else if v, ok := env.Parameters[p.Name]; ok {
			raw = v
		} else if v, ok := env.ParameterDefaults[p.Name]; ok {
			raw = v
		}
		if raw != nil {
			v, err := p.Value(raw)
			if err != nil {
				return nil, err
			}
			vp.Value = v
		}
		for _, c := range p.Constraints {
			switch c.Kind {
			case hot.ConstraintAllowed:
				vp.AllowedValues = c.AllowedValues
			case hot.ConstraintPattern:
				vp.AllowedPattern = c.Pattern
			case hot.ConstraintLength:
				vp.MinLength, vp.MaxLength = c.Min, c.Max
			case hot.ConstraintRange:
				vp.MinValue, vp.MaxValue = c.Min, c.Max
			case hot.ConstraintCustom:
				vp.CustomConstraint = c.Custom
			}
			if c.Description != "" {
				vp.ConstraintDescription = c.Description
			}
		}
		res.Parameters[p.Name] = vp
	}
	for _, g := range tmpl.ParameterGroups {
		res.ParameterGroups = append(res.ParameterGroups, ValidateParameterGroup{Label: g.Label,
			Description: g.Description, Parameters: g.Parameters})
	}
	return res, nil
}

// environmentMap renders an environment the way Heat echoes it.
func environmentMap(env *hot.Environment) map[string]any {
	reg := map[string]any{}
	for k, v := range env.ResourceRegistry {
		reg[k] = v
	}
	resources := map[string]any{}
	for name, m := range env.ResourceOverrides {
		inner := map[string]any{}
		for k, v := range m {
			inner[k] = v
		}
		resources[name] = inner
	}
	reg["resources"] = resources
	params := env.Parameters
	if params == nil {
		params = map[string]any{}
	}
	defaults := env.ParameterDefaults
	if defaults == nil {
		defaults = map[string]any{}
	}
	return map[string]any{
		"parameters": params, "parameter_defaults": defaults, "resource_registry": reg,
		"encrypted_param_names": []any{}, "event_sinks": []any{}, "parameter_merge_strategies": map[string]any{},
	}
}
