// Package artifacts builds, caches and describes everything a Slipway
// cluster runs, with no access but the Go module proxy and Debian's
// packages: a multi-call Kubernetes binary per version, etcd, CoreDNS,
// containerd with its shim and ctr, the pause binary, and the OCI images
// made from them. runc and the CNI plugins come from Debian and are
// recorded with their versions.
//
// Builds land in a content-addressed cache shared by every data directory
// on the host (Dir, default /var/cache/slipway). Cache.Ensure returns a
// version's Manifest, building what is missing under file locks so that
// concurrent callers share one build. See docs/artifacts.md.
package artifacts
