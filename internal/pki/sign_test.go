package pki_test

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/pki"
)

func TestSignCSRKeepsSubjectAndFollowsMagnum(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		csr  func(t *testing.T) []byte
	}{
		{"magnumclient RSA-2048 SHA-256", func(t *testing.T) []byte {
			csrPEM, _ := adminCSR(t)
			return csrPEM
		}},
		{"terraform RSA-4096 SHA-512", func(t *testing.T) []byte {
			key, err := rsa.GenerateKey(rand.Reader, 4096)
			if err != nil {
				t.Fatal(err)
			}
			return makeCSR(t, key, x509.CertificateRequest{Subject: adminSubject(), SignatureAlgorithm: x509.SHA512WithRSA})
		}},
		{"ECDSA P-256", func(t *testing.T) []byte {
			key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			return makeCSR(t, key, x509.CertificateRequest{Subject: adminSubject()})
		}},
		{"ECDSA P-384 SHA-384", func(t *testing.T) []byte {
			key, err := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			return makeCSR(t, key, x509.CertificateRequest{Subject: adminSubject(), SignatureAlgorithm: x509.ECDSAWithSHA384})
		}},
		{"Ed25519", func(t *testing.T) []byte {
			_, key, err := ed25519.GenerateKey(rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			return makeCSR(t, key, x509.CertificateRequest{Subject: adminSubject()})
		}},
	}
	cas := newCAs(t, "k8s-prod")
	ca := cas.Kubernetes
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			csrPEM := tc.csr(t)
			certPEM, err := ca.SignCSR(csrPEM, testNow)
			if err != nil {
				t.Fatalf("SignCSR: %v", err)
			}
			cert, csr := parseCert(t, certPEM), parseCSR(t, csrPEM)

			if string(cert.RawSubject) != string(csr.RawSubject) {
				t.Errorf("subject = %v, want the CSR's %v", cert.Subject, csr.Subject)
			}
			if cert.Subject.CommonName != "admin" || !slices.Equal(cert.Subject.Organization, []string{"system:masters"}) {
				t.Errorf("subject = %v, want CN=admin,O=system:masters", cert.Subject)
			}
			if cert.Issuer.CommonName != "k8s-prod" {
				t.Errorf("issuer CN = %q, want the cluster name", cert.Issuer.CommonName)
			}
			if want := testNow.Add(-24 * time.Hour); !cert.NotBefore.Equal(want) {
				t.Errorf("NotBefore = %v, want %v", cert.NotBefore, want)
			}
			if want := testNow.AddDate(0, 0, 1825); !cert.NotAfter.Equal(want) {
				t.Errorf("NotAfter = %v, want %v", cert.NotAfter, want)
			}
			if cert.IsCA || !cert.BasicConstraintsValid {
				t.Errorf("IsCA = %v, BasicConstraintsValid = %v; want a non-CA with basic constraints", cert.IsCA, cert.BasicConstraintsValid)
			}
			if want := x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment; cert.KeyUsage != want {
				t.Errorf("KeyUsage = %b, want %b", cert.KeyUsage, want)
			}
			if !slices.Equal(cert.ExtKeyUsage, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}) {
				t.Errorf("ExtKeyUsage = %v, want clientAuth only", cert.ExtKeyUsage)
			}
			if len(cert.SubjectKeyId) == 0 {
				t.Error("no SubjectKeyIdentifier")
			}
			if string(cert.AuthorityKeyId) != string(ca.Certificate().SubjectKeyId) {
				t.Error("AuthorityKeyIdentifier does not name the CA key")
			}
			if cert.SerialNumber.Sign() <= 0 || cert.SerialNumber.BitLen() > 128 {
				t.Errorf("serial %v is not a positive 128-bit number", cert.SerialNumber)
			}
			if cert.SignatureAlgorithm != x509.ECDSAWithSHA256 {
				t.Errorf("signature algorithm = %v, want ECDSA-SHA256", cert.SignatureAlgorithm)
			}
			if pub, ok := cert.PublicKey.(interface{ Equal(crypto.PublicKey) bool }); !ok || !pub.Equal(csr.PublicKey) {
				t.Error("certificate does not carry the CSR's public key")
			}
			if err := verify(cert, ca, x509.ExtKeyUsageClientAuth, "", testNow); err != nil {
				t.Errorf("verify for client auth: %v", err)
			}
			if err := verify(cert, ca, x509.ExtKeyUsageServerAuth, "", testNow); err == nil {
				t.Error("a client certificate verified for server auth")
			}
			if err := verify(cert, cas.Etcd, x509.ExtKeyUsageClientAuth, "", testNow); err == nil {
				t.Error("a certificate from the kubernetes CA verified against the etcd CA")
			}
		})
	}
}

