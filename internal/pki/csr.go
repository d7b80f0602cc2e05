package pki

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
)

// NewCSR generates an RSA-2048 key and a SHA-256 certificate signing request
// with subject CN=cn, O=orgs, as python-magnumclient does for
// `coe cluster config` (CN=admin, O=system:masters). The key is returned as
// PKCS #1 PEM, the form magnumclient writes to key.pem.
func NewCSR(cn string, orgs []string) (csrPEM, keyPEM []byte, err error) {
	if cn == "" {
		return nil, nil, errors.New("create CSR: empty common name")
	}
	key, err := rsa.GenerateKey(rand.Reader, minRSABits)
	if err != nil {
		return nil, nil, fmt.Errorf("create CSR for %q: generate key: %w", cn, err)
	}
	tmpl := &x509.CertificateRequest{
		Subject:            pkix.Name{CommonName: cn, Organization: orgs},
		SignatureAlgorithm: x509.SHA256WithRSA,
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create CSR for %q: %w", cn, err)
	}
	csrPEM = pem.EncodeToMemory(&pem.Block{Type: pemCertificateRequest, Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: pemRSAPrivateKey, Bytes: x509.MarshalPKCS1PrivateKey(key)})
	return csrPEM, keyPEM, nil
}
