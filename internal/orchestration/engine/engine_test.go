package engine_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/engine"
	"github.com/slipway/slipway/internal/orchestration/hot"
	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/orchestration/resources/heat"
	"github.com/slipway/slipway/internal/secrets"
	"github.com/slipway/slipway/internal/store"
	storesql "github.com/slipway/slipway/internal/store/sql"
)

// counted is a test plugin that counts what it does per resource name and
// can pretend to crash right after creating: with hang set it creates,
// then blocks until its context ends and reports the interruption.
type counted struct {
	mu      sync.Mutex
	exists  map[string]bool
	creates map[string]int
	deletes map[string]int
	hanging chan string
	// crashing makes resources with hang set hang after they are created.
	crashing atomic.Bool
}

func newCounted() *counted {
	return &counted{exists: map[string]bool{}, creates: map[string]int{}, deletes: map[string]int{},
		hanging: make(chan string, 100)}
}

func (c *counted) Schema() *hot.Schema {
	return &hot.Schema{Properties: map[string]hot.PropertySchema{
		"value": resources.String(resources.Updatable()),
		"hang":  resources.Boolean(resources.Default(false)),
	}, Attributes: resources.Attrs("value", "the value")}
}

func (c *counted) Create(ctx context.Context, r *resources.Resource) (string, error) {
	c.mu.Lock()
	c.exists[r.PhysicalID] = true
	c.creates[r.Name]++
	c.mu.Unlock()
	if b, _ := r.Properties["hang"].(bool); b && c.crashing.Load() {
		c.hanging <- r.Name
		<-ctx.Done()
		return "", ctx.Err()
	}
	return r.PhysicalID, nil
}

func (c *counted) Update(context.Context, *resources.Resource, *resources.Resource) error { return nil }

func (c *counted) Delete(_ context.Context, r *resources.Resource) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.exists, r.PhysicalID)
	c.deletes[r.Name]++
	return nil
}

func (c *counted) Check(_ context.Context, r *resources.Resource) (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exists[r.PhysicalID], nil
}

func (c *counted) Attributes(_ context.Context, r *resources.Resource) (map[string]any, error) {
	return map[string]any{"value": r.Properties["value"]}, nil
}

func (c *counted) count(m map[string]int, name string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return m[name]
}

type fixture struct {
	svc     *engine.Service
	st      store.Store
	counted *counted
}

func newFixture(t *testing.T, opts engine.Options) *fixture {
	t.Helper()
	key, err := secrets.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	box, err := secrets.NewBox(key)
	if err != nil {
		t.Fatal(err)
	}
	st, err := storesql.Open(t.Context(), filepath.Join(t.TempDir(), "db"), box)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	reg := resources.NewRegistry("local")
	if err := heat.Register(reg); err != nil {
		t.Fatal(err)
	}
	c := newCounted()
	if err := reg.Register("Test::Counted", c); err != nil {
		t.Fatal(err)
	}
	reg.Declare("OS::Nova::Server", &hot.Schema{Properties: map[string]hot.PropertySchema{
		"flavor": resources.String(resources.Required()),
	}})
	if opts.Log == nil {
		opts.Log = slog.New(slog.DiscardHandler)
	}
	if opts.PublicURL == "" {
		opts.PublicURL = "http://orchestration.test/v1"
	}
	if opts.PollInterval == 0 {
		opts.PollInterval = 10 * time.Millisecond
	}
	if opts.WatchInterval == 0 {
		opts.WatchInterval = 10 * time.Millisecond
	}
	return &fixture{svc: engine.New(st, reg, opts), st: st, counted: c}
}

func (f *fixture) create(t *testing.T, name, tmpl string, params map[string]string, mod ...func(*engine.StackRequest)) *model.Stack {
	t.Helper()
	req := engine.StackRequest{ProjectID: "p1", UserID: "u1", Name: name, Template: tmpl, Parameters: params}
	for _, m := range mod {
		m(&req)
	}
	st, err := f.svc.Create(t.Context(), req)
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	return st
}

