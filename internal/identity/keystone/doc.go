// Package keystone validates tokens against an external OpenStack Keystone,
// for deployments that keep their identities there rather than in
// Slipway's built-in identity service.
package keystone
