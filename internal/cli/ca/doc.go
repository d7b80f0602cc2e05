// Package ca implements `slipway ca`: show a cluster's CA, sign a CSR with
// it, and rotate it.
package ca