// reconcile runs the stack's operation to its end and returns the stack.
func (f *fixture) reconcile(t *testing.T, id string) *model.Stack {
	t.Helper()
	if err := f.svc.Reconcile(t.Context(), id, false); err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	st, err := f.svc.Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func (f *fixture) resources(t *testing.T, id string) map[string]*model.StackResource {
	t.Helper()
	rs, err := f.svc.Resources(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*model.StackResource{}
	for _, r := range rs {
		out[r.Name] = r
	}
	return out
}

func (f *fixture) events(t *testing.T, id string) []*model.StackEvent {
	t.Helper()
	evs, err := store.List[model.StackEvent](t.Context(), f.st, store.Query{Parent: id})
	if err != nil {
		t.Fatal(err)
	}
	return evs
}

func output(st *model.Stack, key string) any {
	for _, o := range st.Outputs {
		if o.Key == key {
			if o.Error != "" {
				return "error: " + o.Error
			}
			return o.Value
		}
	}
	return nil
}

func wantStatus(t *testing.T, st *model.Stack, want string) {
	t.Helper()
	if st.StackStatus() != want {
		t.Fatalf("stack status %s (%s), want %s", st.StackStatus(), st.StatusReason, want)
	}
}

const chainTemplate = `
heat_template_version: 2018-08-31
parameters:
  greeting:
    type: string
    default: hello
  length:
    type: number
    default: 16
resources:
  nothing:
    type: OS::Heat::None
    properties:
      anything: goes
  first:
    type: OS::Heat::Value
    properties:
      value: {get_param: greeting}
  second:
    type: OS::Heat::Value
    properties:
      value: {str_replace: {template: "$x world", params: {$x: {get_attr: [first, value]}}}}
  secret:
    type: OS::Heat::RandomString
    properties:
      length: {get_param: length}
      character_classes: [{class: digits, min: 4}, {class: uppercase, min: 2}]
  test:
    type: OS::Heat::TestResource
    properties:
      value: {get_attr: [second, value]}
outputs:
  greeting:
    value: {get_attr: [test, output]}
  secret_length:
    value: {yaql: {expression: "$.data.s.len()", data: {s: {get_attr: [secret, value]}}}}
  secret_ref:
    value: {get_resource: secret}
`

func TestCreateUpdateDelete(t *testing.T) {
	t.Parallel()
	f := newFixture(t, engine.Options{})
	st := f.create(t, "chain", chainTemplate, nil)
	wantStatus(t, st, "CREATE_IN_PROGRESS")
	st = f.reconcile(t, st.UUID)
	wantStatus(t, st, "CREATE_COMPLETE")
	if got := output(st, "greeting"); got != "hello world" {
		t.Errorf("output greeting = %v, want hello world", got)
	}
	rs := f.resources(t, st.UUID)
	if len(rs) != 5 {
		t.Fatalf("%d resources, want 5", len(rs))
	}
	secret, _ := rs["secret"].Attributes["value"].(string)
	if len(secret) != 16 || !strings.ContainsAny(secret, "0123456789") {
		t.Errorf("random string %q: want 16 characters with digits", secret)
	}
	if got := output(st, "secret_ref"); got != secret {
		t.Errorf("get_resource on a RandomString = %v, want its value", got)
	}
	for name, r := range rs {
		if r.ResourceStatus() != "CREATE_COMPLETE" || r.PhysicalID == "" {
			t.Errorf("resource %s: %s %q", name, r.ResourceStatus(), r.PhysicalID)
		}
	}
	if got := rs["test"].DependsOn; len(got) != 1 || got[0] != "second" {
		t.Errorf("test depends on %v, want [second]", got)
	}
	if got := rs["first"].RequiredBy; len(got) != 1 || got[0] != "second" {
		t.Errorf("first required by %v, want [second]", got)
	}

	// Update: the greeting changes in place down the chain; a new length
	// replaces the random string.
	testID := rs["test"].PhysicalID
	st, err := f.svc.Update(t.Context(), st.UUID, engine.StackRequest{Existing: true,
		Parameters: map[string]string{"greeting": "goodbye", "length": "20"}})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	st = f.reconcile(t, st.UUID)
	wantStatus(t, st, "UPDATE_COMPLETE")
	if got := output(st, "greeting"); got != "goodbye world" {
		t.Errorf("output greeting = %v, want goodbye world", got)
	}
	if got := output(st, "secret_length"); fmt.Sprint(got) != "20" {
		t.Errorf("secret length = %v, want 20", got)
	}
	rs = f.resources(t, st.UUID)
	if rs["test"].PhysicalID != testID || rs["test"].ResourceStatus() != "UPDATE_COMPLETE" {
		t.Errorf("test resource %s %s: want updated in place (%s)", rs["test"].PhysicalID, rs["test"].ResourceStatus(), testID)
	}
	if rs["nothing"].ResourceStatus() != "CREATE_COMPLETE" {
		t.Errorf("None resource is %s; want it untouched", rs["nothing"].ResourceStatus())
	}
	if len(rs["secret"].Replaced) != 0 {
		t.Errorf("replaced random string not cleaned up: %+v", rs["secret"].Replaced)
	}

	if err := f.svc.Delete(t.Context(), st.UUID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	st = f.reconcile(t, st.UUID)
	wantStatus(t, st, "DELETE_COMPLETE")
	if rs := f.resources(t, st.UUID); len(rs) != 0 {
		t.Errorf("%d resources left after delete", len(rs))
	}
	// The name is free again.
	f.create(t, "chain", chainTemplate, nil)
}

func TestReconcileTwiceIsOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, engine.Options{})
	st := f.create(t, "twice", `
heat_template_version: 2018-08-31
resources:
  a: {type: Test::Counted, properties: {value: a}}
  b: {type: Test::Counted, properties: {value: {get_attr: [a, value]}}}
`, nil)
	st = f.reconcile(t, st.UUID)
	wantStatus(t, st, "CREATE_COMPLETE")
	events := len(f.events(t, st.UUID))
	rev := st.Revision
	st = f.reconcile(t, st.UUID)
	if st.Revision != rev || len(f.events(t, st.UUID)) != events {
		t.Errorf("a second reconcile changed the stack (revision %d → %d, events %d → %d)",
			rev, st.Revision, events, len(f.events(t, st.UUID)))
	}
	// A no-op update changes no resource.
	st, err := f.svc.Update(t.Context(), st.UUID, engine.StackRequest{Existing: true})
	if err != nil {
		t.Fatal(err)
	}
	st = f.reconcile(t, st.UUID)
	wantStatus(t, st, "UPDATE_COMPLETE")
	for _, name := range []string{"a", "b"} {
		if n := f.counted.count(f.counted.creates, name); n != 1 {
			t.Errorf("%s created %d times, want once", name, n)
		}
	}
	for _, r := range f.resources(t, st.UUID) {
		if r.ResourceStatus() != "CREATE_COMPLETE" {
			t.Errorf("%s is %s after a no-op update", r.Name, r.ResourceStatus())
		}
	}
}

const groupTemplate = `
heat_template_version: 2018-08-31
parameters:
  count: {type: number, default: 3}
resources:
  group:
    type: OS::Heat::ResourceGroup
    properties:
      count: {get_param: count}
      resource_def:
        type: OS::Heat::Value
        properties:
          value: member-%index%
  after:
    type: OS::Heat::Value
    properties:
      value: {get_attr: [group, value]}
outputs:
  values: {value: {get_attr: [group, value]}}
  refs: {value: {get_attr: [group, refs]}}
  first: {value: {get_attr: [group, resource.0, value]}}
`

func TestResourceGroupCountChanges(t *testing.T) {
	t.Parallel()
	f := newFixture(t, engine.Options{})
	st := f.create(t, "group", groupTemplate, nil)
	st = f.reconcile(t, st.UUID)
	wantStatus(t, st, "CREATE_COMPLETE")
	check := func(want ...string) {
		t.Helper()
		got := output(st, "values")
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("group values %v, want %v", got, want)
		}
		refs, _ := output(st, "refs").([]any)
		if len(refs) != len(want) {
			t.Errorf("%d refs, want %d", len(refs), len(want))
		}
		group := f.resources(t, st.UUID)["group"]
		nested, err := f.svc.Get(t.Context(), group.NestedID)
		if err != nil {
			t.Fatalf("nested stack of the group: %v", err)
		}
		if nested.ParentID != st.UUID || nested.ParentResource != "group" || nested.RootID != st.UUID {
			t.Errorf("nested stack parent %s/%s root %s", nested.ParentID, nested.ParentResource, nested.RootID)
		}
		if len(f.resources(t, nested.UUID)) != len(want) {
			t.Errorf("nested stack has %d members, want %d", len(f.resources(t, nested.UUID)), len(want))
		}
	}
	check("member-0", "member-1", "member-2")
	if got := output(st, "first"); got != "member-0" {
		t.Errorf("resource.0 value = %v", got)
	}
	for _, count := range []struct {
		n    string
		want []string
	}{
		{"5", []string{"member-0", "member-1", "member-2", "member-3", "member-4"}},
		{"2", []string{"member-0", "member-1"}},
	} {
		var err error
		st, err = f.svc.Update(t.Context(), st.UUID, engine.StackRequest{Existing: true,
			Parameters: map[string]string{"count": count.n}})
		if err != nil {
			t.Fatal(err)
		}
		st = f.reconcile(t, st.UUID)
		wantStatus(t, st, "UPDATE_COMPLETE")
		check(count.want...)
		if v := f.resources(t, st.UUID)["after"].Attributes["value"]; fmt.Sprint(v) != fmt.Sprint(count.want) {
			t.Errorf("dependent of the group saw %v, want %v", v, count.want)
		}
	}
	if err := f.svc.Delete(t.Context(), st.UUID); err != nil {
		t.Fatal(err)
	}
	st = f.reconcile(t, st.UUID)
	wantStatus(t, st, "DELETE_COMPLETE")
	stacks, err := store.List[model.Stack](t.Context(), f.st, store.Query{Parent: st.UUID})
	if err != nil {
		t.Fatal(err)
	}
	if len(stacks) != 0 {
		t.Errorf("%d nested stacks left after delete", len(stacks))
	}
}

