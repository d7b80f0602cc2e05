package pki_test

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"slices"
	"testing"

	"github.com/slipway/slipway/internal/pki"
)

func TestNewCSRMatchesMagnumclient(t *testing.T) {
	t.Parallel()
	csrPEM, keyPEM := adminCSR(t)
	csr := parseCSR(t, csrPEM)
	if err := csr.CheckSignature(); err != nil {
		t.Fatalf("CSR signature: %v", err)
	}
	if csr.Subject.CommonName != "admin" || !slices.Equal(csr.Subject.Organization, []string{"system:masters"}) {
		t.Errorf("subject = %v, want CN=admin,O=system:masters", csr.Subject)
	}
	if csr.SignatureAlgorithm != x509.SHA256WithRSA {
		t.Errorf("signature algorithm = %v, want SHA256-RSA", csr.SignatureAlgorithm)
	}
	pub, ok := csr.PublicKey.(*rsa.PublicKey)
	if !ok || pub.N.BitLen() != 2048 {
		t.Fatalf("public key = %T, want RSA-2048", csr.PublicKey)
	}
	block, _ := pem.Decode(keyPEM)
	if block == nil || block.Type != "RSA PRIVATE KEY" {
		t.Fatal("key is not PKCS #1 PEM")
	}
	key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
	if err != nil {
		t.Fatalf("parse key: %v", err)
	}
	if !key.PublicKey.Equal(pub) {
		t.Error("key does not match the CSR")
	}
	if _, _, err := pki.NewCSR("", nil); err == nil {
		t.Error("NewCSR accepted an empty common name")
	}
}