func TestSignCSRFiltersExtensions(t *testing.T) {
	t.Parallel()
	mustMarshal := func(v any) []byte {
		b, err := asn1.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	basicConstraintsCA := pkix.Extension{
		Id:       asn1.ObjectIdentifier{2, 5, 29, 19},
		Critical: true,
		Value:    mustMarshal(struct{ IsCA bool }{true}),
	}
	keyUsageCertSign := pkix.Extension{ // digitalSignature (bit 0) and keyCertSign (bit 5)
		Id:    asn1.ObjectIdentifier{2, 5, 29, 15},
		Value: mustMarshal(asn1.BitString{Bytes: []byte{0x84}, BitLength: 6}),
	}
	extKeyUsage := func(oids ...asn1.ObjectIdentifier) pkix.Extension {
		return pkix.Extension{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Value: mustMarshal(oids)}
	}
	serverAuth := asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 1}
	clientAuth := asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 2}
	codeSigning := asn1.ObjectIdentifier{1, 3, 6, 1, 5, 5, 7, 3, 3}
	unknownCritical := pkix.Extension{Id: asn1.ObjectIdentifier{1, 2, 3, 4}, Critical: true, Value: []byte{0x05, 0x00}}

	cases := []struct {
		name    string
		exts    []pkix.Extension
		wantEKU []x509.ExtKeyUsage
	}{
		{"asks to be a CA", []pkix.Extension{basicConstraintsCA, keyUsageCertSign}, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		{"asks for client auth", []pkix.Extension{extKeyUsage(clientAuth)}, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
		{"asks for server auth and code signing", []pkix.Extension{extKeyUsage(serverAuth, codeSigning)}, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth}},
		{"carries an unknown critical extension", []pkix.Extension{unknownCritical}, []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
	}
	ca := newCAs(t, "filtered").Kubernetes
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			csrPEM := makeCSR(t, key, x509.CertificateRequest{
				Subject:         pkix.Name{CommonName: "node-1"},
				DNSNames:        []string{"node-1.example.test"},
				IPAddresses:     []net.IP{net.ParseIP("10.0.0.5")},
				ExtraExtensions: tc.exts,
			})
			certPEM, err := ca.SignCSR(csrPEM, testNow)
			if err != nil {
				t.Fatalf("SignCSR: %v", err)
			}
			cert := parseCert(t, certPEM)
			if cert.IsCA || cert.MaxPathLen > 0 {
				t.Errorf("IsCA = %v: the CA flag must never be granted", cert.IsCA)
			}
			if want := x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment; cert.KeyUsage != want {
				t.Errorf("KeyUsage = %b, want %b", cert.KeyUsage, want)
			}
			if !slices.Equal(cert.ExtKeyUsage, tc.wantEKU) || len(cert.UnknownExtKeyUsage) > 0 {
				t.Errorf("ExtKeyUsage = %v (unknown %v), want %v", cert.ExtKeyUsage, cert.UnknownExtKeyUsage, tc.wantEKU)
			}
			if len(cert.UnhandledCriticalExtensions) > 0 {
				t.Errorf("unhandled critical extensions copied: %v", cert.UnhandledCriticalExtensions)
			}
			for _, ext := range cert.Extensions {
				if ext.Id.Equal(unknownCritical.Id) {
					t.Errorf("extension %v copied from the CSR", ext.Id)
				}
			}
			if !slices.Equal(cert.DNSNames, []string{"node-1.example.test"}) || len(cert.IPAddresses) != 1 || !cert.IPAddresses[0].Equal(net.ParseIP("10.0.0.5")) {
				t.Errorf("SANs = %v %v, want the CSR's", cert.DNSNames, cert.IPAddresses)
			}
			wantServer := slices.Contains(tc.wantEKU, x509.ExtKeyUsageServerAuth)
			for _, name := range []string{"node-1.example.test", "10.0.0.5"} {
				err := verify(cert, ca, x509.ExtKeyUsageServerAuth, name, testNow)
				if wantServer && err != nil {
					t.Errorf("verify server auth for %s: %v", name, err)
				}
				if !wantServer && err == nil {
					t.Errorf("verified for server auth for %s without asking for it", name)
				}
			}
		})
	}
}