func TestTemplateResourceAndNestedGroup(t *testing.T) {
	t.Parallel()
	f := newFixture(t, engine.Options{})
	member := `
heat_template_version: 2018-08-31
parameters:
  index: {type: string}
  names: {type: comma_delimited_list, default: "a,b"}
resources:
  value:
    type: OS::Heat::Value
    properties:
      value: {list_join: ["-", [node, {get_param: index}, {get_param: [names, 1]}]]}
outputs:
  name: {value: {get_attr: [value, value]}}
`
	st := f.create(t, "nested", `
heat_template_version: 2018-08-31
resources:
  nodes:
    type: OS::Heat::ResourceGroup
    properties:
      count: 2
      resource_def:
        type: Slipway::Node
        properties:
          index: "%index%"
outputs:
  names: {value: {get_attr: [nodes, name]}}
`, nil, func(r *engine.StackRequest) {
		r.Files = map[string]string{"member.yaml": member}
		r.Environment = "resource_registry:\n  Slipway::Node: member.yaml\n"
	})
	st = f.reconcile(t, st.UUID)
	wantStatus(t, st, "CREATE_COMPLETE")
	if got := fmt.Sprint(output(st, "names")); got != "[node-0-b node-1-b]" {
		t.Errorf("names = %s", got)
	}
}

