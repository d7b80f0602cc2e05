package providertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/orchestration/resources"
	"github.com/slipway/slipway/internal/provider"
)

// Harness is a provider under test.
type Harness struct {
	// Registry holds the provider's plugins (and nothing needs more).
	Registry *resources.Registry
	// Servers, when set, is asked for each server's live state and console
	// log after its create.
	Servers provider.Servers
	// ExternalNetwork names the provider's external network; default
	// "public".
	ExternalNetwork string
	// Image and Flavor name a bootable image and a small flavor; defaults
	// "slipway-node" and "m1.tiny".
	Image, Flavor string
	// ProjectID owns the resources; default "providertest".
	ProjectID string
	// Verify, when set, is called after each create and update with the
	// step's name ("create", "update", "reapply") and the resource, for
	// checks only the provider's own test can make (inside a machine, on
	// the host).
	Verify func(t *testing.T, step string, r *resources.Resource)
	// Timeout bounds each plugin call; default 2 minutes.
	Timeout time.Duration
}

// Run creates, reads, re-applies, updates and deletes one resource of
// every type the registry implements among those the suite knows, in
// dependency order, then deletes them in reverse order and deletes each
// again. Types the registry does not implement are skipped, so a provider
// that implements fewer still runs what it has.
func Run(t *testing.T, h Harness) {
	t.Helper()
	if h.ExternalNetwork == "" {
		h.ExternalNetwork = "public"
	}
	if h.Image == "" {
		h.Image = "slipway-node"
	}
	if h.Flavor == "" {
		h.Flavor = "m1.tiny"
	}
	if h.ProjectID == "" {
		h.ProjectID = "providertest"
	}
	if h.Timeout == 0 {
		h.Timeout = 2 * time.Minute
	}
	s := &suite{h: h, stack: resources.StackInfo{ID: uuid.NewString(), Name: "conformance", ProjectID: h.ProjectID,
		UserID: "providertest"}, made: map[string]*resources.Resource{}}
	s.stack.RootID = s.stack.ID
	s.host = &host{}
	var created []*resources.Resource
	for _, st := range steps() {
		if _, ok := h.Registry.Lookup(st.typ); !ok || !h.Registry.Implemented(st.typ) {
			t.Logf("%s is not implemented: skipped", st.typ)
			continue
		}
		var r *resources.Resource
		ok := t.Run(st.name+"/create", func(t *testing.T) {
			r = s.create(t, st)
		})
		if !ok || r == nil {
			t.Fatalf("%s: create failed; the resources that depend on it cannot be tested", st.name)
		}
		created = append(created, r)
		t.Run(st.name+"/reapply", func(t *testing.T) { s.reapply(t, st, r) })
		if st.update != nil {
			t.Run(st.name+"/update", func(t *testing.T) { s.update(t, st, r) })
		}
	}
	for i := len(created) - 1; i >= 0; i-- {
		r := created[i]
		t.Run(r.Name+"/delete", func(t *testing.T) { s.delete(t, r) })
	}
}

// step is one resource of the suite.
type step struct {
	name string
	typ  string
	// props returns the resource's properties; it may read the resources
	// made before.
	props func(s *suite) map[string]any
	// nonEmpty are attributes that must have a value.
	nonEmpty []string
	// update changes an updatable property, and check verifies the
	// result in the attributes.
	update func(s *suite, props map[string]any)
	check  func(t *testing.T, attrs map[string]any)
}

// suite is one run.
type suite struct {
	h     Harness
	stack resources.StackInfo
	host  *host
	made  map[string]*resources.Resource
}

func (s *suite) id(name string) string { return s.made[name].PhysicalID }

func (s *suite) attr(name, key string) any { return s.made[name].Attributes[key] }

// bootScript is the servers' user_data: it proves the script ran, in the
// console log.
const bootScript = "#!/bin/sh\necho providertest-booted-$(cat /etc/hostname)\n"

