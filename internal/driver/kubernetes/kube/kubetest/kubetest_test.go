package kubetest_test

import (
	"context"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"

	"github.com/slipway/slipway/internal/driver/kubernetes/kube/kubetest"
)

// TestStartRunsAControlPlane starts etcd, kube-apiserver and
// kube-controller-manager: the API serves Version to the admin, and the
// controller manager does its work (the service-account controller gives
// the default namespace its ServiceAccount).
func TestStartRunsAControlPlane(t *testing.T) {
	t.Parallel()
	c := kubetest.Start(t, kubetest.Options{ControllerManager: true})
	cs := c.Client(t).Interface()

	v, err := cs.Discovery().ServerVersion()
	if err != nil {
		t.Fatal(err)
	}
	if v.GitVersion != kubetest.Version {
		t.Errorf("server version = %s, want %s", v.GitVersion, kubetest.Version)
	}

	err = wait.PollUntilContextTimeout(t.Context(), 200*time.Millisecond, time.Minute, true, func(ctx context.Context) (bool, error) {
		_, err := cs.CoreV1().ServiceAccounts(metav1.NamespaceDefault).Get(ctx, "default", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return err == nil, err
	})
	if err != nil {
		t.Fatalf("no default ServiceAccount from kube-controller-manager: %v", err)
	}
}
