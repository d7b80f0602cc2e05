package artifacts

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/artifacts"
	"github.com/slipway/slipway/internal/artifacts/registry/registrytest"
)

// containerdConfig runs containerd in dir with no CRI: only the content
// store, the snapshotters and the transfer service that `ctr image pull`
// uses.
const containerdConfig = `version = 3
root = "%[1]s/root"
state = "%[1]s/state"
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.cri.v1.images",
  "io.containerd.cri.v1.runtime",
  "io.containerd.nri.v1.nri",
  "io.containerd.podsandbox.controller.v1.podsandbox",
]

[grpc]
  address = "%[1]s/containerd.sock"

[ttrpc]
  address = "%[1]s/containerd.sock.ttrpc"

[debug]
  address = "%[1]s/debug.sock"

[plugins."io.containerd.internal.v1.opt"]
  path = "%[1]s/opt"
`

// hostsTOML makes Slipway's registry the only host for an upstream
// registry: as the mirror, and as the server itself, so that a failed pull
// cannot fall back to the real registry.
const hostsTOML = `server = "%[1]s"

[host."%[1]s"]
  capabilities = ["pull", "resolve"]
`

// TestContainerdPullsThroughSlipway starts the containerd of the artifacts
// in a scratch directory with Slipway's registry as its mirror for
// docker.io and registry.k8s.io, and pulls the images clusters use. Any
// connection to another host would go through the proxy the environment
// names, a loopback trap that must stay untouched.
func TestContainerdPullsThroughSlipway(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("containerd needs root")
	}
	m := ensure(t, artifacts.DefaultKubernetesVersion)
	ctx := t.Context()

	f := registrytest.New(t)
	start := time.Now()
	if err := artifacts.Publish(ctx, f.Registry, m); err != nil {
		t.Fatal(err)
	}
	t.Logf("published %d images in %s", len(m.Images), time.Since(start).Round(time.Millisecond))

	trap, hits := proxyTrap(t)
	dir := t.TempDir()
	hosts := filepath.Join(dir, "certs.d")
	for _, upstream := range []string{"docker.io", "registry.k8s.io"} {
		if err := os.MkdirAll(filepath.Join(hosts, upstream), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(hosts, upstream, "hosts.toml"), fmt.Appendf(nil, hostsTOML, f.URL), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	env := append(os.Environ(), "HTTP_PROXY="+trap, "HTTPS_PROXY="+trap, "http_proxy="+trap, "https_proxy="+trap, "NO_PROXY=", "no_proxy=")
	sock := startContainerd(t, m, dir, env)

	ctr, err := m.Binary("ctr")
	if err != nil {
		t.Fatal(err)
	}
	pull := func(ref string) {
		t.Helper()
		start := time.Now()
		cmd := exec.CommandContext(ctx, ctr, "--address", sock, "--namespace", "slipway-test", "images", "pull", "--hosts-dir", hosts, ref)
		cmd.Env = env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("ctr images pull %s: %v\n%s", ref, err, out)
		}
		t.Logf("containerd pulled %s in %s", ref, time.Since(start).Round(time.Millisecond))
	}
	var busybox, pause, coredns string
	for _, im := range m.Images {
		switch {
		case strings.HasPrefix(im.Ref, artifacts.BusyboxRepository+":"):
			busybox = im.Ref
		case strings.HasPrefix(im.Ref, artifacts.PauseRepository+":"):
			pause = im.Ref
		case strings.HasPrefix(im.Ref, artifacts.CoreDNSRepository+":"):
			coredns = im.Ref
		}
	}
	if busybox == "" {
		t.Fatal("no busybox image: apt-get install busybox-static")
	}
	pull(busybox)
	pull(pause)
	pull(coredns)

	cmd := exec.CommandContext(ctx, ctr, "--address", sock, "--namespace", "slipway-test", "images", "list", "-q")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("ctr images list: %v\n%s", err, out)
	}
	for _, ref := range []string{busybox, pause, coredns} {
		if !strings.Contains(string(out), ref+"\n") {
			t.Errorf("containerd does not list %s:\n%s", ref, out)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("containerd or ctr opened %d connections through the proxy: something other than Slipway was contacted", n)
	}
	var mirrored int
	for _, r := range f.Requests.All() {
		if r.NS != "" {
			mirrored++
			if r.NS != "docker.io" && r.NS != "registry.k8s.io" {
				t.Errorf("unexpected ns %q in %s %s", r.NS, r.Method, r.Path)
			}
		}
	}
	if mirrored == 0 {
		t.Error("no request reached Slipway as a mirror (with ?ns=)")
	}
}

// startContainerd runs the manifest's containerd with its state in dir,
// in a private mount namespace so that no mount it makes reaches the host,
// and stops it when the test ends. It returns the socket address.
func startContainerd(t *testing.T, m *artifacts.Manifest, dir string, env []string) string {
	t.Helper()
	bin, err := m.Binary("containerd")
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(cfg, fmt.Appendf(nil, containerdConfig, dir), 0o644); err != nil {
		t.Fatal(err)
	}
	env = append(env, "PATH="+filepath.Dir(bin)+":"+os.Getenv("PATH"))
	exited, logPath := startDaemon(t, dir, "containerd", env, "unshare", "--mount", "--propagation", "private", "--", bin, "--config", cfg)
	sock := filepath.Join(dir, "containerd.sock")
	ctr, _ := m.Binary("ctr")
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-exited:
			data, _ := os.ReadFile(logPath)
			t.Fatalf("containerd exited:\n%s", tail(string(data), 40))
		default:
		}
		ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
		err := exec.CommandContext(ctx, ctr, "--address", sock, "version").Run()
		cancel()
		if err == nil {
			return sock
		}
		if time.Now().After(deadline) {
			t.Fatalf("containerd did not answer on %s within 30s", sock)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// proxyTrap listens on loopback and counts connections; its URL is given
// as the HTTP(S) proxy, which Go clients use for every host but loopback.
func proxyTrap(t *testing.T) (string, *atomic.Int32) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	var hits atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			hits.Add(1)
			_ = c.Close()
		}
	}()
	return "http://" + ln.Addr().String(), &hits
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
