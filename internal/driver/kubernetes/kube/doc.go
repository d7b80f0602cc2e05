// Package kube is what the Kubernetes driver and the conductor's health
// monitor do inside a running cluster, as its admin, with client-go.
//
// A Client is made from a cluster's admin Credentials. It waits for the API
// to be ready (WaitReady), writes each Node's pod range before its kubelet
// registers (SetPodCIDRs), installs the CoreDNS addon by server-side apply
// (ApplyCoreDNS), empties and removes nodes on resize (Drain, DeleteNode),
// reports health in the shape of Magnum's health_status_reason (Health,
// Nodes) and releases cloud load balancers at cluster delete
// (DeleteLoadBalancerServices).
//
// Every method is idempotent and level-triggered: calling it again after a
// failure or a partial success finishes the job. The Client talks to the
// cluster's API server only; it never dials anything else.
//
// The kubetest package runs a real etcd and kube-apiserver for tests.
package kube
