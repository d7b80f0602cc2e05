package kube_test

import (
	"errors"
	"slices"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway/slipway/internal/driver/kubernetes/kube"
	"github.com/slipway/slipway/internal/driver/kubernetes/kube/kubetest"
)

// TestSetPodCIDRs writes pod ranges on a real API server: a registered
// node gets its range, a node not registered yet is reported missing and
// gets its range on a later call, a second call changes nothing, and a
// range already set is never changed.
func TestSetPodCIDRs(t *testing.T) {
	t.Parallel()
	c := kubetest.Start(t, kubetest.Options{})
	client := c.Client(t)
	cs := client.Interface()
	nodes := cs.CoreV1().Nodes()

	assertPodCIDR := func(name, want string) string {
		t.Helper()
		n, err := nodes.Get(t.Context(), name, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if n.Spec.PodCIDR != want || !slices.Equal(n.Spec.PodCIDRs, []string{want}) {
			t.Errorf("node %s: podCIDR %q, podCIDRs %q; want %s in both", name, n.Spec.PodCIDR, n.Spec.PodCIDRs, want)
		}
		return n.ResourceVersion
	}
	plan := map[string]string{"worker-0": "10.100.1.0/24", "worker-1": "10.100.2.0/24"}

	createNode(t, cs, "worker-0", "10.0.0.11", "", "")
	missing, err := client.SetPodCIDRs(t.Context(), plan)
	if err != nil || !slices.Equal(missing, []string{"worker-1"}) {
		t.Fatalf("SetPodCIDRs = %q, %v; want [worker-1], nil", missing, err)
	}
	rv := assertPodCIDR("worker-0", "10.100.1.0/24")

	missing, err = client.SetPodCIDRs(t.Context(), plan)
	if err != nil || !slices.Equal(missing, []string{"worker-1"}) {
		t.Fatalf("SetPodCIDRs again = %q, %v; want [worker-1], nil", missing, err)
	}
	if again := assertPodCIDR("worker-0", "10.100.1.0/24"); again != rv {
		t.Errorf("SetPodCIDRs again wrote worker-0: resourceVersion %s, then %s", rv, again)
	}

	createNode(t, cs, "worker-1", "10.0.0.12", "", "")
	missing, err = client.SetPodCIDRs(t.Context(), plan)
	if err != nil || len(missing) != 0 {
		t.Fatalf("SetPodCIDRs once registered = %q, %v; want none missing", missing, err)
	}
	assertPodCIDR("worker-1", "10.100.2.0/24")

	// Another range for worker-0 is refused and names it; worker-2, in the
	// same call, is still reported.
	missing, err = client.SetPodCIDRs(t.Context(), map[string]string{"worker-0": "10.100.9.0/24", "worker-2": "10.100.3.0/24"})
	var conflict *kube.PodCIDRConflictError
	if !errors.As(err, &conflict) || conflict.Node != "worker-0" || conflict.Current != "10.100.1.0/24" {
		t.Fatalf("SetPodCIDRs with another range = %v, want a PodCIDRConflictError for worker-0", err)
	}
	if !slices.Equal(missing, []string{"worker-2"}) {
		t.Errorf("SetPodCIDRs with a conflict: missing %q, want [worker-2]", missing)
	}
	assertPodCIDR("worker-0", "10.100.1.0/24")

	for _, bad := range []string{"10.100.1.1/24", "10.100.1.0", ""} {
		if _, err := client.SetPodCIDRs(t.Context(), map[string]string{"worker-0": bad}); !errors.Is(err, kube.ErrInvalid) {
			t.Errorf("SetPodCIDRs(%q) = %v, want ErrInvalid", bad, err)
		}
	}
}
