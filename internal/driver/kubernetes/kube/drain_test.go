package kube_test

import (
	"context"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/client-go/kubernetes"

	"github.com/slipway/slipway/internal/driver/kubernetes/kube/kubetest"
)

// TestDrain drains nodes of a real API server. No kubelet runs, so an
// evicted pod is marked for deletion but never goes: Drain must delete it
// forcibly after its timeout, as it must a pod a PodDisruptionBudget
// protects. DaemonSet and mirror pods stay, the node is cordoned, and pods
// of other nodes are untouched.
func TestDrain(t *testing.T) {
	t.Parallel()
	c := kubetest.Start(t, kubetest.Options{})
	client := c.Client(t)
	cs := client.Interface()
	const ns = "apps"
	createNamespace(t, cs, ns)

	t.Run("forced after the timeout", func(t *testing.T) {
		createNode(t, cs, "worker-0", "10.0.0.11", corev1.ConditionTrue, "")
		createNode(t, cs, "worker-1", "10.0.0.12", corev1.ConditionTrue, "")
		ds := createDaemonSet(t, cs, ns, "agent")
		createPod(t, cs, ns, "web-1", "worker-0", nil)
		createPod(t, cs, ns, "web-2", "worker-0", nil)
		createPod(t, cs, ns, "guarded", "worker-0", func(p *corev1.Pod) { p.Labels = map[string]string{"app": "guarded"} })
		createPDB(t, cs, ns, "guarded", map[string]string{"app": "guarded"})
		createPod(t, cs, ns, "agent-worker-0", "worker-0", func(p *corev1.Pod) {
			p.OwnerReferences = []metav1.OwnerReference{*metav1.NewControllerRef(ds, appsv1.SchemeGroupVersion.WithKind("DaemonSet"))}
		})
		createPod(t, cs, ns, "static-worker-0", "worker-0", func(p *corev1.Pod) {
			p.Annotations = map[string]string{"kubernetes.io/config.mirror": "8f2d1c"}
			p.Spec.ServiceAccountName = "" // mirror pods may not name one
			p.Spec.AutomountServiceAccountToken = new(false)
		})
		createPod(t, cs, ns, "web-3", "worker-1", nil)

		const timeout = 5 * time.Second
		type result struct {
			n   int
			err error
		}
		done := make(chan result, 1)
		start := time.Now()
		go func() {
			n, err := client.Drain(t.Context(), "worker-0", timeout)
			done <- result{n, err}
		}()
		// Before the timeout, the pods are evicted (marked for deletion),
		// but not the one the budget protects.
		eventually(t, "web-1 and web-2 evicted", func(ctx context.Context) (bool, error) {
			for _, name := range []string{"web-1", "web-2"} {
				p, err := cs.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
				if err != nil || p.DeletionTimestamp == nil {
					return false, err
				}
			}
			return true, nil
		})
		if p, err := cs.CoreV1().Pods(ns).Get(t.Context(), "guarded", metav1.GetOptions{}); err != nil || p.DeletionTimestamp != nil {
			t.Errorf("pod guarded %s after start of Drain: %v, want it kept by its budget", time.Since(start), err)
		}
		r := <-done
		n, err := r.n, r.err
		if err != nil {
			t.Fatal(err)
		}
		if n != 3 {
			t.Errorf("Drain removed %d pods, want 3 (web-1, web-2, guarded)", n)
		}
		if took := time.Since(start); took < timeout {
			t.Errorf("Drain returned after %s, before its %s timeout, though no kubelet finishes the evictions", took, timeout)
		}
		for _, gone := range []string{"web-1", "web-2", "guarded"} {
			if _, err := cs.CoreV1().Pods(ns).Get(t.Context(), gone, metav1.GetOptions{}); !apierrors.IsNotFound(err) {
				t.Errorf("pod %s after Drain: %v, want it gone", gone, err)
			}
		}
		for _, kept := range []string{"agent-worker-0", "static-worker-0", "web-3"} {
			p, err := cs.CoreV1().Pods(ns).Get(t.Context(), kept, metav1.GetOptions{})
			if err != nil || p.DeletionTimestamp != nil {
				t.Errorf("pod %s after Drain: %v, want it left alone", kept, err)
			}
		}
		node, err := cs.CoreV1().Nodes().Get(t.Context(), "worker-0", metav1.GetOptions{})
		if err != nil || !node.Spec.Unschedulable {
			t.Errorf("node worker-0 after Drain: %v, want it unschedulable", err)
		}
		other, err := cs.CoreV1().Nodes().Get(t.Context(), "worker-1", metav1.GetOptions{})
		if err != nil || other.Spec.Unschedulable {
			t.Errorf("node worker-1 after draining worker-0: %v, want it schedulable", err)
		}

		// Draining again finds nothing to do; then the node is deleted,
		// twice.
		if n, err := client.Drain(t.Context(), "worker-0", timeout); n != 0 || err != nil {
			t.Errorf("Drain again = %d, %v; want 0, nil", n, err)
		}
		for range 2 {
			if err := client.DeleteNode(t.Context(), "worker-0"); err != nil {
				t.Errorf("DeleteNode: %v", err)
			}
		}
		if _, err := cs.CoreV1().Nodes().Get(t.Context(), "worker-0", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
			t.Errorf("node worker-0 after DeleteNode: %v, want it gone", err)
		}
	})

	t.Run("finished pods leave before the timeout", func(t *testing.T) {
		createNode(t, cs, "worker-2", "10.0.0.13", corev1.ConditionTrue, "")
		for _, name := range []string{"job-1", "job-2"} {
			p := createPod(t, cs, ns, name, "worker-2", nil)
			p.Status.Phase = corev1.PodSucceeded
			if _, err := cs.CoreV1().Pods(ns).UpdateStatus(t.Context(), p, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		start := time.Now()
		n, err := client.Drain(t.Context(), "worker-2", time.Minute)
		if n != 2 || err != nil {
			t.Errorf("Drain = %d, %v; want 2, nil", n, err)
		}
		if took := time.Since(start); took > 30*time.Second {
			t.Errorf("Drain of finished pods took %s, want no wait for the timeout", took)
		}
	})

	t.Run("a node that does not exist", func(t *testing.T) {
		if n, err := client.Drain(t.Context(), "worker-9", time.Second); n != 0 || err != nil {
			t.Errorf("Drain = %d, %v; want 0, nil", n, err)
		}
	})
}

// createPod creates a running pod bound to node, as the scheduler and its
// kubelet would have, after modify changes it.
func createPod(t *testing.T, cs kubernetes.Interface, ns, name, node string, modify func(*corev1.Pod)) *corev1.Pod {
	t.Helper()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns},
		Spec: corev1.PodSpec{
			NodeName:   node,
			Containers: []corev1.Container{{Name: "main", Image: "registry.k8s.io/pause:3.10.2"}},
		},
	}
	if modify != nil {
		modify(p)
	}
	p, err := cs.CoreV1().Pods(ns).Create(t.Context(), p, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create pod %s: %v", name, err)
	}
	// Running, as its kubelet would report: the eviction API lets a
	// Pending pod go whatever its budget says.
	p.Status.Phase = corev1.PodRunning
	p, err = cs.CoreV1().Pods(ns).UpdateStatus(t.Context(), p, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("pod %s running: %v", name, err)
	}
	return p
}

// createDaemonSet creates a DaemonSet; no controller makes its pods here.
func createDaemonSet(t *testing.T, cs kubernetes.Interface, ns, name string) *appsv1.DaemonSet {
	t.Helper()
	labels := map[string]string{"app": name}
	ds, err := cs.AppsV1().DaemonSets(ns).Create(t.Context(), &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "registry.k8s.io/pause:3.10.2"}}},
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// createPDB creates a PodDisruptionBudget that allows no disruption of the
// selected pods.
func createPDB(t *testing.T, cs kubernetes.Interface, ns, name string, selector map[string]string) {
	t.Helper()
	minAvailable := intstr.FromInt32(1)
	if _, err := cs.PolicyV1().PodDisruptionBudgets(ns).Create(t.Context(), &policyv1.PodDisruptionBudget{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: policyv1.PodDisruptionBudgetSpec{
			MinAvailable: &minAvailable,
			Selector:     &metav1.LabelSelector{MatchLabels: selector},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}
