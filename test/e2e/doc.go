// Package e2e proves the local provider end to end: the real `slipway
// serve` binary, the stock `openstack stack` CLI and `slipway server`,
// real machines, networks, HAProxy load balancers and floating IPs on this
// host. The tests need root, haproxy, busybox-static, curl and the
// openstack CLI (hack/test.sh installs them); without root they are
// skipped. The Kubernetes tests drive real clusters with `openstack coe`
// and kubectl; they need the release they run in the artifacts cache
// (`slipway artifacts build --kube-tag v1.37.2`) and are skipped without
// it. Every test holds the host-wide leak-check lock and compares the host
// before and after. All traffic stays on this host: the tests talk to
// loopback and to the provider's own public network, and egress stays
// off. The one exception is the Go module proxy, which Slipway asks for
// a Kubernetes release that does not exist.
package e2e
