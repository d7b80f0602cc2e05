package magnum

import (
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/slipway/slipway/internal/model"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

var patchPath = regexp.MustCompile(`^(/[\w-]+)+$`)

// alwaysInternal are attributes no PATCH may touch.
var alwaysInternal = []string{"created_at", "updated_at", "id", "uuid", "links", "project_id", "user_id"}

// patchRules say, per resource, what a JSON patch may change.
type patchRules struct {
	// internal attributes are never patchable.
	internal []string
	// mandatory attributes cannot be removed.
	mandatory []string
	// defaults are what "remove" resets an attribute to (else null).
	defaults map[string]any
}

// parsePatch reads and validates a JSON-patch body. It runs before the
// target is looked up, as in Magnum.
func parsePatch(r *http.Request) ([]v1.PatchOp, error) {
	b, err := readBody(r)
	if err != nil {
		return nil, err
	}
	var raw []map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, model.Invalidf("The request body must be a JSON-patch array of operations.")
	}
	ops := make([]v1.PatchOp, 0, len(raw))
	for i, m := range raw {
		op, _ := m["op"].(string)
		path, _ := m["path"].(string)
		switch op {
		case "add", "replace", "remove":
		default:
			return nil, model.Invalidf("Patch operation %d: op must be one of add, replace or remove, not %q.", i, op)
		}
		if !patchPath.MatchString(path) {
			return nil, model.Invalidf("Patch operation %d: invalid path %q.", i, path)
		}
		value, hasValue := m["value"]
		if op != "remove" && !hasValue {
			return nil, model.Invalidf("Patch operation %d: %q needs a value.", i, op)
		}
		ops = append(ops, v1.PatchOp{Op: op, Path: path, Value: value})
	}
	return ops, nil
}

// fieldTypes maps a wire struct's JSON names to their (dereferenced) types.
func fieldTypes(v any) map[string]reflect.Type {
	t := reflect.TypeOf(v)
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		out[name] = ft
	}
	return out
}

// toDoc turns a wire object into a generic JSON document.
func toDoc(v any) (map[string]any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var doc map[string]any
	return doc, json.Unmarshal(b, &doc)
}

// fromDoc decodes a patched document back into a wire object.
func fromDoc(doc map[string]any, dst any) error {
	b, err := json.Marshal(doc)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, dst); err != nil {
		return model.Invalidf("The patched object is invalid: %v.", err)
	}
	return nil
}

// applyPatch applies ops to doc, whose attribute types come from wire. It
// returns the attributes whose value changed.
func applyPatch(doc map[string]any, wire any, ops []v1.PatchOp, rules patchRules) ([]string, error) {
	types := fieldTypes(wire)
	before, _ := json.Marshal(doc)
	var orig map[string]any
	_ = json.Unmarshal(before, &orig)
	for _, op := range ops {
		parts := strings.Split(strings.TrimPrefix(op.Path, "/"), "/")
		attr := parts[0]
		typ, exists := types[attr]
		if slices.Contains(alwaysInternal, attr) || slices.Contains(rules.internal, attr) {
			return nil, model.Invalidf("'%s' is an internal attribute and can not be updated", op.Path)
		}
		if !exists {
			return nil, model.Invalidf("Adding a new attribute (%s) to the root of the resource is not allowed.", op.Path)
		}
		if len(parts) > 2 || (len(parts) == 2 && typ.Kind() != reflect.Map) {
			return nil, model.Invalidf("Invalid patch path %s.", op.Path)
		}
		if len(parts) == 2 {
			if err := patchMapKey(doc, attr, parts[1], op); err != nil {
				return nil, err
			}
			continue
		}
		switch op.Op {
		case "remove":
			if slices.Contains(rules.mandatory, attr) {
				return nil, model.Invalidf("'%s' is a mandatory attribute and can not be removed", op.Path)
			}
			doc[attr] = rules.defaults[attr]
		case "add", "replace":
			if op.Op == "add" && doc[attr] != nil {
				return nil, model.Invalidf("The attribute %s has existed, please use 'replace' operation instead.", op.Path)
			}
			v, err := coerce(op.Value, typ)
			if err != nil {
				return nil, model.Invalidf("Invalid value for %s: %v.", op.Path, err)
			}
			doc[attr] = v
		}
	}
	var changed []string
	for k, v := range doc {
		if !reflect.DeepEqual(orig[k], normalize(v)) {
			changed = append(changed, k)
		}
	}
	slices.Sort(changed)
	return changed, nil
}

// normalize round-trips a value through JSON so comparisons see the same
// shapes as a decoded document.
func normalize(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func patchMapKey(doc map[string]any, attr, key string, op v1.PatchOp) error {
	m, _ := doc[attr].(map[string]any)
	if m == nil {
		m = map[string]any{}
	}
	switch op.Op {
	case "remove":
		if _, ok := m[key]; !ok {
			return model.Invalidf("Unable to remove %s: key %s is not present.", attr, key)
		}
		delete(m, key)
	default:
		s, err := v1.LabelValue(op.Value)
		if err != nil {
			return model.Invalidf("Invalid value for /%s/%s: %v.", attr, key, err)
		}
		m[key] = s
	}
	doc[attr] = m
	return nil
}

// coerce converts a patch value to an attribute's type the lenient way
// Magnum does: "true" for booleans, "5" for integers, a Python literal
// string for maps.
func coerce(v any, t reflect.Type) (any, error) {
	switch t.Kind() {
	case reflect.Bool:
		switch x := v.(type) {
		case bool:
			return x, nil
		case float64:
			return x != 0, nil
		case string:
			switch strings.ToLower(strings.TrimSpace(x)) {
			case "true", "1", "yes", "y", "on", "t":
				return true, nil
			case "false", "0", "no", "n", "off", "f":
				return false, nil
			}
		}
		return nil, fmt.Errorf("%v is not a boolean", v)
	case reflect.Int, reflect.Int64:
		switch x := v.(type) {
		case float64:
			if x != float64(int64(x)) {
				return nil, fmt.Errorf("%v is not an integer", v)
			}
			return int64(x), nil
		case string:
			n, err := strconv.Atoi(strings.TrimSpace(x))
			if err != nil {
				return nil, fmt.Errorf("%q is not an integer", x)
			}
			return n, nil
		case bool:
			if x {
				return 1, nil
			}
			return 0, nil
		}
		return nil, fmt.Errorf("%v is not an integer", v)
	case reflect.String:
		switch x := v.(type) {
		case string:
			return x, nil
		case float64, bool:
			return v1.LabelValue(x)
		}
		return nil, fmt.Errorf("value must be a string")
	case reflect.Map:
		if s, ok := v.(string); ok {
			parsed, err := parsePyLiteral(s)
			if err != nil {
				return nil, fmt.Errorf("%q is not a dictionary: %w", s, err)
			}
			v = parsed
		}
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("value must be a dictionary")
		}
		out := make(map[string]string, len(m))
		for k, val := range m {
			s, err := v1.LabelValue(val)
			if err != nil {
				return nil, err
			}
			out[k] = s
		}
		return out, nil
	case reflect.Slice:
		if s, ok := v.(string); ok {
			parsed, err := parsePyLiteral(s)
			if err != nil {
				return nil, fmt.Errorf("%q is not a list: %w", s, err)
			}
			v = parsed
		}
		if _, ok := v.([]any); !ok {
			return nil, fmt.Errorf("value must be a list")
		}
		return v, nil
	}
	return v, nil
}
