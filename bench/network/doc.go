// Package network measures the local provider's networking: the time to
// build a network, a router, a load balancer with three members and a
// floating IP; the time of a member change (an HAProxy reload); and the
// time to delete it all. Run it as root with
//
//	SLIPWAY_BENCH=1 go test ./bench/network -run Figures -v -count=1
//
// docs/benchmarks.md records the figures.
package network
