package compat

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/server/servertest"
)

// waitStack polls `openstack stack show` until the stack is in want.
func (o *osc) waitStack(name, want string) map[string]any {
	o.t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for {
		var st map[string]any
		o.json(&st, "stack", "show", name)
		status, _ := st["stack_status"].(string)
		if status == want {
			return st
		}
		if strings.HasSuffix(status, "FAILED") || time.Now().After(deadline) {
			o.t.Fatalf("stack %s is %s (%v), want %s", name, status, st["stack_status_reason"], want)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func TestOpenstackStackCLI(t *testing.T) {
	t.Parallel()
	env := servertest.Start(t, servertest.Options{})
	o := newOSC(t, env)
	dir, err := filepath.Abs("testdata/stack")
	if err != nil {
		t.Fatal(err)
	}
	main := filepath.Join(dir, "main.yaml")

	out := o.run("orchestration", "template", "validate", "-t", main, "-f", "json")
	if !strings.Contains(out, `"count"`) || !strings.Contains(out, "Slipway stack CLI test") {
		t.Fatalf("validate: %s", out)
	}
	_, stderr := o.exec(true, "stack", "create", "-t", main, "--parameter", "count=99", "bad")
	if !strings.Contains(stderr, "count") {
		t.Fatalf("out-of-range parameter error: %s", stderr)
	}

	// A template written the way heat-kubernetes and Magnum's Heat driver
	// write theirs validates with either environment, and without one the
	// error names the place in the template.
	heatstyle := filepath.Join(filepath.Dir(dir), "heatstyle")
	for _, e := range []string{"env-no-floating.yaml", "env-floating.yaml"} {
		out := o.run("orchestration", "template", "validate", "-t", filepath.Join(heatstyle, "cluster.yaml"), "-e", filepath.Join(heatstyle, e), "-f", "json")
		if !strings.Contains(out, "number_of_nodes") {
			t.Fatalf("validate with %s: %s", e, out)
		}
	}
	_, stderr = o.exec(true, "orchestration", "template", "validate", "-t", filepath.Join(heatstyle, "cluster.yaml"))
	if !strings.Contains(stderr, "resources.api_floating.type: The Resource Type (Slipway::Optional::FloatingIP) could not be found") {
		t.Fatalf("validate without the environment: %s", stderr)
	}

	o.run("stack", "create", "-t", main, "--parameter", "count=2", "s1")
	// The wait condition holds the stack until a machine signals it: do so
	// with the handle's curl_cli, as a server's user_data would.
	var handle map[string]any
	deadline := time.Now().Add(60 * time.Second)
	for {
		o.json(&handle, "stack", "resource", "show", "s1", "handle")
		if handle["resource_status"] == "CREATE_COMPLETE" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("handle is %v", handle["resource_status"])
		}
		time.Sleep(200 * time.Millisecond)
	}
	attrs, _ := handle["attributes"].(map[string]any)
	curl, _ := attrs["curl_cli"].(string)
	if !strings.HasPrefix(curl, "curl ") {
		t.Fatalf("curl_cli = %q", curl)
	}
	sig := exec.CommandContext(t.Context(), "sh", "-c", curl+` --data-binary '{"status": "SUCCESS", "reason": "booted", "data": "hello"}'`)
	if b, err := sig.CombinedOutput(); err != nil || !strings.Contains(string(b), "200") {
		t.Fatalf("signal with curl_cli: %v\n%s", err, b)
	}
	o.waitStack("s1", "CREATE_COMPLETE")

	var stacks []map[string]any
	o.json(&stacks, "stack", "list")
	if len(stacks) != 1 || stacks[0]["Stack Name"] != "s1" {
		t.Fatalf("stack list: %v", stacks)
	}
	var chain map[string]any
	o.json(&chain, "stack", "output", "show", "s1", "chain")
	if chain["output_value"] != "s1-first then second" {
		t.Fatalf("chain output: %v", chain)
	}
	var data map[string]any
	o.json(&data, "stack", "output", "show", "s1", "wait_data")
	if !strings.Contains(data["output_value"].(string), "hello") {
		t.Fatalf("wait condition data: %v", data)
	}
	var members map[string]any
	o.json(&members, "stack", "output", "show", "s1", "members")
	if got, _ := json.Marshal(members["output_value"]); string(got) != `["member-0","member-1"]` {
		t.Fatalf("members output: %s", got)
	}
	var resources []map[string]any
	o.json(&resources, "stack", "resource", "list", "s1")
	names := map[string]bool{}
	for _, r := range resources {
		names[r["resource_name"].(string)] = true
	}
	for _, want := range []string{"group", "first", "second", "handle", "wait"} {
		if !names[want] {
			t.Fatalf("resource list lacks %s: %v", want, resources)
		}
	}
	var events []map[string]any
	o.json(&events, "stack", "event", "list", "s1")
	if len(events) < 10 {
		t.Fatalf("only %d events", len(events))
	}

	// An update that changes the count.
	o.run("stack", "update", "--existing", "--parameter", "count=3", "s1")
	o.waitStack("s1", "UPDATE_COMPLETE")
	o.json(&resources, "stack", "resource", "list", "--nested-depth", "2", "s1")
	var memberNames []string
	for _, r := range resources {
		if r["resource_type"] == filepath.Join(dir, "member.yaml") || strings.HasSuffix(r["resource_type"].(string), "member.yaml") {
			memberNames = append(memberNames, r["resource_name"].(string))
		}
	}
	slices.Sort(memberNames)
	if strings.Join(memberNames, ",") != "0,1,2" {
		t.Fatalf("members after update: %v (resources %v)", memberNames, resources)
	}
	o.json(&members, "stack", "output", "show", "s1", "members")
	if got, _ := json.Marshal(members["output_value"]); string(got) != `["member-0","member-1","member-2"]` {
		t.Fatalf("members output after update: %s", got)
	}

	o.run("stack", "delete", "--yes", "--wait", "s1")
	o.json(&stacks, "stack", "list")
	if len(stacks) != 0 {
		t.Fatalf("stacks after delete: %v", stacks)
	}
	if _, err := os.Stat(main); err != nil {
		t.Fatal(err)
	}
}
