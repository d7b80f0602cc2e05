// Package e2e proves the local provider end to end: the real `slipway
// serve` binary, the stock `openstack stack` CLI and `slipway server`,
// real machines, networks, HAProxy load balancers and floating IPs on this
// host. The tests need root, haproxy, busybox-static, curl and the
// openstack CLI (hack/test.sh installs them); without root they are
// skipped. Every test holds the host-wide leak-check lock and compares the
// host before and after. All traffic stays on this host: the tests talk to
// loopback and to the provider's own public network, and egress stays off.
package e2e
