package heat

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/slipway/slipway/internal/orchestration/hot"
	"github.com/slipway/slipway/internal/orchestration/resources"
)

// nestedBase implements the methods shared by every type that is a nested
// stack: its physical id is the nested stack's id.
type nestedBase struct{}

// Delete implements resources.Plugin.
func (nestedBase) Delete(ctx context.Context, r *resources.Resource) error {
	return r.Host.DeleteNested(ctx, r)
}

// paramsFor converts property values to the string parameters of a nested
// template, by each parameter's type: lists join with commas for
// comma_delimited_list, JSON is encoded, scalars are printed.
func paramsFor(body string, files map[string]string, props map[string]any) (map[string]string, error) {
	t, err := hot.Parse([]byte(body), files)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(props))
	for k, v := range props {
		typ := ""
		if p := t.Parameter(k); p != nil {
			typ = p.Type
		}
		s, err := paramString(v, typ)
		if err != nil {
			return nil, fmt.Errorf("property %s: %w", k, err)
		}
		out[k] = s
	}
	return out, nil
}

// paramString prints one property value as a parameter value.
func paramString(v any, typ string) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		return strconv.FormatBool(x), nil
	case int:
		return strconv.Itoa(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case nil:
		return "", nil
	case []any:
		if typ == hot.TypeList {
			parts := make([]string, len(x))
			for i, e := range x {
				s, err := paramString(e, "")
				if err != nil {
					return "", err
				}
				parts[i] = s
			}
			return strings.Join(parts, ","), nil
		}
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// TemplateResource implements a resource whose type is a template file
// (directly or through the environment's resource_registry): a nested
// stack of that template whose parameters are the resource's properties
// and whose outputs are its attributes.
type TemplateResource struct {
	nestedBase
	// File names the template in the stack's files.
	File string
}

// NewTemplateResource returns the plugin for template file name; it is the
// factory Register installs in the registry.
func NewTemplateResource(file string) resources.Plugin { return &TemplateResource{File: file} }

// Schema implements resources.Plugin. A template resource's schema comes
// from its template's parameters and outputs, which the engine reads
// from the stack's files when it validates.
func (t *TemplateResource) Schema() *hot.Schema { return openSchema() }

func (t *TemplateResource) apply(ctx context.Context, r *resources.Resource) (*resources.NestedResult, error) {
	body, _, ok := hot.LookupFile(r.Stack.Files, t.File)
	if !ok {
		return nil, fmt.Errorf("Could not fetch remote template \"%s\": not in the files map", t.File)
	}
	params, err := paramsFor(body, r.Stack.Files, r.Properties)
	if err != nil {
		return nil, err
	}
	res, err := r.Host.ApplyNested(ctx, r, resources.NestedStack{Template: body, Files: r.Stack.Files, Parameters: params})
	if err != nil {
		return nil, err
	}
	r.NestedID = res.StackID
	r.SetData("outputs", mustJSON(res.Outputs))
	return res, nil
}

// Create implements resources.Plugin.
func (t *TemplateResource) Create(ctx context.Context, r *resources.Resource) (string, error) {
	res, err := t.apply(ctx, r)
	if err != nil {
		return "", err
	}
	return res.StackID, nil
}

// Update implements resources.Plugin.
func (t *TemplateResource) Update(ctx context.Context, r, _ *resources.Resource) error {
	_, err := t.apply(ctx, r)
	return err
}

// Check implements resources.Plugin: the nested stack is converged again,
// which resumes it.
func (t *TemplateResource) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	_, err := t.apply(ctx, r)
	return err == nil, err
}

// Attributes implements resources.Plugin.
func (t *TemplateResource) Attributes(_ context.Context, r *resources.Resource) (map[string]any, error) {
	return storedNestedAttributes(r), nil
}

// ReferenceID implements resources.Referencer: an output named
// OS::stack_id overrides the nested stack's id.
func (t *TemplateResource) ReferenceID(physicalID string, attrs map[string]any) string {
	if s, ok := attrs["OS::stack_id"].(string); ok && s != "" {
		return s
	}
	return physicalID
}

func storedNestedAttributes(r *resources.Resource) map[string]any {
	outs := map[string]any{}
	if s := r.Data["outputs"]; s != "" {
		_ = json.Unmarshal([]byte(s), &outs)
	}
	id := r.NestedID
	if id == "" {
		id = r.PhysicalID
	}
	if _, ok := outs["OS::stack_id"]; !ok {
		outs["OS::stack_id"] = id
	}
	return outs
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "null"
	}
	return string(b)
}

// Stack is OS::Heat::Stack: a nested stack whose template is given inline
// (or through get_file) with its parameters.
type Stack struct{ nestedBase }

// Schema implements resources.Plugin.
func (Stack) Schema() *hot.Schema { return stackSchema() }

func (Stack) apply(ctx context.Context, r *resources.Resource) (*resources.NestedResult, error) {
	if ctxProp, ok := r.Properties["context"].(map[string]any); ok && len(ctxProp) > 0 {
		if region, _ := ctxProp["region_name"].(string); region != "" {
			return nil, fmt.Errorf("remote stacks (context.region_name %s) are not supported", region)
		}
	}
	body := r.Prop("template")
	given := map[string]string{}
	if m, ok := r.Properties["parameters"].(map[string]any); ok {
		p, err := paramsFor(body, r.Stack.Files, m)
		if err != nil {
			return nil, err
		}
		given = p
	}
	res, err := r.Host.ApplyNested(ctx, r, resources.NestedStack{Template: body, Files: r.Stack.Files, Parameters: given})
	if err != nil {
		return nil, err
	}
	r.NestedID = res.StackID
	r.SetData("outputs", mustJSON(res.Outputs))
	r.SetData("stack_name", res.StackName)
	return res, nil
}

// Create implements resources.Plugin.
func (s Stack) Create(ctx context.Context, r *resources.Resource) (string, error) {
	res, err := s.apply(ctx, r)
	if err != nil {
		return "", err
	}
	return res.StackID, nil
}

// Update implements resources.Plugin.
func (s Stack) Update(ctx context.Context, r, _ *resources.Resource) error {
	_, err := s.apply(ctx, r)
	return err
}

// Check implements resources.Plugin.
func (s Stack) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	_, err := s.apply(ctx, r)
	return err == nil, err
}

// Attributes implements resources.Plugin: outputs (a map) and stack_name.
func (Stack) Attributes(_ context.Context, r *resources.Resource) (map[string]any, error) {
	outs := storedNestedAttributes(r)
	delete(outs, "OS::stack_id")
	return map[string]any{"outputs": outs, "stack_name": r.Data["stack_name"]}, nil
}
