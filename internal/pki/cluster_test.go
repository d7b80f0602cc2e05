package pki_test

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/pki"
)

// testPlan is a cluster with two masters behind a load balancer with a
// floating IP, and two workers.
func testPlan() pki.ClusterPlan {
	return pki.ClusterPlan{
		ClusterName:   "k8s-a",
		ClusterDomain: "cluster.example",
		ServiceCIDR:   "10.254.0.0/16",
		APIIPs:        []string{"10.0.0.5", "172.24.4.10"},
		APIDNSNames:   []string{"api.k8s-a.example.org"},
		Masters: []pki.PlanNode{
			{Name: "k8s-a-master-0", IP: "10.0.0.11"},
			{Name: "k8s-a-master-1", IP: "10.0.0.12"},
		},
		Workers: []pki.PlanNode{
			{Name: "k8s-a-node-0", IP: "10.0.0.21"},
			{Name: "k8s-a-node-1", IP: "10.0.0.22"},
		},
	}
}

var (
	clusterOnce  sync.Once
	clusterCAs   *pki.ClusterCAs
	clusterCerts *pki.ClusterCerts
	clusterErr   error
)

// issuedCluster issues testPlan once for every test that only reads it.
func issuedCluster(t *testing.T) (*pki.ClusterCAs, *pki.ClusterCerts) {
	t.Helper()
	clusterOnce.Do(func() {
		clusterCAs, clusterErr = pki.NewClusterCAs("k8s-a", testNow)
		if clusterErr == nil {
			clusterCerts, clusterErr = pki.IssueCluster(clusterCAs, testPlan(), testNow)
		}
	})
	if clusterErr != nil {
		t.Fatalf("IssueCluster: %v", clusterErr)
	}
	return clusterCAs, clusterCerts
}

func ips(ss ...string) []string { return ss }

func ipStrings(in []net.IP) []string {
	out := make([]string, len(in))
	for i, ip := range in {
		out[i] = ip.String()
	}
	return out
}

// checkKeyMatches fails unless keyPEM is the private key of cert.
func checkKeyMatches(t *testing.T, cert *x509.Certificate, keyPEM []byte) {
	t.Helper()
	block, _ := pem.Decode(keyPEM)
	if block == nil || block.Type != "PRIVATE KEY" {
		t.Fatalf("key is not PKCS #8 PEM: %q", keyPEM)
	}
	key, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		t.Fatalf("parse key: %v", err)
	}
	ec, ok := key.(*ecdsa.PrivateKey)
	if !ok {
		t.Fatalf("key is %T, want ECDSA", key)
	}
	if !ec.PublicKey.Equal(cert.PublicKey) {
		t.Fatalf("key does not match certificate %q", cert.Subject.CommonName)
	}
}

