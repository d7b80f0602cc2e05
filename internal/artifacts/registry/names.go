package registry

import (
	"fmt"
	"strings"
)

// LibraryNamespace holds the official images: Docker Hub's "library/…"
// names, readable by everyone and writable by admins.
const LibraryNamespace = "library"

// dockerHubHosts are the names containerd and other clients use for Docker
// Hub.
func isDockerHub(host string) bool {
	switch host {
	case "docker.io", "index.docker.io", "registry-1.docker.io":
		return true
	}
	return false
}

// Repository returns the repository that serves image name from upstream
// registry host. Slipway stores mirrored images under the upstream host's
// name, so that "registry.k8s.io/pause" is the repository
// "registry.k8s.io/pause". Docker Hub is the exception: its official images
// ("library/busybox") live in Slipway's own library namespace, and its
// other images under "docker.io/". An empty host means Slipway itself.
func Repository(host, name string) string {
	switch {
	case host == "":
		return name
	case isDockerHub(host):
		if !strings.Contains(name, "/") {
			return LibraryNamespace + "/" + name
		}
		if strings.HasPrefix(name, LibraryNamespace+"/") {
			return name
		}
		return "docker.io/" + name
	}
	return host + "/" + name
}

// SplitRef splits an image reference such as "registry.k8s.io/pause:3.10.2"
// or "library/busybox:1.35.0" into the repository Slipway stores it in and
// its tag. A reference with no registry host names a Slipway repository.
func SplitRef(ref string) (repo, tag string, err error) {
	name, tag := ref, "latest"
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		name, tag = ref[:i], ref[i+1:]
	}
	if name == "" || tag == "" || strings.Contains(ref, "@") {
		return "", "", fmt.Errorf("image reference %q: want [HOST/]NAME[:TAG]", ref)
	}
	host := ""
	if first, rest, ok := strings.Cut(name, "/"); ok && (strings.ContainsAny(first, ".:") || first == "localhost") {
		host, name = first, rest
	}
	return Repository(host, name), tag, nil
}

// namespace kinds.
type nsKind int

const (
	// nsPublic is readable by everyone and writable by admins: the library,
	// mirrored registries (a first component with a dot, like
	// "registry.k8s.io") and single-component names.
	nsPublic nsKind = iota
	// nsProject belongs to the project of that name.
	nsProject
)

// classify returns the kind of repository repo and, for a project
// repository, the project's name.
func classify(repo string) (nsKind, string) {
	first, _, ok := strings.Cut(repo, "/")
	if !ok || first == LibraryNamespace || strings.ContainsAny(first, ".:") {
		return nsPublic, ""
	}
	return nsProject, first
}
