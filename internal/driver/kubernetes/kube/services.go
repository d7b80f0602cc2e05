package kube

import (
	"context"
	"errors"
	"fmt"
	"slices"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DeleteLoadBalancerServices deletes every Service of type LoadBalancer in
// every namespace, so that the cloud controller releases the load balancers
// it made for them before the cluster is deleted. It returns the deleted
// Services as "namespace/name", sorted; one that is gone already is not
// listed. It does not wait for the load balancers to be released. Failures
// to delete are joined; the other Services are still deleted.
func (c *Client) DeleteLoadBalancerServices(ctx context.Context) ([]string, error) {
	list, err := c.cs.CoreV1().Services(metav1.NamespaceAll).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list services: %w", err)
	}
	var deleted []string
	var errs []error
	for _, s := range list.Items {
		if s.Spec.Type != corev1.ServiceTypeLoadBalancer {
			continue
		}
		err := c.cs.CoreV1().Services(s.Namespace).Delete(ctx, s.Name, metav1.DeleteOptions{
			Preconditions: &metav1.Preconditions{UID: &s.UID},
		})
		switch {
		case err == nil:
			deleted = append(deleted, s.Namespace+"/"+s.Name)
		case apierrors.IsNotFound(err) || apierrors.IsConflict(err):
		default:
			errs = append(errs, fmt.Errorf("delete service %s/%s: %w", s.Namespace, s.Name, err))
		}
	}
	slices.Sort(deleted)
	return deleted, errors.Join(errs...)
}
