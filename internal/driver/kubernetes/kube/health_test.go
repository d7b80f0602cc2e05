package kube_test

import (
	"errors"
	"maps"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"github.com/slipway/slipway/internal/driver/kubernetes/kube"
	"github.com/slipway/slipway/internal/driver/kubernetes/kube/kubetest"
)

// TestHealth reads a real cluster's health as the conductor's monitor does:
// the API's readiness and every node's Ready condition, in the shape of
// Magnum's health_status_reason.
func TestHealth(t *testing.T) {
	t.Parallel()
	c := kubetest.Start(t, kubetest.Options{})
	client := c.Client(t)
	cs := client.Interface()

	check := func(wantHealthy bool, want map[string]string) {
		t.Helper()
		healthy, reasons, err := client.Health(t.Context())
		if err != nil {
			t.Fatalf("Health: %v", err)
		}
		if healthy != wantHealthy || !maps.Equal(reasons, want) {
			t.Errorf("Health = %t, %v; want %t, %v", healthy, reasons, wantHealthy, want)
		}
	}

	// No nodes yet, and no DNS.
	check(false, map[string]string{"api": "ok", "dns": "no CoreDNS pod serves kube-dns yet"})
	setDNSEndpoint(t, cs, true)
	// The API and DNS alone.
	check(true, map[string]string{"api": "ok", "dns": "ok"})

	createNode(t, cs, "master-0", "10.0.0.10", corev1.ConditionTrue, "kubelet is posting ready status")
	createNode(t, cs, "worker-0", "10.0.0.11", corev1.ConditionFalse, "container runtime network not ready")
	createNode(t, cs, "worker-1", "10.0.0.12", "", "")
	check(false, map[string]string{
		"api":            "ok",
		"dns":            "ok",
		"master-0.Ready": "True",
		"worker-0.Ready": "False",
		"worker-1.Ready": "Unknown",
	})

	nodes, err := client.Nodes(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	want := []kube.NodeInfo{
		{Name: "master-0", InternalIP: "10.0.0.10", Ready: true},
		{Name: "worker-0", InternalIP: "10.0.0.11", NotReadyReason: "KubeletNotReady: container runtime network not ready"},
		{Name: "worker-1", InternalIP: "10.0.0.12", NotReadyReason: "no Ready condition reported"},
	}
	if len(nodes) != len(want) {
		t.Fatalf("Nodes = %+v, want %+v", nodes, want)
	}
	for i := range want {
		if nodes[i] != want[i] {
			t.Errorf("Nodes[%d] = %+v, want %+v", i, nodes[i], want[i])
		}
	}

	setReady(t, cs, "worker-0", corev1.ConditionTrue, "")
	setReady(t, cs, "worker-1", corev1.ConditionTrue, "")
	check(true, map[string]string{
		"api":            "ok",
		"dns":            "ok",
		"master-0.Ready": "True",
		"worker-0.Ready": "True",
		"worker-1.Ready": "True",
	})

	// Without etcd the API answers, but is not ready: the reason names
	// the failing checks and there is no node to report.
	c.StopEtcd()
	waitNotReady(t, cs)
	healthy, reasons, err := client.Health(t.Context())
	if err != nil || healthy {
		t.Fatalf("Health without etcd = %t, %v, %v; want false, reasons, nil", healthy, reasons, err)
	}
	if len(reasons) != 1 || !strings.Contains(reasons["api"], "etcd") {
		t.Errorf("Health without etcd: reasons %v, want only api, naming etcd", reasons)
	}

	// Without the API server, Health cannot tell: an error.
	c.StopAPIServer()
	if _, reasons, err := client.Health(t.Context()); !errors.Is(err, kube.ErrUnreachable) || reasons != nil {
		t.Errorf("Health without API server = %v, %v; want ErrUnreachable, no reasons", reasons, err)
	}
}
