package heat

import (
	"fmt"
	"strings"
	"testing"
)

func TestRandomStringHonoursClassesAndLength(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		props map[string]any
		check func(string) bool
		err   string
	}{
		{"default", map[string]any{}, func(s string) bool { return len(s) == 32 }, ""},
		{"classes", map[string]any{"length": 12, "character_classes": []any{
			map[string]any{"class": "digits", "min": 5}, map[string]any{"class": "uppercase", "min": 2}}},
			func(s string) bool {
				digits, upper := 0, 0
				for _, c := range s {
					switch {
					case c >= '0' && c <= '9':
						digits++
					case c >= 'A' && c <= 'Z':
						upper++
					default:
						return false
					}
				}
				return len(s) == 12 && digits >= 5 && upper >= 2
			}, ""},
		{"sequences", map[string]any{"length": 8, "character_sequences": []any{map[string]any{"sequence": "!@", "min": 8}}},
			func(s string) bool { return len(s) == 8 && strings.Trim(s, "!@") == "" }, ""},
		{"too short", map[string]any{"length": 2, "character_classes": []any{map[string]any{"class": "digits", "min": 3}}},
			nil, "Length property cannot be smaller than combined character class and character sequence minimums"},
	} {
		got, err := randomString(tc.props)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%s: error %v, want %q", tc.name, err, tc.err)
			}
			continue
		}
		if err != nil || !tc.check(got) {
			t.Errorf("%s: got %q, %v", tc.name, got, err)
		}
	}
}

func TestScalingAdjustments(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		current int
		kind    string
		adj     float64
		step    int
		want    int
	}{
		{3, "change_in_capacity", 2, 0, 5},
		{3, "change_in_capacity", -1, 0, 2},
		{3, "exact_capacity", 7, 0, 7},
		{10, "percent_change_in_capacity", 50, 0, 15},
		{2, "percent_change_in_capacity", 10, 0, 3},
		{2, "percent_change_in_capacity", -10, 0, 1},
		{10, "percent_change_in_capacity", 10, 3, 13},
	} {
		if got := adjust(tc.current, tc.kind, tc.adj, tc.step); got != tc.want {
			t.Errorf("adjust(%d, %s, %v, %d) = %d, want %d", tc.current, tc.kind, tc.adj, tc.step, got, tc.want)
		}
	}
}

func TestGroupAttributes(t *testing.T) {
	t.Parallel()
	attrs := map[string]any{
		"refs":         []any{"id0", "id2"},
		"refs_map":     map[string]any{"0": "id0", "2": "id2"},
		"member_names": []any{"0", "2"},
		"members": map[string]any{
			"0": map[string]any{"ip": "10.0.0.1", "nets": map[string]any{"private": []any{"10.0.0.1"}}},
			"2": map[string]any{"ip": "10.0.0.3", "nets": map[string]any{"private": []any{"10.0.0.3"}}},
		},
		"removed_rsrc_list": []any{"1"},
	}
	for _, tc := range []struct {
		path []any
		want string
	}{
		{[]any{"refs"}, "[id0 id2]"},
		{[]any{"refs", 1}, "id2"},
		{[]any{"ip"}, "[10.0.0.1 10.0.0.3]"},
		{[]any{"nets", "private", 0}, "[10.0.0.1 10.0.0.3]"},
		{[]any{"attributes", "ip"}, "map[0:10.0.0.1 2:10.0.0.3]"},
		{[]any{"resource.2", "ip"}, "10.0.0.3"},
		{[]any{"resource.2.ip"}, "10.0.0.3"},
		{[]any{"resource.0", "nets", "private"}, "[10.0.0.1]"},
		{[]any{"removed_rsrc_list"}, "[1]"},
	} {
		got, err := resolveGroupAttribute(attrs, tc.path)
		if err != nil || fmt.Sprint(got) != tc.want {
			t.Errorf("get_attr %v = %v, %v; want %s", tc.path, got, err, tc.want)
		}
	}
	if _, err := resolveGroupAttribute(attrs, []any{"resource.1", "ip"}); err == nil {
		t.Error("a removed member resolved")
	}
}

func TestParamStrings(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		v    any
		typ  string
		want string
	}{
		{"x", "string", "x"},
		{3, "number", "3"},
		{2.5, "number", "2.5"},
		{true, "boolean", "true"},
		{[]any{"a", "b"}, "comma_delimited_list", "a,b"},
		{[]any{"a", 1}, "json", `["a",1]`},
		{map[string]any{"k": "v"}, "json", `{"k":"v"}`},
	} {
		got, err := paramString(tc.v, tc.typ)
		if err != nil || got != tc.want {
			t.Errorf("paramString(%v, %s) = %q, %v; want %q", tc.v, tc.typ, got, err, tc.want)
		}
	}
}
