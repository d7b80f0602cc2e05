package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/engine"
	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/orchestration/resources/heat"
)

// waitFor polls until cond holds or the test's deadline nears.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestAutoScalingGroupScalesOnSignal(t *testing.T) {
	t.Parallel()
	f := newFixture(t, engine.Options{})
	st := f.reconcile(t, f.create(t, "asg", `
heat_template_version: 2018-08-31
resources:
  asg:
    type: OS::Heat::AutoScalingGroup
    properties:
      min_size: 1
      max_size: 4
      desired_capacity: 2
      resource: {type: OS::Heat::Value, properties: {value: node}}
  up:
    type: OS::Heat::ScalingPolicy
    properties: {auto_scaling_group_id: {get_resource: asg}, adjustment_type: change_in_capacity, scaling_adjustment: 3}
  down:
    type: OS::Heat::ScalingPolicy
    properties: {auto_scaling_group_id: {get_resource: asg}, adjustment_type: exact_capacity, scaling_adjustment: 1, cooldown: 3600}
outputs:
  size: {value: {get_attr: [asg, current_size]}}
  values: {value: {get_attr: [asg, outputs_list, value]}}
  url: {value: {get_attr: [up, alarm_url]}}
`, nil).UUID)
	wantStatus(t, st, "CREATE_COMPLETE")
	if got := fmt.Sprint(output(st, "size")); got != "2" {
		t.Fatalf("initial size %s, want 2", got)
	}
	if url, _ := output(st, "url").(string); !strings.Contains(url, "/resources/up/signal?token=") {
		t.Errorf("alarm_url %q", url)
	}
	// Scaling up by 3 stops at max_size.
	if err := f.svc.Signal(t.Context(), st.UUID, "up", nil); err != nil {
		t.Fatalf("Signal: %v", err)
	}
	st = f.reconcile(t, st.UUID)
	wantStatus(t, st, "UPDATE_COMPLETE")
	if got := fmt.Sprint(output(st, "size")); got != "4" {
		t.Errorf("size after scaling up %s, want 4 (max_size)", got)
	}
	if got := fmt.Sprint(output(st, "values")); got != "[node node node node]" {
		t.Errorf("member values %s", got)
	}
	if err := f.svc.Signal(t.Context(), st.UUID, "down", nil); err != nil {
		t.Fatal(err)
	}
	st = f.reconcile(t, st.UUID)
	if got := fmt.Sprint(output(st, "size")); got != "1" {
		t.Errorf("size after exact_capacity 1: %s", got)
	}
	// The second signal falls in the cooldown.
	if err := f.svc.Signal(t.Context(), st.UUID, "down", nil); err == nil {
		t.Error("a signal in the cooldown was accepted")
	}
}

