package artifacts

import (
	"fmt"
	"path/filepath"
	"time"
)

// Component names, as they appear in a Manifest.
const (
	ComponentKubernetes = "kubernetes"
	ComponentEtcd       = "etcd"
	ComponentCoreDNS    = "coredns"
	ComponentContainerd = "containerd"
	ComponentPause      = "pause"
	ComponentRunc       = "runc"
	ComponentCNI        = "cni-plugins"
	ComponentBusybox    = "busybox"
)

// KubernetesCommands returns the commands of the Kubernetes multi-call
// binary. Each is a symbolic link to it in the cache, so that running the
// link runs that command.
func KubernetesCommands() []string {
	return []string{
		"kube-apiserver", "kube-controller-manager", "kube-scheduler",
		"kubelet", "kube-proxy", "kubectl",
	}
}

// Manifest describes one cached Kubernetes version: every component built
// or found for it, and the images made from them. Paths are absolute.
type Manifest struct {
	// Kubernetes is the Kubernetes version, such as "v1.37.2".
	Kubernetes string `json:"kubernetes"`
	// Release holds the versions chosen for every component.
	Release Release `json:"release"`
	// Go is the Go toolchain that built the components.
	Go string `json:"go"`
	// Platform is GOOS/GOARCH of the binaries.
	Platform string `json:"platform"`
	// CreatedAt is when the manifest was written, after its last component.
	CreatedAt time.Time `json:"created_at"`
	// Components lists the components, Kubernetes first.
	Components []Component `json:"components"`
	// Images lists the OCI images made for this version.
	Images []Image `json:"images"`
}

// Component is one component of a Kubernetes version.
type Component struct {
	// Name is the component's name, such as "etcd".
	Name string `json:"name"`
	// Version is its version, such as "v3.7.3".
	Version string `json:"version"`
	// Source says where it comes from: "go:<module>@<version>" for a build
	// from the Go module proxy, "debian:<package> <version>" for a Debian
	// package.
	Source string `json:"source"`
	// Object is the cache object that holds a built component.
	Object string `json:"object,omitempty"`
	// BuiltAt is when the component was built; zero for packages.
	BuiltAt time.Time `json:"built_at,omitzero"`
	// BuildSeconds is how long the build took, in wall-clock seconds.
	BuildSeconds float64 `json:"build_seconds,omitempty"`
	// CPUSeconds is the CPU time (user and system) of the build's tools,
	// which unlike wall time does not depend on what else the host runs.
	CPUSeconds float64 `json:"cpu_seconds,omitempty"`
	// Files are the component's files.
	Files []File `json:"files"`
}

// File is one file of a component.
type File struct {
	// Name is the file's base name, such as "kubelet".
	Name string `json:"name"`
	// Path is where the file is. Cache paths are stored relative to the
	// cache directory and made absolute when a manifest is loaded.
	Path string `json:"path"`
	// SHA256 is the hex SHA-256 of its content; empty for directories.
	SHA256 string `json:"sha256,omitempty"`
	// Size is its size in bytes; for a directory, the total of its files.
	Size int64 `json:"size"`
}

// Image is an OCI image made for a Kubernetes version.
type Image struct {
	// Ref is the name the registry publishes it under, such as
	// "registry.k8s.io/pause:3.10.2".
	Ref string `json:"ref"`
	// Digest is the manifest digest.
	Digest string `json:"digest"`
	// Size is the total size of its config and layers, in bytes.
	Size int64 `json:"size"`
	// Layout is the OCI image layout directory holding it.
	Layout string `json:"layout"`
	// Object is the cache object that holds it.
	Object string `json:"object"`
}

// Component returns the named component.
func (m *Manifest) Component(name string) (*Component, bool) {
	for i := range m.Components {
		if m.Components[i].Name == name {
			return &m.Components[i], true
		}
	}
	return nil, false
}

// Binary returns the path of the named file of any component, such as
// "kubelet", "etcd" or "containerd".
func (m *Manifest) Binary(name string) (string, error) {
	for _, c := range m.Components {
		for _, f := range c.Files {
			if f.Name == name {
				return f.Path, nil
			}
		}
	}
	return "", fmt.Errorf("kubernetes %s has no file %q: %w", m.Kubernetes, name, ErrNotFound)
}

// Size returns the total size of the built components' files, counting the
// multi-call binary once.
func (m *Manifest) Size() int64 {
	var n int64
	seen := map[string]bool{}
	for _, c := range m.Components {
		for _, f := range c.Files {
			if f.SHA256 != "" && seen[f.SHA256] {
				continue
			}
			seen[f.SHA256] = true
			n += f.Size
		}
	}
	return n
}

// resolve makes the stored relative paths absolute under dir.
func (m *Manifest) resolve(dir string) {
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, p)
	}
	for i := range m.Components {
		for j := range m.Components[i].Files {
			m.Components[i].Files[j].Path = abs(m.Components[i].Files[j].Path)
		}
	}
	for i := range m.Images {
		m.Images[i].Layout = abs(m.Images[i].Layout)
	}
}
