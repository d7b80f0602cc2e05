// Package network makes OpenStack Neutron's primitives real on the local
// Linux host: networks and subnets (a Linux bridge in a network namespace of
// its own), ports (veth pairs into a machine's namespace), routers (a router
// namespace like Neutron's qrouter), security groups and floating IPs
// (nftables tables that Slipway owns, programmed over netlink), and the
// external network "public", whose addresses the host reaches.
//
// Nothing here sends a packet off the host: routers have no default route and
// the host drops anything forwarded from or to "public", unless the operator
// turns egress on. docs/design/local-network.md explains the layout.
package network
