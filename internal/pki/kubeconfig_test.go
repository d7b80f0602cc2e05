package pki_test

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/slipway/slipway/internal/pki"
)

// parsedKubeconfig is the kubeconfig schema as kubectl reads it, with the
// *-data fields left as base64 strings.
type parsedKubeconfig struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Clusters   []struct {
		Name    string `json:"name"`
		Cluster struct {
			Server                   string `json:"server"`
			CertificateAuthorityData string `json:"certificate-authority-data"`
		} `json:"cluster"`
	} `json:"clusters"`
	Contexts []struct {
		Name    string `json:"name"`
		Context struct {
			Cluster string `json:"cluster"`
			User    string `json:"user"`
		} `json:"context"`
	} `json:"contexts"`
	CurrentContext string         `json:"current-context"`
	Preferences    map[string]any `json:"preferences"`
	Users          []struct {
		Name string `json:"name"`
		User struct {
			ClientCertificateData string `json:"client-certificate-data"`
			ClientKeyData         string `json:"client-key-data"`
		} `json:"user"`
	} `json:"users"`
}

// parseKubeconfig reads a kubeconfig back and checks the parts that do not
// depend on credentials.
func parseKubeconfig(t *testing.T, data []byte, clusterName, server string) parsedKubeconfig {
	t.Helper()
	var cfg parsedKubeconfig
	if err := yaml.UnmarshalStrict(data, &cfg); err != nil {
		t.Fatalf("kubeconfig does not parse: %v\n%s", err, data)
	}
	if cfg.APIVersion != "v1" || cfg.Kind != "Config" {
		t.Errorf("apiVersion/kind = %s/%s, want v1/Config", cfg.APIVersion, cfg.Kind)
	}
	if len(cfg.Clusters) != 1 || cfg.Clusters[0].Name != clusterName || cfg.Clusters[0].Cluster.Server != server {
		t.Fatalf("clusters = %+v, want one named %q at %q", cfg.Clusters, clusterName, server)
	}
	if cfg.CurrentContext != "default" || len(cfg.Contexts) != 1 || cfg.Contexts[0].Name != "default" ||
		cfg.Contexts[0].Context.Cluster != clusterName || cfg.Contexts[0].Context.User != "admin" {
		t.Fatalf("contexts = %+v, current %q; want default → %s/admin", cfg.Contexts, cfg.CurrentContext, clusterName)
	}
	if len(cfg.Users) != 1 || cfg.Users[0].Name != "admin" {
		t.Fatalf("users = %+v, want one named admin", cfg.Users)
	}
	return cfg
}

func decodeBase64(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatalf("not base64: %v", err)
	}
	return b
}

func TestKubeconfigRoundTrip(t *testing.T) {
	t.Parallel()
	ca := newCAs(t, "k8s-prod").Kubernetes
	certPEM, keyPEM := signAdmin(t, ca, testNow)
	const server = "https://172.24.4.10:6443"

	t.Run("TLS", func(t *testing.T) {
		t.Parallel()
		data, err := pki.Kubeconfig("k8s-prod", server, ca.CertPEM(), certPEM, keyPEM)
		if err != nil {
			t.Fatalf("Kubeconfig: %v", err)
		}
		cfg := parseKubeconfig(t, data, "k8s-prod", server)
		if got := decodeBase64(t, cfg.Clusters[0].Cluster.CertificateAuthorityData); !bytes.Equal(got, ca.CertPEM()) {
			t.Error("certificate-authority-data is not the CA")
		}
		if got := decodeBase64(t, cfg.Users[0].User.ClientCertificateData); !bytes.Equal(got, certPEM) {
			t.Error("client-certificate-data is not the client certificate")
		}
		if got := decodeBase64(t, cfg.Users[0].User.ClientKeyData); !bytes.Equal(got, keyPEM) {
			t.Error("client-key-data is not the client key")
		}
	})
	t.Run("TLS disabled", func(t *testing.T) {
		t.Parallel()
		const plain = "http://172.24.4.10:8080"
		data, err := pki.Kubeconfig("k8s-plain", plain, nil, nil, nil)
		if err != nil {
			t.Fatalf("Kubeconfig: %v", err)
		}
		cfg := parseKubeconfig(t, data, "k8s-plain", plain)
		if cfg.Clusters[0].Cluster.CertificateAuthorityData != "" || cfg.Users[0].User.ClientCertificateData != "" ||
			cfg.Users[0].User.ClientKeyData != "" {
			t.Errorf("TLS-disabled kubeconfig carries TLS data:\n%s", data)
		}
	})
}