func TestIssueClusterCertificates(t *testing.T) {
	t.Parallel()
	cas, certs := issuedCluster(t)
	at := testNow.Add(1e9)
	m0, _ := certs.Master("k8s-a-master-0")
	m1, _ := certs.Master("k8s-a-master-1")
	w0, _ := certs.Worker("k8s-a-node-0")
	w1, _ := certs.Worker("k8s-a-node-1")

	server, client := x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth
	cases := []struct {
		name     string
		pair     pki.KeyPairPEM
		ca       *pki.CA
		wrongCAs []*pki.CA
		usages   []x509.ExtKeyUsage // usages it must verify for
		notUsage []x509.ExtKeyUsage // usages it must not verify for
		cn       string
		orgs     []string
		dns      []string
		ips      []string
	}{
		{
			name: "apiserver", pair: certs.APIServer, ca: cas.Kubernetes,
			wrongCAs: []*pki.CA{cas.Etcd, cas.FrontProxy},
			usages:   []x509.ExtKeyUsage{server}, notUsage: []x509.ExtKeyUsage{client},
			cn: "kube-apiserver",
			dns: []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc",
				"kubernetes.default.svc.cluster.example", "localhost",
				"k8s-a-master-0", "k8s-a-master-1", "api.k8s-a.example.org"},
			ips: ips("10.254.0.1", "127.0.0.1", "10.0.0.11", "10.0.0.12", "10.0.0.5", "172.24.4.10"),
		},
		{
			name: "apiserver-kubelet-client", pair: certs.APIServerKubeletClient, ca: cas.Kubernetes,
			wrongCAs: []*pki.CA{cas.Etcd, cas.FrontProxy},
			usages:   []x509.ExtKeyUsage{client}, notUsage: []x509.ExtKeyUsage{server},
			cn: "kube-apiserver-kubelet-client", orgs: []string{"system:masters"},
		},
		{
			name: "apiserver-etcd-client", pair: certs.APIServerEtcdClient, ca: cas.Etcd,
			wrongCAs: []*pki.CA{cas.Kubernetes, cas.FrontProxy},
			usages:   []x509.ExtKeyUsage{client}, notUsage: []x509.ExtKeyUsage{server},
			cn: "kube-apiserver-etcd-client",
		},
		{
			name: "front-proxy-client", pair: certs.FrontProxyClient, ca: cas.FrontProxy,
			wrongCAs: []*pki.CA{cas.Kubernetes, cas.Etcd},
			usages:   []x509.ExtKeyUsage{client}, notUsage: []x509.ExtKeyUsage{server},
			cn: "front-proxy-client",
		},
		{
			name: "controller-manager", pair: certs.ControllerManager, ca: cas.Kubernetes,
			wrongCAs: []*pki.CA{cas.Etcd, cas.FrontProxy},
			usages:   []x509.ExtKeyUsage{client}, notUsage: []x509.ExtKeyUsage{server},
			cn: "system:kube-controller-manager", orgs: []string{"system:masters"},
		},
		{
			name: "scheduler", pair: certs.Scheduler, ca: cas.Kubernetes,
			wrongCAs: []*pki.CA{cas.Etcd, cas.FrontProxy},
			usages:   []x509.ExtKeyUsage{client}, notUsage: []x509.ExtKeyUsage{server},
			cn: "system:kube-scheduler",
		},
		{
			name: "kube-proxy", pair: certs.KubeProxy, ca: cas.Kubernetes,
			wrongCAs: []*pki.CA{cas.Etcd, cas.FrontProxy},
			usages:   []x509.ExtKeyUsage{client}, notUsage: []x509.ExtKeyUsage{server},
			cn: "system:kube-proxy",
		},
		{
			name: "admin", pair: certs.Admin, ca: cas.Kubernetes,
			wrongCAs: []*pki.CA{cas.Etcd, cas.FrontProxy},
			usages:   []x509.ExtKeyUsage{client}, notUsage: []x509.ExtKeyUsage{server},
			cn: "admin", orgs: []string{"system:masters"},
		},
		{
			name: "etcd server master-0", pair: m0.EtcdServer, ca: cas.Etcd,
			wrongCAs: []*pki.CA{cas.Kubernetes, cas.FrontProxy},
			usages:   []x509.ExtKeyUsage{server, client},
			cn:       "k8s-a-master-0",
			dns:      []string{"k8s-a-master-0", "localhost"}, ips: ips("10.0.0.11", "127.0.0.1"),
		},
		{
			name: "etcd peer master-0", pair: m0.EtcdPeer, ca: cas.Etcd,
			wrongCAs: []*pki.CA{cas.Kubernetes, cas.FrontProxy},
			usages:   []x509.ExtKeyUsage{server, client},
			cn:       "k8s-a-master-0",
			dns:      []string{"k8s-a-master-0"}, ips: ips("10.0.0.11"),
		},
		{
			name: "etcd server master-1", pair: m1.EtcdServer, ca: cas.Etcd,
			wrongCAs: []*pki.CA{cas.Kubernetes, cas.FrontProxy},
			usages:   []x509.ExtKeyUsage{server, client},
			cn:       "k8s-a-master-1",
			dns:      []string{"k8s-a-master-1", "localhost"}, ips: ips("10.0.0.12", "127.0.0.1"),
		},
		{
			name: "etcd peer master-1", pair: m1.EtcdPeer, ca: cas.Etcd,
			wrongCAs: []*pki.CA{cas.Kubernetes, cas.FrontProxy},
			usages:   []x509.ExtKeyUsage{server, client},
			cn:       "k8s-a-master-1",
			dns:      []string{"k8s-a-master-1"}, ips: ips("10.0.0.12"),
		},
		{
			name: "kubelet client node-0", pair: w0.Kubelet, ca: cas.Kubernetes,
			wrongCAs: []*pki.CA{cas.Etcd, cas.FrontProxy},
			usages:   []x509.ExtKeyUsage{client}, notUsage: []x509.ExtKeyUsage{server},
			cn: "system:node:k8s-a-node-0", orgs: []string{"system:nodes"},
		},
		{
			name: "kubelet serving node-0", pair: w0.KubeletServing, ca: cas.Kubernetes,
			wrongCAs: []*pki.CA{cas.Etcd, cas.FrontProxy},
			usages:   []x509.ExtKeyUsage{server}, notUsage: []x509.ExtKeyUsage{client},
			cn: "k8s-a-node-0", dns: []string{"k8s-a-node-0"}, ips: ips("10.0.0.21"),
		},
		{
			name: "kubelet client node-1", pair: w1.Kubelet, ca: cas.Kubernetes,
			wrongCAs: []*pki.CA{cas.Etcd, cas.FrontProxy},
			usages:   []x509.ExtKeyUsage{client}, notUsage: []x509.ExtKeyUsage{server},
			cn: "system:node:k8s-a-node-1", orgs: []string{"system:nodes"},
		},
		{
			name: "kubelet serving node-1", pair: w1.KubeletServing, ca: cas.Kubernetes,
			wrongCAs: []*pki.CA{cas.Etcd, cas.FrontProxy},
			usages:   []x509.ExtKeyUsage{server}, notUsage: []x509.ExtKeyUsage{client},
			cn: "k8s-a-node-1", dns: []string{"k8s-a-node-1"}, ips: ips("10.0.0.22"),
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cert := parseCert(t, tc.pair.CertPEM)
			checkKeyMatches(t, cert, tc.pair.KeyPEM)
			for _, u := range tc.usages {
				if err := verify(cert, tc.ca, u, "", at); err != nil {
					t.Errorf("verify for usage %v against its CA: %v", u, err)
				}
			}
			for _, u := range tc.notUsage {
				if err := verify(cert, tc.ca, u, "", at); err == nil {
					t.Errorf("verifies for usage %v, want refused", u)
				}
			}
			for _, wrong := range tc.wrongCAs {
				if err := verify(cert, wrong, tc.usages[0], "", at); err == nil {
					t.Errorf("verifies against CA %q of another type", wrong.Certificate().Subject.CommonName)
				}
			}
			if cert.IsCA {
				t.Error("certificate is a CA")
			}
			if cert.Subject.CommonName != tc.cn {
				t.Errorf("CN = %q, want %q", cert.Subject.CommonName, tc.cn)
			}
			if !slices.Equal(cert.Subject.Organization, tc.orgs) {
				t.Errorf("O = %q, want %q", cert.Subject.Organization, tc.orgs)
			}
			if !slices.Equal(cert.DNSNames, tc.dns) {
				t.Errorf("DNS SANs = %q, want %q", cert.DNSNames, tc.dns)
			}
			if got := ipStrings(cert.IPAddresses); !slices.Equal(got, tc.ips) {
				t.Errorf("IP SANs = %q, want %q", got, tc.ips)
			}
			for _, name := range append(slices.Clone(tc.dns), tc.ips...) {
				if err := verify(cert, tc.ca, x509.ExtKeyUsageAny, name, at); err != nil {
					t.Errorf("does not verify for SAN %q: %v", name, err)
				}
			}
			if !cert.NotAfter.Equal(testNow.Add(pki.CertValidity)) {
				t.Errorf("NotAfter = %s, want %s", cert.NotAfter, testNow.Add(pki.CertValidity))
			}
		})
	}
}

