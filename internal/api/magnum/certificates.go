package magnum

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/slipway/slipway/internal/api"
	"github.com/slipway/slipway/internal/conductor"
	"github.com/slipway/slipway/internal/model"
	"github.com/slipway/slipway/internal/pki"
	"github.com/slipway/slipway/internal/policy"
	"github.com/slipway/slipway/internal/store"
	v1 "github.com/slipway/slipway/pkg/apis/magnum/v1"
)

// putCAs stores a cluster's CA certificates and keys as secrets.
func putCAs(ctx context.Context, tx store.Writer, clusterID string, pems map[string]pki.KeyPairPEM) error {
	for caType, kp := range pems {
		if err := tx.PutSecret(ctx, conductor.CASecretName(clusterID, caType, "crt"), kp.CertPEM); err != nil {
			return fmt.Errorf("store %s CA certificate: %w", caType, err)
		}
		if err := tx.PutSecret(ctx, conductor.CASecretName(clusterID, caType, "key"), kp.KeyPEM); err != nil {
			return fmt.Errorf("store %s CA key: %w", caType, err)
		}
	}
	return nil
}

// loadCA loads one CA of a cluster.
func loadCA(ctx context.Context, r store.Writer, clusterID, caType string) (*pki.CA, error) {
	certPEM, err := r.GetSecret(ctx, conductor.CASecretName(clusterID, caType, "crt"))
	if err != nil {
		return nil, fmt.Errorf("load %s CA certificate of cluster %s: %w", caType, clusterID, err)
	}
	keyPEM, err := r.GetSecret(ctx, conductor.CASecretName(clusterID, caType, "key"))
	if err != nil {
		return nil, fmt.Errorf("load %s CA key of cluster %s: %w", caType, clusterID, err)
	}
	return pki.LoadCA(certPEM, keyPEM)
}

func (s *Server) certLinks(r *http.Request, clusterID string) []v1.Link {
	return s.links(r, "certificates", clusterID)
}

func (s *Server) getCA(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	caType, err := pki.ParseCAType(r.URL.Query().Get("ca_cert_type"))
	if err != nil {
		return err
	}
	c, err := s.authorizedCluster(r, "certificate:get")
	if err != nil {
		return err
	}
	ca, err := loadCA(ctx, s.deps.Store, c.UUID, caType)
	if err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusOK, v1.Certificate{ClusterUUID: c.UUID, PEM: string(ca.CertPEM()), Links: s.certLinks(r, c.UUID)})
	return nil
}

func (s *Server) signCSR(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var in v1.CertificateCreate
	if err := decodeStrict(r, &in, "pem", "links", "created_at", "updated_at"); err != nil {
		return err
	}
	if in.ClusterUUID == "" {
		return model.Invalidf("Mandatory field missing: cluster_uuid.")
	}
	if in.CSR == "" {
		return model.Invalidf("Mandatory field missing: csr.")
	}
	caType, err := pki.ParseCAType(in.CACertType)
	if err != nil {
		return err
	}
	sub := subject(r)
	c, err := s.lookupCluster(ctx, sub, in.ClusterUUID)
	if errors.Is(err, model.ErrNotFound) {
		return model.Invalidf("Cluster %s could not be found.", in.ClusterUUID)
	}
	if err != nil {
		return err
	}
	if err := policy.Authorize("certificate:create", sub, policy.Target{ProjectID: c.ProjectID, UserID: c.UserID}); err != nil {
		return err
	}
	ca, err := loadCA(ctx, s.deps.Store, c.UUID, caType)
	if err != nil {
		return err
	}
	cert, err := ca.SignCSR([]byte(in.CSR), s.opts.Now())
	if err != nil {
		return err
	}
	out := v1.Certificate{ClusterUUID: c.UUID, CSR: in.CSR, PEM: string(cert), Links: s.certLinks(r, c.UUID)}
	if in.CACertType != "" {
		out.CACertType = in.CACertType
	}
	api.WriteJSON(w, http.StatusCreated, out)
	return nil
}

func (s *Server) rotateCA(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := s.authorizedCluster(r, "certificate:rotate_ca")
	if err != nil {
		return err
	}
	t, err := store.Get[model.ClusterTemplate](ctx, s.deps.Store, c.ClusterTemplateID)
	if err != nil {
		return err
	}
	if t.TLSDisabled {
		return model.Invalidf("Rotating the CA of cluster %s is not supported: TLS is disabled in its template.", c.UUID)
	}
	if !c.Status.Stable() {
		return model.Invalidf("Rotating the CA of a cluster when status is %s is not supported.", c.Status)
	}
	cas, err := pki.NewClusterCAs(c.Name, s.opts.Now())
	if err != nil {
		return err
	}
	pems, err := cas.MarshalPEM()
	if err != nil {
		return err
	}
	c.Status, c.Operation, c.StatusReason = model.UpdateInProgress, model.OpUpdate, ""
	err = s.deps.Store.InTx(ctx, func(tx store.Writer) error {
		if err := putCAs(ctx, tx, c.UUID, pems); err != nil {
			return err
		}
		return tx.Update(ctx, c)
	})
	if errors.Is(err, store.ErrRevisionMismatch) {
		return model.Conflictf("Cluster %s changed while the request was handled; retry it.", c.UUID)
	}
	if err != nil {
		return err
	}
	s.enqueue(ctx, c.UUID)
	api.WriteJSON(w, http.StatusAccepted, v1.UUIDResponse{UUID: c.UUID})
	return nil
}

func (s *Server) rotateCredential(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := s.authorizedCluster(r, "credential:rotate")
	if err != nil {
		return err
	}
	if !c.Status.ResizeAllowed() {
		return model.Invalidf("Rotating the credential of a cluster when status is %s is not supported.", c.Status)
	}
	// Clusters on the local provider hold no cloud credential; the rotation
	// is a reconcile that lets the driver renew whatever it keeps.
	if err := s.startOperation(ctx, c, model.OpUpdate); err != nil {
		return err
	}
	api.WriteJSON(w, http.StatusAccepted, v1.UUIDResponse{UUID: c.UUID})
	return nil
}
