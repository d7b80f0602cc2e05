// Package nettest builds test "machines" for the network and load balancer
// tests: plain network namespaces running busybox httpd or a Go echo
// server, and clients that dial from inside a namespace or from the host.
// Everything stays on this host.
package nettest
