package pki

import (
	"crypto/tls"
	"encoding/pem"
	"errors"
	"fmt"
	"net/url"

	"sigs.k8s.io/yaml"
)

// Names used in the kubeconfig, as python-magnumclient writes them.
const (
	adminUser      = "admin"
	defaultContext = "default"
)

// The kubeconfig schema, as far as Kubeconfig fills it. Byte slices are
// base64-encoded by the JSON encoder, which is the *-data encoding that
// kubectl expects.
type (
	kubeconfig struct {
		APIVersion     string          `json:"apiVersion"`
		Kind           string          `json:"kind"`
		Clusters       []namedCluster  `json:"clusters"`
		Contexts       []namedContext  `json:"contexts"`
		CurrentContext string          `json:"current-context"`
		Preferences    struct{}        `json:"preferences"`
		Users          []namedAuthInfo `json:"users"`
	}
	namedCluster struct {
		Name    string            `json:"name"`
		Cluster kubeconfigCluster `json:"cluster"`
	}
	kubeconfigCluster struct {
		Server                   string `json:"server"`
		CertificateAuthorityData []byte `json:"certificate-authority-data,omitempty"`
	}
	namedContext struct {
		Name    string            `json:"name"`
		Context kubeconfigContext `json:"context"`
	}
	kubeconfigContext struct {
		Cluster string `json:"cluster"`
		User    string `json:"user"`
	}
	namedAuthInfo struct {
		Name string         `json:"name"`
		User kubeconfigUser `json:"user"`
	}
	kubeconfigUser struct {
		ClientCertificateData []byte `json:"client-certificate-data,omitempty"`
		ClientKeyData         []byte `json:"client-key-data,omitempty"`
	}
)

// Kubeconfig renders the kubeconfig that `openstack coe cluster config`
// writes: a cluster named clusterName at server (verbatim, so it must be an
// absolute URL such as https://host:6443) trusting caPEM, a user "admin"
// authenticating with the client certificate and key, and a context
// "default" joining them, which is the current context.
//
// For a cluster with TLS disabled, pass nil caPEM, clientCertPEM and
// clientKeyPEM: the kubeconfig then names the server only. The client
// certificate and key must be given together and must match.
func Kubeconfig(clusterName, server string, caPEM, clientCertPEM, clientKeyPEM []byte) ([]byte, error) {
	if err := checkKubeconfigInputs(clusterName, server, caPEM, clientCertPEM, clientKeyPEM); err != nil {
		return nil, fmt.Errorf("render kubeconfig for %q: %w", clusterName, err)
	}
	cfg := kubeconfig{
		APIVersion: "v1",
		Kind:       "Config",
		Clusters: []namedCluster{{
			Name:    clusterName,
			Cluster: kubeconfigCluster{Server: server, CertificateAuthorityData: caPEM},
		}},
		Contexts: []namedContext{{
			Name:    defaultContext,
			Context: kubeconfigContext{Cluster: clusterName, User: adminUser},
		}},
		CurrentContext: defaultContext,
		Users: []namedAuthInfo{{
			Name: adminUser,
			User: kubeconfigUser{ClientCertificateData: clientCertPEM, ClientKeyData: clientKeyPEM},
		}},
	}
	out, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, fmt.Errorf("render kubeconfig for %q: %w", clusterName, err)
	}
	return out, nil
}

// checkKubeconfigInputs refuses input that would render a kubeconfig
// kubectl cannot use.
func checkKubeconfigInputs(clusterName, server string, caPEM, clientCertPEM, clientKeyPEM []byte) error {
	if clusterName == "" {
		return errors.New("empty cluster name")
	}
	u, err := url.Parse(server)
	if err != nil {
		return fmt.Errorf("server address: %w", err)
	}
	if u.Scheme == "" || u.Host == "" {
		return fmt.Errorf("server address %q is not an absolute URL", server)
	}
	if len(caPEM) > 0 {
		if block, _ := pem.Decode(caPEM); block == nil || block.Type != pemCertificate {
			return errors.New("CA is not a PEM certificate")
		}
	}
	if (len(clientCertPEM) == 0) != (len(clientKeyPEM) == 0) {
		return errors.New("client certificate and key must be given together")
	}
	if len(clientCertPEM) > 0 {
		if _, err := tls.X509KeyPair(clientCertPEM, clientKeyPEM); err != nil {
			return fmt.Errorf("client certificate and key: %w", err)
		}
	}
	return nil
}
