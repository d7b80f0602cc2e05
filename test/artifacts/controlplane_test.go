package artifacts

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/artifacts"
)

// TestControlPlaneServesItsVersion runs the built etcd and the multi-call
// binary's kube-apiserver on loopback ports and asks the server for its
// version with the built kubectl: the apiserver half of the multi-call
// binary works against this etcd, and reports the real version.
func TestControlPlaneServesItsVersion(t *testing.T) {
	m := ensure(t, artifacts.DefaultKubernetesVersion)
	dir := t.TempDir()

	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	saKey := write("sa.key", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}))
	saPub := write("sa.pub", pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub}))
	tokens := write("tokens.csv", []byte("smoke-token,admin,admin,system:masters\n"))

	client, peer, secure := freePort(t), freePort(t), freePort(t)
	clientURL := fmt.Sprintf("http://127.0.0.1:%d", client)
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", peer)
	daemon(t, m, dir, "etcd", "--data-dir", filepath.Join(dir, "etcd"), "--unsafe-no-fsync",
		"--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "default="+peerURL)
	start := time.Now()
	daemon(t, m, dir, "kube-apiserver", "--etcd-servers", clientURL,
		"--bind-address", "127.0.0.1", "--secure-port", fmt.Sprint(secure), "--cert-dir", filepath.Join(dir, "certs"),
		"--service-account-issuer", "https://kubernetes.default.svc", "--service-account-key-file", saPub,
		"--service-account-signing-key-file", saKey, "--token-auth-file", tokens, "--authorization-mode", "RBAC")

	kubectl, err := m.Binary("kubectl")
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"--server", fmt.Sprintf("https://127.0.0.1:%d", secure), "--insecure-skip-tls-verify", "--token", "smoke-token"}
	deadline := time.Now().Add(90 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		err := exec.CommandContext(ctx, kubectl, append(args, "get", "--raw", "/readyz")...).Run()
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("kube-apiserver not ready within 90s: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("kube-apiserver ready %s after start", time.Since(start).Round(100*time.Millisecond))
	out, err := exec.CommandContext(t.Context(), kubectl, append(args, "version")...).CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl version: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "Server Version: "+m.Kubernetes+"\n") {
		t.Errorf("kubectl version = %q, want Server Version: %s", out, m.Kubernetes)
	}
}

// daemon starts the manifest's binary with args, its output in dir, and
// stops it when the test ends.
func daemon(t *testing.T, m *artifacts.Manifest, dir, binary string, args ...string) {
	t.Helper()
	bin, err := m.Binary(binary)
	if err != nil {
		t.Fatal(err)
	}
	startDaemon(t, dir, binary, nil, append([]string{bin}, args...)...)
}

// startDaemon runs argv with env (nil inherits this process's), its output
// in dir/name.log, and stops it when the test ends: SIGTERM, then SIGKILL
// after 10 s. It returns a channel closed when the process exits, and the
// log's path.
func startDaemon(t *testing.T, dir, name string, env []string, argv ...string) (<-chan struct{}, string) {
	t.Helper()
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		_ = logf.Close()
		if t.Failed() {
			if data, err := os.ReadFile(logf.Name()); err == nil {
				t.Logf("%s log:\n%s", name, tail(string(data), 40))
			}
		}
	})
	return exited, logf.Name()
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}