func TestSignCSRRejectsInvalidCSRs(t *testing.T) {
	t.Parallel()
	ca := newCAs(t, "strict").Kubernetes
	csrWithKey := func(t *testing.T, key crypto.Signer) []byte {
		return makeCSR(t, key, x509.CertificateRequest{Subject: adminSubject()})
	}
	cases := []struct {
		name string
		csr  func(t *testing.T) []byte
	}{
		{"empty", func(*testing.T) []byte { return nil }},
		{"garbage", func(*testing.T) []byte { return []byte("this is not a CSR") }},
		{"a certificate instead of a CSR", func(*testing.T) []byte { return ca.CertPEM() }},
		{"garbage in a CSR PEM block", func(*testing.T) []byte {
			return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: []byte("junk")})
		}},
		{"tampered signature", func(t *testing.T) []byte {
			csrPEM, _ := adminCSR(t)
			block, _ := pem.Decode(csrPEM)
			block.Bytes[len(block.Bytes)-1] ^= 0xff
			return pem.EncodeToMemory(block)
		}},
		{"RSA-1024", func(t *testing.T) []byte {
			key, err := rsa.GenerateKey(rand.Reader, 1024)
			if err != nil {
				t.Fatal(err)
			}
			return csrWithKey(t, key)
		}},
		{"ECDSA P-224", func(t *testing.T) []byte {
			key, err := ecdsa.GenerateKey(elliptic.P224(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			return csrWithKey(t, key)
		}},
		{"malformed extended key usage", func(t *testing.T) []byte {
			key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
			if err != nil {
				t.Fatal(err)
			}
			return makeCSR(t, key, x509.CertificateRequest{
				Subject:         adminSubject(),
				ExtraExtensions: []pkix.Extension{{Id: asn1.ObjectIdentifier{2, 5, 29, 37}, Value: []byte{0x04, 0x01, 0x00}}},
			})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			certPEM, err := ca.SignCSR(tc.csr(t), testNow)
			if err == nil {
				t.Fatalf("SignCSR signed it:\n%s", certPEM)
			}
			if !errors.Is(err, pki.ErrInvalidCSR) || !errors.Is(err, model.ErrInvalid) {
				t.Errorf("error %v does not match ErrInvalidCSR and model.ErrInvalid", err)
			}
			var ue *model.UserError
			if !errors.As(err, &ue) || !strings.HasPrefix(ue.Message, "invalid CSR: ") {
				t.Errorf("error %v carries no user message", err)
			}
		})
	}
}

func TestSignCSRWithRSACA(t *testing.T) {
	t.Parallel()
	// A CA migrated from Magnum has an RSA key, stored as PKCS #1.
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "magnum-cluster"},
		NotBefore:             testNow.Add(-time.Hour),
		NotAfter:              testNow.AddDate(5, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := pki.LoadCA(
		pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}),
	)
	if err != nil {
		t.Fatalf("LoadCA: %v", err)
	}
	certPEM, _ := signAdmin(t, ca, testNow)
	cert := parseCert(t, certPEM)
	if cert.SignatureAlgorithm != x509.SHA256WithRSA {
		t.Errorf("signature algorithm = %v, want SHA256-RSA", cert.SignatureAlgorithm)
	}
	if err := verify(cert, ca, x509.ExtKeyUsageClientAuth, "", testNow); err != nil {
		t.Errorf("verify: %v", err)
	}
}

func TestSignCSRSerialsDiffer(t *testing.T) {
	t.Parallel()
	ca := newCAs(t, "serials").Kubernetes
	csrPEM, _ := adminCSR(t)
	seen := map[string]bool{}
	for range 5 {
		certPEM, err := ca.SignCSR(csrPEM, testNow)
		if err != nil {
			t.Fatalf("SignCSR: %v", err)
		}
		serial := parseCert(t, certPEM).SerialNumber.String()
		if seen[serial] {
			t.Fatalf("serial %s issued twice", serial)
		}
		seen[serial] = true
	}
}
