package pki_test

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"testing"

	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/pki"
)

func TestNewClusterCAs(t *testing.T) {
	t.Parallel()
	cas := newCAs(t, "k8s-prod")
	keys := map[string]string{}
	for _, caType := range pki.CATypes() {
		t.Run(caType, func(t *testing.T) {
			ca, err := cas.ByType(caType)
			if err != nil {
				t.Fatalf("ByType: %v", err)
			}
			cert := ca.Certificate()
			if cert.Subject.CommonName != "k8s-prod" || cert.Issuer.CommonName != "k8s-prod" {
				t.Errorf("subject %v, issuer %v; want CN=k8s-prod for both", cert.Subject, cert.Issuer)
			}
			if !cert.IsCA || !cert.BasicConstraintsValid || cert.KeyUsage&x509.KeyUsageCertSign == 0 {
				t.Errorf("IsCA = %v, KeyUsage = %b; want a CA that signs certificates", cert.IsCA, cert.KeyUsage)
			}
			if want := testNow.AddDate(10, 0, 0); !cert.NotAfter.Equal(want) {
				t.Errorf("NotAfter = %v, want %v (10 years)", cert.NotAfter, want)
			}
			if !cert.NotBefore.Before(testNow) {
				t.Errorf("NotBefore = %v, not before %v", cert.NotBefore, testNow)
			}
			if err := cert.CheckSignatureFrom(cert); err != nil {
				t.Errorf("not self-signed: %v", err)
			}
			if len(cert.SubjectKeyId) == 0 {
				t.Error("no SubjectKeyIdentifier")
			}
			keys[caType] = string(cert.RawSubjectPublicKeyInfo)
		})
	}
	if keys[pki.CATypeKubernetes] == keys[pki.CATypeEtcd] || keys[pki.CATypeEtcd] == keys[pki.CATypeFrontProxy] ||
		keys[pki.CATypeKubernetes] == keys[pki.CATypeFrontProxy] {
		t.Error("the three CAs share a key")
	}
	if _, err := pki.NewClusterCAs("", testNow); err == nil {
		t.Error("NewClusterCAs accepted an empty common name")
	}
}

func TestParseCAType(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in, want string
		wantErr  bool
	}{
		{"", pki.CATypeKubernetes, false},
		{"kubernetes", pki.CATypeKubernetes, false},
		{"etcd", pki.CATypeEtcd, false},
		{"front_proxy", pki.CATypeFrontProxy, false},
		{"front-proxy", pki.CATypeFrontProxy, false},
		{"Kubernetes", "", true},
		{"frontproxy", "", true},
		{"ca", "", true},
	}
	cas := newCAs(t, "types")
	for _, tc := range cases {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := pki.ParseCAType(tc.in)
			if tc.wantErr {
				if !errors.Is(err, model.ErrInvalid) {
					t.Errorf("ParseCAType(%q) = %q, %v; want an ErrInvalid", tc.in, got, err)
				}
				if _, err := cas.ByType(tc.in); err == nil {
					t.Errorf("ByType(%q) succeeded", tc.in)
				}
				return
			}
			if err != nil || got != tc.want {
				t.Fatalf("ParseCAType(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			ca, err := cas.ByType(tc.in)
			if err != nil {
				t.Fatalf("ByType(%q): %v", tc.in, err)
			}
			want := map[string]*pki.CA{
				pki.CATypeKubernetes: cas.Kubernetes,
				pki.CATypeEtcd:       cas.Etcd,
				pki.CATypeFrontProxy: cas.FrontProxy,
			}[tc.want]
			if ca != want {
				t.Errorf("ByType(%q) returned the wrong CA", tc.in)
			}
		})
	}
}