// steps are the suite's resources in dependency order.
func steps() []step {
	return []step{
		{name: "net", typ: "OS::Neutron::Net",
			props:    func(*suite) map[string]any { return map[string]any{"name": "conf-net"} },
			nonEmpty: []string{"status", "name"},
			update:   func(_ *suite, p map[string]any) { p["name"] = "conf-net-renamed" },
			check:    wantAttr("name", "conf-net-renamed")},
		{name: "subnet", typ: "OS::Neutron::Subnet",
			props: func(s *suite) map[string]any {
				return map[string]any{"network": s.id("net"), "cidr": "10.77.0.0/24", "dns_nameservers": []any{}}
			},
			nonEmpty: []string{"cidr", "gateway_ip", "network_id", "allocation_pools"},
			update:   func(_ *suite, p map[string]any) { p["name"] = "conf-subnet" },
			check:    wantAttr("name", "conf-subnet")},
		{name: "router", typ: "OS::Neutron::Router",
			props: func(s *suite) map[string]any {
				return map[string]any{"external_gateway_info": map[string]any{"network": s.h.ExternalNetwork}}
			},
			nonEmpty: []string{"external_gateway_info", "status"},
			update: func(_ *suite, p map[string]any) {
				p["external_gateway_info"] = map[string]any{"network": p["external_gateway_info"].(map[string]any)["network"], "enable_snat": false}
			},
			check: func(t *testing.T, attrs map[string]any) {
				gw, _ := attrs["external_gateway_info"].(map[string]any)
				if gw["enable_snat"] != false {
					t.Errorf("external_gateway_info after update = %v, want enable_snat false", gw)
				}
			}},
		{name: "router_interface", typ: "OS::Neutron::RouterInterface",
			props: func(s *suite) map[string]any {
				return map[string]any{"router": s.id("router"), "subnet": s.id("subnet")}
			}},
		{name: "secgroup", typ: "OS::Neutron::SecurityGroup",
			props: func(*suite) map[string]any {
				return map[string]any{"rules": []any{
					map[string]any{"protocol": "tcp", "port_range_min": 8080, "port_range_max": 8080},
					map[string]any{"protocol": "icmp"},
				}}
			},
			update: func(_ *suite, p map[string]any) {
				p["rules"] = append(slices.Clone(p["rules"].([]any)), map[string]any{"protocol": "tcp", "port_range_min": 22, "port_range_max": 22})
			}},
		{name: "secgroup_rule", typ: "OS::Neutron::SecurityGroupRule",
			props: func(s *suite) map[string]any {
				return map[string]any{"security_group": s.id("secgroup"), "protocol": "udp", "port_range_min": 53, "port_range_max": 53}
			}},
		{name: "port", typ: "OS::Neutron::Port",
			props: func(s *suite) map[string]any {
				return map[string]any{"network": s.id("net"), "fixed_ips": []any{map[string]any{"subnet": s.id("subnet")}},
					"security_groups": []any{s.id("secgroup")}}
			},
			nonEmpty: []string{"fixed_ips", "mac_address", "network_id", "status"},
			update:   func(_ *suite, p map[string]any) { p["security_groups"] = []any{} },
			check:    wantAttr("security_groups", []any{})},
		{name: "server", typ: "OS::Nova::Server",
			props: func(s *suite) map[string]any {
				return map[string]any{"image": s.h.Image, "flavor": s.h.Flavor, "user_data_format": "RAW", "user_data": bootScript,
					"networks": []any{map[string]any{"port": s.id("port")}}}
			},
			nonEmpty: []string{"first_address", "networks", "addresses", "name"},
			update:   func(_ *suite, p map[string]any) { p["metadata"] = map[string]any{"role": "conformance"} }},
		{name: "server_on_network", typ: "OS::Nova::Server",
			props: func(s *suite) map[string]any {
				return map[string]any{"image": s.h.Image, "flavor": s.h.Flavor, "user_data_format": "RAW", "user_data": bootScript,
					"networks":        []any{map[string]any{"network": s.id("net"), "subnet": s.id("subnet")}},
					"security_groups": []any{s.id("secgroup")}}
			},
			nonEmpty: []string{"first_address", "networks", "addresses", "name"},
			update:   func(_ *suite, p map[string]any) { p["security_groups"] = []any{"default"} }},
		{name: "server_group", typ: "OS::Nova::ServerGroup",
			props: func(*suite) map[string]any { return map[string]any{"policies": []any{"anti-affinity"}} }},
		{name: "floating_ip", typ: "OS::Neutron::FloatingIP",
			props: func(s *suite) map[string]any {
				return map[string]any{"floating_network": s.h.ExternalNetwork, "port_id": s.id("port")}
			},
			nonEmpty: []string{"floating_ip_address", "floating_network_id", "port_id", "router_id", "fixed_ip_address"},
			update:   func(_ *suite, p map[string]any) { delete(p, "port_id") },
			check:    wantAttr("port_id", nil)},
		{name: "floating_ip_association", typ: "OS::Neutron::FloatingIPAssociation",
			props: func(s *suite) map[string]any {
				return map[string]any{"floatingip_id": s.id("floating_ip"), "port_id": s.id("port")}
			}},
		{name: "loadbalancer", typ: "OS::Octavia::LoadBalancer",
			props:    func(s *suite) map[string]any { return map[string]any{"vip_subnet": s.id("subnet")} },
			nonEmpty: []string{"vip_address", "vip_port_id", "vip_subnet_id"},
			update:   func(_ *suite, p map[string]any) { p["description"] = "renamed" }},
		{name: "listener", typ: "OS::Octavia::Listener",
			props: func(s *suite) map[string]any {
				return map[string]any{"loadbalancer": s.id("loadbalancer"), "protocol": "TCP", "protocol_port": 80}
			},
			nonEmpty: []string{"loadbalancers"},
			update:   func(_ *suite, p map[string]any) { p["connection_limit"] = 100 }},
		{name: "pool", typ: "OS::Octavia::Pool",
			props: func(s *suite) map[string]any {
				return map[string]any{"listener": s.id("listener"), "protocol": "TCP", "lb_algorithm": "ROUND_ROBIN"}
			},
			nonEmpty: []string{"listeners"},
			update:   func(_ *suite, p map[string]any) { p["lb_algorithm"] = "LEAST_CONNECTIONS" }},
		{name: "pool_member", typ: "OS::Octavia::PoolMember",
			props: func(s *suite) map[string]any {
				return map[string]any{"pool": s.id("pool"), "address": s.attr("server", "first_address"), "protocol_port": 8080}
			},
			nonEmpty: []string{"address", "pool_id"},
			update:   func(_ *suite, p map[string]any) { p["weight"] = 5 }},
		{name: "health_monitor", typ: "OS::Octavia::HealthMonitor",
			props: func(s *suite) map[string]any {
				return map[string]any{"pool": s.id("pool"), "type": "TCP", "delay": 1, "timeout": 1, "max_retries": 1}
			},
			nonEmpty: []string{"pools"},
			update:   func(_ *suite, p map[string]any) { p["delay"] = 2 }},
		{name: "volume", typ: "OS::Cinder::Volume",
			props:    func(*suite) map[string]any { return map[string]any{"size": 1} },
			nonEmpty: []string{"size", "status", "created_at"},
			update:   func(_ *suite, p map[string]any) { p["size"] = 2 },
			check:    wantAttr("size", 2)},
		{name: "volume_attachment", typ: "OS::Cinder::VolumeAttachment",
			props: func(s *suite) map[string]any {
				return map[string]any{"instance_uuid": s.id("server"), "volume_id": s.id("volume"), "mountpoint": "/mnt/data"}
			},
			update: func(_ *suite, p map[string]any) { p["mountpoint"] = "/dev/vdc" }},
	}
}

