package cmd

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// execute runs `artifacts ARGS` under a root that has the client
// commands' -o/--output flag, with the cache in dir.
func execute(t *testing.T, dir string, args ...string) (string, string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	root := &cobra.Command{Use: "slipway", SilenceErrors: true, SilenceUsage: true}
	root.PersistentFlags().StringP("output", "o", "table", "output format")
	root.AddCommand(NewCommand(&out, &errOut))
	root.SetArgs(append([]string{"artifacts", "--cache-dir", dir}, args...))
	root.SetOut(&out)
	root.SetErr(&errOut)
	err := root.ExecuteContext(t.Context())
	return out.String(), errOut.String(), err
}

const manifest = `{
  "kubernetes": "v1.37.2",
  "release": {"kubernetes": "v1.37.2", "etcd": "v3.7.3", "coredns": "v1.14.6", "pause": "3.10.2", "containerd": "v2.4.2"},
  "go": "go1.26.8",
  "platform": "linux/amd64",
  "created_at": "2026-11-26T03:00:00Z",
  "components": [
    {"name": "kubernetes", "version": "v1.37.2", "source": "go:k8s.io/kubernetes@v1.37.2", "object": "kubernetes-v1.37.2-0123456789abcdef",
     "built_at": "2026-11-26T02:50:00Z", "build_seconds": 412.5, "cpu_seconds": 700,
     "files": [{"name": "kube", "path": "objects/kubernetes-v1.37.2-0123456789abcdef/bin/kube", "sha256": "aa", "size": 125829120},
               {"name": "kubelet", "path": "objects/kubernetes-v1.37.2-0123456789abcdef/bin/kubelet", "sha256": "aa", "size": 125829120}]},
    {"name": "runc", "version": "1.1.5+ds1-1+deb12u1", "source": "debian:runc 1.1.5+ds1-1+deb12u1",
     "files": [{"name": "runc", "path": "/usr/sbin/runc", "sha256": "bb", "size": 9437184}]}
  ],
  "images": [{"ref": "registry.k8s.io/pause:3.10.2", "digest": "sha256:cc", "size": 700000, "layout": "objects/image-pause/oci", "object": "image-pause-3.10.2-0123456789abcdef"}]
}
`

func TestList(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out, _, err := execute(t, dir, "list")
	if err != nil || out != "KUBERNETES  COMPONENT  VERSION  SIZE  BUILT  BUILD TIME  CPU  SOURCE\n" {
		t.Fatalf("empty list = %q, %v", out, err)
	}
	if out, _, err := execute(t, dir, "list", "-o", "json"); err != nil || strings.TrimSpace(out) != "[]" {
		t.Fatalf("empty list -o json = %q, %v", out, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "versions", "v1.37.2.json"), []byte(manifest), 0o644); err != nil {
		t.Fatal(err)
	}
	out, _, err = execute(t, dir, "list")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"v1.37.2     kubernetes", "120.0 MiB", "6m53s", "11m40s", "go:k8s.io/kubernetes@v1.37.2",
		"runc", "debian:runc 1.1.5+ds1-1+deb12u1",
		"image pause", "3.10.2", "registry.k8s.io/pause:3.10.2",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("list output lacks %q:\n%s", want, out)
		}
	}
	out, _, err = execute(t, dir, "list", "-o", "json")
	if err != nil || !strings.Contains(out, `"path": "`+dir+`/objects/kubernetes-v1.37.2-0123456789abcdef/bin/kube"`) {
		t.Errorf("list -o json does not give absolute paths: %v\n%s", err, out)
	}
}

func TestPrune(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, _, err := execute(t, dir, "list"); err != nil { // creates the layout
		t.Fatal(err)
	}
	orphan := filepath.Join(dir, "objects", "etcd-v3.7.3-0123456789abcdef")
	if err := os.MkdirAll(orphan, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(orphan, "etcd"), make([]byte, 2048), 0o755); err != nil {
		t.Fatal(err)
	}
	out, _, err := execute(t, dir, "prune")
	if err != nil || out != "removed etcd-v3.7.3-0123456789abcdef\nfreed 2.0 KiB\n" {
		t.Errorf("prune = %q, %v", out, err)
	}
	if _, _, err := execute(t, dir, "prune", "--kube-tag", "v1.30.0"); err == nil || !strings.Contains(err.Error(), "v1.30.0") {
		t.Errorf("pruning an uncached version = %v, want an error naming it", err)
	}
}

func TestBuildErrors(t *testing.T) {
	t.Parallel()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command")
	}
	tests := []struct {
		name, tag string
		want      []string
	}{
		{"malformed", "1.37", []string{`"1.37"`, "malformed version"}},
		{"too old", "v1.20.0", []string{"v1.20.0", "unsupported"}},
		{"made up", "v1.99.0", []string{"cannot build Kubernetes v1.99.0", "k8s.io/kubernetes@v1.99.0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			_, errOut, err := execute(t, dir, "build", "--kube-tag", tt.tag)
			if err == nil {
				t.Fatal("build succeeded")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q (stderr %q)", err, w, errOut)
				}
			}
			if left, _ := os.ReadDir(filepath.Join(dir, "objects")); len(left) != 0 {
				t.Errorf("failed build left %d objects", len(left))
			}
		})
	}
}
