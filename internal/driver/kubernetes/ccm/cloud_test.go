package ccm

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "k8s.io/api/core/v1"
	cloudprovider "k8s.io/cloud-provider"
)

type fakeInstances map[string][]v1.NodeAddress

var errProvider = errors.New("provider unreachable")

func (f fakeInstances) Exists(_ context.Context, nodeName string) (bool, error) {
	if nodeName == "broken" {
		return false, errProvider
	}
	_, ok := f[nodeName]
	return ok, nil
}

func (f fakeInstances) Addresses(_ context.Context, nodeName string) ([]v1.NodeAddress, error) {
	if nodeName == "broken" {
		return nil, errProvider
	}
	return f[nodeName], nil
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
	i, ok := NewCloud(testClusterID, newFakeBackend(), fakeInstances{"worker-0": addrs}, nil).InstancesV2()
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
		t.Errorf("InstanceShutdown = %v, %v; want false", down, err)
	}

	meta, err := i.InstanceMetadata(ctx, worker)
	if err != nil {
		t.Fatal(err)
	}
	want := &cloudprovider.InstanceMetadata{ProviderID: "slipway://" + testClusterID + "/worker-0", NodeAddresses: addrs}
	if diff := cmp.Diff(want, meta); diff != "" {
		t.Errorf("InstanceMetadata (-want +got):\n%s", diff)
	}
	worker.Spec.ProviderID = "slipway://elsewhere/worker-0"
	if meta, err := i.InstanceMetadata(ctx, worker); err != nil || meta.ProviderID != worker.Spec.ProviderID {
		t.Errorf("InstanceMetadata of a node with a provider id = %+v, %v; want it kept", meta, err)
	}
	if _, err := i.InstanceMetadata(ctx, node("broken", "")); !errors.Is(err, errProvider) {
		t.Errorf("InstanceMetadata(broken) error = %v, want the provider's", err)
	}
}