// TestKubeletServingHost checks that a kubelet serving certificate verifies
// for its own node IP and name, and for no other node's.
func TestKubeletServingHost(t *testing.T) {
	t.Parallel()
	cas, certs := issuedCluster(t)
	at := testNow.Add(1e9)
	cases := []struct {
		worker, host string
		ok           bool
	}{
		{"k8s-a-node-0", "10.0.0.21", true},
		{"k8s-a-node-0", "k8s-a-node-0", true},
		{"k8s-a-node-0", "10.0.0.22", false},
		{"k8s-a-node-0", "k8s-a-node-1", false},
		{"k8s-a-node-0", "10.0.0.11", false},
		{"k8s-a-node-0", "127.0.0.1", false},
		{"k8s-a-node-1", "10.0.0.22", true},
		{"k8s-a-node-1", "10.0.0.21", false},
	}
	for _, tc := range cases {
		t.Run(tc.worker+"@"+tc.host, func(t *testing.T) {
			t.Parallel()
			w, found := certs.Worker(tc.worker)
			if !found {
				t.Fatalf("no certificates for worker %q", tc.worker)
			}
			err := verify(parseCert(t, w.KubeletServing.CertPEM), cas.Kubernetes, x509.ExtKeyUsageServerAuth, tc.host, at)
			if tc.ok && err != nil {
				t.Errorf("verify for %s: %v", tc.host, err)
			}
			if !tc.ok && err == nil {
				t.Errorf("verifies for %s, want refused", tc.host)
			}
		})
	}
}