// wantAttr checks one attribute's value after an update.
func wantAttr(key string, want any) func(t *testing.T, attrs map[string]any) {
	return func(t *testing.T, attrs map[string]any) {
		t.Helper()
		got, _ := json.Marshal(attrs[key])
		w, _ := json.Marshal(want)
		if string(got) != string(w) {
			t.Errorf("attribute %s = %s after the update, want %s", key, got, w)
		}
	}
}

func (s *suite) ctx(t *testing.T) (context.Context, context.CancelFunc) {
	return context.WithTimeout(t.Context(), s.h.Timeout)
}

// resource builds the plugin's view of a resource, with the schema's
// defaults filled in as the engine does.
func (s *suite) resource(name, typ, physicalID string, props map[string]any) *resources.Resource {
	p, _ := s.h.Registry.Lookup(typ)
	full := maps.Clone(props)
	if sch := p.Schema(); sch != nil {
		for k, ps := range sch.Properties {
			if _, ok := full[k]; !ok && ps.Default != nil {
				full[k] = ps.Default
			}
		}
	}
	return &resources.Resource{Stack: s.stack, Name: name, Type: typ, PhysicalID: physicalID,
		Properties: full, Data: map[string]string{}, Host: s.host}
}

func (s *suite) plugin(typ string) resources.Plugin {
	p, _ := s.h.Registry.Lookup(typ)
	return p
}