func TestClusterCAsPEMRoundTrip(t *testing.T) {
	t.Parallel()
	cas := newCAs(t, "round-trip")
	pems, err := cas.MarshalPEM()
	if err != nil {
		t.Fatalf("MarshalPEM: %v", err)
	}
	for caType, p := range pems {
		if bytes.Contains(p.CertPEM, []byte("PRIVATE KEY")) {
			t.Errorf("%s: certificate PEM holds a private key", caType)
		}
		if block, _ := pem.Decode(p.KeyPEM); block == nil || block.Type != "PRIVATE KEY" {
			t.Errorf("%s: key PEM is not PKCS #8", caType)
		}
	}
	loaded, err := pki.LoadClusterCAs(pems)
	if err != nil {
		t.Fatalf("LoadClusterCAs: %v", err)
	}
	for _, caType := range pki.CATypes() {
		t.Run(caType, func(t *testing.T) {
			orig, _ := cas.ByType(caType)
			got, _ := loaded.ByType(caType)
			if !got.Certificate().Equal(orig.Certificate()) {
				t.Fatal("loaded certificate differs")
			}
			if !bytes.Equal(got.CertPEM(), orig.CertPEM()) {
				t.Error("loaded certificate PEM differs")
			}
			// The loaded key must still sign for the original certificate.
			certPEM, _ := signAdmin(t, got, testNow)
			if err := verify(parseCert(t, certPEM), orig, x509.ExtKeyUsageClientAuth, "", testNow); err != nil {
				t.Errorf("certificate from the loaded CA does not verify against the original: %v", err)
			}
		})
	}
}

func TestLoadCARejects(t *testing.T) {
	t.Parallel()
	a, b := newCAs(t, "a").Kubernetes, newCAs(t, "b").Kubernetes
	aCert, aKey, err := a.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	_, bKey, err := b.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	leafCert, leafKey, err := a.Issue(pki.IssueRequest{CommonName: "leaf", Usages: pki.UsageClient, Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name          string
		certPEM, keyP []byte
	}{
		{"garbage certificate", []byte("nope"), aKey},
		{"garbage key", aCert, []byte("nope")},
		{"key as a certificate", aKey, aKey},
		{"key of another CA", aCert, bKey},
		{"not a CA", leafCert, leafKey},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := pki.LoadCA(tc.certPEM, tc.keyP); err == nil {
				t.Error("LoadCA accepted it")
			}
		})
	}
	t.Run("missing CA type", func(t *testing.T) {
		t.Parallel()
		pems, err := newCAs(t, "partial").MarshalPEM()
		if err != nil {
			t.Fatal(err)
		}
		delete(pems, pki.CATypeEtcd)
		if _, err := pki.LoadClusterCAs(pems); err == nil {
			t.Error("LoadClusterCAs accepted a set without the etcd CA")
		}
	})
}

func TestRotate(t *testing.T) {
	t.Parallel()
	old := newCAs(t, "rotating")
	oldPEMs, err := old.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	oldClientPEM, _ := signAdmin(t, old.Kubernetes, testNow)
	later := testNow.AddDate(1, 0, 0)
	rotated, err := old.Rotate(later)
	if err != nil {
		t.Fatalf("Rotate: %v", err)
	}
	newPEMs, err := rotated.MarshalPEM()
	if err != nil {
		t.Fatal(err)
	}
	for _, caType := range pki.CATypes() {
		oldCA, _ := old.ByType(caType)
		newCA, _ := rotated.ByType(caType)
		if bytes.Equal(oldPEMs[caType].KeyPEM, newPEMs[caType].KeyPEM) ||
			bytes.Equal(oldCA.Certificate().RawSubjectPublicKeyInfo, newCA.Certificate().RawSubjectPublicKeyInfo) {
			t.Errorf("%s: rotation kept the CA key", caType)
		}
		if got := newCA.Certificate().Subject.CommonName; got != "rotating" {
			t.Errorf("%s: rotated CA CN = %q, want the cluster name", caType, got)
		}
		if want := later.AddDate(10, 0, 0); !newCA.Certificate().NotAfter.Equal(want) {
			t.Errorf("%s: rotated CA NotAfter = %v, want %v", caType, newCA.Certificate().NotAfter, want)
		}
	}
	if err := verify(parseCert(t, oldClientPEM), rotated.Kubernetes, x509.ExtKeyUsageClientAuth, "", later); err == nil {
		t.Error("a client certificate from before the rotation verifies against the new CA")
	}
	if err := verify(parseCert(t, oldClientPEM), old.Kubernetes, x509.ExtKeyUsageClientAuth, "", later); err != nil {
		t.Errorf("Rotate changed the old CAs: %v", err)
	}
}
