package kube_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes"
)

// createNode creates a Node as a kubelet registers it: no pod range, and a
// status with its InternalIP and, unless ready is "", a Ready condition of
// that status.
func createNode(t *testing.T, cs kubernetes.Interface, name, ip string, ready corev1.ConditionStatus, message string) {
	t.Helper()
	n, err := cs.CoreV1().Nodes().Create(t.Context(), &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelHostname: name}},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n.Status.Addresses = []corev1.NodeAddress{
		{Type: corev1.NodeHostName, Address: name},
		{Type: corev1.NodeInternalIP, Address: ip},
	}
	if _, err := cs.CoreV1().Nodes().UpdateStatus(t.Context(), n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if ready != "" {
		setReady(t, cs, name, ready, message)
	}
}

// setReady sets the node's Ready condition, as its kubelet reports it.
func setReady(t *testing.T, cs kubernetes.Interface, name string, status corev1.ConditionStatus, message string) {
	t.Helper()
	n, err := cs.CoreV1().Nodes().Get(t.Context(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	reason := "KubeletReady"
	if status != corev1.ConditionTrue {
		reason = "KubeletNotReady"
	}
	now := metav1.Now()
	n.Status.Conditions = []corev1.NodeCondition{{
		Type: corev1.NodeReady, Status: status, Reason: reason, Message: message,
		LastHeartbeatTime: now, LastTransitionTime: now,
	}}
	if _, err := cs.CoreV1().Nodes().UpdateStatus(t.Context(), n, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// createNamespace creates a namespace and its default ServiceAccount, which
// pods need and no controller manager makes here.
func createNamespace(t *testing.T, cs kubernetes.Interface, name string) {
	t.Helper()
	if _, err := cs.CoreV1().Namespaces().Create(t.Context(), &corev1.Namespace{
		ObjectMeta: metav1.ObjectMeta{Name: name},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := cs.CoreV1().ServiceAccounts(name).Create(t.Context(), &corev1.ServiceAccount{
		ObjectMeta: metav1.ObjectMeta{Name: "default"},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// eventually polls cond every 100 ms until it is true, for at most a
// minute.
func eventually(t *testing.T, what string, cond func(ctx context.Context) (bool, error)) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(t.Context(), 100*time.Millisecond, time.Minute, true, cond); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// waitNotReady waits until the API's /readyz fails, as it does a few
// seconds after etcd stops. It asks /readyz itself: a list, as Health
// makes, would wait for etcd until its timeout.
func waitNotReady(t *testing.T, cs kubernetes.Interface) {
	t.Helper()
	eventually(t, "readyz failing", func(ctx context.Context) (bool, error) {
		var code int
		cs.Discovery().RESTClient().Get().AbsPath("/readyz").Do(ctx).StatusCode(&code)
		return code != 0 && code != http.StatusOK, nil
	})
}

// setDNSEndpoint writes the kube-dns Service's endpoints as the
// endpoint-slice controller would for one CoreDNS pod, ready or not.
func setDNSEndpoint(t *testing.T, cs kubernetes.Interface, ready bool) {
	t.Helper()
	slices := cs.DiscoveryV1().EndpointSlices(metav1.NamespaceSystem)
	slice, err := slices.Get(t.Context(), "kube-dns-x1", metav1.GetOptions{})
	if err != nil {
		slice = &discoveryv1.EndpointSlice{
			ObjectMeta: metav1.ObjectMeta{Name: "kube-dns-x1", Namespace: metav1.NamespaceSystem,
				Labels: map[string]string{discoveryv1.LabelServiceName: "kube-dns"}},
			AddressType: discoveryv1.AddressTypeIPv4,
		}
	}
	slice.Endpoints = []discoveryv1.Endpoint{{Addresses: []string{"10.100.1.2"}, Conditions: discoveryv1.EndpointConditions{Ready: &ready}}}
	if slice.ResourceVersion == "" {
		_, err = slices.Create(t.Context(), slice, metav1.CreateOptions{})
	} else {
		_, err = slices.Update(t.Context(), slice, metav1.UpdateOptions{})
	}
	if err != nil {
		t.Fatalf("write the kube-dns endpoints: %v", err)
	}
}
