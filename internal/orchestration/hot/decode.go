package hot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	yaml "go.yaml.in/yaml/v3"
)

// MaxTemplateSize is the largest template body Parse accepts, in bytes. It is
// Heat's default max_template_size.
const MaxTemplateSize = 524288

// maxAliasedNodes bounds the number of values a document may expand to
// through YAML aliases, so that an "alias bomb" cannot exhaust memory.
const maxAliasedNodes = 1 << 17

// omap is a mapping that remembers the order in which its keys were first
// declared. Duplicate keys keep the position of the first and the value of
// the last, as PyYAML and Python's json module do.
type omap struct {
	keys []string
	vals map[string]any
}

func newOmap() *omap { return &omap{vals: map[string]any{}} }

func (m *omap) set(k string, v any) {
	if _, ok := m.vals[k]; !ok {
		m.keys = append(m.keys, k)
	}
	m.vals[k] = v
}

func (m *omap) get(k string) (any, bool) {
	v, ok := m.vals[k]
	return v, ok
}

// plain converts a decoded tree (with *omap mappings) into plain Go values:
// map[string]any, []any, string, int, float64, bool and nil.
func plain(v any) any {
	switch t := v.(type) {
	case *omap:
		out := make(map[string]any, len(t.keys))
		for _, k := range t.keys {
			out[k] = plain(t.vals[k])
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, e := range t {
			out[i] = plain(e)
		}
		return out
	default:
		return v
	}
}

// decodeDocument reads a JSON or YAML document the way Heat does: JSON first,
// then YAML with the YAML 1.1 rules of PyYAML's SafeLoader (timestamps stay
// strings). Mappings come back as *omap.
func decodeDocument(body []byte) (any, error) {
	trimmed := bytes.TrimSpace(bytes.TrimPrefix(body, []byte("\xef\xbb\xbf")))
	if len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[') {
		if v, err := decodeJSON(trimmed); err == nil {
			return v, nil
		}
	}
	return decodeYAML(body)
}

// maxJSONDepth bounds the nesting of JSON documents, as encoding/json does.
const maxJSONDepth = 10000

func decodeJSON(body []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	v, err := jsonValue(dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("extra data after the JSON document")
	}
	return v, nil
}

func jsonValue(dec *json.Decoder, depth int) (any, error) {
	if depth > maxJSONDepth {
		return nil, errors.New("exceeded max depth")
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			m := newOmap()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k, ok := kt.(string)
				if !ok {
					return nil, fmt.Errorf("invalid object key %v", kt)
				}
				v, err := jsonValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				m.set(k, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return m, nil
		case '[':
			l := []any{}
			for dec.More() {
				v, err := jsonValue(dec, depth+1)
				if err != nil {
					return nil, err
				}
				l = append(l, v)
			}
			if _, err := dec.Token(); err != nil {
				return nil, err
			}
			return l, nil
		}
		return nil, fmt.Errorf("unexpected delimiter %v", t)
	case json.Number:
		return jsonNumber(t), nil
	default:
		return t, nil
	}
}

func jsonNumber(n json.Number) any {
	if i, err := strconv.ParseInt(string(n), 10, 64); err == nil && i >= math.MinInt && i <= math.MaxInt {
		return int(i)
	}
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil {
		return string(n)
	}
	return f
}

// yamlDecoder converts yaml.v3 nodes into values with PyYAML's YAML 1.1
// scalar resolution.
type yamlDecoder struct {
	aliased    int // values produced through aliases
	aliasDepth int
	inProgress map[*yaml.Node]bool
}

func decodeYAML(body []byte) (any, error) {
	dec := yaml.NewDecoder(bytes.NewReader(body))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return newOmap(), nil
		}
		return nil, fmt.Errorf("parse YAML: %w", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, errors.New("parse YAML: expected a single document in the stream")
	} else if !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("parse YAML: %w", err)
	}
	d := &yamlDecoder{inProgress: map[*yaml.Node]bool{}}
	node := &doc
	if node.Kind == yaml.DocumentNode {
		if len(node.Content) == 0 {
			return newOmap(), nil
		}
		node = node.Content[0]
	}
	v, err := d.value(node)
	if err != nil {
		return nil, err
	}
	if v == nil {
		return newOmap(), nil
	}
	return v, nil
}

