// Package netns creates, enters and removes named network namespaces the way
// iproute2 does (bind mounts under /run/netns), without ever running
// `ip netns exec`, and finds the processes that live in one.
package netns