func TestIssueClusterStructure(t *testing.T) {
	t.Parallel()
	cas, certs := issuedCluster(t)
	if got := []string{certs.Masters[0].Name, certs.Masters[1].Name}; !slices.Equal(got, []string{"k8s-a-master-0", "k8s-a-master-1"}) || len(certs.Masters) != 2 {
		t.Errorf("masters = %v, want plan order", got)
	}
	if len(certs.Workers) != 2 || certs.Workers[0].Name != "k8s-a-node-0" || certs.Workers[1].Name != "k8s-a-node-1" {
		t.Errorf("workers not in plan order: %+v", certs.Workers)
	}
	if _, ok := certs.Master("k8s-a-node-0"); ok {
		t.Error("Master found a worker")
	}
	if _, ok := certs.Worker("nope"); ok {
		t.Error("Worker found an unknown name")
	}

	// A second issue has the same structure and fresh keys.
	again, err := pki.IssueCluster(cas, testPlan(), testNow)
	if err != nil {
		t.Fatalf("IssueCluster again: %v", err)
	}
	pairs := func(c *pki.ClusterCerts) []pki.KeyPairPEM {
		out := []pki.KeyPairPEM{c.APIServer, c.APIServerKubeletClient, c.APIServerEtcdClient,
			c.FrontProxyClient, c.ControllerManager, c.Scheduler, c.KubeProxy, c.Admin}
		for _, m := range c.Masters {
			out = append(out, m.EtcdServer, m.EtcdPeer)
		}
		for _, w := range c.Workers {
			out = append(out, w.Kubelet, w.KubeletServing)
		}
		return out
	}
	a, b := pairs(certs), pairs(again)
	if len(a) != len(b) {
		t.Fatalf("%d certificates, then %d", len(a), len(b))
	}
	seen := map[[32]byte]bool{}
	for i := range a {
		ca, cb := parseCert(t, a[i].CertPEM), parseCert(t, b[i].CertPEM)
		if ca.Subject.String() != cb.Subject.String() || !slices.Equal(ca.DNSNames, cb.DNSNames) ||
			!slices.Equal(ipStrings(ca.IPAddresses), ipStrings(cb.IPAddresses)) {
			t.Errorf("certificate %d (%s) differs in structure between issues", i, ca.Subject)
		}
		for _, key := range [][]byte{a[i].KeyPEM, b[i].KeyPEM} {
			sum := sha256.Sum256(key)
			if seen[sum] {
				t.Errorf("certificate %d (%s): key reused", i, ca.Subject)
			}
			seen[sum] = true
		}
	}
	if bytes.Equal(certs.ServiceAccount.PrivateKeyPEM, again.ServiceAccount.PrivateKeyPEM) {
		t.Error("service-account key reused")
	}
	checkServiceAccountPair(t, certs.ServiceAccount.PrivateKeyPEM, certs.ServiceAccount.PublicKeyPEM)
}

func TestIssueClusterDefaultsAndNoWorkers(t *testing.T) {
	t.Parallel()
	cas := newCAs(t, "solo")
	plan := pki.ClusterPlan{
		ClusterName: "solo",
		ServiceCIDR: "fd00:254::/108",
		Masters:     []pki.PlanNode{{Name: "solo-master-0", IP: "10.1.0.5"}},
	}
	certs, err := pki.IssueCluster(cas, plan, testNow)
	if err != nil {
		t.Fatalf("IssueCluster: %v", err)
	}
	if len(certs.Workers) != 0 || len(certs.Masters) != 1 {
		t.Fatalf("masters %d, workers %d; want 1, 0", len(certs.Masters), len(certs.Workers))
	}
	api := parseCert(t, certs.APIServer.CertPEM)
	if !slices.Contains(api.DNSNames, "kubernetes.default.svc.cluster.local") {
		t.Errorf("DNS SANs %q lack the default cluster domain", api.DNSNames)
	}
	if got, want := ipStrings(api.IPAddresses), []string{"fd00:254::1", "127.0.0.1", "10.1.0.5"}; !slices.Equal(got, want) {
		t.Errorf("IP SANs = %q, want %q", got, want)
	}
}

