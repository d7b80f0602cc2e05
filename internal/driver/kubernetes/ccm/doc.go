// Package ccm is slipway-cloud-controller: a k8s.io/cloud-provider
// implementation that the conductor runs beside each Kubernetes cluster,
// with the cluster's admin credentials: it gives Services of type
// LoadBalancer a provider load balancer, and nodes their servers'
// identities.
//
// The pieces, from the inside out:
//
//   - Backend and Instances are the two small contracts the driver
//     implements against the provider (orchestration stacks, servers).
//   - Cloud adapts them to cloudprovider.Interface: LoadBalancer always,
//     InstancesV2 when Instances is given; zones, clusters and routes are
//     not implemented.
//   - Run drives one cluster with the upstream controllers: the service
//     controller (k8s.io/cloud-provider/controllers/service) and, with
//     Instances, the node and node lifecycle controllers. Kubelets start
//     with --cloud-provider=external, so each node registers tainted
//     uninitialized until the node controller has written its provider id
//     (slipway:///<server id>), instance type (the flavor) and addresses.
//   - Manager keeps at most one Run per cluster id for the conductor.
//
// The upstream controller logs through klog, which is process-global; see
// RouteKlog.
package ccm
