// Package registry is Slipway's embedded OCI registry: distribution/v3's
// handlers over filesystem storage, served at /v2/ on Slipway's own
// listener, behind HTTP basic authentication with Slipway credentials and
// per-project authorisation. It publishes the images Slipway builds under
// the names clusters expect, and answers containerd's mirror requests for
// registry.k8s.io and docker.io. See docs/artifacts.md for the name
// mapping.
package registry