func TestWaitConditionSignalled(t *testing.T) {
	t.Parallel()
	f := newFixture(t, engine.Options{})
	st := f.create(t, "wait", `
heat_template_version: 2018-08-31
resources:
  handle:
    type: OS::Heat::WaitConditionHandle
  wait:
    type: OS::Heat::WaitCondition
    properties:
      handle: {get_resource: handle}
      count: 2
      timeout: 60
outputs:
  curl: {value: {get_attr: [handle, curl_cli]}}
  data: {value: {get_attr: [wait, data]}}
`, nil)
	done := make(chan error, 1)
	go func() { done <- f.svc.Reconcile(t.Context(), st.UUID, false) }()
	// Signal once the handle exists.
	waitFor(t, "the handle", func() bool {
		h := f.resources(t, st.UUID)["handle"]
		return h != nil && h.ResourceStatus() == "CREATE_COMPLETE"
	})
	if err := f.svc.Signal(t.Context(), st.UUID, "handle", []byte(`{"status": "SUCCESS", "data": "one"}`)); err != nil {
		t.Fatalf("Signal: %v", err)
	}
	if err := f.svc.Signal(t.Context(), st.UUID, "handle", nil); err != nil {
		t.Fatalf("Signal: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Reconcile: %v", err)
	}
	st, _ = f.svc.Get(t.Context(), st.UUID)
	wantStatus(t, st, "CREATE_COMPLETE")
	curl, _ := output(st, "curl").(string)
	wantURL := "http://orchestration.test/v1/p1/stacks/wait/" + st.UUID + "/resources/handle/signal"
	token := f.resources(t, st.UUID)["handle"].Data[resources.SignalTokenKey]
	if !strings.Contains(curl, wantURL) || !strings.Contains(curl, "X-Auth-Token: "+token) {
		t.Errorf("curl_cli %q: want the signal URL %s and the token", curl, wantURL)
	}
	if err := f.svc.CheckSignalToken(t.Context(), st.UUID, "handle", token); err != nil {
		t.Errorf("CheckSignalToken with the handle's token: %v", err)
	}
	if err := f.svc.CheckSignalToken(t.Context(), st.UUID, "handle", "nope"); !errors.Is(err, model.ErrUnauthorized) {
		t.Errorf("CheckSignalToken with a bad token: %v", err)
	}
	if got := output(st, "data"); got != `{"1":"one","2":null}` {
		t.Errorf("wait condition data = %v", got)
	}
	if err := f.svc.Signal(t.Context(), st.UUID, "wait", nil); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("signalling a wait condition itself: %v, want an invalid-input error", err)
	}
}

