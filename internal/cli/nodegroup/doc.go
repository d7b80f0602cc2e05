// Package nodegroup implements `slipway nodegroup`: list, show, create,
// update and delete the nodegroups of a cluster.
package nodegroup
