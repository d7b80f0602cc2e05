// Package kubetest runs a real Kubernetes control plane for tests: etcd and
// kube-apiserver, and optionally kube-controller-manager, from the host's
// artifacts cache, on free loopback ports, with a PKI made by internal/pki.
//
// It never builds Kubernetes: when the cache does not hold Version, or with
// -short, the test is skipped. Every process it starts is stopped, with its
// whole process group, when the test ends; a test that fails shows the end
// of each process's log.
package kubetest

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/artifacts"
	"github.com/slipway/slipway/internal/driver/kubernetes/kube"
	"github.com/slipway/slipway/internal/pki"
)

// Version is the Kubernetes version the control plane runs: the one
// client-go in go.mod is made for.
const Version = "v1.37.2"

// ServiceCIDR is the API server's --service-cluster-ip-range. Its first
// address belongs to the kubernetes Service; tests pick others, such as
// 10.96.0.10 for DNS.
const ServiceCIDR = "10.96.0.0/16"

// Start-up limits. Under -race, with several control planes starting at
// once on a small host, kube-apiserver takes tens of seconds.
const (
	readyTimeout = 3 * time.Minute
	startTries   = 3
)

// clusterName names the test cluster's CAs.
const clusterName = "kubetest"

// Options choose what runs besides etcd and kube-apiserver.
type Options struct {
	// ControllerManager also runs kube-controller-manager, once the API is
	// ready, without leader election and without a serving port. It
	// brings the controllers a cluster relies on (service accounts,
	// deployments, garbage collection, node lifecycle), and with them
	// changes tests do not expect: a test that makes its own pods of a
	// DaemonSet should leave it off.
	ControllerManager bool
}

// Cluster is a control plane running for one test.
type Cluster struct {
	// Credentials reach the API as its admin (system:masters).
	Credentials kube.Credentials
	// Dir holds the PKI, etcd's data and every process's log.
	Dir string

	etcd, apiserver, controllerManager *process
}

// Start runs a control plane for t and returns once kube-apiserver's
// /readyz is ok. It is stopped when t ends.
func Start(t testing.TB, opts Options) *Cluster {
	t.Helper()
	m := cachedManifest(t)
	dir := t.TempDir()
	files, creds, err := writePKI(dir)
	if err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	// A port picked free can be taken before the process binds it; such a
	// start is tried again on other ports.
	for try := 1; ; try++ {
		c, err := start(t, m, dir, files, creds, opts)
		if err == nil {
			t.Cleanup(c.stop)
			return c
		}
		if !errors.Is(err, errPortInUse) || try == startTries {
			t.Fatalf("kubetest: %v", err)
		}
		t.Logf("kubetest: %v; trying other ports", err)
	}
}

// Client returns a kube.Client of the cluster's admin.
func (c *Cluster) Client(t testing.TB) *kube.Client {
	t.Helper()
	cl, err := kube.NewClient(c.Credentials)
	if err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	return cl
}

// StopEtcd stops etcd: the API keeps answering, but /readyz fails.
func (c *Cluster) StopEtcd() { c.etcd.stop() }

// StopAPIServer stops kube-apiserver: the API no longer answers.
func (c *Cluster) StopAPIServer() { c.apiserver.stop() }

// stop stops every process, the last started first.
func (c *Cluster) stop() {
	for _, p := range []*process{c.controllerManager, c.apiserver, c.etcd} {
		if p != nil {
			p.stop()
		}
	}
}

// cachedManifest returns the cache's manifest of Version, or skips t. It
// never builds: a missing version is the host's set-up, not a failure.
func cachedManifest(t testing.TB) *artifacts.Manifest {
	t.Helper()
	if testing.Short() {
		t.Skip("kubetest: starts etcd and kube-apiserver; skipped with -short")
	}
	dir := artifacts.Dir()
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		t.Skipf("kubetest: no artifacts cache at %s; fill it with `slipway artifacts build --kube-tag %s`", dir, Version)
	}
	cache, err := artifacts.New(artifacts.Options{Dir: dir})
	if err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	m, err := cache.Lookup(Version)
	if errors.Is(err, artifacts.ErrNotCached) {
		t.Skipf("kubetest: kubernetes %s is not cached in %s; fill it with `slipway artifacts build --kube-tag %s`", Version, dir, Version)
	}
	if err != nil {
		t.Fatalf("kubetest: %v", err)
	}
	return m
}

