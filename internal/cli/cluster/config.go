package cluster

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/slipway/slipway/internal/cli/cmdutil"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
	"github.com/slipway/slipway/pkg/client"
)

type configOptions struct {
	cluster     string
	dir         string
	force       bool
	outputCerts bool
}

func newConfigCommand(f *cmdutil.Factory) *cobra.Command {
	o := &configOptions{}
	cmd := &cobra.Command{
		Use:   "config CLUSTER",
		Short: "Write a kubeconfig for a cluster",
		Long: `Write DIR/config, a kubeconfig with admin credentials for the cluster, and
print the command that points kubectl at it. A new key is generated locally
and its certificate signed by the cluster's CA.`,
		Example: `  eval $(slipway cluster config k8s --dir ~/.kube/k8s)`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.cluster = args[0]
			return o.run(cmd.Context(), f)
		},
	}
	cmd.Flags().StringVar(&o.dir, "dir", ".", "directory to write the config file to")
	cmd.Flags().BoolVar(&o.force, "force", false, "overwrite an existing config file")
	cmd.Flags().BoolVar(&o.outputCerts, "output-certs", false, "also write ca.pem, cert.pem and key.pem")
	return cmd
}

func (o *configOptions) run(ctx context.Context, f *cmdutil.Factory) error {
	dir, err := filepath.Abs(o.dir)
	if err != nil {
		return err
	}
	path := filepath.Join(dir, "config")
	if _, err := os.Stat(path); err == nil && !o.force {
		return fmt.Errorf("%s already exists; use --force to overwrite it", path)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}

	c, err := f.Client(ctx)
	if err != nil {
		return err
	}
	cl, err := c.Clusters().Get(ctx, o.cluster)
	if err != nil {
		return err
	}
	if cl.APIAddress == nil || *cl.APIAddress == "" {
		fmt.Fprintf(f.Streams.ErrOut, "Warning: cluster %s has no API address yet (status %s)\n", cl.Name, cl.Status)
	}
	tlsDisabled, err := templateTLSDisabled(ctx, c, cl.ClusterTemplateID)
	if err != nil {
		return err
	}
	kc := kubeconfig{cluster: cl.Name, server: deref(cl.APIAddress)}
	if !tlsDisabled {
		if err := o.credentials(ctx, c, cl, &kc); err != nil {
			return err
		}
	}
	if err := kc.write(dir, path, o.outputCerts); err != nil {
		return err
	}
	_, err = fmt.Fprintf(f.Streams.Out, "export KUBECONFIG=%s\n", path)
	return err
}

// templateTLSDisabled reads tls_disabled from the cluster's template. A
// template the caller cannot see is taken to have TLS.
func templateTLSDisabled(ctx context.Context, c *client.Client, id string) (bool, error) {
	t, err := c.ClusterTemplates().Get(ctx, id)
	switch {
	case client.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, err
	}
	return t.TLSDisabled, nil
}

// credentials fetches the CA and has it sign a fresh admin key.
func (o *configOptions) credentials(ctx context.Context, c *client.Client, cl *v1.Cluster, kc *kubeconfig) error {
	ca, err := c.Certificates().GetCA(ctx, cl.UUID, "")
	if err != nil {
		return err
	}
	key, csr, err := adminCSR()
	if err != nil {
		return err
	}
	cert, err := c.Certificates().Sign(ctx, cl.UUID, string(csr))
	if err != nil {
		return err
	}
	kc.ca, kc.cert, kc.key = []byte(ca.PEM), []byte(cert.PEM), key
	return nil
}

// adminCSR generates an RSA-2048 key and a CSR for CN=admin,
// O=system:masters, both PEM-encoded.
func adminCSR() (keyPEM, csrPEM []byte, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, nil, fmt.Errorf("generate key: %w", err)
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject:            pkix.Name{CommonName: "admin", Organization: []string{"system:masters"}},
		SignatureAlgorithm: x509.SHA256WithRSA,
	}, key)
	if err != nil {
		return nil, nil, fmt.Errorf("create CSR: %w", err)
	}
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	csrPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE REQUEST", Bytes: der})
	return keyPEM, csrPEM, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// kubeconfig is the material of a kubeconfig file; ca, cert and key are
// empty for a cluster without TLS.
type kubeconfig struct {
	cluster, server string
	ca, cert, key   []byte
}

// The kubeconfig file format (client-go's clientcmd v1), as much as is
// written here.
type (
	kubeConfigFile struct {
		APIVersion     string         `json:"apiVersion"`
		Kind           string         `json:"kind"`
		Clusters       []namedCluster `json:"clusters"`
		Users          []namedUser    `json:"users"`
		Contexts       []namedContext `json:"contexts"`
		CurrentContext string         `json:"current-context"`
		Preferences    struct{}       `json:"preferences"`
	}
	namedCluster struct {
		Name    string      `json:"name"`
		Cluster kubeCluster `json:"cluster"`
	}
	kubeCluster struct {
		Server                   string `json:"server"`
		CertificateAuthorityData string `json:"certificate-authority-data,omitempty"`
	}
	namedUser struct {
		Name string   `json:"name"`
		User kubeUser `json:"user"`
	}
	kubeUser struct {
		ClientCertificateData string `json:"client-certificate-data,omitempty"`
		ClientKeyData         string `json:"client-key-data,omitempty"`
	}
	namedContext struct {
		Name    string      `json:"name"`
		Context kubeContext `json:"context"`
	}
	kubeContext struct {
		Cluster string `json:"cluster"`
		User    string `json:"user"`
	}
)

func (k *kubeconfig) file() kubeConfigFile {
	b64 := func(b []byte) string {
		if len(b) == 0 {
			return ""
		}
		return base64.StdEncoding.EncodeToString(b)
	}
	return kubeConfigFile{
		APIVersion: "v1",
		Kind:       "Config",
		Clusters: []namedCluster{{Name: k.cluster, Cluster: kubeCluster{
			Server: k.server, CertificateAuthorityData: b64(k.ca),
		}}},
		Users: []namedUser{{Name: "admin", User: kubeUser{
			ClientCertificateData: b64(k.cert), ClientKeyData: b64(k.key),
		}}},
		Contexts:       []namedContext{{Name: "default", Context: kubeContext{Cluster: k.cluster, User: "admin"}}},
		CurrentContext: "default",
	}
}

// write writes path (in dir) and, with certs, the PEM files beside it.
func (k *kubeconfig) write(dir, path string, certs bool) error {
	data, err := yaml.Marshal(k.file())
	if err != nil {
		return fmt.Errorf("encode kubeconfig: %w", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	files := map[string][]byte{path: data}
	if certs && len(k.key) > 0 {
		files[filepath.Join(dir, "ca.pem")] = k.ca
		files[filepath.Join(dir, "cert.pem")] = k.cert
		files[filepath.Join(dir, "key.pem")] = k.key
	}
	for name, b := range files {
		if err := os.WriteFile(name, b, 0o600); err != nil {
			return err
		}
	}
	return nil
}
