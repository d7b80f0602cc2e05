package pki_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/tls"
	"crypto/x509"
	"net"
	"slices"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/pki"
)

func TestIssue(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		req          pki.IssueRequest
		verifyName   string // the host name or IP a server certificate must verify for
		wantServer   bool
		wantClient   bool
		wantValidity time.Duration
	}{
		{
			name: "API server with IP SAN",
			req: pki.IssueRequest{
				CommonName:  "kube-apiserver",
				DNSNames:    []string{"kubernetes", "kubernetes.default.svc"},
				IPAddresses: []net.IP{net.ParseIP("10.0.0.10"), net.ParseIP("172.24.4.5")},
				Usages:      pki.UsageServer,
			},
			verifyName:   "172.24.4.5",
			wantServer:   true,
			wantValidity: pki.CertValidity,
		},
		{
			name: "controller manager client",
			req: pki.IssueRequest{
				CommonName: "system:kube-controller-manager",
				Usages:     pki.UsageClient,
			},
			wantClient:   true,
			wantValidity: pki.CertValidity,
		},
		{
			name: "etcd peer, both usages, one year",
			req: pki.IssueRequest{
				CommonName:   "etcd-0",
				Organization: []string{"etcd"},
				DNSNames:     []string{"etcd-0.cluster.local"},
				Usages:       pki.UsageServer | pki.UsageClient,
				Validity:     365 * 24 * time.Hour,
			},
			verifyName:   "etcd-0.cluster.local",
			wantServer:   true,
			wantClient:   true,
			wantValidity: 365 * 24 * time.Hour,
		},
	}
	ca := newCAs(t, "issuer").Kubernetes
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			req := tc.req
			req.Now = testNow
			certPEM, keyPEM, err := ca.Issue(req)
			if err != nil {
				t.Fatalf("Issue: %v", err)
			}
			pair, err := tls.X509KeyPair(certPEM, keyPEM)
			if err != nil {
				t.Fatalf("certificate and key do not pair: %v", err)
			}
			if k, ok := pair.PrivateKey.(*ecdsa.PrivateKey); !ok || k.Curve != elliptic.P256() {
				t.Errorf("key is %T, want ECDSA P-256", pair.PrivateKey)
			}
			cert := parseCert(t, certPEM)
			if cert.Subject.CommonName != tc.req.CommonName || !slices.Equal(cert.Subject.Organization, tc.req.Organization) {
				t.Errorf("subject = %v, want CN=%s O=%v", cert.Subject, tc.req.CommonName, tc.req.Organization)
			}
			if cert.Issuer.CommonName != "issuer" {
				t.Errorf("issuer = %v, want the cluster name", cert.Issuer)
			}
			if cert.IsCA {
				t.Error("issued certificate is a CA")
			}
			if !cert.NotBefore.Equal(testNow.Add(-24*time.Hour)) || !cert.NotAfter.Equal(testNow.Add(tc.wantValidity)) {
				t.Errorf("valid %v to %v, want one day before now to now+%v", cert.NotBefore, cert.NotAfter, tc.wantValidity)
			}
			if string(cert.AuthorityKeyId) != string(ca.Certificate().SubjectKeyId) || len(cert.SubjectKeyId) == 0 {
				t.Error("key identifiers missing or wrong")
			}
			serverErr := verify(cert, ca, x509.ExtKeyUsageServerAuth, tc.verifyName, testNow)
			if tc.wantServer && serverErr != nil {
				t.Errorf("verify as server for %q: %v", tc.verifyName, serverErr)
			}
			if !tc.wantServer && serverErr == nil {
				t.Error("verified as a server certificate")
			}
			clientErr := verify(cert, ca, x509.ExtKeyUsageClientAuth, "", testNow)
			if tc.wantClient && clientErr != nil {
				t.Errorf("verify as client: %v", clientErr)
			}
			if !tc.wantClient && clientErr == nil {
				t.Error("verified as a client certificate")
			}
			if tc.wantServer {
				if err := verify(cert, ca, x509.ExtKeyUsageServerAuth, "10.9.9.9", testNow); err == nil {
					t.Error("verified for an IP address not in its SANs")
				}
			}
		})
	}
}

func TestIssueRejectsBadRequests(t *testing.T) {
	t.Parallel()
	ca := newCAs(t, "issuer").Kubernetes
	cases := []struct {
		name string
		req  pki.IssueRequest
	}{
		{"no common name", pki.IssueRequest{Usages: pki.UsageClient}},
		{"no usage", pki.IssueRequest{CommonName: "x"}},
		{"unknown usage", pki.IssueRequest{CommonName: "x", Usages: 1 << 7}},
		{"negative validity", pki.IssueRequest{CommonName: "x", Usages: pki.UsageClient, Validity: -time.Hour}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, _, err := ca.Issue(tc.req); err == nil {
				t.Error("Issue accepted it")
			}
		})
	}
}
