package artifacts

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/artifacts"
)

// TestVersions builds (or finds) the default Kubernetes and the older
// minor that upgrades start from, and checks that every binary reports its
// real version.
func TestVersions(t *testing.T) {
	for _, v := range []string{artifacts.DefaultKubernetesVersion, "v1.36.3"} {
		t.Run(v, func(t *testing.T) {
			m := ensure(t, v)
			rel := m.Release
			k8s := "Kubernetes " + v + "\n"
			for _, cmd := range []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy"} {
				if got := run(t, m, cmd, "--version"); got != k8s {
					t.Errorf("%s --version = %q, want %q", cmd, got, k8s)
				}
			}
			if got := run(t, m, "kubectl", "version", "--client"); !strings.HasPrefix(got, "Client Version: "+v+"\n") {
				t.Errorf("kubectl version --client = %q", got)
			}
			// The multi-call binary also takes the command as its first
			// argument.
			if got := run(t, m, "kube", "kubelet", "--version"); got != k8s {
				t.Errorf("kube kubelet --version = %q, want %q", got, k8s)
			}
			var info struct {
				ClientVersion struct {
					Major, Minor, GitVersion, GitCommit, GitTreeState, BuildDate string
				}
			}
			if err := json.Unmarshal([]byte(run(t, m, "kubectl", "version", "--client", "-o", "json")), &info); err != nil {
				t.Fatal(err)
			}
			cv := info.ClientVersion
			if cv.Major != "1" || "v1."+cv.Minor+"." != v[:len("v1."+cv.Minor+".")] || cv.GitTreeState != "clean" || len(cv.GitCommit) != 40 || strings.HasPrefix(cv.BuildDate, "1970") {
				t.Errorf("kubectl version info = %+v", cv)
			}

			etcdV := strings.TrimPrefix(rel.Etcd, "v")
			if got := run(t, m, "etcd", "--version"); !strings.HasPrefix(got, "etcd Version: "+etcdV+"\n") {
				t.Errorf("etcd --version = %q, want etcd Version: %s", got, etcdV)
			}
			if got := run(t, m, "etcdctl", "version"); !strings.HasPrefix(got, "etcdctl version: "+etcdV+"\n") {
				t.Errorf("etcdctl version = %q", got)
			}
			if got := run(t, m, "containerd", "--version"); !strings.HasPrefix(got, "containerd github.com/containerd/containerd/v2 "+rel.Containerd+" ") {
				t.Errorf("containerd --version = %q, want %s", got, rel.Containerd)
			}
			if got := run(t, m, "ctr", "--version"); !strings.Contains(got, rel.Containerd) {
				t.Errorf("ctr --version = %q", got)
			}
			if got := run(t, m, "coredns", "-version"); !strings.HasPrefix(got, "CoreDNS-"+strings.TrimPrefix(rel.CoreDNS, "v")+"\n") {
				t.Errorf("coredns -version = %q, want %s", got, rel.CoreDNS)
			}
			if got := run(t, m, "pause", "-v"); got != "pause "+rel.Pause+" (slipway)\n" {
				t.Errorf("pause -v = %q", got)
			}
			for _, want := range []string{artifacts.PauseRepository + ":" + rel.Pause, artifacts.CoreDNSRepository + ":" + rel.CoreDNS} {
				found := false
				for _, im := range m.Images {
					found = found || im.Ref == want
				}
				if !found {
					t.Errorf("no image %s in %+v", want, m.Images)
				}
			}

			// A cached version is a file read away.
			c, err := artifacts.New(artifacts.Options{})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			if _, err := c.Ensure(t.Context(), v); err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("cached Ensure took %s, want ≤ 1s", d)
			} else {
				t.Logf("cached Ensure of %s: %s", v, d.Round(time.Microsecond))
			}
		})
	}
}

// TestConcurrentRequestsShareOneBuild asks for the default version twice at
// once, through two caches on the shared directory as two processes would:
// at most one of them builds, and both get the same manifest.
func TestConcurrentRequestsShareOneBuild(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Kubernetes: skipped with -short")
	}
	var mu sync.Mutex
	starts := map[string]int{}
	var ms [2]*artifacts.Manifest
	var errs [2]error
	var wg sync.WaitGroup
	for i := range 2 {
		c, err := artifacts.New(artifacts.Options{Progress: func(e artifacts.Event) {
			mu.Lock()
			defer mu.Unlock()
			if e.Phase == artifacts.PhaseStart {
				starts[e.Component]++
			}
			if e.Phase != artifacts.PhaseRunning {
				t.Logf("caller %d: %s", i, e)
			}
		}})
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			ms[i], errs[i] = c.Ensure(t.Context(), artifacts.DefaultKubernetesVersion)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs[:]...); err != nil {
		t.Fatal(err)
	}
	for comp, n := range starts {
		if n > 1 {
			t.Errorf("%s was built %d times", comp, n)
		}
	}
	if !ms[0].CreatedAt.Equal(ms[1].CreatedAt) {
		t.Errorf("callers got different manifests, created %s and %s", ms[0].CreatedAt, ms[1].CreatedAt)
	}
}

// TestUnknownVersionFails asks for a Kubernetes release that does not
// exist: the error names it and carries the proxy's answer, and nothing of
// it is left in the cache.
func TestUnknownVersionFails(t *testing.T) {
	if testing.Short() {
		t.Skip("uses the shared cache: skipped with -short")
	}
	c, err := artifacts.New(artifacts.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Ensure(t.Context(), "v1.99.0")
	var be *artifacts.BuildError
	if !errors.As(err, &be) {
		t.Fatalf("Ensure(v1.99.0) = %v, want a *BuildError", err)
	}
	t.Logf("error: %v", err)
	if be.Version != "v1.99.0" || be.Component != artifacts.ComponentKubernetes || !strings.Contains(err.Error(), "cannot build Kubernetes v1.99.0") ||
		!strings.Contains(be.Output, "k8s.io/kubernetes@v1.99.0") {
		t.Errorf("BuildError = %+v", be)
	}
	if _, err := c.Lookup("v1.99.0"); !errors.Is(err, artifacts.ErrNotCached) {
		t.Errorf("Lookup(v1.99.0) after the failure = %v, want ErrNotCached", err)
	}
	for _, d := range []string{"objects", "tmp"} {
		left, _ := filepath.Glob(filepath.Join(c.Dir(), d, "kubernetes-v1.99.0*"))
		if len(left) > 0 {
			t.Errorf("failed build left %v", left)
		}
	}
	if _, err := os.Stat(filepath.Join(c.Dir(), "versions", "v1.99.0.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("failed build left a manifest: %v", err)
	}
}