func (d *yamlDecoder) value(n *yaml.Node) (any, error) {
	if d.aliasDepth > 0 {
		d.aliased++
		if d.aliased > maxAliasedNodes {
			return nil, errors.New("parse YAML: document expands to too many values through aliases")
		}
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, fmt.Errorf("parse YAML: line %d: unknown alias", n.Line)
		}
		if d.inProgress[n.Alias] {
			return nil, fmt.Errorf("parse YAML: line %d: alias %q refers to a value that contains it", n.Line, n.Value)
		}
		d.aliasDepth++
		defer func() { d.aliasDepth-- }()
		return d.value(n.Alias)
	case yaml.ScalarNode:
		return d.scalar(n)
	case yaml.SequenceNode:
		d.inProgress[n] = true
		defer delete(d.inProgress, n)
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := d.value(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		d.inProgress[n] = true
		defer delete(d.inProgress, n)
		return d.mapping(n)
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return d.value(n.Content[0])
	}
	return nil, fmt.Errorf("parse YAML: line %d: unsupported node", n.Line)
}

func (d *yamlDecoder) mapping(n *yaml.Node) (any, error) {
	if tag := explicitTag(n); tag != "" && tag != "!!map" {
		return nil, fmt.Errorf("parse YAML: line %d: could not determine a constructor for the tag %q", n.Line, tag)
	}
	type pair struct {
		k string
		v any
	}
	var merged, own []pair
	for i := 0; i+1 < len(n.Content); i += 2 {
		kn, vn := n.Content[i], n.Content[i+1]
		if kn.Kind == yaml.ScalarNode && kn.Tag == "!!merge" && kn.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0 {
			srcs := []*yaml.Node{vn}
			target := vn
			if target.Kind == yaml.AliasNode && target.Alias != nil {
				target = target.Alias
			}
			if target.Kind == yaml.SequenceNode {
				srcs = target.Content
			}
			// Earlier sources win: PyYAML applies them in reverse.
			var add []pair
			for j := len(srcs) - 1; j >= 0; j-- {
				v, err := d.value(srcs[j])
				if err != nil {
					return nil, err
				}
				m, ok := v.(*omap)
				if !ok {
					return nil, fmt.Errorf("parse YAML: line %d: expected a mapping for merging", srcs[j].Line)
				}
				for _, k := range m.keys {
					add = append(add, pair{k, m.vals[k]})
				}
			}
			merged = append(merged, add...)
			continue
		}
		k, err := d.key(kn)
		if err != nil {
			return nil, err
		}
		v, err := d.value(vn)
		if err != nil {
			return nil, err
		}
		own = append(own, pair{k, v})
	}
	m := newOmap()
	for _, p := range merged {
		m.set(p.k, p.v)
	}
	for _, p := range own {
		m.set(p.k, p.v)
	}
	return m, nil
}

func (d *yamlDecoder) key(n *yaml.Node) (string, error) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("parse YAML: line %d: mapping keys must be scalars", n.Line)
	}
	v, err := d.scalar(n)
	if err != nil {
		return "", err
	}
	return keyString(v), nil
}

// keyString renders a non-string mapping key the way it appears once the
// structure is serialised to JSON.
func keyString(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case nil:
		return "null"
	case bool:
		if t {
			return "true"
		}
		return "false"
	default:
		return pyStr(v)
	}
}

func explicitTag(n *yaml.Node) string {
	if n.Style&yaml.TaggedStyle == 0 {
		return ""
	}
	return n.ShortTag()
}

var (
	yamlBool  = regexp.MustCompile(`^(?:yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$`)
	yamlNull  = regexp.MustCompile(`^(?:~|null|Null|NULL|)$`)
	yamlInt   = regexp.MustCompile(`^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$`)
	yamlFloat = regexp.MustCompile(`^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$`)
)

