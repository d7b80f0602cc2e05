package plan_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/plan"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// res builds a desired resource whose every property is update-allowed
// unless listed in fixed.
func res(name, typ string, props map[string]string, deps ...string) plan.Desired {
	d := plan.Desired{Name: name, Type: typ, DependsOn: deps, Props: props, Hash: hashOf(props)}
	for k := range props {
		d.UpdateAllowed = append(d.UpdateAllowed, k)
	}
	return d
}

func fixed(d plan.Desired, props ...string) plan.Desired {
	var allowed []string
	for _, a := range d.UpdateAllowed {
		keep := true
		for _, p := range props {
			if a == p {
				keep = false
			}
		}
		if keep {
			allowed = append(allowed, a)
		}
	}
	d.UpdateAllowed = allowed
	return d
}

func hashOf(props map[string]string) string {
	b, _ := json.Marshal(props)
	return string(b)
}

// stored is the observed form of a desired resource, created and complete.
func stored(d plan.Desired) plan.Observed {
	return plan.Observed{Name: d.Name, Type: d.Type, Action: model.ActionCreate,
		Status: model.StateComplete, HasPhysical: true, Hash: d.Hash, Props: d.Props,
		DependsOn: d.DependsOn, DeletionPolicy: d.DeletionPolicy}
}

func storedAll(ds ...plan.Desired) []plan.Observed {
	var out []plan.Observed
	for _, d := range ds {
		out = append(out, stored(d))
	}
	return out
}

func members(n int) []plan.Desired {
	var out []plan.Desired
	for i := range n {
		out = append(out, res(strconv.Itoa(i), "OS::Heat::TestResource",
			map[string]string{"value": "member-" + strconv.Itoa(i)}))
	}
	return out
}

func TestBuildGolden(t *testing.T) {
	t.Parallel()
	v := func(s string) map[string]string { return map[string]string{"value": s} }
	net := res("net", "OS::Heat::Value", v("net"))
	subnet := res("subnet", "OS::Heat::Value", v("subnet"), "net")
	port := res("port", "OS::Heat::Value", v("port"), "subnet", "net")
	server := res("server", "OS::Heat::TestResource", v("server"), "port")
	lonely := res("lonely", "OS::Heat::None", nil)
	lonely.NeverUpdate = true
	base := []plan.Desired{net, subnet, port, server, lonely}

	netChanged := res("net", "OS::Heat::Value", v("net-2"))
	subnetReplaced := fixed(res("subnet", "OS::Heat::Value", v("subnet-2"), "net"), "value")
	portUnknown := port
	portUnknown.Hash, portUnknown.Props = "", nil

	group := func(count string) plan.Desired {
		return fixed(res("group", "OS::Heat::ResourceGroup",
			map[string]string{"count": count, "resource_def": "def"}), "resource_def")
	}
	retained := server
	retained.DeletionPolicy = plan.RetainPolicy

	interrupted := storedAll(base...)
	interrupted[3].Action, interrupted[3].Status = model.ActionCreate, model.StateInProgress
	interrupted[1].Status = model.StateFailed
	interrupted[2].Refresh = true

	withReplaced := storedAll(base...)
	withReplaced[1].Replaced = 1

	cases := []struct {
		name     string
		desired  []plan.Desired
		observed []plan.Observed
	}{
		{"create-from-scratch", base, nil},
		{"no-op-replan", base, storedAll(base...)},
		{"property-change-in-place-and-replace",
			[]plan.Desired{netChanged, subnetReplaced, portUnknown, server, lonely}, storedAll(base...)},
		{"none-ignores-changes",
			[]plan.Desired{net, subnet, port, server, func() plan.Desired {
				d := res("lonely", "OS::Heat::None", v("anything"))
				d.NeverUpdate = true
				return d
			}()}, storedAll(base...)},
		{"removal-deletes-in-reverse-order", []plan.Desired{net, lonely}, storedAll(base...)},
		{"delete-stack", nil, storedAll(base...)},
		{"group-count-grows", []plan.Desired{group("5")}, storedAll(group("3"))},
		{"group-members-grow", members(5), storedAll(members(3)...)},
		{"group-members-shrink", members(2), storedAll(members(5)...)},
		{"retain-policy", []plan.Desired{net, subnet, port}, storedAll(net, subnet, port, retained)},
		{"retain-policy-on-replace",
			[]plan.Desired{net, subnet, port, func() plan.Desired {
				d := fixed(res("server", "OS::Heat::TestResource", v("server-2"), "port"), "value")
				d.DeletionPolicy = plan.RetainPolicy
				return d
			}()}, storedAll(net, subnet, port, retained)},
		{"type-change-replaces",
			[]plan.Desired{net, subnet, port, res("server", "OS::Heat::Value", v("server"), "port")},
			storedAll(net, subnet, port, server)},
		{"interrupted-failed-and-refreshed", base, interrupted},
		{"leftover-replaced-resources", base, withReplaced},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			p, err := plan.Build(tc.desired, tc.observed)
			if err != nil {
				t.Fatalf("Build: %v", err)
			}
			got, err := json.MarshalIndent(p, "", "  ")
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, '\n')
			path := filepath.Join("testdata", tc.name+".golden.json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("read golden file (run with -update to create it): %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("plan differs from %s (run with -update if intended):\n%s", path, got)
			}
		})
	}
}

func TestBuildRejectsCycles(t *testing.T) {
	t.Parallel()
	_, err := plan.Build([]plan.Desired{
		{Name: "a", Type: "OS::Heat::None", DependsOn: []string{"b"}},
		{Name: "b", Type: "OS::Heat::None", DependsOn: []string{"c"}},
		{Name: "c", Type: "OS::Heat::None", DependsOn: []string{"a"}},
	}, nil)
	if !errors.Is(err, model.ErrInvalid) {
		t.Fatalf("Build with a cycle: got %v, want an invalid-input error", err)
	}
	if want := "circular dependency between resources: a, b, c"; err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestDecideRecheckAfterDependencyChanges(t *testing.T) {
	t.Parallel()
	a := res("a", "OS::Heat::Value", map[string]string{"value": "1"})
	b := res("b", "OS::Heat::Value", map[string]string{"value": "x"}, "a")
	obs := storedAll(a, b)
	a2 := fixed(res("a", "OS::Heat::Value", map[string]string{"value": "2"}), "value")
	p, err := plan.Build([]plan.Desired{a2, b}, obs)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := p.Step("b")
	if !s.Recheck || s.Action != plan.None {
		t.Fatalf("b: got %+v, want a recheck of an unchanged resource", s)
	}
	// Once a is replaced, b's properties resolve to something new.
	b2 := res("b", "OS::Heat::Value", map[string]string{"value": "y"}, "a")
	act, _, changed := plan.Decide(&b2, &obs[1])
	if act != plan.Update || len(changed) != 1 || changed[0] != "value" {
		t.Errorf("Decide after the dependency changed: %s %v, want update of value", act, changed)
	}
}
