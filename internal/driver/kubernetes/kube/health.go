package kube

import (
	"context"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// HealthAPIKey is the key of the API's readiness in Health's reasons; each
// node's readiness is under NodeReadyKey(name).
const HealthAPIKey = "api"

// HealthDNSKey is the key of cluster DNS in Health's reasons.
const HealthDNSKey = "dns"

// HealthOK is the API's, and DNS's, reason when they serve.
const HealthOK = "ok"

// NodeReadyKey returns the key of a node's Ready condition in Health's
// reasons: "<node>.Ready", as Magnum's health_status_reason.
func NodeReadyKey(node string) string { return node + ".Ready" }

// Health reports the cluster's health as Magnum's health monitor does:
// reasons[HealthAPIKey] is "ok" or the failing /readyz checks, and, once the
// API is ready, reasons[NodeReadyKey(node)] is each Node's Ready condition
// status, "True", "False" or "Unknown" (also for a node that has not
// reported one), and reasons[HealthDNSKey] is "ok" when the kube-dns
// Service has a ready CoreDNS, or what it lacks (see DNSServing). healthy
// means the API is ready, every node is Ready and DNS serves.
//
// When the API cannot be reached at all, the error wraps ErrUnreachable
// and there are no reasons: the caller decides what an unreachable cluster
// is. An API that is ready but fails to list the nodes (etcd died a moment
// ago) is an error too, after at most RequestTimeout.
func (c *Client) Health(ctx context.Context) (healthy bool, reasons map[string]string, err error) {
	ok, reason, err := c.readyz(ctx)
	if err != nil {
		return false, nil, fmt.Errorf("health of %s: %w", c.server, err)
	}
	if !ok {
		return false, map[string]string{HealthAPIKey: reason}, nil
	}
	nodes, err := c.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return false, nil, fmt.Errorf("health of %s: list nodes: %w", c.server, err)
	}
	dns, why, err := c.DNSServing(ctx)
	if err != nil {
		return false, nil, fmt.Errorf("health of %s: %w", c.server, err)
	}
	if dns {
		why = HealthOK
	}
	reasons = map[string]string{HealthAPIKey: HealthOK, HealthDNSKey: why}
	healthy = dns
	for i := range nodes.Items {
		status, _ := readyCondition(&nodes.Items[i])
		reasons[NodeReadyKey(nodes.Items[i].Name)] = string(status)
		healthy = healthy && status == corev1.ConditionTrue
	}
	return healthy, reasons, nil
}

// NodeInfo is what the driver needs of a Node.
type NodeInfo struct {
	// Name is the Node's name.
	Name string
	// InternalIP is the node's first InternalIP address, empty until its
	// kubelet reports one.
	InternalIP string
	// Ready is whether the Ready condition is True.
	Ready bool
	// NotReadyReason is, when Ready is false, the condition's reason and
	// message, or that the node has not reported it.
	NotReadyReason string
	// Unschedulable is whether the node is cordoned.
	Unschedulable bool
}

// Nodes lists the cluster's nodes, sorted by name.
func (c *Client) Nodes(ctx context.Context) ([]NodeInfo, error) {
	list, err := c.cs.CoreV1().Nodes().List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, fmt.Errorf("list nodes of %s: %w", c.server, err)
	}
	out := make([]NodeInfo, 0, len(list.Items))
	for i := range list.Items {
		n := &list.Items[i]
		status, why := readyCondition(n)
		info := NodeInfo{Name: n.Name, Ready: status == corev1.ConditionTrue, Unschedulable: n.Spec.Unschedulable}
		if !info.Ready {
			info.NotReadyReason = why
		}
		for _, a := range n.Status.Addresses {
			if a.Type == corev1.NodeInternalIP {
				info.InternalIP = a.Address
				break
			}
		}
		out = append(out, info)
	}
	slices.SortFunc(out, func(a, b NodeInfo) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// readyCondition returns the status of the node's Ready condition, Unknown
// when there is none, and a short explanation: the condition's reason and
// message.
func readyCondition(n *corev1.Node) (corev1.ConditionStatus, string) {
	for _, c := range n.Status.Conditions {
		if c.Type != corev1.NodeReady {
			continue
		}
		why := c.Reason
		if c.Message != "" && why != "" {
			why += ": "
		}
		why += c.Message
		if c.Status == "" {
			return corev1.ConditionUnknown, why
		}
		return c.Status, why
	}
	return corev1.ConditionUnknown, "no Ready condition reported"
}