// create makes the resource and checks its attributes.
func (s *suite) create(t *testing.T, st step) *resources.Resource {
	ctx, cancel := s.ctx(t)
	defer cancel()
	r := s.resource(st.name, st.typ, uuid.NewString(), st.props(s))
	p := s.plugin(st.typ)
	if found, err := p.Check(ctx, r); err != nil || found {
		t.Fatalf("Check before create = %v, %v; want false, nil", found, err)
	}
	id, err := p.Create(ctx, r)
	if err != nil {
		t.Fatalf("create %s: %v", st.typ, err)
	}
	if id != "" {
		r.PhysicalID = id
	}
	r.Attributes = s.attributes(t, st, r, true)
	s.made[st.name] = r
	if st.typ == "OS::Nova::Server" && s.h.Servers != nil {
		s.checkServer(t, r)
	}
	if s.h.Verify != nil {
		s.h.Verify(t, "create", r)
	}
	return r
}

// attributes reads and checks a resource's attributes: every attribute
// the schema declares is there and, with nonEmpty, the important ones
// have a value.
func (s *suite) attributes(t *testing.T, st step, r *resources.Resource, nonEmpty bool) map[string]any {
	t.Helper()
	ctx, cancel := s.ctx(t)
	defer cancel()
	p := s.plugin(st.typ)
	attrs, err := p.Attributes(ctx, r)
	if err != nil {
		t.Fatalf("attributes of %s: %v", st.typ, err)
	}
	if sch := p.Schema(); sch != nil {
		for name := range sch.Attributes {
			if strings.HasSuffix(name, "*") {
				continue
			}
			if _, ok := attrs[name]; !ok {
				t.Errorf("%s has no attribute %s (the schema declares it)", st.typ, name)
			}
		}
	}
	for _, name := range st.nonEmpty {
		if !nonEmpty {
			break
		}
		if v := attrs[name]; v == nil || v == "" || fmt.Sprint(v) == "[]" || fmt.Sprint(v) == "map[]" {
			t.Errorf("%s attribute %s is empty: %v", st.typ, name, v)
		}
	}
	return attrs
}

