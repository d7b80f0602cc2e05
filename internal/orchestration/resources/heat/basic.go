package heat

import (
	"context"
	"crypto/rand"
	"fmt"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/hot"
	"github.com/slipway/slipway/internal/orchestration/resources"
)

// stateless provides the methods of a type that keeps nothing outside the
// engine: its resources always exist, update in place trivially and need
// nothing to delete.
type stateless struct{}

// Create implements resources.Plugin: the reserved id names the resource.
func (stateless) Create(_ context.Context, r *resources.Resource) (string, error) {
	return r.PhysicalID, nil
}

// Update implements resources.Plugin.
func (stateless) Update(context.Context, *resources.Resource, *resources.Resource) error { return nil }

// Delete implements resources.Plugin.
func (stateless) Delete(context.Context, *resources.Resource) error { return nil }

// Check implements resources.Plugin.
func (stateless) Check(context.Context, *resources.Resource) (bool, error) { return true, nil }

// None is OS::Heat::None: it accepts any properties, does nothing, never
// updates, and answers nil for any attribute. Environments map other types
// to it to switch them off.
type None struct{ stateless }

// Schema implements resources.Plugin.
func (None) Schema() *hot.Schema { return noneSchema() }

// UpdateMode implements resources.UpdateDecider: property changes are
// ignored.
func (None) UpdateMode(*resources.Resource) resources.UpdateMode { return resources.UpdateNever }

// Attributes implements resources.Plugin.
func (None) Attributes(context.Context, *resources.Resource) (map[string]any, error) {
	return map[string]any{}, nil
}

// Value is OS::Heat::Value: it holds a value, optionally converted to a
// parameter type, as its "value" attribute.
type Value struct{ stateless }

// Schema implements resources.Plugin.
func (Value) Schema() *hot.Schema { return valueSchema() }

// Attributes implements resources.Plugin.
func (Value) Attributes(_ context.Context, r *resources.Resource) (map[string]any, error) {
	v, err := convertValue(r.Properties["value"], r.Prop("type"))
	if err != nil {
		return nil, err
	}
	return map[string]any{"value": v}, nil
}

// convertValue converts v to a HOT parameter type, as OS::Heat::Value does.
func convertValue(v any, typ string) (any, error) {
	switch typ {
	case "", hot.TypeJSON:
		return v, nil
	case hot.TypeString:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return nil, fmt.Errorf("Value must be a string; got %T", v)
	case hot.TypeNumber:
		switch n := v.(type) {
		case int, int64, float64:
			return n, nil
		case string:
			if i, err := strconv.Atoi(n); err == nil {
				return i, nil
			}
			if f, err := strconv.ParseFloat(n, 64); err == nil {
				return f, nil
			}
		}
		return nil, fmt.Errorf("Value must be a number; got %v", v)
	case hot.TypeBoolean:
		switch b := v.(type) {
		case bool:
			return b, nil
		case string:
			switch strings.ToLower(b) {
			case "true", "t", "on", "y", "yes", "1":
				return true, nil
			case "false", "f", "off", "n", "no", "0":
				return false, nil
			}
		}
		return nil, fmt.Errorf("Value must be a boolean; got %v", v)
	case hot.TypeList:
		switch l := v.(type) {
		case []any:
			return l, nil
		case string:
			var out []any
			for _, p := range strings.Split(l, ",") {
				out = append(out, strings.TrimSpace(p))
			}
			return out, nil
		}
		return nil, fmt.Errorf("Value must be a comma_delimited_list; got %v", v)
	}
	return nil, fmt.Errorf("Unknown value type %q", typ)
}

// TestResource is OS::Heat::TestResource: a resource for tests that stores
// a value and can be told to wait, fail or be replaced.
type TestResource struct{}

// Schema implements resources.Plugin.
func (TestResource) Schema() *hot.Schema { return testResourceSchema() }

// UpdateMode implements resources.UpdateDecider: update_replace asks for a
// replacement.
func (TestResource) UpdateMode(r *resources.Resource) resources.UpdateMode {
	if b, _ := r.Properties["update_replace"].(bool); b {
		return resources.UpdateReplace
	}
	return resources.UpdateBySchema
}

func (t TestResource) act(ctx context.Context, r *resources.Resource, action string) error {
	wait := number(r.Properties["wait_secs"])
	if m, ok := r.Properties["action_wait_secs"].(map[string]any); ok {
		if v, ok := m[action]; ok {
			wait = number(v)
		}
	}
	if wait > 0 {
		t := time.NewTimer(time.Duration(wait * float64(time.Second)))
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
	if b, _ := r.Properties["fail"].(bool); b && action != "delete" {
		return fmt.Errorf("Test Resource failed %s", r.Name)
	}
	return nil
}

// Create implements resources.Plugin.
func (t TestResource) Create(ctx context.Context, r *resources.Resource) (string, error) {
	if err := t.act(ctx, r, "create"); err != nil {
		return "", err
	}
	return r.PhysicalID, nil
}

// Update implements resources.Plugin.
func (t TestResource) Update(ctx context.Context, r, _ *resources.Resource) error {
	return t.act(ctx, r, "update")
}

// Delete implements resources.Plugin.
func (t TestResource) Delete(ctx context.Context, r *resources.Resource) error {
	return t.act(ctx, r, "delete")
}

// Check implements resources.Plugin: a test resource exists once created.
func (TestResource) Check(context.Context, *resources.Resource) (bool, error) { return true, nil }

// Attributes implements resources.Plugin.
func (TestResource) Attributes(_ context.Context, r *resources.Resource) (map[string]any, error) {
	v := r.Properties["value"]
	return map[string]any{"output": v}, nil
}

// number reads a numeric property.
func number(v any) float64 {
	switch n := v.(type) {
	case int:
		return float64(n)
	case int64:
		return float64(n)
	case float64:
		return n
	case string:
		f, _ := strconv.ParseFloat(n, 64)
		return f
	}
	return 0
}

// integer reads an integer property.
func integer(v any, def int) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	case string:
		if i, err := strconv.Atoi(n); err == nil {
			return i
		}
	}
	return def
}

