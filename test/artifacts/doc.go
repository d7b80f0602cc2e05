// Package artifacts proves the artifacts supply chain end to end: real
// Kubernetes, etcd, CoreDNS and containerd builds from the Go module proxy
// in the host's shared cache, each reporting its real version, and a real
// containerd pulling Slipway's images through the embedded registry as its
// mirror, with no other host contacted.
//
// A cold cache takes many minutes of CPU to fill. CI fills it first with
// `slipway artifacts build`; the tests then find everything cached. -short
// skips them.
package artifacts