func TestSoftwareDeploymentWaitsForItsSignal(t *testing.T) {
	t.Parallel()
	f := newFixture(t, engine.Options{})
	st := f.create(t, "deploy", `
heat_template_version: 2018-08-31
resources:
  config:
    type: OS::Heat::SoftwareConfig
    properties:
      group: script
      config: "#!/bin/sh\necho $greeting\n"
      inputs: [{name: greeting}]
      outputs: [{name: result}]
  server: {type: OS::Heat::None}
  deploy:
    type: OS::Heat::SoftwareDeployment
    properties:
      config: {get_resource: config}
      server: {get_resource: server}
      input_values: {greeting: hello}
outputs:
  stdout: {value: {get_attr: [deploy, deploy_stdout]}}
  result: {value: {get_attr: [deploy, result]}}
`, nil, func(r *engine.StackRequest) { r.DisableRollback = true })
	done := make(chan error, 1)
	go func() { done <- f.svc.Reconcile(t.Context(), st.UUID, false) }()
	var dep *model.StackResource
	waitFor(t, "the deployment to be published", func() bool {
		dep = f.resources(t, st.UUID)["deploy"]
		return dep != nil && dep.ResourceStatus() == "CREATE_IN_PROGRESS"
	})
	if err := f.svc.Signal(t.Context(), st.UUID, "deploy", []byte(`{"deploy_stdout": "hello\n", "deploy_status_code": 0, "result": "ok"}`)); err != nil {
		t.Fatalf("Signal: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st, _ = f.svc.Get(t.Context(), st.UUID)
	wantStatus(t, st, "CREATE_COMPLETE")
	if output(st, "stdout") != "hello\n" || output(st, "result") != "ok" {
		t.Errorf("outputs %+v", st.Outputs)
	}
	dep = f.resources(t, st.UUID)["deploy"]
	var doc struct {
		Group  string           `json:"group"`
		Config string           `json:"config"`
		Inputs []map[string]any `json:"inputs"`
	}
	if err := json.Unmarshal([]byte(dep.Data[heat.DeploymentData]), &doc); err != nil {
		t.Fatalf("deployment document: %v", err)
	}
	inputs := map[string]any{}
	for _, in := range doc.Inputs {
		inputs[fmt.Sprint(in["name"])] = in["value"]
	}
	if doc.Group != "script" || !strings.Contains(doc.Config, "echo $greeting") || inputs["greeting"] != "hello" ||
		!strings.HasSuffix(fmt.Sprint(inputs["deploy_signal_id"]), "/resources/deploy/signal") ||
		inputs["deploy_auth_token"] != dep.Data[resources.SignalTokenKey] {
		t.Errorf("deployment document %+v", doc)
	}

	// A failed run fails the update with the status code.
	st, err := f.svc.Update(t.Context(), st.UUID, engine.StackRequest{Existing: true,
		Template: strings.Replace(st.Template, "greeting: hello", "greeting: bye", 1)})
	if err != nil {
		t.Fatal(err)
	}
	go func() { done <- f.svc.Reconcile(t.Context(), st.UUID, false) }()
	waitFor(t, "the update to start", func() bool {
		return f.resources(t, st.UUID)["deploy"].ResourceStatus() == "UPDATE_IN_PROGRESS"
	})
	if err := f.svc.Signal(t.Context(), st.UUID, "deploy", []byte(`{"deploy_status_code": 2}`)); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st, _ = f.svc.Get(t.Context(), st.UUID)
	wantStatus(t, st, "UPDATE_FAILED")
	if !strings.Contains(st.StatusReason, "non-zero status code: 2") {
		t.Errorf("reason %q", st.StatusReason)
	}
}

func TestConfigsAndNestedStack(t *testing.T) {
	t.Parallel()
	f := newFixture(t, engine.Options{})
	st := f.reconcile(t, f.create(t, "configs", `
heat_template_version: 2018-08-31
resources:
  cloud:
    type: OS::Heat::CloudConfig
    properties:
      cloud_config: {package_update: true, packages: [curl]}
  script:
    type: OS::Heat::SoftwareConfig
    properties: {config: "#!/bin/sh\ntrue\n"}
  mime:
    type: OS::Heat::MultipartMime
    properties:
      parts:
      - config: {get_resource: cloud}
      - config: {get_resource: script}
        filename: setup.sh
  structured:
    type: OS::Heat::StructuredConfig
    properties: {config: {a: [1, 2]}}
  inner:
    type: OS::Heat::Stack
    properties:
      template: {get_file: inner.yaml}
      parameters: {names: [x, y], n: 3}
outputs:
  cloud: {value: {get_attr: [cloud, config]}}
  mime: {value: {get_attr: [mime, config]}}
  structured: {value: {get_attr: [structured, config]}}
  inner: {value: {get_attr: [inner, outputs, joined]}}
`, nil, func(r *engine.StackRequest) {
		r.Files = map[string]string{"inner.yaml": `
heat_template_version: 2018-08-31
parameters:
  names: {type: comma_delimited_list}
  n: {type: number}
resources:
  v: {type: OS::Heat::Value, properties: {value: {list_join: [",", {get_param: names}]}}}
outputs:
  joined: {value: {str_replace: {template: "$v/$n", params: {$v: {get_attr: [v, value]}, $n: {get_param: n}}}}}
`}
	}).UUID)
	wantStatus(t, st, "CREATE_COMPLETE")
	if got, _ := output(st, "cloud").(string); !strings.HasPrefix(got, "#cloud-config\n") || !strings.Contains(got, "- curl") {
		t.Errorf("cloud config %q", got)
	}
	mime, _ := output(st, "mime").(string)
	if !strings.Contains(mime, "multipart/mixed") || !strings.Contains(mime, "text/cloud-config") ||
		!strings.Contains(mime, `filename="setup.sh"`) || !strings.Contains(mime, "#!/bin/sh") {
		t.Errorf("multipart %q", mime)
	}
	if got := fmt.Sprint(output(st, "structured")); got != "map[a:[1 2]]" {
		t.Errorf("structured config %s", got)
	}
	if got := output(st, "inner"); got != "x,y/3" {
		t.Errorf("nested stack output %v", got)
	}
	tree, err := f.svc.ResourceTree(t.Context(), st.UUID, 1)
	if err != nil {
		t.Fatal(err)
	}
	var nested []string
	for _, r := range tree {
		if r.Depth == 1 {
			nested = append(nested, r.StackName+"/"+r.Name)
		}
	}
	if len(nested) != 1 || !strings.HasPrefix(nested[0], "configs-inner-") || !strings.HasSuffix(nested[0], "/v") {
		t.Errorf("nested resources %v", nested)
	}
}

func TestResourceGroupRemovalPolicies(t *testing.T) {
	t.Parallel()
	f := newFixture(t, engine.Options{})
	tmpl := `
heat_template_version: 2018-08-31
parameters:
  count: {type: number, default: 3}
  remove: {type: comma_delimited_list, default: ""}
resources:
  group:
    type: OS::Heat::ResourceGroup
    properties:
      count: {get_param: count}
      removal_policies: [{resource_list: {get_param: remove}}]
      resource_def: {type: OS::Heat::Value, properties: {value: "n%index%"}}
outputs:
  values: {value: {get_attr: [group, value]}}
  removed: {value: {get_attr: [group, removed_rsrc_list]}}
`
	st := f.reconcile(t, f.create(t, "removal", tmpl, nil).UUID)
	wantStatus(t, st, "CREATE_COMPLETE")
	st, err := f.svc.Update(t.Context(), st.UUID, engine.StackRequest{Existing: true,
		Parameters: map[string]string{"count": "3", "remove": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	st = f.reconcile(t, st.UUID)
	wantStatus(t, st, "UPDATE_COMPLETE")
	if got := fmt.Sprint(output(st, "values")); got != "[n0 n2 n3]" {
		t.Errorf("values after removing member 1: %s, want [n0 n2 n3]", got)
	}
	if got := fmt.Sprint(output(st, "removed")); got != "[1]" {
		t.Errorf("removed_rsrc_list %s", got)
	}
}

func TestValidateDescribesParameters(t *testing.T) {
	t.Parallel()
	f := newFixture(t, engine.Options{})
	res, err := f.svc.Validate(t.Context(), engine.ValidateRequest{Template: `
heat_template_version: 2018-08-31
description: A cluster.
parameter_groups:
- label: sizing
  parameters: [count]
parameters:
  count:
    type: number
    label: Node count
    default: 1
    constraints: [{range: {min: 1, max: 10}, description: between one and ten}]
  password:
    type: string
    hidden: true
    constraints: [{length: {min: 8}}, {allowed_pattern: "[a-z]+"}]
resources:
  nodes:
    type: OS::Heat::ResourceGroup
    properties:
      count: {get_param: count}
      resource_def: {type: OS::Heat::None}
`, Environment: "parameter_defaults:\n  count: 3\n"})
	if err != nil {
		t.Fatalf("Validate: %v", err)
	}
	b, _ := json.Marshal(res)
	for _, want := range []string{`"Description":"A cluster."`, `"Type":"Number"`, `"Label":"Node count"`,
		`"MinValue":1`, `"MaxValue":10`, `"ConstraintDescription":"between one and ten"`, `"Value":3`,
		`"NoEcho":"true"`, `"MinLength":8`, `"AllowedPattern":"[a-z]+"`, `"ParameterGroups":[{"label":"sizing","parameters":["count"]}]`} {
		if !strings.Contains(string(b), want) {
			t.Errorf("validate result lacks %s:\n%s", want, b)
		}
	}
}

// TestResourceTreeWhileCreating lists the resources of nested stacks that
// are still being created: a group member waiting for its signal shows,
// two levels down, before the group is complete.
func TestResourceTreeWhileCreating(t *testing.T) {
	t.Parallel()
	f := newFixture(t, engine.Options{})
	st := f.create(t, "growing", `
heat_template_version: 2018-08-31
resources:
  group:
    type: OS::Heat::ResourceGroup
    properties:
      count: 1
      resource_def: {type: member.yaml}
`, nil, func(r *engine.StackRequest) {
		r.DisableRollback = true
		r.Files = map[string]string{"member.yaml": `
heat_template_version: 2018-08-31
resources:
  handle: {type: OS::Heat::WaitConditionHandle}
  wait: {type: OS::Heat::WaitCondition, properties: {handle: {get_resource: handle}, timeout: 600}}
`}
	})
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- f.svc.Reconcile(ctx, st.UUID, false) }()
	defer func() {
		cancel()
		if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("Reconcile after cancel: %v", err)
		}
	}()
	waitFor(t, "the member's wait condition in the tree", func() bool {
		tree, err := f.svc.ResourceTree(ctx, st.UUID, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range tree {
			if r.Depth == 2 && r.Name == "wait" && r.ResourceStatus() == "CREATE_IN_PROGRESS" {
				return true
			}
		}
		return false
	})
}