func TestClusterPlanAPIServerSANsDedup(t *testing.T) {
	t.Parallel()
	plan := testPlan()
	plan.APIIPs = []string{"10.0.0.11", "127.0.0.1", "::ffff:10.0.0.5", "10.0.0.5"}
	plan.APIDNSNames = []string{"kubernetes", "k8s-a-master-0"}
	dns, ipAddrs, err := plan.APIServerSANs()
	if err != nil {
		t.Fatalf("APIServerSANs: %v", err)
	}
	wantDNS := []string{"kubernetes", "kubernetes.default", "kubernetes.default.svc",
		"kubernetes.default.svc.cluster.example", "localhost", "k8s-a-master-0", "k8s-a-master-1"}
	if !slices.Equal(dns, wantDNS) {
		t.Errorf("DNS = %q, want %q", dns, wantDNS)
	}
	if got, want := ipStrings(ipAddrs), []string{"10.254.0.1", "127.0.0.1", "10.0.0.11", "10.0.0.12", "10.0.0.5"}; !slices.Equal(got, want) {
		t.Errorf("IPs = %q, want %q", got, want)
	}
}

func TestIssueClusterRejectsPlan(t *testing.T) {
	t.Parallel()
	cas := newCAs(t, "bad")
	cases := []struct {
		name   string
		modify func(p *pki.ClusterPlan)
		want   string // the field the error must name
	}{
		{"no cluster name", func(p *pki.ClusterPlan) { p.ClusterName = "" }, "cluster_name"},
		{"blank cluster name", func(p *pki.ClusterPlan) { p.ClusterName = "  " }, "cluster_name"},
		{"bad domain", func(p *pki.ClusterPlan) { p.ClusterDomain = "cluster..local" }, "cluster_domain"},
		{"domain with underscore", func(p *pki.ClusterPlan) { p.ClusterDomain = "my_cluster" }, "cluster_domain"},
		{"no service CIDR", func(p *pki.ClusterPlan) { p.ServiceCIDR = "" }, "service_cidr"},
		{"service CIDR not a CIDR", func(p *pki.ClusterPlan) { p.ServiceCIDR = "10.254.0.0" }, "service_cidr"},
		{"service CIDR host bits", func(p *pki.ClusterPlan) { p.ServiceCIDR = "10.254.0.1/16" }, "service_cidr"},
		{"service CIDR too small", func(p *pki.ClusterPlan) { p.ServiceCIDR = "10.254.0.0/32" }, "service_cidr"},
		{"no masters", func(p *pki.ClusterPlan) { p.Masters = nil }, "masters"},
		{"master without name", func(p *pki.ClusterPlan) { p.Masters[1].Name = "" }, "masters[1].name"},
		{"master uppercase name", func(p *pki.ClusterPlan) { p.Masters[0].Name = "Master-0" }, "masters[0].name"},
		{"master name with space", func(p *pki.ClusterPlan) { p.Masters[0].Name = "master 0" }, "masters[0].name"},
		{"master without IP", func(p *pki.ClusterPlan) { p.Masters[0].IP = "" }, "masters[0].ip"},
		{"master bad IP", func(p *pki.ClusterPlan) { p.Masters[1].IP = "10.0.0.300" }, "masters[1].ip"},
		{"master unspecified IP", func(p *pki.ClusterPlan) { p.Masters[0].IP = "0.0.0.0" }, "masters[0].ip"},
		{"duplicate master name", func(p *pki.ClusterPlan) { p.Masters[1].Name = p.Masters[0].Name }, "masters[1].name"},
		{"worker without name", func(p *pki.ClusterPlan) { p.Workers[0].Name = "" }, "workers[0].name"},
		{"worker name of a master", func(p *pki.ClusterPlan) { p.Workers[1].Name = "k8s-a-master-0" }, "workers[1].name"},
		{"worker bad IP", func(p *pki.ClusterPlan) { p.Workers[1].IP = "node-1" }, "workers[1].ip"},
		{"worker IP of a master", func(p *pki.ClusterPlan) { p.Workers[0].IP = "10.0.0.12" }, "workers[0].ip"},
		{"duplicate worker IP", func(p *pki.ClusterPlan) { p.Workers[1].IP = p.Workers[0].IP }, "workers[1].ip"},
		{"bad API IP", func(p *pki.ClusterPlan) { p.APIIPs = []string{"10.0.0.5", "vip"} }, "api_ips[1]"},
		{"empty API IP", func(p *pki.ClusterPlan) { p.APIIPs = []string{""} }, "api_ips[0]"},
		{"bad API DNS name", func(p *pki.ClusterPlan) { p.APIDNSNames = []string{"-api.example"} }, "api_dns_names[0]"},
		{"long API DNS label", func(p *pki.ClusterPlan) { p.APIDNSNames = []string{strings.Repeat("a", 64) + ".example"} }, "api_dns_names[0]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			plan := testPlan()
			tc.modify(&plan)
			certs, err := pki.IssueCluster(cas, plan, testNow)
			if err == nil {
				t.Fatalf("IssueCluster accepted the plan: %+v", certs)
			}
			if !errors.Is(err, model.ErrInvalid) {
				t.Errorf("error %v does not match model.ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %q", err, tc.want)
			}
		})
	}
}