func (d *yamlDecoder) scalar(n *yaml.Node) (any, error) {
	tag := explicitTag(n)
	quoted := n.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle|yaml.LiteralStyle|yaml.FoldedStyle) != 0
	switch tag {
	case "":
		if quoted {
			return n.Value, nil
		}
		return resolvePlain(n.Value), nil
	case "!!str", "!!timestamp", "!!binary":
		return n.Value, nil
	case "!!int":
		if v, ok := yamlIntValue(n.Value); ok {
			return v, nil
		}
	case "!!float":
		if v, ok := yamlFloatValue(n.Value); ok {
			return v, nil
		}
		if v, ok := yamlIntValue(n.Value); ok {
			return float64(v), nil
		}
	case "!!bool":
		if yamlBool.MatchString(n.Value) {
			return yamlBoolValue(n.Value), nil
		}
	case "!!null":
		return nil, nil
	}
	return nil, fmt.Errorf("parse YAML: line %d: could not determine a constructor for the tag %q with value %q", n.Line, tag, n.Value)
}

// resolvePlain applies the YAML 1.1 implicit resolvers of PyYAML's
// SafeLoader to a plain scalar.
func resolvePlain(s string) any {
	if s != "" && !strings.ContainsRune("yYnNtTfFoO~+-.0123456789", rune(s[0])) {
		return s
	}
	switch {
	case yamlNull.MatchString(s):
		return nil
	case yamlBool.MatchString(s):
		return yamlBoolValue(s)
	case yamlInt.MatchString(s):
		if v, ok := yamlIntValue(s); ok {
			return v
		}
	case yamlFloat.MatchString(s):
		if v, ok := yamlFloatValue(s); ok {
			return v
		}
	}
	return s
}

func yamlBoolValue(s string) bool {
	switch strings.ToLower(s) {
	case "yes", "true", "on":
		return true
	}
	return false
}

func yamlIntValue(s string) (int, bool) {
	v := strings.ReplaceAll(s, "_", "")
	sign := 1
	if strings.HasPrefix(v, "-") {
		sign = -1
		v = v[1:]
	} else if strings.HasPrefix(v, "+") {
		v = v[1:]
	}
	var (
		n   int64
		err error
	)
	switch {
	case v == "0":
		return 0, true
	case strings.HasPrefix(v, "0b"):
		n, err = strconv.ParseInt(v[2:], 2, 64)
	case strings.HasPrefix(v, "0x"):
		n, err = strconv.ParseInt(v[2:], 16, 64)
	case strings.HasPrefix(v, "0"):
		n, err = strconv.ParseInt(v[1:], 8, 64)
	case strings.Contains(v, ":"):
		var total int64
		for _, part := range strings.Split(v, ":") {
			p, perr := strconv.ParseInt(part, 10, 64)
			if perr != nil {
				return 0, false
			}
			total = total*60 + p
		}
		n = total
	default:
		n, err = strconv.ParseInt(v, 10, 64)
	}
	if err != nil || n > math.MaxInt || n < math.MinInt {
		return 0, false
	}
	return sign * int(n), true
}

func yamlFloatValue(s string) (float64, bool) {
	v := strings.ToLower(strings.ReplaceAll(s, "_", ""))
	sign := 1.0
	if strings.HasPrefix(v, "-") {
		sign = -1
		v = v[1:]
	} else if strings.HasPrefix(v, "+") {
		v = v[1:]
	}
	switch {
	case v == ".inf":
		return sign * math.Inf(1), true
	case v == ".nan":
		return math.NaN(), true
	case strings.Contains(v, ":"):
		parts := strings.Split(v, ":")
		var total float64
		for i, part := range parts {
			p, err := strconv.ParseFloat(part, 64)
			if err != nil || (i < len(parts)-1 && strings.Contains(part, ".")) {
				return 0, false
			}
			total = total*60 + p
		}
		return sign * total, true
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil {
		return 0, false
	}
	return sign * f, true
}
