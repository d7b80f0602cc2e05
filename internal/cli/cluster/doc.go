// Package cluster implements `slipway cluster`: list, show, create, update,
// delete, resize, upgrade and config.
package cluster
