package v1

import (
	"encoding/json"
	"fmt"
	"strconv"
)

// Labels is a string map that, like Magnum, also accepts integer, float and
// boolean values on input and stores them as strings.
type Labels map[string]string

// UnmarshalJSON implements json.Unmarshaler.
func (l *Labels) UnmarshalJSON(b []byte) error {
	var raw map[string]any
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("labels must be an object of strings: %w", err)
	}
	if raw == nil {
		*l = nil
		return nil
	}
	out := make(Labels, len(raw))
	for k, v := range raw {
		s, err := LabelValue(v)
		if err != nil {
			return fmt.Errorf("label %q: %w", k, err)
		}
		out[k] = s
	}
	*l = out
	return nil
}

// LabelValue renders a scalar label value the way Magnum stores it
// (Python's str(): true becomes "True").
func LabelValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case bool:
		if x {
			return "True", nil
		}
		return "False", nil
	case float64:
		if x == float64(int64(x)) {
			return strconv.FormatInt(int64(x), 10), nil
		}
		return strconv.FormatFloat(x, 'f', -1, 64), nil
	case nil:
		return "None", nil
	}
	return "", fmt.Errorf("value must be a string, number or boolean, not %T", v)
}
