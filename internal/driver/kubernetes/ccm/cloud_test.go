package ccm

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"
)

// fakeInstances are servers by node name; the node "broken" cannot be
// looked up.
type fakeInstances map[string]Instance

var errProvider = errors.New("provider unreachable")

func (f fakeInstances) Instance(_ context.Context, nodeName string) (Instance, bool, error) {
	if nodeName == "broken" {
		return Instance{}, false, errProvider
	}
	inst, ok := f[nodeName]
	return inst, ok, nil
}

func TestCloudCapabilities(t *testing.T) {
	t.Parallel()
	var c cloudprovider.Interface = NewCloud(testClusterID, newFakeBackend(), nil, nil)
	if got := c.ProviderName(); got != "slipway" {
		t.Errorf("ProviderName = %q, want slipway", got)
	}
	if !c.HasClusterID() {
		t.Error("HasClusterID = false with a cluster id")
	}
	if NewCloud("", newFakeBackend(), nil, nil).HasClusterID() {
		t.Error("HasClusterID = true without a cluster id")
	}
	if _, ok := c.LoadBalancer(); !ok {
		t.Error("LoadBalancer not supported")
	}
	for name, supported := range map[string]func() bool{
		"Instances":   func() bool { _, ok := c.Instances(); return ok },
		"InstancesV2": func() bool { _, ok := c.InstancesV2(); return ok },
		"Zones":       func() bool { _, ok := c.Zones(); return ok },
		"Clusters":    func() bool { _, ok := c.Clusters(); return ok },
		"Routes":      func() bool { _, ok := c.Routes(); return ok },
	} {
		if supported() {
			t.Errorf("%s supported, want not (InstancesV2 needs an Instances)", name)
		}
	}
}

func TestInstancesV2(t *testing.T) {
	t.Parallel()
	addrs := []v1.NodeAddress{{Type: v1.NodeInternalIP, Address: "10.0.0.11"}, {Type: v1.NodeHostName, Address: "worker-0"}}
	servers := fakeInstances{
		"worker-0": {ID: "3f1c", Type: "m1.small", Addresses: addrs},
		"worker-1": {ID: "77aa", Type: "m1.small", Shutdown: true},
	}
	i, ok := NewCloud(testClusterID, newFakeBackend(), servers, nil).InstancesV2()
	if !ok {
		t.Fatal("InstancesV2 not supported with an Instances")
	}
	ctx := t.Context()
	worker := node("worker-0", "10.0.0.11")

	if exists, err := i.InstanceExists(ctx, worker); err != nil || !exists {
		t.Errorf("InstanceExists(worker-0) = %v, %v; want true", exists, err)
	}
	if exists, err := i.InstanceExists(ctx, node("gone", "")); err != nil || exists {
		t.Errorf("InstanceExists(gone) = %v, %v; want false", exists, err)
	}
	if _, err := i.InstanceExists(ctx, node("broken", "")); !errors.Is(err, errProvider) {
		t.Errorf("InstanceExists(broken) error = %v, want the provider's", err)
	}
	if down, err := i.InstanceShutdown(ctx, worker); err != nil || down {
		t.Errorf("InstanceShutdown(worker-0) = %v, %v; want false", down, err)
	}
	if down, err := i.InstanceShutdown(ctx, node("worker-1", "")); err != nil || !down {
		t.Errorf("InstanceShutdown(worker-1) = %v, %v; want true for a stopped server", down, err)
	}

	meta, err := i.InstanceMetadata(ctx, worker)
	if err != nil {
		t.Fatal(err)
	}
	want := &cloudprovider.InstanceMetadata{ProviderID: "slipway:///3f1c", InstanceType: "m1.small", NodeAddresses: addrs}
	if diff := cmp.Diff(want, meta); diff != "" {
		t.Errorf("InstanceMetadata (-want +got):\n%s", diff)
	}
	if _, err := i.InstanceMetadata(ctx, node("gone", "")); !errors.Is(err, cloudprovider.InstanceNotFound) {
		t.Errorf("InstanceMetadata(gone) error = %v, want InstanceNotFound", err)
	}
	if _, err := i.InstanceMetadata(ctx, node("broken", "")); !errors.Is(err, errProvider) {
		t.Errorf("InstanceMetadata(broken) error = %v, want the provider's", err)
	}
}