// checkServer asks the provider for a server's live state and console.
func (s *suite) checkServer(t *testing.T, r *resources.Resource) {
	t.Helper()
	ctx, cancel := s.ctx(t)
	defer cancel()
	srv, err := s.h.Servers.Server(ctx, r.PhysicalID)
	if err != nil {
		t.Fatalf("server %s: %v", r.Name, err)
	}
	if srv.Status != "ACTIVE" {
		t.Errorf("server %s is %s (%s) after its create, want ACTIVE", r.Name, srv.Status, srv.Reason)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		out, err := s.h.Servers.ConsoleLog(ctx, r.PhysicalID, 0)
		if err != nil {
			t.Fatalf("console log of %s: %v", r.Name, err)
		}
		if strings.Contains(out, "providertest-booted-") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the console log of %s lacks the boot script's output:\n%s", r.Name, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
	if _, err := s.h.Servers.Server(ctx, uuid.NewString()); !errors.Is(err, model.ErrNotFound) {
		t.Errorf("an unknown server gives %v, want a not-found error", err)
	}
}

// reapply creates the resource again under the same physical id, as the
// engine does when it resumes an interrupted create: the result is the
// same resource.
func (s *suite) reapply(t *testing.T, st step, r *resources.Resource) {
	ctx, cancel := s.ctx(t)
	defer cancel()
	p := s.plugin(st.typ)
	again := s.resource(r.Name, r.Type, r.PhysicalID, r.Properties)
	again.Data = maps.Clone(r.Data)
	found, err := p.Check(ctx, again)
	if err != nil || !found {
		t.Fatalf("Check after create = %v, %v; want true, nil", found, err)
	}
	id, err := p.Create(ctx, again)
	if err != nil {
		t.Fatalf("create again: %v", err)
	}
	if id != "" && id != r.PhysicalID {
		t.Fatalf("create again returned %s, want %s", id, r.PhysicalID)
	}
	attrs := s.attributes(t, st, again, true)
	for _, key := range st.nonEmpty {
		a, _ := json.Marshal(attrs[key])
		b, _ := json.Marshal(r.Attributes[key])
		if string(a) != string(b) {
			t.Errorf("attribute %s changed on re-apply: %s, was %s", key, a, b)
		}
	}
	if s.h.Verify != nil {
		s.h.Verify(t, "reapply", again)
	}
}

// update changes an updatable property in place.
func (s *suite) update(t *testing.T, st step, r *resources.Resource) {
	ctx, cancel := s.ctx(t)
	defer cancel()
	p := s.plugin(st.typ)
	props := maps.Clone(r.Properties)
	st.update(s, props)
	for k := range props {
		if !sameJSON(props[k], r.Properties[k]) {
			if ps, ok := p.Schema().Properties[k]; !ok || !ps.UpdateAllowed {
				t.Fatalf("the suite updates %s, which %s does not update in place", k, st.typ)
			}
		}
	}
	next := s.resource(r.Name, r.Type, r.PhysicalID, props)
	next.Data = maps.Clone(r.Data)
	if err := p.Update(ctx, next, r); err != nil {
		t.Fatalf("update: %v", err)
	}
	// Updating again with the same arguments (a crash retry) is safe.
	if err := p.Update(ctx, next, r); err != nil {
		t.Fatalf("update again: %v", err)
	}
	attrs := s.attributes(t, st, next, false)
	if st.check != nil {
		st.check(t, attrs)
	}
	next.Attributes = attrs
	*r = *next
	if s.h.Verify != nil {
		s.h.Verify(t, "update", r)
	}
}

// delete deletes the resource, then again: both succeed, and Check no
// longer finds it.
func (s *suite) delete(t *testing.T, r *resources.Resource) {
	ctx, cancel := s.ctx(t)
	defer cancel()
	p := s.plugin(r.Type)
	if err := p.Delete(ctx, r); err != nil {
		t.Fatalf("delete %s: %v", r.Type, err)
	}
	if err := p.Delete(ctx, r); err != nil {
		t.Fatalf("delete %s again: %v", r.Type, err)
	}
	if found, err := p.Check(ctx, r); err != nil || found {
		t.Fatalf("Check after delete = %v, %v; want false, nil", found, err)
	}
}

func sameJSON(a, b any) bool {
	ja, _ := json.Marshal(a)
	jb, _ := json.Marshal(b)
	return string(ja) == string(jb)
}

// host is the engine as the suite plays it: no signals, no nested stacks.
type host struct{}

var _ resources.Host = (*host)(nil)

func (*host) SignalURL(r *resources.Resource) string {
	return "http://127.0.0.1:9/orchestration/v1/" + r.Stack.ProjectID + "/stacks/" + r.Stack.Name + "/" + r.Stack.ID + "/resources/" + r.Name + "/signal"
}

func (*host) Signals(context.Context, string, string) ([]resources.Signal, error) { return nil, nil }

func (*host) Wait(ctx context.Context, check func(ctx context.Context) (bool, error)) error {
	for {
		done, err := check(ctx)
		if err != nil || done {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (*host) ApplyNested(context.Context, *resources.Resource, resources.NestedStack) (*resources.NestedResult, error) {
	return nil, errors.New("providertest: no nested stacks")
}

func (*host) DeleteNested(context.Context, *resources.Resource) error { return nil }

func (*host) NestedResources(context.Context, string) ([]*model.StackResource, error) {
	return nil, nil
}

func (*host) Lookup(_ context.Context, _, physicalID string) (*model.StackResource, error) {
	return nil, model.NotFoundf("no resource %s", physicalID)
}

func (*host) Refresh(context.Context, string, string, json.RawMessage) error { return nil }

func (*host) Now() time.Time { return time.Now() }