func TestWaitConditionFailureSignal(t *testing.T) {
	t.Parallel()
	f := newFixture(t, engine.Options{})
	st := f.create(t, "waitfail", `
heat_template_version: 2018-08-31
resources:
  handle: {type: OS::Heat::WaitConditionHandle}
  wait:
    type: OS::Heat::WaitCondition
    properties: {handle: {get_resource: handle}, timeout: 60}
`, nil, func(r *engine.StackRequest) { r.DisableRollback = true })
	done := make(chan error, 1)
	go func() { done <- f.svc.Reconcile(t.Context(), st.UUID, false) }()
	waitFor(t, "the handle", func() bool {
		h := f.resources(t, st.UUID)["handle"]
		return h != nil && h.ResourceStatus() == "CREATE_COMPLETE"
	})
	if err := f.svc.Signal(t.Context(), st.UUID, "handle", []byte(`{"status": "FAILURE", "reason": "kubelet did not start"}`)); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st, _ = f.svc.Get(t.Context(), st.UUID)
	wantStatus(t, st, "CREATE_FAILED")
	if !strings.Contains(st.StatusReason, "kubelet did not start") {
		t.Errorf("status reason %q does not carry the signal's reason", st.StatusReason)
	}
}

const failingTemplate = `
heat_template_version: 2018-08-31
resources:
  good: {type: Test::Counted, properties: {value: ok}}
  bad:
    type: OS::Heat::TestResource
    depends_on: good
    properties: {fail: true}
  never:
    type: Test::Counted
    depends_on: bad
`

