package engine

import (
	"encoding/json"
	"fmt"
	"maps"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/hot"
)

// compiled is a stack definition parsed and resolved: what planning needs
// besides the stored state.
type compiled struct {
	tmpl   *hot.Template
	env    *hot.Environment
	params map[string]any
	conds  map[string]bool
}

// compile parses and validates a stack definition. Every error is a
// model.ErrInvalid error that names its place in the template.
func (s *Service) compile(def *model.StackDefinition) (*compiled, error) {
	tmpl, env, err := s.parse(def.Template, def.Files, def.Environment)
	if err != nil {
		return nil, err
	}
	params, err := tmpl.ResolveParameters(env, def.Parameters)
	if err != nil {
		return nil, err
	}
	conds, err := tmpl.EvalConditions(params)
	if err != nil {
		return nil, err
	}
	return &compiled{tmpl: tmpl, env: env, params: params, conds: conds}, nil
}

// parse reads and validates a template with its environment.
func (s *Service) parse(body string, files map[string]string, environment string) (*hot.Template, *hot.Environment, error) {
	if body == "" {
		return nil, nil, model.Invalidf("The template is invalid: no template was given")
	}
	tmpl, err := hot.Parse([]byte(body), files)
	if err != nil {
		return nil, nil, err
	}
	env := &hot.Environment{}
	if environment != "" {
		if env, err = hot.ParseEnvironment([]byte(environment)); err != nil {
			return nil, nil, err
		}
	}
	if err := hot.Validate(tmpl, env, s.reg); err != nil {
		return nil, nil, err
	}
	return tmpl, env, nil
}

// inheritEnvironment returns the environment a nested stack of a stack
// with environment body env inherits.
func inheritEnvironment(env string) (string, error) {
	if env == "" {
		return "", nil
	}
	parsed, err := hot.ParseEnvironment([]byte(env))
	if err != nil {
		return "", err
	}
	return childEnvironment(parsed)
}

// childEnvironment returns the environment a nested stack inherits: the
// parent's parameter_defaults and resource registry, but not its
// parameters, which belong to the parent's template.
func childEnvironment(env *hot.Environment) (string, error) {
	if env == nil {
		return "", nil
	}
	doc := map[string]any{}
	if len(env.ParameterDefaults) > 0 {
		doc["parameter_defaults"] = env.ParameterDefaults
	}
	reg := map[string]any{}
	for k, v := range env.ResourceRegistry {
		if v == "" {
			reg[k] = nil
			continue
		}
		reg[k] = v
	}
	if len(env.ResourceOverrides) > 0 {
		res := map[string]any{}
		for name, m := range env.ResourceOverrides {
			res[name] = maps.Clone(m)
		}
		reg["resources"] = res
	}
	if len(reg) > 0 {
		doc["resource_registry"] = reg
	}
	if len(doc) == 0 {
		return "", nil
	}
	b, err := json.Marshal(doc)
	if err != nil {
		return "", fmt.Errorf("encode nested environment: %w", err)
	}
	return string(b), nil
}

// schemaUpdateAllowed lists the properties a schema updates in place.
func schemaUpdateAllowed(s *hot.Schema) []string {
	if s == nil {
		return nil
	}
	var out []string
	for name, p := range s.Properties {
		if p.UpdateAllowed {
			out = append(out, name)
		}
	}
	return out
}

// withDefaults returns props with the schema's defaults for the
// properties not given.
func withDefaults(s *hot.Schema, props map[string]any) map[string]any {
	out := maps.Clone(props)
	if out == nil {
		out = map[string]any{}
	}
	if s == nil {
		return out
	}
	for name, p := range s.Properties {
		if _, ok := out[name]; !ok && p.Default != nil {
			out[name] = p.Default
		}
	}
	return out
}
