package kube_test

import (
	"context"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/slipway/slipway/internal/driver/kubernetes/kube/kubetest"
)

// TestDeleteLoadBalancerServices deletes the LoadBalancer Services of
// every namespace of a real API server, and no other Service.
func TestDeleteLoadBalancerServices(t *testing.T) {
	t.Parallel()
	c := kubetest.Start(t, kubetest.Options{})
	client := c.Client(t)
	cs := client.Interface()
	createNamespace(t, cs, "shop")
	// The API server makes default/kubernetes itself, moments after it
	// is ready; it must survive the delete.
	eventually(t, "the API server has made default/kubernetes", func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().Services("default").Get(ctx, "kubernetes", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})

	services := []struct {
		ns, name string
		typ      corev1.ServiceType
	}{
		{"shop", "web", corev1.ServiceTypeLoadBalancer},
		{"shop", "db", corev1.ServiceTypeClusterIP},
		{"shop", "admin", corev1.ServiceTypeNodePort},
		{"default", "edge", corev1.ServiceTypeLoadBalancer},
	}
	for _, s := range services {
		if _, err := cs.CoreV1().Services(s.ns).Create(t.Context(), &corev1.Service{
			ObjectMeta: metav1.ObjectMeta{Name: s.name},
			Spec: corev1.ServiceSpec{
				Type:     s.typ,
				Selector: map[string]string{"app": s.name},
				Ports:    []corev1.ServicePort{{Port: 80}},
			},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}

	deleted, err := client.DeleteLoadBalancerServices(t.Context())
	if err != nil || !slices.Equal(deleted, []string{"default/edge", "shop/web"}) {
		t.Fatalf("DeleteLoadBalancerServices = %q, %v; want [default/edge shop/web], nil", deleted, err)
	}
	for _, s := range services {
		_, err := cs.CoreV1().Services(s.ns).Get(t.Context(), s.name, metav1.GetOptions{})
		if gone := apierrors.IsNotFound(err); gone != (s.typ == corev1.ServiceTypeLoadBalancer) {
			t.Errorf("service %s/%s (%s) after delete: %v", s.ns, s.name, s.typ, err)
		}
	}
	if _, err := cs.CoreV1().Services("default").Get(t.Context(), "kubernetes", metav1.GetOptions{}); err != nil {
		t.Errorf("service default/kubernetes after delete: %v", err)
	}

	if deleted, err := client.DeleteLoadBalancerServices(t.Context()); len(deleted) != 0 || err != nil {
		t.Errorf("DeleteLoadBalancerServices again = %q, %v; want none, nil", deleted, err)
	}
}