func TestCreateFailure(t *testing.T) {
	t.Parallel()
	t.Run("rollback", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, engine.Options{})
		st := f.reconcile(t, f.create(t, "fail", failingTemplate, nil).UUID)
		wantStatus(t, st, "ROLLBACK_COMPLETE")
		if !strings.Contains(st.StatusReason, "Test Resource failed bad") {
			t.Errorf("reason %q does not say what failed", st.StatusReason)
		}
		if rs := f.resources(t, st.UUID); len(rs) != 0 {
			t.Errorf("%d resources left after rollback", len(rs))
		}
		if f.counted.count(f.counted.deletes, "good") != 1 || f.counted.count(f.counted.creates, "never") != 0 {
			t.Errorf("rollback: good deleted %d times, never created %d times",
				f.counted.count(f.counted.deletes, "good"), f.counted.count(f.counted.creates, "never"))
		}
	})
	t.Run("no rollback", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, engine.Options{})
		st := f.create(t, "fail", failingTemplate, nil, func(r *engine.StackRequest) { r.DisableRollback = true })
		st = f.reconcile(t, st.UUID)
		wantStatus(t, st, "CREATE_FAILED")
		want := "Resource CREATE failed: resources.bad: Test Resource failed bad"
		if st.StatusReason != want {
			t.Errorf("reason %q, want %q", st.StatusReason, want)
		}
		rs := f.resources(t, st.UUID)
		if rs["good"].ResourceStatus() != "CREATE_COMPLETE" || rs["bad"].ResourceStatus() != "CREATE_FAILED" || rs["never"] != nil {
			t.Errorf("resources after failure: good %v bad %v never %v", rs["good"], rs["bad"], rs["never"])
		}
		// Fixing the template and updating replaces the failed resource.
		fixed := strings.Replace(failingTemplate, "fail: true", "fail: false", 1)
		st, err := f.svc.Update(t.Context(), st.UUID, engine.StackRequest{Template: fixed})
		if err != nil {
			t.Fatal(err)
		}
		st = f.reconcile(t, st.UUID)
		wantStatus(t, st, "UPDATE_COMPLETE")
		if f.counted.count(f.counted.creates, "good") != 1 {
			t.Errorf("good created %d times", f.counted.count(f.counted.creates, "good"))
		}
	})
	t.Run("unimplemented type", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t, engine.Options{})
		st := f.create(t, "server", `
heat_template_version: 2018-08-31
resources:
  server: {type: OS::Nova::Server, properties: {flavor: m1.small}}
`, nil, func(r *engine.StackRequest) { r.DisableRollback = true })
		st = f.reconcile(t, st.UUID)
		wantStatus(t, st, "CREATE_FAILED")
		if want := `OS::Nova::Server is not implemented by provider "local" yet`; !strings.Contains(st.StatusReason, want) {
			t.Errorf("reason %q, want it to say %q", st.StatusReason, want)
		}
		if err := f.svc.Delete(t.Context(), st.UUID); err != nil {
			t.Fatal(err)
		}
		wantStatus(t, f.reconcile(t, st.UUID), "DELETE_COMPLETE")
	})
}

func TestRetainPolicy(t *testing.T) {
	t.Parallel()
	f := newFixture(t, engine.Options{})
	st := f.reconcile(t, f.create(t, "retain", `
heat_template_version: 2018-08-31
resources:
  kept: {type: Test::Counted, deletion_policy: Retain}
  gone: {type: Test::Counted}
`, nil).UUID)
	wantStatus(t, st, "CREATE_COMPLETE")
	if err := f.svc.Delete(t.Context(), st.UUID); err != nil {
		t.Fatal(err)
	}
	wantStatus(t, f.reconcile(t, st.UUID), "DELETE_COMPLETE")
	if f.counted.count(f.counted.deletes, "kept") != 0 || f.counted.count(f.counted.deletes, "gone") != 1 {
		t.Errorf("deletes: kept %d (want 0), gone %d (want 1)",
			f.counted.count(f.counted.deletes, "kept"), f.counted.count(f.counted.deletes, "gone"))
	}
}

func TestTimeout(t *testing.T) {
	t.Parallel()
	f := newFixture(t, engine.Options{DefaultTimeout: 200 * time.Millisecond})
	st := f.create(t, "slow", `
heat_template_version: 2018-08-31
resources:
  slow: {type: OS::Heat::TestResource, properties: {wait_secs: 30}}
`, nil, func(r *engine.StackRequest) { r.DisableRollback = true })
	start := time.Now()
	st = f.reconcile(t, st.UUID)
	wantStatus(t, st, "CREATE_FAILED")
	if !strings.Contains(st.StatusReason, "timed out") {
		t.Errorf("reason %q does not say it timed out", st.StatusReason)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the timeout took %s", d)
	}
	if r := f.resources(t, st.UUID)["slow"]; r.ResourceStatus() != "CREATE_FAILED" {
		t.Errorf("slow resource %s", r.ResourceStatus())
	}
}

func TestResumeCreatesEachResourceOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, engine.Options{Concurrency: 4})
	var b strings.Builder
	b.WriteString("heat_template_version: 2018-08-31\nresources:\n")
	const n = 30
	for i := range n {
		fmt.Fprintf(&b, "  r%d:\n    type: Test::Counted\n    properties: {value: v%d, hang: %v}\n", i, i, i%10 == 3)
		if i >= 20 {
			fmt.Fprintf(&b, "    depends_on: r%d\n", i-17)
		}
	}
	st := f.create(t, "resume", b.String(), nil)

	// The first run "crashes" once the hanging resources are created.
	f.counted.crashing.Store(true)
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- f.svc.Reconcile(ctx, st.UUID, false) }()
	for range 2 {
		<-f.counted.hanging
	}
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("the interrupted reconcile reported success")
	}
	f.counted.crashing.Store(false)
	mid, _ := f.svc.Get(t.Context(), st.UUID)
	wantStatus(t, mid, "CREATE_IN_PROGRESS")

	st = f.reconcile(t, st.UUID)
	wantStatus(t, st, "CREATE_COMPLETE")
	for i := range n {
		name := fmt.Sprintf("r%d", i)
		if c := f.counted.count(f.counted.creates, name); c != 1 {
			t.Errorf("%s created %d times, want once", name, c)
		}
	}
}

func TestCancelUpdateRollsBack(t *testing.T) {
	t.Parallel()
	f := newFixture(t, engine.Options{})
	tmpl := `
heat_template_version: 2018-08-31
parameters:
  value: {type: string, default: one}
  wait: {type: number, default: 0}
resources:
  r:
    type: OS::Heat::TestResource
    properties:
      value: {get_param: value}
      action_wait_secs: {update: {get_param: wait}}
outputs:
  value: {value: {get_attr: [r, output]}}
`
	st := f.reconcile(t, f.create(t, "cancel", tmpl, nil).UUID)
	wantStatus(t, st, "CREATE_COMPLETE")
	st, err := f.svc.Update(t.Context(), st.UUID, engine.StackRequest{Existing: true,
		Parameters: map[string]string{"value": "two", "wait": "60"}})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- f.svc.Reconcile(t.Context(), st.UUID, false) }()
	waitFor(t, "the update to start", func() bool {
		return f.resources(t, st.UUID)["r"].ResourceStatus() == "UPDATE_IN_PROGRESS"
	})
	if err := f.svc.Cancel(t.Context(), st.UUID); err != nil {
		t.Fatalf("Cancel: %v", err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	st, _ = f.svc.Get(t.Context(), st.UUID)
	wantStatus(t, st, "ROLLBACK_COMPLETE")
	if got := output(st, "value"); got != "one" {
		t.Errorf("after the cancel the value is %v, want one", got)
	}
	if err := f.svc.Cancel(t.Context(), st.UUID); !errors.Is(err, model.ErrInvalid) {
		t.Errorf("Cancel with no update in progress: %v", err)
	}
}

func TestRequestsAreValidated(t *testing.T) {
	t.Parallel()
	f := newFixture(t, engine.Options{})
	f.create(t, "taken", chainTemplate, nil)
	for _, tc := range []struct {
		name, stack, tmpl string
		params            map[string]string
		want              error
		msg               string
	}{
		{"duplicate name", "taken", chainTemplate, nil, model.ErrConflict, "The Stack (taken) already exists."},
		{"bad name", "1st", chainTemplate, nil, model.ErrInvalid, "Invalid stack name 1st"},
		{"unknown type", "x", "heat_template_version: 2018-08-31\nresources:\n  a: {type: OS::Nope}\n", nil,
			model.ErrInvalid, "resources.a.type: The Resource Type (OS::Nope) could not be found."},
		{"bad reference", "x", "heat_template_version: 2018-08-31\nresources:\n  a: {type: OS::Heat::Value, properties: {value: {get_resource: b}}}\n", nil,
			model.ErrInvalid, `The specified reference "b"`},
		{"bad parameter", "x", chainTemplate, map[string]string{"length": "many"}, model.ErrInvalid, "Parameter 'length' is invalid"},
	} {
		_, err := f.svc.Create(t.Context(), engine.StackRequest{ProjectID: "p1", Name: tc.stack, Template: tc.tmpl, Parameters: tc.params})
		if !errors.Is(err, tc.want) || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: got %v, want %v containing %q", tc.name, err, tc.want, tc.msg)
		}
	}
}

