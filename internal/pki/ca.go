package pki

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/slipway/slipway/internal/model"
)

// The CA types of a cluster, as Magnum names them in the ca_cert_type field
// of /v1/certificates.
const (
	CATypeKubernetes = "kubernetes"
	CATypeEtcd       = "etcd"
	CATypeFrontProxy = "front_proxy"
)

// CAValidityYears is how long a cluster CA is valid.
const CAValidityYears = 10

// CertValidity is how long a signed or issued certificate is valid: Magnum's
// default [x509] term_of_validity of 1825 days.
const CertValidity = 1825 * 24 * time.Hour

// notBeforeSkew backdates every certificate so that nodes whose clocks lag
// behind still accept it, as Magnum does.
const notBeforeSkew = 24 * time.Hour

// PEM block types.
const (
	pemCertificate        = "CERTIFICATE"
	pemCertificateRequest = "CERTIFICATE REQUEST"
	pemPrivateKey         = "PRIVATE KEY"
	pemRSAPrivateKey      = "RSA PRIVATE KEY"
	pemECPrivateKey       = "EC PRIVATE KEY"
)

// CATypes returns every CA type of a cluster, in a stable order.
func CATypes() []string {
	return []string{CATypeKubernetes, CATypeEtcd, CATypeFrontProxy}
}

// ParseCAType turns a ca_cert_type value from the API into one of the
// CAType constants. The empty string means kubernetes, and "front-proxy" is
// accepted as a spelling of front_proxy, as in Magnum. Any other value is an
// error that matches model.ErrInvalid.
func ParseCAType(s string) (string, error) {
	switch s {
	case "", CATypeKubernetes:
		return CATypeKubernetes, nil
	case CATypeEtcd:
		return CATypeEtcd, nil
	case CATypeFrontProxy, "front-proxy":
		return CATypeFrontProxy, nil
	default:
		return "", model.Invalidf("unknown ca_cert_type %q, want kubernetes, etcd or front_proxy", s)
	}
}

// CA is a certificate authority: a self-signed CA certificate and its
// private key.
type CA struct {
	cert    *x509.Certificate
	certPEM []byte
	key     crypto.Signer
}

// Certificate returns the parsed CA certificate. Callers must not modify it.
func (ca *CA) Certificate() *x509.Certificate { return ca.cert }

// CertPEM returns the CA certificate in PEM form, as served by
// GET /v1/certificates.
func (ca *CA) CertPEM() []byte { return append([]byte(nil), ca.certPEM...) }

// MarshalPEM returns the CA certificate and its private key (PKCS #8) in PEM
// form. The key is a secret; store it encrypted.
func (ca *CA) MarshalPEM() (certPEM, keyPEM []byte, err error) {
	der, err := x509.MarshalPKCS8PrivateKey(ca.key)
	if err != nil {
		return nil, nil, fmt.Errorf("marshal CA key: %w", err)
	}
	return ca.CertPEM(), pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: der}), nil
}

// newCA creates a self-signed CA with an ECDSA P-256 key whose subject is
// CN=commonName.
func newCA(commonName string, now time.Time) (*CA, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate CA key: %w", err)
	}
	serial, err := randomSerial()
	if err != nil {
		return nil, err
	}
	skid, err := subjectKeyID(key.Public())
	if err != nil {
		return nil, err
	}
	now = now.UTC().Truncate(time.Second)
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName},
		NotBefore:             now.Add(-notBeforeSkew),
		NotAfter:              now.AddDate(CAValidityYears, 0, 0),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
		SubjectKeyId:          skid,
		SignatureAlgorithm:    x509.ECDSAWithSHA256,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return nil, fmt.Errorf("create CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, fmt.Errorf("parse CA certificate: %w", err)
	}
	return &CA{cert: cert, certPEM: encodeCert(der), key: key}, nil
}

// LoadCA rebuilds a CA from its PEM certificate and private key. The key
// may be PKCS #8, PKCS #1 (RSA) or SEC 1 (EC), unencrypted, and must match
// the certificate, which must be a CA.
func LoadCA(certPEM, keyPEM []byte) (*CA, error) {
	block, _ := pem.Decode(certPEM)
	if block == nil || block.Type != pemCertificate {
		return nil, errors.New("load CA: no CERTIFICATE PEM block")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("load CA: parse certificate: %w", err)
	}
	if !cert.BasicConstraintsValid || !cert.IsCA {
		return nil, fmt.Errorf("load CA %q: certificate is not a CA", cert.Subject.CommonName)
	}
	key, err := parsePrivateKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("load CA %q: %w", cert.Subject.CommonName, err)
	}
	switch key.(type) {
	case *rsa.PrivateKey, *ecdsa.PrivateKey:
	default:
		return nil, fmt.Errorf("load CA %q: unsupported key type %T", cert.Subject.CommonName, key)
	}
	pub, ok := key.Public().(interface{ Equal(crypto.PublicKey) bool })
	if !ok || !pub.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("load CA %q: private key does not match certificate", cert.Subject.CommonName)
	}
	return &CA{cert: cert, certPEM: encodeCert(block.Bytes), key: key}, nil
}

// parsePrivateKey decodes the first PEM block of keyPEM as a private key.
func parsePrivateKey(keyPEM []byte) (crypto.Signer, error) {
	block, _ := pem.Decode(keyPEM)
	if block == nil {
		return nil, errors.New("no private key PEM block")
	}
	var (
		key any
		err error
	)
	switch block.Type {
	case pemPrivateKey:
		key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
	case pemRSAPrivateKey:
		key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
	case pemECPrivateKey:
		key, err = x509.ParseECPrivateKey(block.Bytes)
	default:
		return nil, fmt.Errorf("unsupported private key PEM block %q", block.Type)
	}
	if err != nil {
		return nil, fmt.Errorf("parse private key: %w", err)
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("private key of type %T cannot sign", key)
	}
	return signer, nil
}

