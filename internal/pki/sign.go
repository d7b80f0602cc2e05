package pki

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/asn1"
	"encoding/pem"
	"fmt"
	"time"

	"github.com/slipway/slipway/internal/model"
)

// ErrInvalidCSR classifies every refused certificate signing request. It
// wraps model.ErrInvalid, so the API edge answers 400.
var ErrInvalidCSR = fmt.Errorf("invalid CSR: %w", model.ErrInvalid)

// RSA key sizes accepted in a CSR. Magnum's clients send 2048 (magnumclient)
// and 4096 (terraform); the upper bound only keeps out absurd keys.
const (
	minRSABits = 2048
	maxRSABits = 8192
)

// invalidCSRf returns an ErrInvalidCSR with a message for the API caller.
func invalidCSRf(format string, a ...any) error {
	return &model.UserError{Kind: ErrInvalidCSR, Message: "invalid CSR: " + fmt.Sprintf(format, a...)}
}

// SignCSR signs a PEM certificate signing request the way Magnum's
// POST /v1/certificates does, and returns the certificate in PEM form.
//
// The subject is copied from the CSR verbatim (clients send CN=admin,
// O=system:masters) and the issuer is the CA subject. The certificate is
// valid from one day before now until CertValidity after now, has a random
// 128-bit serial and is signed with SHA-256. Extensions are not copied but rebuilt from an
// allow-list: key usage digitalSignature and keyEncipherment; extended key
// usage clientAuth, plus serverAuth when the CSR asks for it; basic
// constraints with CA=false whatever the CSR asks; subject and authority key
// identifiers; and the CSR's DNS, IP, email and URI subject alternative
// names.
//
// A CSR that does not parse, whose signature does not verify, or whose key
// is not RSA of 2048 to 8192 bits, ECDSA on P-256, P-384 or P-521, or
// Ed25519, is refused with an error that matches ErrInvalidCSR.
func (ca *CA) SignCSR(csrPEM []byte, now time.Time) ([]byte, error) {
	csr, err := parseCSR(csrPEM)
	if err != nil {
		return nil, err
	}
	serverAuth, err := requestsServerAuth(csr)
	if err != nil {
		return nil, err
	}
	extKeyUsage := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	if serverAuth {
		extKeyUsage = append(extKeyUsage, x509.ExtKeyUsageServerAuth)
	}
	tmpl := &x509.Certificate{
		RawSubject:     csr.RawSubject,
		ExtKeyUsage:    extKeyUsage,
		DNSNames:       csr.DNSNames,
		IPAddresses:    csr.IPAddresses,
		EmailAddresses: csr.EmailAddresses,
		URIs:           csr.URIs,
	}
	der, err := ca.signLeaf(tmpl, csr.PublicKey, now, CertValidity)
	if err != nil {
		return nil, fmt.Errorf("sign CSR: %w", err)
	}
	return encodeCert(der), nil
}

// parseCSR decodes, parses and checks a PEM CSR. Every error it returns
// matches ErrInvalidCSR.
func parseCSR(csrPEM []byte) (*x509.CertificateRequest, error) {
	block, _ := pem.Decode(csrPEM)
	if block == nil {
		return nil, invalidCSRf("no PEM block found")
	}
	if block.Type != pemCertificateRequest && block.Type != "NEW CERTIFICATE REQUEST" {
		return nil, invalidCSRf("PEM block is %q, want CERTIFICATE REQUEST", block.Type)
	}
	csr, err := x509.ParseCertificateRequest(block.Bytes)
	if err != nil {
		return nil, invalidCSRf("%v", err)
	}
	if err := csr.CheckSignature(); err != nil {
		return nil, invalidCSRf("%v", err)
	}
	if err := checkPublicKey(csr.PublicKey); err != nil {
		return nil, err
	}
	return csr, nil
}

// checkPublicKey refuses CSR keys that are too weak or of an unknown kind.
func checkPublicKey(pub any) error {
	switch k := pub.(type) {
	case *rsa.PublicKey:
		if bits := k.N.BitLen(); bits < minRSABits || bits > maxRSABits {
			return invalidCSRf("RSA key has %d bits, want %d to %d", bits, minRSABits, maxRSABits)
		}
	case *ecdsa.PublicKey:
		switch k.Curve {
		case elliptic.P256(), elliptic.P384(), elliptic.P521():
		default:
			return invalidCSRf("ECDSA curve %s is not supported, want P-256, P-384 or P-521", k.Curve.Params().Name)
		}
	case ed25519.PublicKey:
	default:
		return invalidCSRf("public key of type %T is not supported", pub)
	}
	return nil
}

// requestsServerAuth reports whether the CSR's extended key usage
// extension, if any, asks for serverAuth.
func requestsServerAuth(csr *x509.CertificateRequest) (bool, error) {
	oidExtKeyUsage := asn1.ObjectIdentifier{2, 5, 29, 37}
	oidServerAuth := asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 1}
	for _, ext := range csr.Extensions {
		if !ext.Id.Equal(oidExtKeyUsage) {
			continue
		}
		var usages []asn1.ObjectIdentifier
		rest, err := asn1.Unmarshal(ext.Value, &usages)
		if err != nil {
			return false, invalidCSRf("extended key usage: %v", err)
		}
		if len(rest) > 0 {
			return false, invalidCSRf("extended key usage: trailing data")
		}
		for _, u := range usages {
			if u.Equal(oidServerAuth) {
				return true, nil
			}
		}
	}
	return false, nil
}
