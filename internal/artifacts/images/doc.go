// Package images builds the OCI images Slipway serves from its embedded
// registry (pause, CoreDNS and a busybox test image) in process with
// go-containerregistry, with no Docker. Images are deterministic: one
// sorted layer with fixed owners and epoch time stamps, so the same input
// files give the same digest.
package images