func TestDeleteDuringCreateTakesOver(t *testing.T) {
	t.Parallel()
	f := newFixture(t, engine.Options{})
	st := f.create(t, "interrupted", `
heat_template_version: 2018-08-31
resources:
  fast: {type: Test::Counted}
  slow: {type: OS::Heat::TestResource, properties: {action_wait_secs: {create: 60}}}
`, nil)
	done := make(chan error, 1)
	go func() { done <- f.svc.Reconcile(t.Context(), st.UUID, false) }()
	waitFor(t, "the slow resource to start", func() bool {
		r := f.resources(t, st.UUID)["slow"]
		return r != nil && r.ResourceStatus() == "CREATE_IN_PROGRESS"
	})
	if err := f.svc.Delete(t.Context(), st.UUID); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the delete did not take over the create")
	}
	st, _ = f.svc.Get(t.Context(), st.UUID)
	wantStatus(t, st, "DELETE_COMPLETE")
	if len(f.resources(t, st.UUID)) != 0 {
		t.Error("resources left after the delete")
	}
}

func TestNestedStackSeesItsFacade(t *testing.T) {
	t.Parallel()
	f := newFixture(t, engine.Options{})
	st := f.reconcile(t, f.create(t, "facade", `
heat_template_version: 2018-08-31
resources:
  child:
    type: child.yaml
    metadata: {role: worker}
outputs:
  role: {value: {get_attr: [child, role]}}
`, nil, func(r *engine.StackRequest) {
		r.Files = map[string]string{"child.yaml": `
heat_template_version: 2018-08-31
resources:
  v:
    type: OS::Heat::Value
    properties: {value: {get_attr: [x, y]}}
    depends_on: []
  x: {type: OS::Heat::None}
outputs:
  role: {value: {resource_facade: metadata}}
`}
	}).UUID)
	wantStatus(t, st, "CREATE_COMPLETE")
	if got := fmt.Sprint(output(st, "role")); got != "map[role:worker]" {
		t.Errorf("resource_facade metadata = %s", got)
	}
}

func TestResumeNestedGroupCreatesEachMemberOnce(t *testing.T) {
	t.Parallel()
	f := newFixture(t, engine.Options{Concurrency: 3})
	st := f.create(t, "resume-group", `
heat_template_version: 2018-08-31
resources:
  group:
    type: OS::Heat::ResourceGroup
    properties:
      count: 12
      resource_def: {type: Test::Counted, properties: {value: "m%index%", hang: true}}
outputs:
  values: {value: {get_attr: [group, value]}}
`, nil)
	f.counted.crashing.Store(true)
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- f.svc.Reconcile(ctx, st.UUID, false) }()
	for range 3 {
		<-f.counted.hanging
	}
	cancel()
	if err := <-errc; err == nil {
		t.Fatal("a reconcile cancelled mid-create reported success")
	}
	f.counted.crashing.Store(false)
	st = f.reconcile(t, st.UUID)
	wantStatus(t, st, "CREATE_COMPLETE")
	if vals, _ := output(st, "values").([]any); len(vals) != 12 {
		t.Errorf("group values %v", output(st, "values"))
	}
	for i := range 12 {
		if c := f.counted.count(f.counted.creates, strconv.Itoa(i)); c != 1 {
			t.Errorf("member %d created %d times, want once", i, c)
		}
	}
}