func TestIssueClusterMissingCAs(t *testing.T) {
	t.Parallel()
	full := newCAs(t, "x")
	cases := []struct {
		name string
		cas  *pki.ClusterCAs
	}{
		{"nil", nil},
		{"no kubernetes", &pki.ClusterCAs{Etcd: full.Etcd, FrontProxy: full.FrontProxy}},
		{"no etcd", &pki.ClusterCAs{Kubernetes: full.Kubernetes, FrontProxy: full.FrontProxy}},
		{"no front proxy", &pki.ClusterCAs{Kubernetes: full.Kubernetes, Etcd: full.Etcd}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := pki.IssueCluster(tc.cas, testPlan(), testNow); err == nil {
				t.Error("IssueCluster succeeded without all CAs")
			}
		})
	}
}

// checkServiceAccountPair checks the forms kube-apiserver reads and that
// the keys belong together and sign tokens (RS256).
func checkServiceAccountPair(t *testing.T, privPEM, pubPEM []byte) {
	t.Helper()
	block, rest := pem.Decode(privPEM)
	if block == nil || block.Type != "RSA PRIVATE KEY" || len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("private key is not a single PKCS #1 PEM block: %q", privPEM)
	}
	priv, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatalf("parse private key: %v", err)
	}
	if priv.N.BitLen() != 2048 {
		t.Errorf("private key is %d bits, want 2048", priv.N.BitLen())
	}
	block, rest = pem.Decode(pubPEM)
	if block == nil || block.Type != "PUBLIC KEY" || len(bytes.TrimSpace(rest)) != 0 {
		t.Fatalf("public key is not a single PKIX PEM block: %q", pubPEM)
	}
	pubAny, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		t.Fatalf("parse public key: %v", err)
	}
	pub, ok := pubAny.(*rsa.PublicKey)
	if !ok {
		t.Fatalf("public key is %T, want RSA", pubAny)
	}
	if !pub.Equal(&priv.PublicKey) {
		t.Fatal("public key does not match private key")
	}
	digest := sha256.Sum256([]byte("header.payload"))
	sig, err := rsa.SignPKCS1v15(rand.Reader, priv, crypto.SHA256, digest[:])
	if err != nil {
		t.Fatalf("sign: %v", err)
	}
	if err := rsa.VerifyPKCS1v15(pub, crypto.SHA256, digest[:], sig); err != nil {
		t.Errorf("verify: %v", err)
	}
}

func TestNewServiceAccountKey(t *testing.T) {
	t.Parallel()
	cases := []struct{ name string }{{"first"}, {"second"}}
	var mu sync.Mutex
	seen := map[string]string{}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			priv, pub, err := pki.NewServiceAccountKey()
			if err != nil {
				t.Fatalf("NewServiceAccountKey: %v", err)
			}
			checkServiceAccountPair(t, priv, pub)
			mu.Lock()
			defer mu.Unlock()
			if other, dup := seen[string(priv)]; dup {
				t.Errorf("same key as %s", other)
			}
			seen[string(priv)] = tc.name
		})
	}
}

