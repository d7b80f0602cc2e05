// Package client is the Go client for Slipway's Magnum v1 (container-infra)
// API and the Keystone-compatible token authentication in front of it.
//
// A typical caller loads credentials the way the openstack CLI does and then
// calls one of the resource accessors:
//
//	cfg, err := client.LoadConfig("")
//	if err != nil { ... }
//	c, err := client.New(ctx, cfg)
//	if err != nil { ... }
//	clusters, err := c.Clusters().List(ctx, client.ListOptions{})
//
// Errors returned by the server are *APIError values; IsNotFound reports a
// 404.
package client