// signatureAlgorithm is the SHA-256 signature algorithm for a CA key.
func (ca *CA) signatureAlgorithm() x509.SignatureAlgorithm {
	if _, ok := ca.key.(*rsa.PrivateKey); ok {
		return x509.SHA256WithRSA
	}
	return x509.ECDSAWithSHA256
}

// ClusterCAs holds the three CAs of one cluster. Magnum keeps the same
// three: one for Kubernetes (API server and its clients), one for etcd and
// one for the API aggregation front proxy.
type ClusterCAs struct {
	Kubernetes *CA
	Etcd       *CA
	FrontProxy *CA
}

// NewClusterCAs creates the three CAs of a cluster. Each is self-signed with
// subject CN=commonName and valid for CAValidityYears from now. Like Magnum,
// callers pass the cluster name, or its UUID when the cluster has no name.
func NewClusterCAs(commonName string, now time.Time) (*ClusterCAs, error) {
	if commonName == "" {
		return nil, errors.New("create cluster CAs: empty common name")
	}
	cas := &ClusterCAs{}
	for _, caType := range CATypes() {
		ca, err := newCA(commonName, now)
		if err != nil {
			return nil, fmt.Errorf("create %s CA for %q: %w", caType, commonName, err)
		}
		*cas.slot(caType) = ca
	}
	return cas, nil
}

// Rotate returns a fresh set of CAs with the same common name and new keys,
// which is what PATCH /v1/certificates/{cluster} asks for. Certificates
// signed by the old CAs stop verifying against the new ones, so the caller
// must reissue component certificates and clients must fetch a new
// kubeconfig. The receiver is left unchanged.
func (c *ClusterCAs) Rotate(now time.Time) (*ClusterCAs, error) {
	if c.Kubernetes == nil {
		return nil, errors.New("rotate cluster CAs: no kubernetes CA")
	}
	return NewClusterCAs(c.Kubernetes.cert.Subject.CommonName, now)
}

// ByType returns the CA of the given type; caType goes through ParseCAType,
// so API spellings are accepted.
func (c *ClusterCAs) ByType(caType string) (*CA, error) {
	t, err := ParseCAType(caType)
	if err != nil {
		return nil, err
	}
	ca := *c.slot(t)
	if ca == nil {
		return nil, fmt.Errorf("cluster has no %s CA", t)
	}
	return ca, nil
}

// KeyPairPEM is a certificate and its private key in PEM form. The
// certificate is public; the key is a secret.
type KeyPairPEM struct {
	CertPEM []byte
	KeyPEM  []byte
}

// MarshalPEM returns every CA in PEM form, keyed by CA type, so the caller
// can store the certificates in plain and the keys encrypted.
func (c *ClusterCAs) MarshalPEM() (map[string]KeyPairPEM, error) {
	out := make(map[string]KeyPairPEM, len(CATypes()))
	for _, caType := range CATypes() {
		ca, err := c.ByType(caType)
		if err != nil {
			return nil, fmt.Errorf("marshal cluster CAs: %w", err)
		}
		certPEM, keyPEM, err := ca.MarshalPEM()
		if err != nil {
			return nil, fmt.Errorf("marshal %s CA: %w", caType, err)
		}
		out[caType] = KeyPairPEM{CertPEM: certPEM, KeyPEM: keyPEM}
	}
	return out, nil
}

// LoadClusterCAs rebuilds the CAs of a cluster from the output of
// MarshalPEM. All three CA types must be present.
func LoadClusterCAs(pems map[string]KeyPairPEM) (*ClusterCAs, error) {
	cas := &ClusterCAs{}
	for _, caType := range CATypes() {
		p, ok := pems[caType]
		if !ok {
			return nil, fmt.Errorf("load cluster CAs: missing %s CA", caType)
		}
		ca, err := LoadCA(p.CertPEM, p.KeyPEM)
		if err != nil {
			return nil, fmt.Errorf("load %s CA: %w", caType, err)
		}
		*cas.slot(caType) = ca
	}
	return cas, nil
}

// slot returns the field that holds the CA of a canonical CA type.
func (c *ClusterCAs) slot(caType string) **CA {
	switch caType {
	case CATypeEtcd:
		return &c.Etcd
	case CATypeFrontProxy:
		return &c.FrontProxy
	default:
		return &c.Kubernetes
	}
}

// randomSerial returns a random, positive serial number of at most 128 bits.
func randomSerial() (*big.Int, error) {
	limit := new(big.Int).Lsh(big.NewInt(1), 128)
	for {
		n, err := rand.Int(rand.Reader, limit)
		if err != nil {
			return nil, fmt.Errorf("generate serial number: %w", err)
		}
		if n.Sign() > 0 {
			return n, nil
		}
	}
}

// subjectKeyID computes a key identifier by method 1 of RFC 7093: the
// leftmost 160 bits of the SHA-256 hash of the subjectPublicKey bits.
func subjectKeyID(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("marshal public key: %w", err)
	}
	var spki struct {
		Algorithm pkix.AlgorithmIdentifier
		PublicKey asn1.BitString
	}
	if _, err := asn1.Unmarshal(der, &spki); err != nil {
		return nil, fmt.Errorf("parse public key info: %w", err)
	}
	sum := sha256.Sum256(spki.PublicKey.Bytes)
	return sum[:20], nil
}

// encodeCert wraps a DER certificate in PEM.
func encodeCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: pemCertificate, Bytes: der})
}
