package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"slices"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
)

// PodCIDRConflictError says a Node already has another pod range. A Node's
// spec.podCIDR cannot change once set, so the node must be deleted and
// registered again to take the planned one.
type PodCIDRConflictError struct {
	// Node is the node's name.
	Node string
	// Current is the pod range the Node has; Wanted the one asked for.
	Current, Wanted string
}

func (e *PodCIDRConflictError) Error() string {
	return fmt.Sprintf("node %s has pod CIDR %s, not %s, and a pod CIDR cannot change", e.Node, e.Current, e.Wanted)
}

// SetPodCIDRs gives each named Node its pod range: spec.podCIDR and
// spec.podCIDRs, set once with a merge patch. A Node whose pod range is
// already the wanted one is left alone. Nodes that do not exist yet are
// returned in missing, sorted, so the caller can call again once their
// kubelets register. A Node that has another pod range is never changed (the
// field is immutable): it gives a *PodCIDRConflictError naming it. The other
// nodes are still handled, and their errors are joined.
func (c *Client) SetPodCIDRs(ctx context.Context, cidrs map[string]string) (missing []string, err error) {
	names := make([]string, 0, len(cidrs))
	for name, cidr := range cidrs {
		if name == "" {
			return nil, fmt.Errorf("set pod CIDRs: %w: empty node name", ErrInvalid)
		}
		if p, err := netip.ParsePrefix(cidr); err != nil || p.Masked() != p {
			return nil, fmt.Errorf("set pod CIDR of node %s: %w: %q is not a network CIDR", name, ErrInvalid, cidr)
		}
		names = append(names, name)
	}
	slices.Sort(names)

	var errs []error
	for _, name := range names {
		found, err := c.setPodCIDR(ctx, name, cidrs[name])
		switch {
		case err != nil:
			errs = append(errs, err)
		case !found:
			missing = append(missing, name)
		}
	}
	return missing, errors.Join(errs...)
}

// setPodCIDR sets one Node's pod range. found is false when the Node does
// not exist. The patch carries the resourceVersion it was decided on, so a
// pod range written by someone else in between is seen, not overwritten.
func (c *Client) setPodCIDR(ctx context.Context, name, cidr string) (found bool, err error) {
	nodes := c.cs.CoreV1().Nodes()
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n, err := nodes.Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			found = false
			return nil
		}
		if err != nil {
			return err
		}
		found = true
		switch n.Spec.PodCIDR {
		case cidr:
			return nil
		case "":
		default:
			return &PodCIDRConflictError{Node: name, Current: n.Spec.PodCIDR, Wanted: cidr}
		}
		patch, err := json.Marshal(map[string]any{
			"metadata": map[string]any{"resourceVersion": n.ResourceVersion},
			"spec":     map[string]any{"podCIDR": cidr, "podCIDRs": []string{cidr}},
		})
		if err != nil {
			return err
		}
		_, err = nodes.Patch(ctx, name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: FieldManager})
		if apierrors.IsNotFound(err) {
			found = false
			return nil
		}
		return err
	})
	if err != nil {
		var conflict *PodCIDRConflictError
		if errors.As(err, &conflict) {
			return true, err
		}
		return found, fmt.Errorf("set pod CIDR of node %s: %w", name, err)
	}
	return found, nil
}
