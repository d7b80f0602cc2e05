package pki_test

import (
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/pki"
)

// testNow is the fixed clock of tests that do not talk TLS.
var testNow = time.Date(2025, time.March, 1, 12, 30, 45, 0, time.UTC)

// newCAs creates the CAs of a cluster named name at testNow.
func newCAs(t *testing.T, name string) *pki.ClusterCAs {
	t.Helper()
	cas, err := pki.NewClusterCAs(name, testNow)
	if err != nil {
		t.Fatalf("NewClusterCAs(%q): %v", name, err)
	}
	return cas
}

// parseCert decodes a single PEM certificate.
func parseCert(t *testing.T, certPEM []byte) *x509.Certificate {
	t.Helper()
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatalf("not a PEM certificate: %q", certPEM)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatalf("parse certificate: %v", err)
	}
	return cert
}

// parseCSR decodes a single PEM CSR.
func parseCSR(t *testing.T, csrPEM []byte) *x509.CertificateRequest {
	t.Helper()
	block, _ := pem.Decode(csrPEM)
	if block == nil {
		t.Fatalf("not PEM: %q", csrPEM)
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		t.Fatalf("parse CSR: %v", err)
	}
	return csr
}

// makeCSR builds a PEM CSR signed by key.
func makeCSR(t *testing.T, key crypto.Signer, tmpl x509.CertificateRequest) []byte {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &tmpl, key)
	if err != nil {
		t.Fatalf("create CSR: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
}

// adminCSR creates the CSR and key that magnumclient creates for
// `coe cluster config`.
func adminCSR(t *testing.T) (csrPEM, keyPEM []byte) {
	t.Helper()
	csrPEM, keyPEM, err := pki.NewCSR("admin", []string{"system:masters"})
	if err != nil {
		t.Fatalf("NewCSR: %v", err)
	}
	return csrPEM, keyPEM
}

// signAdmin signs a fresh admin CSR with ca at now and returns the client
// certificate and its key.
func signAdmin(t *testing.T, ca *pki.CA, now time.Time) (certPEM, keyPEM []byte) {
	t.Helper()
	csrPEM, keyPEM := adminCSR(t)
	certPEM, err := ca.SignCSR(csrPEM, now)
	if err != nil {
		t.Fatalf("SignCSR: %v", err)
	}
	return certPEM, keyPEM
}

// adminSubject is the subject magnumclient puts in its CSR.
func adminSubject() pkix.Name {
	return pkix.Name{CommonName: "admin", Organization: []string{"system:masters"}}
}

// verify checks cert against ca for the given usage at the given time.
func verify(cert *x509.Certificate, ca *pki.CA, usage x509.ExtKeyUsage, dnsName string, at time.Time) error {
	pool := x509.NewCertPool()
	pool.AddCert(ca.Certificate())
	_, err := cert.Verify(x509.VerifyOptions{
		Roots:       pool,
		DNSName:     dnsName,
		CurrentTime: at,
		KeyUsages:   []x509.ExtKeyUsage{usage},
	})
	return err
}
