package pki

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
)

// ServiceAccountKeyBits is the size of the RSA key that signs
// service-account tokens.
const ServiceAccountKeyBits = 2048

// pemPublicKey is the PEM block type of a PKIX public key.
const pemPublicKey = "PUBLIC KEY"

// ServiceAccountKeyPEM is the key pair that signs and verifies
// service-account tokens. The private key is a secret.
type ServiceAccountKeyPEM struct {
	// PrivateKeyPEM is for kube-apiserver's --service-account-signing-key-file
	// and kube-controller-manager's --service-account-private-key-file.
	PrivateKeyPEM []byte
	// PublicKeyPEM is for kube-apiserver's --service-account-key-file.
	PublicKeyPEM []byte
}

// NewServiceAccountKey generates the RSA-2048 key pair that signs and
// verifies service-account tokens. The private key is PKCS #1 PEM ("RSA
// PRIVATE KEY") and the public key PKIX PEM ("PUBLIC KEY"), the forms
// kube-apiserver's --service-account-signing-key-file and
// --service-account-key-file read.
func NewServiceAccountKey() (privPEM, pubPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, ServiceAccountKeyBits)
	if err != nil {
		return nil, nil, fmt.Errorf("service-account key: generate: %w", err)
	}
	pubDER, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return nil, nil, fmt.Errorf("service-account key: marshal public key: %w", err)
	}
	privPEM = pem.EncodeToMemory(&pem.Block{Type: pemRSAPrivateKey, Bytes: x509.MarshalPKCS1PrivateKey(key)})
	pubPEM = pem.EncodeToMemory(&pem.Block{Type: pemPublicKey, Bytes: pubDER})
	return privPEM, pubPEM, nil
}
