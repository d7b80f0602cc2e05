// Package ccm is slipway-cloud-controller: a k8s.io/cloud-provider
// implementation that the conductor runs beside each Kubernetes cluster,
// with the cluster's admin credentials, to give Services of type
// LoadBalancer a provider load balancer.
//
// The pieces, from the inside out:
//
//   - Backend and Instances are the two small contracts the driver
//     implements against the provider (orchestration stacks, servers).
//   - Cloud adapts them to cloudprovider.Interface: LoadBalancer always,
//     InstancesV2 when Instances is given; zones, clusters and routes are
//     not implemented.
//   - Run drives one cluster: the upstream service controller
//     (k8s.io/cloud-provider/controllers/service) over Service and Node
//     informers. Nothing else runs: kubelets start without
//     --cloud-provider=external, so there are no uninitialized nodes for a
//     node controller to finish.
//   - Manager keeps at most one Run per cluster id for the conductor.
//
// The upstream controller logs through klog, which is process-global; see
// RouteKlog.
package ccm