// pkiFiles are the paths of the PKI files the processes read, and the
// controller manager's key pair, for its kubeconfig.
type pkiFiles struct {
	ca, caKey                     string
	apiserverCert, apiserverKey   string
	etcdCA                        string
	etcdCert, etcdKey             string
	etcdClientCert, etcdClientKey string
	saKey, saPub                  string
	controllerManager             pki.KeyPairPEM
}

// writePKI issues the cluster's certificates with internal/pki, as the
// driver does for a one-master cluster at 127.0.0.1, and writes them in dir.
func writePKI(dir string) (pkiFiles, kube.Credentials, error) {
	now := time.Now()
	cas, err := pki.NewClusterCAs(clusterName, now)
	if err != nil {
		return pkiFiles{}, kube.Credentials{}, err
	}
	plan := pki.ClusterPlan{
		ClusterName: clusterName,
		ServiceCIDR: ServiceCIDR,
		Masters:     []pki.PlanNode{{Name: "master-0", IP: "127.0.0.1"}},
	}
	certs, err := pki.IssueCluster(cas, plan, now)
	if err != nil {
		return pkiFiles{}, kube.Credentials{}, err
	}
	master, _ := certs.Master("master-0")
	caCert, caKey, err := cas.Kubernetes.MarshalPEM()
	if err != nil {
		return pkiFiles{}, kube.Credentials{}, err
	}

	var errs []error
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, "pki", name)
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			errs = append(errs, err)
		}
		if err := os.WriteFile(p, data, 0o600); err != nil {
			errs = append(errs, err)
		}
		return p
	}
	f := pkiFiles{
		ca:             write("ca.crt", caCert),
		caKey:          write("ca.key", caKey),
		apiserverCert:  write("apiserver.crt", certs.APIServer.CertPEM),
		apiserverKey:   write("apiserver.key", certs.APIServer.KeyPEM),
		etcdCA:         write("etcd-ca.crt", cas.Etcd.CertPEM()),
		etcdCert:       write("etcd-server.crt", master.EtcdServer.CertPEM),
		etcdKey:        write("etcd-server.key", master.EtcdServer.KeyPEM),
		etcdClientCert: write("apiserver-etcd-client.crt", certs.APIServerEtcdClient.CertPEM),
		etcdClientKey:  write("apiserver-etcd-client.key", certs.APIServerEtcdClient.KeyPEM),
		saKey:          write("sa.key", certs.ServiceAccount.PrivateKeyPEM),
		saPub:          write("sa.pub", certs.ServiceAccount.PublicKeyPEM),

		controllerManager: certs.ControllerManager,
	}
	creds := kube.Credentials{
		CACert:     caCert,
		ClientCert: certs.Admin.CertPEM,
		ClientKey:  certs.Admin.KeyPEM,
	}
	return f, creds, errors.Join(errs...)
}

// start runs the control plane once, on fresh ports. On failure it stops
// what it started; the error wraps errPortInUse when a process could not
// bind its port.
func start(t testing.TB, m *artifacts.Manifest, dir string, f pkiFiles, creds kube.Credentials, opts Options) (_ *Cluster, err error) {
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	clientURL := "https://127.0.0.1:" + strconv.Itoa(ports[0])
	peerURL := "http://127.0.0.1:" + strconv.Itoa(ports[1])
	server := "https://127.0.0.1:" + strconv.Itoa(ports[2])
	creds.Server = server
	c := &Cluster{Credentials: creds, Dir: dir}
	defer func() {
		if err != nil {
			c.stop()
		}
	}()

	run := func(name string, args ...string) (*process, error) {
		bin, err := m.Binary(name)
		if err != nil {
			return nil, err
		}
		return startProcess(t, dir, name, bin, args...)
	}
	etcdData := filepath.Join(dir, "etcd")
	if err := os.RemoveAll(etcdData); err != nil { // left by a failed try
		return c, err
	}
	c.etcd, err = run("etcd",
		"--name", "master-0", "--data-dir", etcdData, "--unsafe-no-fsync", "--log-level", "warn",
		"--listen-client-urls", clientURL, "--advertise-client-urls", clientURL,
		"--cert-file", f.etcdCert, "--key-file", f.etcdKey,
		"--trusted-ca-file", f.etcdCA, "--client-cert-auth",
		"--listen-peer-urls", peerURL, "--initial-advertise-peer-urls", peerURL,
		"--initial-cluster", "master-0="+peerURL)
	if err != nil {
		return c, err
	}
	c.apiserver, err = run("kube-apiserver",
		"--bind-address", "127.0.0.1", "--secure-port", strconv.Itoa(ports[2]),
		"--cert-dir", filepath.Join(dir, "apiserver"),
		"--tls-cert-file", f.apiserverCert, "--tls-private-key-file", f.apiserverKey,
		"--client-ca-file", f.ca,
		"--etcd-servers", clientURL, "--etcd-cafile", f.etcdCA,
		"--etcd-certfile", f.etcdClientCert, "--etcd-keyfile", f.etcdClientKey,
		"--service-cluster-ip-range", ServiceCIDR,
		"--service-account-issuer", "https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file", f.saPub, "--service-account-signing-key-file", f.saKey,
		"--authorization-mode", "Node,RBAC", "--enable-admission-plugins", "NodeRestriction",
		"--allow-privileged=true", "--profiling=false",
		// Advertise loopback rather than an address of the host's (nothing
		// in a test dials it). Loopback is no valid endpoint of the
		// kubernetes Service, so that Service gets none.
		"--advertise-address", "127.0.0.1", "--endpoint-reconciler-type", "none")
	if err != nil {
		return c, err
	}
	if err := c.waitReady(t.Context()); err != nil {
		return c, err
	}
	if opts.ControllerManager {
		if err := c.startControllerManager(t, m, f); err != nil {
			return c, err
		}
	}
	return c, nil
}

