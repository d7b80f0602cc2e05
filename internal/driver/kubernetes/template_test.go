package kubernetes

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/slipway/slipway/internal/orchestration/engine"
	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/orchestration/resources/heat"
	"github.com/slipway/slipway/internal/orchestration/resources/schema"
)

// validator is an engine that only validates: the OpenStack types'
// schemas and Heat's own types, as a conductor has them.
func validator(t *testing.T) *engine.Service {
	t.Helper()
	reg := resources.NewRegistry("test")
	schema.Declare(reg)
	if err := heat.Register(reg); err != nil {
		t.Fatal(err)
	}
	return engine.New(nil, reg, engine.Options{})
}

func testSpec() *stackSpec {
	return &stackSpec{
		Image: "slipway-node", FixedCIDR: "10.0.0.0/24", PodCIDR: "10.100.0.0/16", ExternalNet: "public",
		FloatingIP: true, APIPort: 6443, BootTimeout: 900, ClusterPrefix: "c1-abcde",
		Masters: stackGroup{Resource: mastersResource, Flavor: "m1.small", Count: 1, Security: "master",
			Nodes: map[string]stackNode{"0": {Name: "c1-abcde-master-0", IP: "10.0.0.10", UserData: "slipway_bootstrap: v1\n"}}},
		Workers: []stackGroup{{Resource: defaultWorkerResource, Flavor: "m1.small", Count: 2, Removed: []string{"1"}, Security: "worker",
			Nodes: map[string]stackNode{
				"0": {Name: "c1-abcde-node-0", IP: "10.0.0.11", UserData: "slipway_bootstrap: v1\n"},
				"2": {Name: "c1-abcde-node-2", IP: "10.0.0.13", UserData: "slipway_bootstrap: v1\n"},
			}}},
		PodRoutes: []podRoute{{Destination: "10.100.1.0/24", Nexthop: "10.0.0.11"}},
	}
}

// TestClusterTemplateValidates checks that the rendered template and the
// node template are HOT the engine accepts, with the parameters the driver
// passes.
func TestClusterTemplateValidates(t *testing.T) {
	for _, tc := range []struct {
		name string
		spec *stackSpec
	}{
		{"nodes", testSpec()},
		{"network stage", &stackSpec{Image: "slipway-node", FixedCIDR: "10.0.0.0/24", PodCIDR: "10.100.0.0/16",
			ExternalNet: "public", FloatingIP: true, APIPort: 6443, BootTimeout: 900, ClusterPrefix: "c1-abcde",
			Masters: stackGroup{Resource: mastersResource, Flavor: "m1.small", Security: "master"},
			Workers: []stackGroup{{Resource: defaultWorkerResource, Flavor: "m1.small", Security: "worker"}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, files, params, err := tc.spec.render()
			if err != nil {
				t.Fatal(err)
			}
			res, err := validator(t).Validate(t.Context(), engine.ValidateRequest{Template: tmpl, Files: files, Parameters: params})
			if err != nil {
				t.Fatalf("the cluster template does not validate: %v\n%s", err, tmpl)
			}
			if res.Parameters[paramName(mastersResource)].NoEcho != "true" {
				t.Error("the nodes parameter (it holds keys) is not hidden")
			}
		})
	}
}

// TestRemovedMembersAreNamed checks that the nodes a resize removes reach
// the group's removal policy, and that no association needs a master in the
// network stage.
func TestRemovedMembersAreNamed(t *testing.T) {
	tmpl, _, _, err := testSpec().render()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tmpl, "resource_list:\n      - \"1\"") && !strings.Contains(tmpl, "- \"1\"") {
		t.Errorf("removal_policies does not name member 1:\n%s", tmpl)
	}
	s := testSpec()
	s.Masters.Count = 0
	tmpl, _, _, _ = s.render()
	if strings.Contains(tmpl, "api_floating_ip_association") {
		t.Error("the network stage associates the floating IP with a master that does not exist")
	}
}

func TestMembersSkipRemoved(t *testing.T) {
	got := strings.Join(members(3, []string{"0", "2"}), ",")
	if got != "1,3,4" {
		t.Errorf("members(3, [0 2]) = %s, want 1,3,4", got)
	}
}

// TestOperatorNodeTemplate checks that an operator's node template, per
// server_type and os first, replaces the embedded one in the stack's files.
func TestOperatorNodeTemplate(t *testing.T) {
	dir := t.TempDir()
	if got, err := nodeTemplateFor(dir, "vm", "slipway"); err != nil || got != "" {
		t.Fatalf("empty directory: %q, %v; want the embedded template", got, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "node.yaml"), []byte("# every server type\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "bm"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bm", "node.yaml"), []byte("# bare metal\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "bm", "fedora-coreos"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "bm", "fedora-coreos", "node.yaml"), []byte("# bare metal, CoreOS\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ serverType, distro, want string }{
		{"vm", "", "# every server type\n"},
		{"vm", "fedora-coreos", "# every server type\n"},
		{"bm", "", "# bare metal\n"},
		{"bm", "ubuntu", "# bare metal\n"},
		{"bm", "fedora-coreos", "# bare metal, CoreOS\n"},
		{"../bm", "fedora-coreos", "# every server type\n"},
		{"bm", "../fedora-coreos", "# bare metal\n"},
	} {
		got, err := nodeTemplateFor(dir, tc.serverType, tc.distro)
		if err != nil || got != tc.want {
			t.Errorf("server_type %q, os %q: %q, %v; want %q", tc.serverType, tc.distro, got, err, tc.want)
		}
	}
	s := testSpec()
	s.NodeTemplate = "# bare metal\n"
	_, files, _, err := s.render()
	if err != nil || files[NodeTemplateFile] != s.NodeTemplate {
		t.Errorf("the stack's node template is %q, %v; want the operator's", files[NodeTemplateFile], err)
	}
}
