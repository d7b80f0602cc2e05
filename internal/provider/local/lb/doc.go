// Package lb makes Octavia's load balancers real on the local host, the
// way an amphora does: one HAProxy (Debian's haproxy, in master-worker
// mode) per load balancer, in a small network namespace of its own that
// holds the VIP. Slipway renders HAProxy's configuration from the
// listeners, pools, members and health monitors, reloads it without
// dropping established connections, and reads operating status from
// HAProxy's stats socket. HAProxy is not Slipway's child: it outlives a
// Slipway restart and is adopted by the next one.
package lb