// The character classes of OS::Heat::RandomString.
var charClasses = map[string]string{
	"lettersdigits": "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
	"letters":       "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz",
	"lowercase":     "abcdefghijklmnopqrstuvwxyz",
	"uppercase":     "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
	"digits":        "0123456789",
	"hexdigits":     "0123456789abcdefABCDEF",
	"octdigits":     "01234567",
}

// RandomString is OS::Heat::RandomString: a random string of a given
// length that holds at least the asked number of characters of each class
// and sequence. The value is generated once and stored; get_resource and
// the "value" attribute answer it.
type RandomString struct{}

// Schema implements resources.Plugin.
func (RandomString) Schema() *hot.Schema { return randomStringSchema() }

// Create implements resources.Plugin.
func (RandomString) Create(_ context.Context, r *resources.Resource) (string, error) {
	v, err := randomString(r.Properties)
	if err != nil {
		return "", err
	}
	r.SetData("value", v)
	return r.PhysicalID, nil
}

// Update implements resources.Plugin: only the salt changes in place,
// and it asks for a new value.
func (RandomString) Update(_ context.Context, r, _ *resources.Resource) error {
	v, err := randomString(r.Properties)
	if err != nil {
		return err
	}
	r.SetData("value", v)
	return nil
}

// Delete implements resources.Plugin.
func (RandomString) Delete(context.Context, *resources.Resource) error { return nil }

// Check implements resources.Plugin: a string whose value was lost in a
// crash is generated again (nothing can have used it yet).
func (RandomString) Check(ctx context.Context, r *resources.Resource) (bool, error) {
	if r.Data["value"] == "" {
		if _, err := (RandomString{}).Create(ctx, r); err != nil {
			return false, err
		}
	}
	return true, nil
}

// Attributes implements resources.Plugin.
func (RandomString) Attributes(_ context.Context, r *resources.Resource) (map[string]any, error) {
	return map[string]any{"value": r.Data["value"]}, nil
}

// ReferenceID implements resources.Referencer: get_resource answers the
// value, as in Heat.
func (RandomString) ReferenceID(physicalID string, attrs map[string]any) string {
	if v, ok := attrs["value"].(string); ok && v != "" {
		return v
	}
	return physicalID
}

// randomString generates the value for RandomString properties.
func randomString(props map[string]any) (string, error) {
	length := integer(props["length"], 32)
	type need struct {
		chars string
		min   int
	}
	var needs []need
	pool := ""
	if cl, ok := props["character_classes"].([]any); ok {
		for _, c := range cl {
			m, _ := c.(map[string]any)
			name, _ := m["class"].(string)
			if name == "" {
				name = "lettersdigits"
			}
			chars, ok := charClasses[name]
			if !ok {
				return "", model.Invalidf("unknown character class %q", name)
			}
			needs = append(needs, need{chars, integer(m["min"], 1)})
			pool += chars
		}
	}
	if cs, ok := props["character_sequences"].([]any); ok {
		for _, c := range cs {
			m, _ := c.(map[string]any)
			seq, _ := m["sequence"].(string)
			if seq == "" {
				continue
			}
			needs = append(needs, need{seq, integer(m["min"], 1)})
			pool += seq
		}
	}
	if seq, ok := props["sequence"].(string); ok && seq != "" && len(needs) == 0 {
		pool = charClasses[seq]
	}
	if pool == "" {
		pool = charClasses["lettersdigits"]
	}
	total := 0
	for _, n := range needs {
		total += n.min
	}
	if total > length {
		return "", model.Invalidf("Length property cannot be smaller than combined character class and character sequence minimums")
	}
	out := make([]rune, 0, length)
	for _, n := range needs {
		rs := []rune(n.chars)
		for range n.min {
			c, err := pick(rs)
			if err != nil {
				return "", err
			}
			out = append(out, c)
		}
	}
	all := []rune(pool)
	for len(out) < length {
		c, err := pick(all)
		if err != nil {
			return "", err
		}
		out = append(out, c)
	}
	// Shuffle, so the guaranteed characters are not all in front.
	for i := len(out) - 1; i > 0; i-- {
		j, err := rand.Int(rand.Reader, big.NewInt(int64(i+1)))
		if err != nil {
			return "", fmt.Errorf("generate random string: %w", err)
		}
		out[i], out[j.Int64()] = out[j.Int64()], out[i]
	}
	return string(out), nil
}

func pick(rs []rune) (rune, error) {
	i, err := rand.Int(rand.Reader, big.NewInt(int64(len(rs))))
	if err != nil {
		return 0, fmt.Errorf("generate random string: %w", err)
	}
	return rs[i.Int64()], nil
}