func TestKubeconfigRejectsBadInput(t *testing.T) {
	t.Parallel()
	cas := newCAs(t, "bad-input")
	certPEM, keyPEM := signAdmin(t, cas.Kubernetes, testNow)
	_, otherKey := adminCSR(t)
	caPEM := cas.Kubernetes.CertPEM()
	const server = "https://10.0.0.1:6443"
	cases := []struct {
		name, cluster, server string
		ca, cert, key         []byte
	}{
		{"no cluster name", "", server, caPEM, certPEM, keyPEM},
		{"relative server", "c", "10.0.0.1:6443", caPEM, certPEM, keyPEM},
		{"no server", "c", "", caPEM, certPEM, keyPEM},
		{"CA is not a certificate", "c", server, keyPEM, certPEM, keyPEM},
		{"certificate without key", "c", server, caPEM, certPEM, nil},
		{"key without certificate", "c", server, caPEM, nil, keyPEM},
		{"key of another certificate", "c", server, caPEM, certPEM, otherKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if data, err := pki.Kubeconfig(tc.cluster, tc.server, tc.ca, tc.cert, tc.key); err == nil {
				t.Errorf("Kubeconfig accepted it:\n%s", data)
			}
		})
	}
}

// startAPIServer starts a TLS server standing in for kube-apiserver: its
// certificate is issued by ca, it requires a client certificate from ca, and
// it answers with the client's CN and O.
func startAPIServer(t *testing.T, ca *pki.CA, now time.Time) *httptest.Server {
	t.Helper()
	certPEM, keyPEM, err := ca.Issue(pki.IssueRequest{
		CommonName:  "kube-apiserver",
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		Usages:      pki.UsageServer,
		Now:         now,
	})
	if err != nil {
		t.Fatal(err)
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	clientCAs := x509.NewCertPool()
	clientCAs.AddCert(ca.Certificate())
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		peer := r.TLS.PeerCertificates[0].Subject
		fmt.Fprintf(w, "%s %s", peer.CommonName, strings.Join(peer.Organization, ","))
	}))
	srv.TLS = &tls.Config{
		Certificates: []tls.Certificate{pair},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    clientCAs,
		MinVersion:   tls.VersionTLS12,
	}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// getWithKubeconfig sends GET server with the CA and client credentials
// of a kubeconfig, as kubectl would, and returns the response body.
func getWithKubeconfig(t *testing.T, cfg parsedKubeconfig, server string) (string, error) {
	t.Helper()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(decodeBase64(t, cfg.Clusters[0].Cluster.CertificateAuthorityData)) {
		t.Fatal("certificate-authority-data holds no certificate")
	}
	pair, err := tls.X509KeyPair(
		decodeBase64(t, cfg.Users[0].User.ClientCertificateData),
		decodeBase64(t, cfg.Users[0].User.ClientKeyData),
	)
	if err != nil {
		t.Fatal(err)
	}
	transport := &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs:      roots,
		Certificates: []tls.Certificate{pair},
		MinVersion:   tls.VersionTLS12,
	}}
	defer transport.CloseIdleConnections()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, server, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := (&http.Client{Transport: transport}).Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return string(body), err
}

// TestKubeconfigAuthenticatesToAPIServer plays `openstack coe cluster
// config` end to end: a client built only from the rendered kubeconfig
// reaches an API server of the cluster as admin in system:masters, and no
// longer does once the cluster CAs are rotated.
func TestKubeconfigAuthenticatesToAPIServer(t *testing.T) {
	t.Parallel()
	now := time.Now()
	cas, err := pki.NewClusterCAs("e2e", now)
	if err != nil {
		t.Fatal(err)
	}
	srv := startAPIServer(t, cas.Kubernetes, now)

	certPEM, keyPEM := signAdmin(t, cas.Kubernetes, now)
	data, err := pki.Kubeconfig("e2e", srv.URL, cas.Kubernetes.CertPEM(), certPEM, keyPEM)
	if err != nil {
		t.Fatal(err)
	}
	cfg := parseKubeconfig(t, data, "e2e", srv.URL)

	got, err := getWithKubeconfig(t, cfg, cfg.Clusters[0].Cluster.Server)
	if err != nil {
		t.Fatalf("request with kubeconfig credentials: %v", err)
	}
	if got != "admin system:masters" {
		t.Errorf("server saw client %q, want admin system:masters", got)
	}

	rotated, err := cas.Rotate(now)
	if err != nil {
		t.Fatal(err)
	}
	rotatedSrv := startAPIServer(t, rotated.Kubernetes, now)
	if _, err := getWithKubeconfig(t, cfg, rotatedSrv.URL); err == nil {
		t.Error("the old kubeconfig still reaches the API server after CA rotation")
	}
}