// startControllerManager writes its kubeconfig, which names the server
// picked at start, and runs it.
func (c *Cluster) startControllerManager(t testing.TB, m *artifacts.Manifest, f pkiFiles) error {
	kubeconfig, err := pki.Kubeconfig(clusterName, c.Credentials.Server, c.Credentials.CACert,
		f.controllerManager.CertPEM, f.controllerManager.KeyPEM)
	if err != nil {
		return err
	}
	kubeconfigPath := filepath.Join(c.Dir, "pki", "controller-manager.kubeconfig")
	if err := os.WriteFile(kubeconfigPath, kubeconfig, 0o600); err != nil {
		return err
	}
	bin, err := m.Binary("kube-controller-manager")
	if err != nil {
		return err
	}
	c.controllerManager, err = startProcess(t, c.Dir, "kube-controller-manager", bin,
		"--kubeconfig", kubeconfigPath,
		"--secure-port", "0", "--leader-elect=false",
		"--use-service-account-credentials=true",
		"--service-account-private-key-file", f.saKey, "--root-ca-file", f.ca,
		"--cluster-signing-cert-file", f.ca, "--cluster-signing-key-file", f.caKey,
		"--allocate-node-cidrs=false", "--service-cluster-ip-range", ServiceCIDR)
	return err
}

// waitReady waits until kube-apiserver's /readyz answers ok, with its own
// HTTP client: kube.Client.WaitReady is under test.
func (c *Cluster) waitReady(ctx context.Context) error {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(c.Credentials.CACert)
	cert, err := tls.X509KeyPair(c.Credentials.ClientCert, c.Credentials.ClientKey)
	if err != nil {
		return err
	}
	hc := &http.Client{
		Timeout: 5 * time.Second,
		// No Proxy: the API is on loopback.
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}},
		},
	}
	defer hc.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	last := "no answer yet"
	for {
		for _, p := range []*process{c.etcd, c.apiserver} {
			if err := p.exitError(); err != nil {
				return err
			}
		}
		if ok, why := readyz(ctx, hc, c.Credentials.Server); ok {
			return nil
		} else if why != "" {
			last = why
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("kube-apiserver not ready within %s: %s", readyTimeout, last)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// readyz asks server's /readyz once.
func readyz(ctx context.Context, hc *http.Client, server string) (ok bool, why string) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, server+"/readyz", nil)
	if err != nil {
		return false, err.Error()
	}
	resp, err := hc.Do(req)
	if err != nil {
		return false, err.Error()
	}
	defer resp.Body.Close()
	var body bytes.Buffer
	_, _ = body.ReadFrom(resp.Body)
	if resp.StatusCode == http.StatusOK {
		return true, ""
	}
	return false, fmt.Sprintf("%s: %s", resp.Status, body.String())
}

// freePorts returns n distinct loopback TCP ports that were free a moment
// ago. The listeners are held until all are picked, so the ports differ.
func freePorts(n int) ([]int, error) {
	var ports []int
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer ln.Close()
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
