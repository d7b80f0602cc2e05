package magnum

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/slipway/slipway/internal/model"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

func TestParsePyLiteral(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    any
		wantErr bool
	}{
		{`{'k1':'v1','k2':'v2'}`, map[string]any{"k1": "v1", "k2": "v2"}, false},
		{`{"a": True, "b": None, 'c': 3}`, map[string]any{"a": true, "b": nil, "c": 3.0}, false},
		{`[{'key': 'k', 'effect': 'NoSchedule'}]`, []any{map[string]any{"key": "k", "effect": "NoSchedule"}}, false},
		{`{'quote': 'it\'s'}`, map[string]any{"quote": "it's"}, false},
		{`{}`, map[string]any{}, false},
		{`{'a': }`, nil, true},
		{`{'a': 'b'`, nil, true},
		{`'unterminated`, nil, true},
		{`{'a': 'b'} trailing`, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := parsePyLiteral(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if !tc.wantErr && !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestApplyPatch(t *testing.T) {
	t.Parallel()
	base := func() v1.ClusterTemplate {
		name := "t"
		return v1.ClusterTemplate{Name: &name, COE: "kubernetes", ImageID: "img", Labels: map[string]string{"a": "1"}, FloatingIPEnabled: true, ServerType: "vm"}
	}
	tests := []struct {
		name        string
		ops         []v1.PatchOp
		check       func(t *testing.T, got v1.ClusterTemplate)
		wantChanged []string
		wantErr     string
	}{
		{"replace bool from string", []v1.PatchOp{{Op: "replace", Path: "/master_lb_enabled", Value: "True"}},
			func(t *testing.T, got v1.ClusterTemplate) {
				if !got.MasterLBEnabled {
					t.Fatal("master_lb_enabled not set")
				}
			}, []string{"master_lb_enabled"}, ""},
		{"add a label", []v1.PatchOp{{Op: "add", Path: "/labels/b", Value: 2.0}},
			func(t *testing.T, got v1.ClusterTemplate) {
				if got.Labels["b"] != "2" || got.Labels["a"] != "1" {
					t.Fatalf("labels %v", got.Labels)
				}
			}, []string{"labels"}, ""},
		{"replace labels with a python literal", []v1.PatchOp{{Op: "replace", Path: "/labels", Value: "{'x': 'y'}"}},
			func(t *testing.T, got v1.ClusterTemplate) {
				if !reflect.DeepEqual(got.Labels, map[string]string{"x": "y"}) {
					t.Fatalf("labels %v", got.Labels)
				}
			}, []string{"labels"}, ""},
		{"remove resets to the default", []v1.PatchOp{{Op: "remove", Path: "/floating_ip_enabled"}},
			func(t *testing.T, got v1.ClusterTemplate) {
				if !got.FloatingIPEnabled {
					t.Fatal("floating_ip_enabled not reset to true")
				}
			}, nil, ""},
		{"integer from string", []v1.PatchOp{{Op: "add", Path: "/apiserver_port", Value: "6443"}},
			func(t *testing.T, got v1.ClusterTemplate) {
				if got.APIServerPort == nil || *got.APIServerPort != 6443 {
					t.Fatalf("apiserver_port %v", got.APIServerPort)
				}
			}, []string{"apiserver_port"}, ""},
		{"add over an existing value", []v1.PatchOp{{Op: "add", Path: "/image_id", Value: "x"}}, nil, nil, "use 'replace'"},
		{"internal attribute", []v1.PatchOp{{Op: "replace", Path: "/uuid", Value: "x"}}, nil, nil, "internal attribute"},
		{"unknown attribute", []v1.PatchOp{{Op: "add", Path: "/colour", Value: "x"}}, nil, nil, "not allowed"},
		{"mandatory attribute", []v1.PatchOp{{Op: "remove", Path: "/coe"}}, nil, nil, "mandatory"},
		{"bad boolean", []v1.PatchOp{{Op: "replace", Path: "/public", Value: "maybe"}}, nil, nil, "not a boolean"},
		{"missing label", []v1.PatchOp{{Op: "remove", Path: "/labels/zzz"}}, nil, nil, "not present"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cur := base()
			doc, err := toDoc(cur)
			if err != nil {
				t.Fatal(err)
			}
			changed, err := applyPatch(doc, cur, tc.ops, templatePatchRules)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !errors.Is(err, model.ErrInvalid) {
					t.Fatalf("err = %v, want a 400 mentioning %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got v1.ClusterTemplate
			if err := fromDoc(doc, &got); err != nil {
				t.Fatal(err)
			}
			tc.check(t, got)
			if !reflect.DeepEqual(changed, tc.wantChanged) {
				t.Fatalf("changed = %v, want %v", changed, tc.wantChanged)
			}
		})
	}
}

func TestParseVersionHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in      string
		want    int
		wantErr bool
	}{
		{"", 1, false},
		{"container-infra latest", maxMinor, false},
		{"container-infra 1.9", 9, false},
		{"Container-Infrastructure-Management 1.12", 12, false},
		{"container-infra 1.13", 0, true},
		{"container-infra 2.1", 0, true},
		{"container-infra 1.0", 0, true},
		{"compute 1.2", 0, true},
		{"container-infra", 0, true},
		{"container-infra one.two", 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := parseVersionHeader(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, wantErr %v", err, tc.wantErr)
			}
			if err != nil && !errors.Is(err, model.ErrNotAcceptable) {
				t.Fatalf("err %v is not a 406", err)
			}
			if !tc.wantErr && got != tc.want {
				t.Fatalf("got 1.%d, want 1.%d", got, tc.want)
			}
		})
	}
}

func TestLabelDiff(t *testing.T) {
	t.Parallel()
	over, added, skipped := labelDiff(
		map[string]string{"same": "1", "changed": "new", "extra": "x"},
		map[string]string{"same": "1", "changed": "old", "gone": "g"})
	if !reflect.DeepEqual(over, map[string]string{"changed": "old"}) ||
		!reflect.DeepEqual(added, map[string]string{"extra": "x"}) ||
		!reflect.DeepEqual(skipped, map[string]string{"gone": "g"}) {
		t.Fatalf("overridden %v added %v skipped %v", over, added, skipped)
	}
}