func TestInGroup(t *testing.T) {
	t.Parallel()
	certs, err := pki.IssueCluster(newCAs(t, "c1"), testPlan(), testNow)
	if err != nil {
		t.Fatal(err)
	}
	if !pki.InGroup(certs.ControllerManager.CertPEM, pki.GroupMasters) {
		t.Error("the controller-manager's certificate is not in system:masters")
	}
	if pki.InGroup(certs.Scheduler.CertPEM, pki.GroupMasters) {
		t.Error("the scheduler's certificate is in system:masters")
	}
	if pki.InGroup([]byte("not a certificate"), pki.GroupMasters) {
		t.Error("garbage is in system:masters")
	}
}

// TestIssueWorkers issues only new workers' kubelet certificates, shaped
// as IssueCluster's, from the cluster's Kubernetes CA.
func TestIssueWorkers(t *testing.T) {
	t.Parallel()
	cas := newCAs(t, "c1")
	workers, err := pki.IssueWorkers(cas, []pki.PlanNode{{Name: "k8s-a-node-5", IP: "10.0.0.15"}}, testNow)
	if err != nil {
		t.Fatal(err)
	}
	if len(workers) != 1 || workers[0].Name != "k8s-a-node-5" {
		t.Fatalf("workers = %+v, want k8s-a-node-5", workers)
	}
	client := parseCert(t, workers[0].Kubelet.CertPEM)
	checkKeyMatches(t, client, workers[0].Kubelet.KeyPEM)
	if client.Subject.CommonName != "system:node:k8s-a-node-5" || !slices.Equal(client.Subject.Organization, []string{"system:nodes"}) {
		t.Errorf("kubelet client subject = %v, want CN system:node:k8s-a-node-5, O system:nodes", client.Subject)
	}
	if err := verify(client, cas.Kubernetes, x509.ExtKeyUsageClientAuth, "", testNow); err != nil {
		t.Errorf("kubelet client does not verify against the Kubernetes CA: %v", err)
	}
	serving := parseCert(t, workers[0].KubeletServing.CertPEM)
	checkKeyMatches(t, serving, workers[0].KubeletServing.KeyPEM)
	if err := verify(serving, cas.Kubernetes, x509.ExtKeyUsageServerAuth, "k8s-a-node-5", testNow); err != nil {
		t.Errorf("kubelet serving certificate does not verify for its name: %v", err)
	}
	if got := ipStrings(serving.IPAddresses); !slices.Equal(got, []string{"10.0.0.15"}) {
		t.Errorf("kubelet serving IPs = %v, want its address", got)
	}

	for _, bad := range [][]pki.PlanNode{
		{{Name: "Bad_Name", IP: "10.0.0.16"}},
		{{Name: "n-1", IP: "10.0.0.16"}, {Name: "n-2", IP: "10.0.0.16"}},
		{{Name: "n-1", IP: "not an ip"}},
	} {
		if _, err := pki.IssueWorkers(cas, bad, testNow); !errors.Is(err, model.ErrInvalid) {
			t.Errorf("IssueWorkers(%v) = %v, want an invalid-input error", bad, err)
		}
	}
}

func TestClusterCertsKubelet(t *testing.T) {
	t.Parallel()
	_, certs := issuedCluster(t)
	m, ok := certs.Kubelet("k8s-a-master-0")
	if !ok || !bytes.Equal(m.Client.CertPEM, certs.Masters[0].Kubelet.CertPEM) || !bytes.Equal(m.Serving.CertPEM, certs.Masters[0].KubeletServing.CertPEM) {
		t.Errorf("Kubelet(master-0) = %v, want the master's kubelet certificates", ok)
	}
	w, ok := certs.Kubelet("k8s-a-node-1")
	if !ok || !bytes.Equal(w.Client.CertPEM, certs.Workers[1].Kubelet.CertPEM) || !bytes.Equal(w.Serving.CertPEM, certs.Workers[1].KubeletServing.CertPEM) {
		t.Errorf("Kubelet(node-1) = %v, want the worker's kubelet certificates", ok)
	}
	if _, ok := certs.Kubelet("nope"); ok {
		t.Error("Kubelet found an unknown node")
	}
}
