package local

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/slipway/slipway/internal/orchestration/hot"
	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/orchestration/resources/schema"
)

// str returns a string property, "" when unset.
func str(props map[string]any, name string) string {
	switch v := props[name].(type) {
	case string:
		return v
	case nil:
		return ""
	default:
		return fmt.Sprint(v)
	}
}

// has reports whether a property was given.
func has(props map[string]any, name string) bool {
	_, ok := props[name]
	return ok
}

// integer returns an integer property, def when unset.
func integer(props map[string]any, name string, def int) int {
	return toInt(props[name], def)
}

func toInt(v any, def int) int {
	switch n := v.(type) {
	case int:
		return n
	case int64:
		return int(n)
	case float64:
		return int(n)
	case string:
		if i, err := strconv.Atoi(strings.TrimSpace(n)); err == nil {
			return i
		}
	}
	return def
}

// boolean returns a boolean property, def when unset.
func boolean(props map[string]any, name string, def bool) bool {
	switch b := props[name].(type) {
	case bool:
		return b
	case string:
		switch strings.ToLower(b) {
		case "true", "t", "on", "y", "yes", "1":
			return true
		case "false", "f", "off", "n", "no", "0":
			return false
		}
	}
	return def
}

// list returns a list property.
func list(props map[string]any, name string) []any {
	l, _ := props[name].([]any)
	return l
}

// dict returns v as a map, or an empty one.
func dict(v any) map[string]any {
	if m, ok := v.(map[string]any); ok {
		return m
	}
	return map[string]any{}
}

// strings returns a list property's items as strings.
func stringList(props map[string]any, name string) []string {
	var out []string
	for _, v := range list(props, name) {
		if s := fmt.Sprint(v); v != nil && s != "" {
			out = append(out, s)
		}
	}
	return out
}

// stringMap returns a map property with its values as strings.
func stringMap(props map[string]any, name string) map[string]string {
	m := dict(props[name])
	if len(m) == 0 {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = fmt.Sprint(v)
	}
	return out
}

// shortID is the 12 characters of a physical id that Heat-style names
// end with.
func shortID(id string) string {
	s := strings.ReplaceAll(id, "-", "")
	if len(s) > 12 {
		s = s[:12]
	}
	return s
}

// physicalName is a resource's name: its name property, or Heat's
// "<stack>-<resource>-<short id>".
func physicalName(r *resources.Resource) string {
	if n := str(r.Properties, "name"); n != "" {
		return n
	}
	return r.Stack.Name + "-" + r.Name + "-" + shortID(r.PhysicalID)
}

// childID derives the id of something the provider makes on behalf of a
// resource (a server's port), stable across retries after a crash.
func childID(parent, what string, i int) string {
	return uuid.NewSHA1(uuid.NameSpaceURL, fmt.Appendf(nil, "slipway:%s:%s:%d", parent, what, i)).String()
}

// schemaOf returns an OpenStack type's schema from the schema package with
// the given properties no longer updatable in place: a change to one of
// them replaces the resource, because the local provider cannot make it
// in place.
func schemaOf(typeName string, replaceOn ...string) *hot.Schema {
	s := schema.Of(typeName)
	if s == nil {
		// Register refuses types the schema package does not describe.
		return &hot.Schema{}
	}
	for _, name := range replaceOn {
		if ps, ok := s.Properties[name]; ok {
			ps.UpdateAllowed = false
			s.Properties[name] = ps
		}
	}
	return s
}

// mustJSON encodes v as a JSON string, as Heat's string-typed attributes
// that hold documents are.
func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}
