package artifacts

import (
	"fmt"
	"regexp"
	"strconv"
)

// DefaultKubernetesVersion is the Kubernetes version built when none is
// asked for: the newest release, which runs on cgroup v1 hosts with
// failCgroupV1: false.
const DefaultKubernetesVersion = "v1.37.2"

// Release is the set of component versions that make up one Kubernetes
// version: the companions kubeadm pins for it, at versions the Go module
// proxy serves.
type Release struct {
	// Kubernetes is the Kubernetes version, such as "v1.37.2".
	Kubernetes string `json:"kubernetes"`
	// Etcd is the etcd version, such as "v3.7.3".
	Etcd string `json:"etcd"`
	// CoreDNS is the CoreDNS version, such as "v1.14.6".
	CoreDNS string `json:"coredns"`
	// Pause is the tag of the pause image, such as "3.10.2".
	Pause string `json:"pause"`
	// Containerd is the containerd version, such as "v2.4.2".
	Containerd string `json:"containerd"`
}

// Major returns the "1" of "v1.37.2".
func (r Release) Major() string { return versionParts(r.Kubernetes)[0] }

// Minor returns the "37" of "v1.37.2".
func (r Release) Minor() string { return versionParts(r.Kubernetes)[1] }

// StagingVersion returns the version of the published staging modules of
// this release: "v0.37.2" for "v1.37.2".
func (r Release) StagingVersion() string {
	p := versionParts(r.Kubernetes)
	return "v0." + p[1] + "." + p[2]
}

var kubeVersionRE = regexp.MustCompile(`^v(1)\.(\d+)\.(\d+)$`)

// versionParts splits a validated Kubernetes version into major, minor and
// patch.
func versionParts(v string) [3]string {
	m := kubeVersionRE.FindStringSubmatch(v)
	if m == nil {
		return [3]string{}
	}
	return [3]string{m[1], m[2], m[3]}
}

// companions returns the etcd, CoreDNS, pause and containerd versions for a
// Kubernetes minor, as kubeadm's constants name them (etcd is the newest
// patch of kubeadm's etcd minor that the proxy serves), and whether the
// minor is known.
func companions(minor int) (Release, bool) {
	switch minor {
	case 37:
		return Release{Etcd: "v3.7.3", CoreDNS: "v1.14.6", Pause: "3.10.2", Containerd: "v2.4.2"}, true
	case 36:
		return Release{Etcd: "v3.6.16", CoreDNS: "v1.14.2", Pause: "3.10.2", Containerd: "v2.4.2"}, true
	case 35:
		return Release{Etcd: "v3.6.16", CoreDNS: "v1.13.1", Pause: "3.10.1", Containerd: "v2.4.2"}, true
	case 34:
		return Release{Etcd: "v3.6.16", CoreDNS: "v1.12.1", Pause: "3.10.1", Containerd: "v2.4.2"}, true
	}
	return Release{}, false
}

// newestKnownMinor is the highest minor companions knows.
const newestKnownMinor = 37

// ReleaseFor returns the component versions for Kubernetes version v
// ("v1.37.2"). A minor newer than any known one gets the newest known
// companions, so that a build of it fails, if it does, on Kubernetes itself
// with the real error. A malformed version or a minor older than 1.34 is
// refused.
func ReleaseFor(v string) (Release, error) {
	p := versionParts(v)
	if p[0] == "" {
		return Release{}, fmt.Errorf("kubernetes version %q: %w", v, ErrBadVersion)
	}
	minor, _ := strconv.Atoi(p[1])
	r, ok := companions(minor)
	if !ok {
		if minor < newestKnownMinor {
			return Release{}, fmt.Errorf("kubernetes version %s: %w (Slipway supports 1.34 and later)", v, ErrUnsupportedVersion)
		}
		r, _ = companions(newestKnownMinor)
	}
	r.Kubernetes = v
	return r, nil
}
