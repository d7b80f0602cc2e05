package kube

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/types"
)

// drainInterval is how often Drain looks at the node's pods again.
const drainInterval = 500 * time.Millisecond

// evictRetryInterval is how long Drain waits before asking again for an
// eviction the API refused, typically with 429 for a PodDisruptionBudget.
const evictRetryInterval = 2 * time.Second

// mirrorPodAnnotation marks the API's copy of a kubelet's static pod.
// Deleting it does nothing: the kubelet makes it again.
const mirrorPodAnnotation = "kubernetes.io/config.mirror"

// Drain empties a node before it is removed. It cordons the node, then
// evicts every pod bound to it (policy/v1 Eviction, so PodDisruptionBudgets
// are respected) except the pods of DaemonSets, which ignore the cordon, and
// mirror pods, which belong to the node's kubelet. It asks again for the
// evictions a budget refuses and waits for the pods to be gone until
// timeout; then it deletes the pods still there forcibly, with a grace
// period of zero, as for a node whose kubelet no longer runs; a timeout of
// zero or less does so at once. Pods with local storage are evicted too:
// their node is going away.
//
// It returns how many pods it evicted or deleted. A node that does not exist
// is not an error: its pods, if any are left, are still removed.
func (c *Client) Drain(ctx context.Context, node string, timeout time.Duration) (int, error) {
	if err := c.cordon(ctx, node); err != nil {
		return 0, err
	}
	deadline := time.Now().Add(timeout)
	removed := map[types.UID]bool{}      // evicted or deleted by Drain
	nextTry := map[types.UID]time.Time{} // of a refused eviction
	var lastRefusal error
	for {
		pods, err := c.podsToDrain(ctx, node)
		if err != nil {
			return len(removed), err
		}
		if len(pods) == 0 {
			return len(removed), nil
		}
		now := time.Now()
		if !now.Before(deadline) {
			return c.forceDelete(ctx, node, pods, removed, lastRefusal)
		}
		for _, p := range pods {
			if p.DeletionTimestamp != nil || now.Before(nextTry[p.UID]) {
				continue // evicted already and terminating, or refused lately
			}
			err := c.evict(ctx, &p)
			switch {
			case err == nil:
				removed[p.UID] = true
			case apierrors.IsNotFound(err) || apierrors.IsConflict(err):
				// Gone already, or replaced by another pod of the same name.
			case ctx.Err() != nil:
				return len(removed), fmt.Errorf("drain node %s: %w", node, ctx.Err())
			default:
				// 429: a PodDisruptionBudget forbids it for now. Anything
				// else is asked again too; the deadline forces it in the end.
				lastRefusal = fmt.Errorf("evict pod %s/%s: %w", p.Namespace, p.Name, err)
				nextTry[p.UID] = now.Add(evictRetryInterval)
			}
		}
		select {
		case <-ctx.Done():
			return len(removed), fmt.Errorf("drain node %s: %w", node, ctx.Err())
		case <-time.After(min(drainInterval, max(time.Until(deadline), 0))):
		}
	}
}

// evict asks the API to evict the pod, once. client-go's typed EvictV1
// would follow a 429's Retry-After within the request, blocking every other
// eviction of the drain meanwhile; Drain has its own retry instead.
func (c *Client) evict(ctx context.Context, p *corev1.Pod) error {
	return c.cs.CoreV1().RESTClient().Post().
		Namespace(p.Namespace).Resource("pods").Name(p.Name).SubResource("eviction").
		MaxRetries(0).
		Body(&policyv1.Eviction{
			ObjectMeta: metav1.ObjectMeta{Name: p.Name, Namespace: p.Namespace},
			DeleteOptions: &metav1.DeleteOptions{
				Preconditions: &metav1.Preconditions{UID: &p.UID},
			},
		}).
		Do(ctx).Error()
}

// forceDelete deletes pods with a grace period of zero, after the drain's
// timeout. removed holds the pods evicted so far, and gains the deleted
// ones; refusal is the last eviction failure, reported if a pod cannot be
// deleted either.
func (c *Client) forceDelete(ctx context.Context, node string, pods []corev1.Pod, removed map[types.UID]bool, refusal error) (int, error) {
	var errs []error
	for _, p := range pods {
		err := c.cs.CoreV1().Pods(p.Namespace).Delete(ctx, p.Name, metav1.DeleteOptions{
			GracePeriodSeconds: new(int64),
			Preconditions:      &metav1.Preconditions{UID: &p.UID},
		})
		switch {
		case err == nil:
			removed[p.UID] = true
		case apierrors.IsNotFound(err) || apierrors.IsConflict(err):
		default:
			errs = append(errs, fmt.Errorf("delete pod %s/%s: %w", p.Namespace, p.Name, err))
		}
	}
	if len(errs) > 0 {
		errs = append(errs, refusal)
		return len(removed), fmt.Errorf("drain node %s: %w", node, errors.Join(errs...))
	}
	return len(removed), nil
}

// cordon marks the node unschedulable. A node that does not exist needs no
// cordon.
func (c *Client) cordon(ctx context.Context, node string) error {
	patch := []byte(`{"spec":{"unschedulable":true}}`)
	_, err := c.cs.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: FieldManager})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("cordon node %s: %w", node, err)
	}
	return nil
}

// Uncordon makes a node schedulable again, as after its upgrade.
func (c *Client) Uncordon(ctx context.Context, node string) error {
	patch := []byte(`{"spec":{"unschedulable":null}}`)
	_, err := c.cs.CoreV1().Nodes().Patch(ctx, node, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: FieldManager})
	if err != nil {
		return fmt.Errorf("uncordon node %s: %w", node, err)
	}
	return nil
}

// podsToDrain lists the pods bound to node that Drain removes: all but
// DaemonSet and mirror pods.
func (c *Client) podsToDrain(ctx context.Context, node string) ([]corev1.Pod, error) {
	list, err := c.cs.CoreV1().Pods(metav1.NamespaceAll).List(ctx, metav1.ListOptions{
		FieldSelector: fields.OneTermEqualSelector("spec.nodeName", node).String(),
	})
	if err != nil {
		return nil, fmt.Errorf("list pods of node %s: %w", node, err)
	}
	var out []corev1.Pod
	for _, p := range list.Items {
		if _, mirror := p.Annotations[mirrorPodAnnotation]; mirror {
			continue
		}
		if ref := metav1.GetControllerOf(&p); ref != nil && ref.Kind == "DaemonSet" {
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

// DeleteNode deletes the Node object. A node that is already gone is
// success.
func (c *Client) DeleteNode(ctx context.Context, name string) error {
	err := c.cs.CoreV1().Nodes().Delete(ctx, name, metav1.DeleteOptions{})
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("delete node %s: %w", name, err)
	}
	return nil
}
