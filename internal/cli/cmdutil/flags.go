package cmdutil

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

// LabelFlags are the --label and --labels flags.
type LabelFlags struct {
	Label  []string
	Labels []string
}

// AddFlags registers the flags on cmd.
func (l *LabelFlags) AddFlags(cmd *cobra.Command) {
	cmd.Flags().StringArrayVar(&l.Label, "label", nil, "label KEY=VALUE; the value is taken verbatim (repeatable)")
	cmd.Flags().StringArrayVar(&l.Labels, "labels", nil, "labels KEY1=VALUE1,KEY2=VALUE2;KEY3=VALUE3 (repeatable)")
}

// Map returns the labels given, or nil if there were none.
func (l *LabelFlags) Map() (map[string]string, error) {
	if len(l.Label) == 0 && len(l.Labels) == 0 {
		return nil, nil
	}
	m, err := ParseLabels(l.Labels)
	if err != nil {
		return nil, err
	}
	for _, kv := range l.Label {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("label %q is not KEY=VALUE", kv)
		}
		m[k] = v
	}
	return m, nil
}

// ParseLabels parses KEY=VALUE pairs separated by commas or semicolons, as
// `openstack coe` does. A piece without "=" continues the previous value,
// so "a=1,2,b=3" means a="1,2" and b="3".
func ParseLabels(items []string) (map[string]string, error) {
	m := map[string]string{}
	for _, item := range items {
		last := ""
		for _, piece := range strings.FieldsFunc(item, func(r rune) bool { return r == ',' || r == ';' }) {
			k, v, ok := strings.Cut(piece, "=")
			switch {
			case ok && k != "":
				m[k] = v
				last = k
			case !ok && last != "":
				m[last] += "," + piece
			default:
				return nil, fmt.Errorf("labels must be KEY=VALUE pairs, not %q", item)
			}
		}
	}
	return m, nil
}

// mapAttributes take a map; their patch value is sent as a string literal,
// as magnumclient does.
var mapAttributes = map[string]bool{"/labels": true, "/health_status_reason": true}

// ParsePatch turns `OP PATH=VALUE…` arguments, as given to `openstack coe
// cluster template update`, into a JSON patch. A remove takes only paths.
// Values that parse as JSON numbers, booleans or strings are sent as such;
// /labels takes KEY=VALUE pairs.
func ParsePatch(op string, attrs []string) ([]v1.PatchOp, error) {
	switch op {
	case "add", "replace", "remove":
	default:
		return nil, fmt.Errorf("unknown operation %q: use add, replace or remove", op)
	}
	if len(attrs) == 0 {
		return nil, fmt.Errorf("%s needs at least one attribute", op)
	}
	patch := make([]v1.PatchOp, 0, len(attrs))
	for _, attr := range attrs {
		path, raw, hasValue := strings.Cut(attr, "=")
		if !strings.HasPrefix(path, "/") {
			path = "/" + path
		}
		if path == "/" {
			return nil, fmt.Errorf("attribute %q has no name", attr)
		}
		if op == "remove" {
			patch = append(patch, v1.PatchOp{Op: op, Path: path})
			continue
		}
		if !hasValue {
			return nil, fmt.Errorf("attribute %q is not PATH=VALUE", attr)
		}
		value, err := patchValue(path, raw)
		if err != nil {
			return nil, err
		}
		patch = append(patch, v1.PatchOp{Op: op, Path: path, Value: value})
	}
	return patch, nil
}

func patchValue(path, raw string) (any, error) {
	if mapAttributes[path] {
		m, err := ParseLabels([]string{raw})
		if err != nil {
			return nil, err
		}
		// A JSON object is also a valid Python literal, which is what
		// Magnum parses these strings as.
		b, err := json.Marshal(m)
		if err != nil {
			return nil, err
		}
		return string(b), nil
	}
	dec := json.NewDecoder(strings.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return raw, nil
	}
	switch x := v.(type) {
	case string, bool:
		return x, nil
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i, nil
		}
		if f, err := x.Float64(); err == nil {
			return f, nil
		}
	}
	return raw, nil
}

// Changed reports whether the user set the named flag.
func Changed(cmd *cobra.Command, name string) bool {
	return cmd.Flags().Changed(name)
}

// StringIf returns &s if the flag was set, else nil.
func StringIf(cmd *cobra.Command, name, s string) *string {
	if !Changed(cmd, name) {
		return nil
	}
	return &s
}

// IntIf returns &i if the flag was set, else nil.
func IntIf(cmd *cobra.Command, name string, i int) *int {
	if !Changed(cmd, name) {
		return nil
	}
	return &i
}

// BoolIf returns &b if the flag was set, else nil.
func BoolIf(cmd *cobra.Command, name string, b bool) *bool {
	if !Changed(cmd, name) {
		return nil
	}
	return &b
}

// EnabledIf returns the value a pair of opposite flags sets (--x-enabled
// with value on, --x-disabled with value off), or nil when neither was
// given. The enabling flag wins when both are.
func EnabledIf(cmd *cobra.Command, onName string, on bool, offName string, off bool) *bool {
	if Changed(cmd, onName) {
		return &on
	}
	if Changed(cmd, offName) {
		enabled := !off
		return &enabled
	}
	return nil
}
