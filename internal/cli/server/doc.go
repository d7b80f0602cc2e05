// Package server implements `slipway server`: the live state and the
// console log of a server that a stack made, by its id (the resource's
// physical id in `openstack stack resource list`).
package server
