package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"time"
)

// Usage says what an issued certificate may be used for. Combine values
// with |.
type Usage uint8

// Certificate usages.
const (
	// UsageServer allows TLS server authentication.
	UsageServer Usage = 1 << iota
	// UsageClient allows TLS client authentication.
	UsageClient
)

// IssueRequest describes a certificate for a cluster component, such as
// the API server, a kubelet or an etcd member.
type IssueRequest struct {
	// CommonName is the subject CN; Kubernetes reads it as the user name.
	CommonName string
	// Organization is the subject O; Kubernetes reads it as the groups.
	Organization []string
	// DNSNames and IPAddresses are the subject alternative names.
	DNSNames    []string
	IPAddresses []net.IP
	// Usages must name at least one usage.
	Usages Usage
	// Validity defaults to CertValidity when zero.
	Validity time.Duration
	// Now is the issue time; zero means the current time.
	Now time.Time
}

// Issue creates a fresh ECDSA P-256 key and a certificate for it signed by
// the CA, and returns both in PEM form (the key as PKCS #8). Like SignCSR,
// the certificate is backdated by one day and never a CA.
func (ca *CA) Issue(req IssueRequest) (certPEM, keyPEM []byte, err error) {
	if err := req.validate(); err != nil {
		return nil, nil, fmt.Errorf("issue certificate %q: %w", req.CommonName, err)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("issue certificate %q: generate key: %w", req.CommonName, err)
	}
	now, validity := req.Now, req.Validity
	if now.IsZero() {
		now = time.Now()
	}
	if validity == 0 {
		validity = CertValidity
	}
	tmpl := &x509.Certificate{
		Subject:     pkix.Name{CommonName: req.CommonName, Organization: req.Organization},
		ExtKeyUsage: req.Usages.extKeyUsages(),
		DNSNames:    req.DNSNames,
		IPAddresses: req.IPAddresses,
	}
	der, err := ca.signLeaf(tmpl, key.Public(), now, validity)
	if err != nil {
		return nil, nil, fmt.Errorf("issue certificate %q: %w", req.CommonName, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, fmt.Errorf("issue certificate %q: marshal key: %w", req.CommonName, err)
	}
	return encodeCert(der), pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: keyDER}), nil
}

// signLeaf completes tmpl, which carries the subject, extended key usages
// and subject alternative names, into a non-CA certificate for pub and signs
// it. It adds a random serial, the validity window from now minus one day
// to now plus validity, the allowed key usages, CA=false, and the subject
// and authority key identifiers.
func (ca *CA) signLeaf(tmpl *x509.Certificate, pub crypto.PublicKey, now time.Time, validity time.Duration) ([]byte, error) {
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	skid, err := subjectKeyID(pub)
	if err != nil {
		return nil, err
	}
	now = now.UTC().Truncate(time.Second)
	tmpl.SerialNumber = serial
	tmpl.NotBefore = now.Add(-notBeforeSkew)
	tmpl.NotAfter = now.Add(validity)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment
	tmpl.BasicConstraintsValid = true
	tmpl.IsCA = false
	tmpl.SubjectKeyId = skid
	tmpl.AuthorityKeyId = ca.cert.SubjectKeyId
	tmpl.SignatureAlgorithm = ca.signatureAlgorithm()
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, pub, ca.key)
	if err != nil {
		return nil, fmt.Errorf("sign with CA %q: %w", ca.cert.Subject.CommonName, err)
	}
	return der, nil
}

// validate checks an IssueRequest before any key is generated.
func (req IssueRequest) validate() error {
	if req.CommonName == "" {
		return errors.New("empty common name")
	}
	if req.Usages == 0 || req.Usages&^(UsageServer|UsageClient) != 0 {
		return fmt.Errorf("usages %#x: want UsageServer, UsageClient or both", uint8(req.Usages))
	}
	if req.Validity < 0 {
		return fmt.Errorf("negative validity %s", req.Validity)
	}
	return nil
}

// extKeyUsages maps usages to x509 extended key usages.
func (u Usage) extKeyUsages() []x509.ExtKeyUsage {
	var out []x509.ExtKeyUsage
	if u&UsageServer != 0 {
		out = append(out, x509.ExtKeyUsageServerAuth)
	}
	if u&UsageClient != 0 {
		out = append(out, x509.ExtKeyUsageClientAuth)
	}
	return out
}
