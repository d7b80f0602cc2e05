package client

import (
	"context"
	"net/http"
	"net/url"

	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

// Certificates is the /v1/certificates collection.
type Certificates struct{ c *Client }

// Certificates returns the certificate operations.
func (c *Client) Certificates() Certificates { return Certificates{c} }

// GetCA returns a cluster's CA certificate. caType selects the CA
// ("kubernetes", "etcd" or "front_proxy"); empty means kubernetes.
func (r Certificates) GetCA(ctx context.Context, cluster, caType string) (*v1.Certificate, error) {
	q := url.Values{}
	if caType != "" {
		q.Set("ca_cert_type", caType)
	}
	var cert v1.Certificate
	if err := r.c.call(ctx, http.MethodGet, withQuery(r.c.url("certificates", cluster), q), nil, &cert); err != nil {
		return nil, err
	}
	return &cert, nil
}

// Sign has the cluster's CA sign a PEM certificate signing request and
// returns the certificate.
func (r Certificates) Sign(ctx context.Context, cluster, csrPEM string) (*v1.Certificate, error) {
	var cert v1.Certificate
	in := v1.CertificateCreate{ClusterUUID: cluster, CSR: csrPEM}
	if err := r.c.call(ctx, http.MethodPost, r.c.url("certificates"), in, &cert); err != nil {
		return nil, err
	}
	return &cert, nil
}

// RotateCA replaces a cluster's CA. The cluster goes through
// UPDATE_IN_PROGRESS while its certificates are reissued.
func (r Certificates) RotateCA(ctx context.Context, cluster string) error {
	return r.c.call(ctx, http.MethodPatch, r.c.url("certificates", cluster), nil, nil)
}
